#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# fuse_copy.sh -- what FUSE costs, for unmodified programs: a tree of
# 2000 files of mixed sizes (about 220 MiB) copied with two cp -a at once
# (each half of the tree) into
#   daxfs-fuse   a libdaxfs region served by tools/daxfs-fuse
#   fuse2fs      e2fsprogs' FUSE driver on an identical ext2 image
#   tmpfs        the kernel's tmpfs, no FUSE
# in one run, alternating, RUNS times each (median reported).  Everything
# lives on a tmpfs mounted with huge=always (2 MiB pages, as devdax maps;
# /dev/shm where it cannot be mounted): the source tree, the region (its
# file allocated up front and mapped in whole at mount: -o populate), the
# fuse2fs image (a copy of the same freshly made region, allocated) and
# the tmpfs target.  A FUSE copy is timed up to the end of its unmount,
# so that what fuse2fs keeps in its cache is written too; every write
# of daxfs-fuse is durable when it returns.  Each copy is checked with
# diff -r and each image with e2fsck -fn after the run (not timed).
#
#   bash bench/fuse_copy.sh                 # as root
#   RUNS=5 bash bench/fuse_copy.sh
#
# Output in bench/out/: fuse_copy.csv (every run), fuse_copy.txt (the
# table and the target: daxfs-fuse >= 2x the throughput of fuse2fs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${DAXFS_BENCH_BUILD:-$root/build-bench}
out=${DAXFS_BENCH_OUT:-$here/out}
runs=${RUNS:-3}
export PMEM2_FORCE_GRANULARITY=CACHE_LINE LC_ALL=C

[[ $(id -u) == 0 ]] || { echo "fuse_copy.sh: run as root" >&2; exit 1; }
for t in fuse2fs fusermount3 e2fsck; do
	command -v $t >/dev/null || { echo "fuse_copy.sh: $t not found" \
		"(bash scripts/setup-deps.sh)" >&2; exit 1; }
done
if [[ ! -f $build/CMakeCache.txt ]]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$build" --target daxfs_tool daxfs_fuse -j2 >/dev/null
DAXFS=$build/tools/daxfs/daxfs
DFUSE=$build/tools/daxfs-fuse/daxfs-fuse

mkdir -p "$out"
work=$(mktemp -d /dev/shm/daxfs-fusebench.XXXXXX)
huge=0
if mount -t tmpfs -o huge=always,size=6g,mode=0755 daxfs-fusebench "$work" \
	2>/dev/null; then
	huge=1
else
	echo "fuse_copy.sh: no huge=always tmpfs: 4 KiB pages on /dev/shm" >&2
fi
M=$work/mnt
pid=
cleanup() {
	mountpoint -q "$M" 2>/dev/null && fusermount -u "$M" 2>/dev/null
	mountpoint -q "$M" 2>/dev/null && fusermount3 -u "$M" 2>/dev/null
	[[ -n $pid ]] && wait "$pid" 2>/dev/null
	((huge)) && umount "$work"
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$M"

# The source: 2000 files in 2 halves of 20 directories; 80% of 1-64 KiB,
# 17% of 64-256 KiB, 3% of 1-3 MiB.
make_tree() {
	local i size d
	head -c $((4 << 20)) /dev/urandom >"$work/rand"
	for i in $(seq 0 1999); do
		d=$work/src/half$((i % 2))/d$((i % 40))
		mkdir -p "$d"
		if ((i % 100 < 80)); then size=$(( (i * 37 % 64 + 1) << 10 ))
		elif ((i % 100 < 97)); then size=$(( (i * 13 % 192 + 64) << 10 ))
		else size=$(( (i % 3 + 1) << 20 )); fi
		head -c "$size" "$work/rand" >"$d/f$i"
		printf '%08d' "$i" | dd of="$d/f$i" conv=notrunc status=none
	done
}
make_tree
bytes=$(du -sb "$work/src" | cut -f1)
files=$(find "$work/src" -type f | wc -l)
echo "fuse_copy.sh: $files files, $((bytes >> 20)) MiB; huge=always: $huge;" \
	"$runs runs; $(nproc) CPUs"

# The pristine image both FUSE drivers start from, allocated whole.
size=1G
fallocate -l $size "$work/pristine.img"
"$DAXFS" mkfs --size $size "$work/pristine.img" >/dev/null

wait_mounted() {
	local _
	for _ in $(seq 200); do mountpoint -q "$M" && return 0; sleep 0.05; done
	echo "fuse_copy.sh: $1 did not mount" >&2
	exit 1
}

# mount_peer NAME: a fresh copy of the image, mounted (not timed).
mount_peer() {
	rm -f "$work/img"
	fallocate -l $size "$work/img"
	dd if="$work/pristine.img" of="$work/img" bs=4M conv=notrunc \
		status=none
	case $1 in
	daxfs-fuse) "$DFUSE" "$work/img" "$M" -f -o populate & pid=$! ;;
	fuse2fs) fuse2fs "$work/img" "$M" -f & pid=$! ;;
	tmpfs) mkdir -p "$M/t"; pid= ; return ;;
	esac
	wait_mounted "$1"
}

