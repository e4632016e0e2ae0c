#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh -- replay the regression images of tests/fuzz/regress/, then fuzz
# daxfs_mount for SECONDS over the generated seeds (tests/fuzz/seeds.sh).
#
#   bash tests/fuzz/run.sh [SECONDS [FUZZ_MOUNT]]
#
# SECONDS defaults to 60 (DAXFS_FUZZ_RUNS=N DAXFS_FUZZ_SEED=S: N inputs
# from seed S instead, as the fuzz stage of scripts/test.sh runs);
# FUZZ_MOUNT defaults to build-fuzz/tests/fuzz/fuzz_mount, built by
#   CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
#     -DDAXFS_SANITIZE=address,undefined -DDAXFS_BUILD_FUZZ=ON \
#     -DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_BENCH=OFF -DDAXFS_BUILD_EXAMPLES=OFF
#   cmake --build build-fuzz -j2
# The corpus grows in corpus/ beside the binary and is kept between runs
# (DAXFS_FUZZ_FRESH=1, as ctest sets it: start again from the seeds);
# a crashing input is saved in findings/ beside it, and run.sh exits 1.
# One process, one worker; each input has 10 s and 2 GiB.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${1:-60}
fuzzer=$(realpath "${2:-$here/../../build-fuzz/tests/fuzz/fuzz_mount}")
dir=$(dirname "$fuzzer")
export PMEM2_FORCE_GRANULARITY=CACHE_LINE
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

[[ -x $fuzzer ]] || { echo "run.sh: no fuzzer at $fuzzer (build it first)" >&2; exit 1; }
if [[ ! -d $dir/seeds ]]; then
	bash "$here/seeds.sh" "$dir/seeds.tmp" "$dir/fuzz_mkseed"
	mv "$dir/seeds.tmp" "$dir/seeds"
fi
if [[ ${DAXFS_FUZZ_FRESH:-0} == 1 ]]; then
	rm -rf "$dir/corpus"
fi
mkdir -p "$dir/corpus" "$dir/findings"
opts=(-timeout=10 -rss_limit_mb=2048 -dict="$here/ext2.dict"
      -artifact_prefix="$dir/findings/")

# Every earlier finding, once each (stored gzipped: images are mostly
# zeros).
shopt -s nullglob
rm -rf "$dir/regress"
mkdir -p "$dir/regress"
for f in "$here"/regress/*.bin.gz; do
	gzip -dc "$f" >"$dir/regress/$(basename "$f" .gz)"
done
regress=("$dir"/regress/*.bin)
if ((${#regress[@]})); then
	echo "run.sh: replaying ${#regress[@]} regression images"
	"$fuzzer" "${opts[@]}" "${regress[@]}"
fi

# Fuzz: new inputs go to corpus/, the seeds are read as well.  With
# DAXFS_FUZZ_RUNS (as ctest sets it, with DAXFS_FUZZ_SEED) a fixed number
# of inputs from a fixed seed instead of a time: what CI runs is what a
# developer's run of the same commit ran, not a draw that can find
# something new on one machine and nothing on another.
if [[ -n ${DAXFS_FUZZ_RUNS:-} ]]; then
	echo "run.sh: fuzzing $DAXFS_FUZZ_RUNS inputs, seed ${DAXFS_FUZZ_SEED:-1}"
	"$fuzzer" "${opts[@]}" -runs="$DAXFS_FUZZ_RUNS" \
		-seed="${DAXFS_FUZZ_SEED:-1}" -print_final_stats=1 \
		"$dir/corpus" "$dir/seeds"
else
	echo "run.sh: fuzzing for $secs s"
	"$fuzzer" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
		"$dir/corpus" "$dir/seeds"
fi
