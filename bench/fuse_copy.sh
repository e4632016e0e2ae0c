#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# fuse_copy.sh -- what FUSE costs, for unmodified programs: a tree of
# 2000 files of mixed sizes (about 220 MiB; and, to tell data from
# metadata, 8 files of 16 MiB) copied with two cp -a at once (each half
# of the tree) into
#   daxfs-fuse   a libdaxfs region served by tools/daxfs-fuse
#   fuse2fs      e2fsprogs' FUSE driver on an identical ext2 image
#   tmpfs        the kernel's tmpfs, no FUSE
# in one run, alternating, RUNS times each (median reported).  The region
# (its file allocated up front and mapped in whole at mount: -o populate)
# and the fuse2fs image (a copy of the same freshly made region,
# allocated) live on a tmpfs mounted with huge=always (2 MiB pages, as
# devdax maps; /dev/shm where it cannot be mounted); the source tree and
# the tmpfs target on /dev/shm (4 KiB pages: a huge page per small file
# would make tmpfs zero 2 MiB for each).  A FUSE copy is timed up to the end of its unmount,
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
small=$(mktemp -d /dev/shm/daxfs-fusebench-src.XXXXXX)
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
	rm -rf "$work" "$small"
}
trap cleanup EXIT INT TERM
mkdir -p "$M"

# The source: 2000 files in 2 halves of 20 directories; 80% of 1-64 KiB,
# 17% of 64-256 KiB, 3% of 1-3 MiB.
make_tree() {
	local i size d
	head -c $((4 << 20)) /dev/urandom >"$small/rand"
	for i in $(seq 0 1999); do
		d=$small/src/half$((i % 2))/d$((i % 40))
		mkdir -p "$d"
		if ((i % 100 < 80)); then size=$(( (i * 37 % 64 + 1) << 10 ))
		elif ((i % 100 < 97)); then size=$(( (i * 13 % 192 + 64) << 10 ))
		else size=$(( (i % 3 + 1) << 20 )); fi
		head -c "$size" "$small/rand" >"$d/f$i"
		printf '%08d' "$i" | dd of="$d/f$i" conv=notrunc status=none
	done
}
make_tree
for i in 0 1 2 3 4 5 6 7; do
	mkdir -p "$small/big/half$((i % 2))"
	head -c $((16 << 20)) /dev/urandom >"$small/big/half$((i % 2))/f$i"
done
bytes=$(du -sb "$small/src" | cut -f1)
files=$(find "$small/src" -type f | wc -l)
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
	tmpfs) mkdir -p "$small/t"; pid= ; return ;;
	esac
	wait_mounted "$1"
}

# copy NAME SRC: two cp -a at once, then the unmount; seconds on stdout.
copy() {
	local t0 t1 dst=$M
	[[ $1 == tmpfs ]] && dst=$small/t
	t0=$(date +%s.%N)
	cp -a "$2/half0" "$dst/" &
	local c0=$!
	cp -a "$2/half1" "$dst/" &
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

# check NAME SRC: the copy is the source (read back with libdaxfs for
# the FUSE peers, and e2fsck).
check() {
	local back=$small/back
	case $1 in
	tmpfs) back=$small/t ;;
	*) e2fsck -fn "$work/img" >/dev/null 2>&1 ||
		{ echo "fuse_copy.sh: e2fsck failed after $1" >&2; return 1; }
	   "$DAXFS" get -r "$work/img" / "$back" >/dev/null ;;
	esac
	diff -r "$2/half0" "$back/half0" >/dev/null &&
		diff -r "$2/half1" "$back/half1" >/dev/null
	local ret=$?
	rm -rf "$back"
	return $ret
}

csv=$out/fuse_copy.csv
echo "workload,peer,run,seconds,MiB_per_s" >"$csv"
for r in $(seq 1 "$runs"); do
	for w in tree big; do
		src=$small/src
		[[ $w == big ]] && src=$small/big
		b=$(du -sb "$src" | cut -f1)
		for p in daxfs-fuse fuse2fs tmpfs; do
			mount_peer $p
			s=$(copy $p "$src")
			check $p "$src" || { echo "fuse_copy.sh: $p: the" \
				"copy differs" >&2; exit 1; }
			mibs=$(echo "$b / 1048576 / $s" | bc -l)
			printf '%s,%s,%d,%.3f,%.1f\n' $w $p "$r" "$s" "$mibs" \
				>>"$csv"
			printf '  run %d %-4s %-10s %7.3f s %8.1f MiB/s\n' "$r" \
				$w $p "$s" "$mibs"
		done
	done
done

# The median of MiB/s of workload $1, peer $2.
median() {
	grep "^$1,$2," "$csv" | cut -d, -f5 | sort -g | awk '{v[NR] = $1}
		END {if (NR % 2) print v[(NR + 1) / 2];
		     else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio=$(echo "$(median tree daxfs-fuse) / $(median tree fuse2fs)" | bc -l)
verdict=MISS
(($(echo "$ratio >= 2" | bc -l))) && verdict=PASS
{
	echo "cp -a, 2 at once (median of $runs runs; huge=always: $huge;" \
		"$(nproc) CPUs): tree = $files files, $((bytes >> 20)) MiB;" \
		"big = 8 files of 16 MiB"
	echo
	echo "| workload | target | MiB/s | vs fuse2fs | vs tmpfs |"
	echo "|---|---|---|---|---|"
	for w in tree big; do
		f=$(median $w fuse2fs)
		t=$(median $w tmpfs)
		for p in daxfs-fuse fuse2fs tmpfs; do
			v=$(median $w $p)
			printf '| %s | %s | %.1f | %.2fx | %.2fx |\n' $w $p "$v" \
				"$(echo "$v / $f" | bc -l)" \
				"$(echo "$v / $t" | bc -l)"
		done
	done
	echo
	printf '%s: daxfs-fuse %.2fx the throughput of fuse2fs on the tree' \
		$verdict "$ratio"
	echo " (target >= 2x)"
} | tee "$out/fuse_copy.txt"