# copy NAME: two cp -a at once, then the unmount; seconds on stdout.
copy() {
	local t0 t1 dst=$M
	[[ $1 == tmpfs ]] && dst=$M/t
	t0=$(date +%s.%N)
	cp -a "$work/src/half0" "$dst/" &
	local c0=$!
	cp -a "$work/src/half1" "$dst/" &
	local c1=$!
	wait $c0 && wait $c1
	if [[ $1 != tmpfs ]]; then
		fusermount3 -u "$M" 2>/dev/null || fusermount -u "$M"
		wait "$pid"
		pid=
	fi
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

# check NAME: the copy is the source (remounted for the FUSE peers).
check() {
	case $1 in
	tmpfs) diff -r "$work/src/half0" "$M/t/half0" >/dev/null &&
		diff -r "$work/src/half1" "$M/t/half1" >/dev/null
		rm -rf "$M/t"; return ;;
	*) e2fsck -fn "$work/img" >/dev/null 2>&1 ||
		{ echo "fuse_copy.sh: e2fsck failed after $1" >&2; return 1; }
	   "$DAXFS" get -r "$work/img" / "$work/back" >/dev/null
	   diff -r "$work/src/half0" "$work/back/half0" >/dev/null &&
		diff -r "$work/src/half1" "$work/back/half1" >/dev/null
	   rm -rf "$work/back" ;;
	esac
}

csv=$out/fuse_copy.csv
echo "peer,run,seconds,MiB_per_s" >"$csv"
for r in $(seq 1 "$runs"); do
	for p in daxfs-fuse fuse2fs tmpfs; do
		mount_peer $p
		s=$(copy $p)
		check $p || { echo "fuse_copy.sh: $p: the copy differs" >&2; exit 1; }
		mibs=$(echo "$bytes / 1048576 / $s" | bc -l)
		printf '%s,%d,%.3f,%.1f\n' $p "$r" "$s" "$mibs" >>"$csv"
		printf '  run %d %-10s %7.3f s %8.1f MiB/s\n' "$r" $p "$s" "$mibs"
	done
done

# The median of a peer's MiB/s.
median() {
	grep "^$1," "$csv" | cut -d, -f4 | sort -g | awk '{v[NR] = $1}
		END {if (NR % 2) print v[(NR + 1) / 2];
		     else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
d=$(median daxfs-fuse)
f=$(median fuse2fs)
t=$(median tmpfs)
ratio=$(echo "$d / $f" | bc -l)
verdict=MISS
(($(echo "$ratio >= 2" | bc -l))) && verdict=PASS
{
	echo "cp -a of $files files, $((bytes >> 20)) MiB, 2 at once" \
		"(median of $runs runs; huge=always: $huge; $(nproc) CPUs)"
	echo
	echo "| target | MiB/s | vs fuse2fs | vs tmpfs |"
	echo "|---|---|---|---|"
	for p in daxfs-fuse fuse2fs tmpfs; do
		v=$(median $p)
		printf '| %s | %.1f | %.2fx | %.2fx |\n' $p "$v" \
			"$(echo "$v / $f" | bc -l)" "$(echo "$v / $t" | bc -l)"
	done
	echo
	printf '%s: daxfs-fuse %.2fx the throughput of fuse2fs (target >= 2x)\n' \
		$verdict "$ratio"
} | tee "$out/fuse_copy.txt"
