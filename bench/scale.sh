#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# scale.sh -- directories and the inode cache at scale (issue 15, item 4),
# in one run, results in bench/out/:
#   scale.csv     layout,entries,backend,create_ns,stat_ns,unlink_ns,
#                 first_ns,first_dir_ns,second_dir_ns,new_name_ns,warm_ns,
#                 cache_bytes_per_file,stat_alt_ratio,stat_alt_p10,
#                 stat_alt_p90 (libdaxfs htree against tmpfs, alternating)
#   scale.txt     the tables (dir_bench, then daxfs_icache_bench)
#
#   bash bench/scale.sh            # 10^4, 10^5, 10^6 (as root, minutes)
#   bash bench/scale.sh --quick    # 10^4 and 10^5 only
#
# dir_bench (bench/dir_bench.c): create/stat/unlink in one directory and
# spread over directories of 1,000, libdaxfs (indexed and linear) against
# tmpfs and the kernel's ext2 over a loop mount of a daxfs_mkfs image, the
# first lookups after a mount against new names and a warm one, the inode
# cache's bytes per file; then daxfs_icache_bench: every file opened, fstat'ed and
# closed from a fresh mount with the cache unbounded and with a 64 MiB
# budget, DRAM per cached and per uncached file.  The regions live in the
# huge=always tmpfs of bench/lib.sh (removed at the end).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${DAXFS_BENCH_BUILD:-$root/build-bench}
out=${DAXFS_BENCH_OUT:-$here/out}
sizes=10000,100000,1000000
files=1000000
if [[ ${1:-} == --quick ]]; then
	sizes=10000,100000
	files=100000
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_EXAMPLES=OFF \
	-DDAXFS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target dir_bench daxfs_icache_bench \
	-j"$(nproc)" >/dev/null

mkdir -p "$out"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_workdir daxfs-scale 12g
mkdir -p "$work/mnt"
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}

csv=$out/scale.csv
echo "layout,entries,backend,create_ns,stat_ns,unlink_ns,first_ns,first_dir_ns,second_dir_ns,new_name_ns,warm_ns,cache_bytes_per_file,stat_alt_ratio,stat_alt_p10,stat_alt_p90" >"$csv"
{
	echo "# bash bench/scale.sh $*  ($(date +%F), $(nproc) CPUs)"
	"$build/bench/dir_bench" -n "$sizes" -d "$work" -p -k "$work/mnt" \
		-c "$csv"
	"$build/bench/dir_bench" -n "$sizes" -d "$work" -p -s \
		-k "$work/mnt" -c "$csv" | tail -n +3
	echo
	"$build/bench/daxfs_icache_bench" "$files" 1000 64 \
		"$work/icache.region"
} | tee "$out/scale.txt"
echo "CSV: $csv"
