#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sqlite.sh -- build and run the SQLite benchmark (bench/sqlite_bench.c):
# SQLite through the libdaxfs VFS against SQLite's unix VFS on tmpfs and
# on the same ext2 image loop-mounted, in one run.  Results in bench/out/:
#   sqlite_table.txt    the table and the PASS/MISS lines
#   sqlite.csv          median per workload and backend, and the ratios
#   sqlite_targets.csv  the targets, PASS or MISS
#   sqlite.png          the chart (gnuplot)
#   speedtest1.csv      SQLite's speedtest1 (bench/speedtest1.sh, run
#                       after sqlite_bench; its table is appended to
#                       sqlite_table.txt)
#
#   bash bench/sqlite.sh            # full run (as root, a few minutes)
#   bash bench/sqlite.sh --quick    # small sizes, for development
#
# The region (2 GiB, allocated up front and mounted with
# DAXFS_MOUNT_POPULATE) and the tmpfs peer live in a fresh tmpfs mounted
# with huge=always (as root), or in /dev/shm/daxfs-sqlite.XXXXXX where that
# cannot be mounted.  Everything (with the loop mount) is removed at the
# end, also on failure or ^C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${DAXFS_BENCH_BUILD:-$root/build-bench}
out=${DAXFS_BENCH_OUT:-$here/out}

if [[ -f $root/scripts/setup-deps.sh ]]; then
	bash "$root/scripts/setup-deps.sh"   # libsqlite3-dev, sqlite3...
fi
# (configured every time: cheap, and a tree that gained targets since
# the last run needs it)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_EXAMPLES=OFF \
	-DDAXFS_BUILD_BENCH=ON >/dev/null
if ! log=$(cmake --build "$build" --target sqlite_bench -j"$(nproc)" 2>&1); then
	printf '%s\n' "$log" >&2
	echo "sqlite.sh: build failed (is libsqlite3-dev installed?)" >&2
	exit 1
fi

mkdir -p "$out"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_workdir daxfs-sqlite 8g

export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}
"$build/bench/sqlite_bench" --workdir "$work" --out "$out" "$@" \
	| tee "$out/sqlite_table.txt"
case " $* " in
*" --help "*) exit 0 ;;
esac

# SQLite's own speedtest1 (its source fetched from Debian at bench time;
# skipped with a reason where it cannot be), with --quick at a small size.
st_args=(--repeat 3)
case " $* " in *" --quick "*) st_args=(--quick) ;; esac
echo
DAXFS_BENCH_BUILD=$build DAXFS_BENCH_OUT=$out \
	bash "$here/speedtest1.sh" "${st_args[@]}" | tee -a "$out/sqlite_table.txt"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "datafile='$out/sqlite_plot.dat'; outfile='$out/sqlite.png'; subtitle='($(date +%F), $(nproc) CPUs)'" \
		"$here/sqlite_plot.gp"
	echo "chart: $out/sqlite.png"
else
	echo "sqlite.sh: gnuplot not found (apt-get install -y gnuplot-nox): no chart" >&2
fi
