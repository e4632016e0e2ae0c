#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh -- build and run the libdaxfs benchmarks; results in bench/out/:
#   table.txt     the printed tables and PASS/MISS lines, then the fences
#                 per operation (daxfs_fences)
#   results.csv   median/min/max per operation and backend
#   ratios.csv    libdaxfs / peer per operation
#   targets.csv   the targets, PASS or MISS
#   fences.csv    fences and flushed cache lines per kind of operation
#                 (and, in table.txt, daxfs_lock_floor: a 4 KiB overwrite
#                 against libpmem2's memcpy bare and between two locked
#                 instructions)
#   bench.png     the chart (gnuplot)
#   progress.log  what ran, how long it took
#
#   bash bench/run.sh                     # full run (as root, a few minutes)
#   bash bench/run.sh --quick             # small sizes, for development
#   bash bench/run.sh --dax /dev/dax0.0   # a devdax region (ERASES IT)
#
# Other options are daxfs_bench's (--help).  daxfs_fences (bench/fences.c,
# linked with the test-hook objects: it counts with their persistence
# recorder) runs after daxfs_bench, on a small region file of its own.  The region, the tmpfs peer and
# the limit mapping live in a fresh tmpfs mounted with huge=always (2 MiB
# pages, as devdax maps; as root), or in /dev/shm/daxfs-bench.XXXXXX where
# that cannot be mounted; the region file and the limit are allocated up
# front and mapped in whole.  All of it (with the loop mount) is removed
# at the end, also on failure or ^C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${DAXFS_BENCH_BUILD:-$root/build-bench}
out=${DAXFS_BENCH_OUT:-$here/out}

if [[ -f $root/scripts/setup-deps.sh ]]; then
	bash "$root/scripts/setup-deps.sh"   # libext2fs-dev, gnuplot-nox...
fi

# (configured every time: cheap, and a tree that gained targets since
# the last run needs it)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_EXAMPLES=OFF \
	-DDAXFS_BUILD_BENCH=ON >/dev/null
if ! log=$(cmake --build "$build" --target daxfs_bench daxfs_fences daxfs_lock_floor \
	-j"$(nproc)" 2>&1); then
	printf '%s\n' "$log" >&2
	echo "run.sh: build failed" >&2
	exit 1
fi

mkdir -p "$out"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_workdir daxfs-bench 20g

"$build/bench/daxfs_bench" --workdir "$work" --out "$out" "$@" \
	2> >(tee "$out/progress.log" >&2) | tee "$out/table.txt"
case " $* " in
*" --help "* | *" -h "*) exit 0 ;;
esac
"$build/bench/daxfs_fences" --workdir "$work" --out "$out" \
	| tee -a "$out/table.txt"
"$build/bench/daxfs_lock_floor" --workdir "$work" | tee -a "$out/table.txt"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "datafile='$out/plot.dat'; outfile='$out/bench.png'; subtitle='($(date +%F), $(nproc) CPUs)'" \
		"$here/plot.gp"
	echo "chart: $out/bench.png"
else
	echo "run.sh: gnuplot not found (apt-get install -y gnuplot-nox): no chart" >&2
fi
