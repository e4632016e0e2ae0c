#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test.sh -- build libdaxfs and run the whole test suite, three times, then
# fuzz it:
#
#   1. build/       RelWithDebInfo, as users build it;
#   2. build-asan/  Debug with AddressSanitizer + UndefinedBehaviorSanitizer
#                   (leak detection on, any report aborts the test);
#   3. build-tsan/  Debug with ThreadSanitizer: the threaded stress programs
#                   of tests/tsan/ (Criterion cannot run under TSan);
#   4. build-fuzz/  clang with libFuzzer + ASan + UBSan: the regression
#                   images of tests/fuzz/regress/, then 10,000 inputs from
#                   a fixed seed fuzzing daxfs_mount (tests/fuzz/run.sh;
#                   one ctest test).
#
#   bash scripts/test.sh
#
# Runs from any directory; installs missing Debian packages first (see
# scripts/setup-deps.sh).  Exits non-zero if a build or a test failed, and
# ends with one line "N passed, N failed" counting the ctest test programs of
# all builds (a build that fails to configure or compile counts as one
# failure, since its tests could not run).
#
# Environment: CTEST_PARALLEL_LEVEL (ctest's own; default 1, i.e. serial),
# DAXFS_SKIP_DEPS=1 to skip the package step.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# libpmem2 on a regular file outside a DAX file system persists with msync
# (page granularity).  The tests put their regions on /dev/shm, which is RAM:
# force cache-line granularity to emulate persistent memory there.  (ctest
# also sets this per test; exporting it here covers helper programs too.)
export PMEM2_FORCE_GRANULARITY=CACHE_LINE

jobs=$(nproc 2>/dev/null || echo 2)
total_passed=0
total_failed=0
status=0

bash scripts/setup-deps.sh || { echo "test.sh: setup-deps.sh failed" >&2; exit 1; }

# run_suite NAME DIR [cmake options...]: configure, build and run ctest in DIR;
# add its counts to the totals.
run_suite() {
	local name=$1 dir=$2
	shift 2
	local log="$dir/ctest.log"

	echo
	echo "=================== $name ($dir) ==================="
	if ! cmake -S . -B "$dir" "$@"; then
		echo "test.sh: $name: configure FAILED (counted as 1 failure)" >&2
		total_failed=$((total_failed + 1)); status=1
		return
	fi
	if ! cmake --build "$dir" -j "$jobs"; then
		echo "test.sh: $name: build FAILED (counted as 1 failure)" >&2
		total_failed=$((total_failed + 1)); status=1
		return
	fi

	(cd "$dir" && ctest --output-on-failure --no-tests=error) 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}

	# ctest's summary: "97% tests passed, 1 tests failed out of 35".
	local line passed failed all
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	if [[ -n "$line" ]]; then
		failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
		all=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
		passed=$((all - failed))
	else
		echo "test.sh: $name: no ctest summary (counted as 1 failure)" >&2
		passed=0; failed=1
	fi
	if ((rc != 0 && failed == 0)); then
		echo "test.sh: $name: ctest exited $rc (counted as 1 failure)" >&2
		failed=1
	fi
	echo "test.sh: $name: $passed passed, $failed failed"
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	((failed == 0)) || status=1
}

# 1. The normal build.
run_suite "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAXFS_BUILD_TESTS=ON

# 2. AddressSanitizer + UndefinedBehaviorSanitizer.  Benchmarks are left out
#    (slow and not tests).  Any sanitizer report aborts the test program.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug \
		-DDAXFS_SANITIZE=address,undefined -DDAXFS_BUILD_BENCH=OFF

# 3. ThreadSanitizer, in its own tree (it cannot share a build with ASan).
#    The Criterion programs are not built there: Criterion cannot run under
#    TSan at all ("Could not initialize inheritable arena: Resource
#    temporarily unavailable", https://github.com/Snaipe/Criterion/issues/274),
#    so with DAXFS_SANITIZE=thread tests/CMakeLists.txt builds the standalone
#    stress programs of tests/tsan/ instead.  ctest gives each of them its
#    own TSAN_OPTIONS (halt_on_error=1, so any report fails the program, and
#    the suppressions of tests/tsan/tsan.supp), which take precedence over
#    the ones set here.
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	run_suite "tsan" build-tsan -DCMAKE_BUILD_TYPE=Debug \
		-DDAXFS_SANITIZE=thread -DDAXFS_BUILD_BENCH=OFF \
		-DDAXFS_BUILD_EXAMPLES=OFF

# 4. Fuzzing with libFuzzer (tests/fuzz/): clang is required; configure
#    fails (one failure counted) if CC=clang is not clang.
if ! command -v clang >/dev/null 2>&1; then
	echo "test.sh: fuzz: clang not found (setup-deps.sh installs it; counted as 1 failure)" >&2
	total_failed=$((total_failed + 1)); status=1
else
	CC=clang run_suite "fuzz" build-fuzz -DCMAKE_BUILD_TYPE=Debug \
		-DDAXFS_SANITIZE=address,undefined -DDAXFS_BUILD_FUZZ=ON \
		-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_BENCH=OFF \
		-DDAXFS_BUILD_EXAMPLES=OFF
fi

echo
echo "$total_passed passed, $total_failed failed"
exit "$status"
