#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh DAXFS_FUSE DAXFS FUSE_POSIX -- daxfs-fuse as unmodified programs
# use it: a region (on /dev/shm) made with the daxfs tool is mounted with
# daxfs-fuse, a generated tree (directories, files of mixed sizes,
# symbolic and hard links) is copied in and out with cp -a, tar and
# rsync -a and compared with diff -r; find -newer/-perm, mkfifo, ln and
# setfattr/getfattr run through the mount, and fuse_posix (the POSIX
# semantics program) on a directory of it.  After fusermount3 -u the
# region is checked with e2fsck -fn and read with libdaxfs itself (daxfs
# get -r, compared with diff -r) and debugfs (the attribute).  Exit 77
# (skip, with the reason) without /dev/fuse, fusermount3, root, or the
# tools the workloads use.
set -uo pipefail

FUSE=${1:?usage: run.sh DAXFS_FUSE DAXFS FUSE_POSIX}
DAXFS=${2:?}
POSIX=${3:?}
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}
export LC_ALL=C
export PATH=$PATH:/usr/sbin:/sbin

skip() { echo "SKIP: $*"; exit 77; }
[[ -c /dev/fuse ]] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null || skip "fusermount3 not found (Debian: fuse3)"
[[ $(id -u) == 0 ]] || skip "not root (the mount is checked as root: allow_other, chown)"
for t in rsync tar setfattr getfattr e2fsck debugfs diff find; do
	command -v $t >/dev/null || skip "$t not found"
done

work=$(mktemp -d /dev/shm/daxfs-test-fuse.XXXXXX)
chmod 0755 "$work" # (fuse_posix writes as another user too)
R=$work/region.img
M=$work/mnt
pid=
fails=0
cleanup() {
	if mountpoint -q "$M" 2>/dev/null; then fusermount3 -u "$M"; fi
	[[ -n $pid ]] && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
check() { # check DESCRIPTION CMD...: CMD must exit 0
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# A tree of 40 directories, 300 files of 0 bytes to 1 MiB, symbolic and
# hard links, modes other than the default, times in the past.
make_tree() {
	local d=$1 i j
	mkdir -p "$d"
	for i in $(seq 0 39); do
		mkdir -p "$d/dir$((i % 8))/sub$i"
		for j in 0 1 2 3 4 5 6; do
			head -c $(( (i * 7919 + j * 104729) % (1 << (j * 3 + 1)) )) \
				/dev/urandom >"$d/dir$((i % 8))/sub$i/f$j"
		done
		ln -s "sub$i/f0" "$d/dir$((i % 8))/link$i"
		ln "$d/dir$((i % 8))/sub$i/f1" "$d/dir$((i % 8))/hard$i"
		chmod 0640 "$d/dir$((i % 8))/sub$i/f2"
		chmod 0751 "$d/dir$((i % 8))/sub$i"
	done
	find "$d" -exec touch -h -d '2001-02-03 04:05:06' {} +
}

mkdir -p "$M"
"$DAXFS" mkfs --size 512M "$R" >/dev/null || { echo "daxfs mkfs failed"; exit 1; }
"$FUSE" "$R" "$M" -f &
pid=$!
for _ in $(seq 100); do mountpoint -q "$M" && break; sleep 0.1; done
mountpoint -q "$M" || { echo "daxfs-fuse did not mount"; exit 1; }
pass "mounted: $(grep " $M " /proc/mounts)"

SRC=$work/src
make_tree "$SRC"
check "cp -a in" cp -a "$SRC" "$M/cp"
check "diff -r after cp -a in" diff -r "$SRC" "$M/cp"
check "cp -a out" cp -a "$M/cp" "$work/out"
check "diff -r after cp -a out" diff -r "$SRC" "$work/out"
check "cp -a kept modes and times" test \
	"$(cd "$SRC" && find . -printf '%p %m %T@ %n %y\n' | sort)" = \
	"$(cd "$M/cp" && find . -printf '%p %m %T@ %n %y\n' | sort)"
mkdir "$M/tar"
check "tar c | tar x" bash -c "tar cf - -C '$SRC' . | tar xf - -C '$M/tar'"
check "diff -r after tar" diff -r "$SRC" "$M/tar"
check "rsync -a in" rsync -a "$SRC/" "$M/rsync/"
check "diff -r after rsync" diff -r "$SRC" "$M/rsync"
check "rsync -a again changes nothing" test -z \
	"$(rsync -ai "$SRC/" "$M/rsync/")"
touch -d '2010-01-01' "$work/ref"
touch "$M/rsync/dir1/sub1/f3"
check "find -newer" test "$(find "$M/rsync" -newer "$work/ref" -type f)" = \
	"$M/rsync/dir1/sub1/f3"
check "find -perm" test "$(find "$M/cp" -perm 0640 | wc -l)" = 40
check "mkfifo" bash -c "mkfifo '$M/fifo' && test -p '$M/fifo'"
check "ln" bash -c "ln '$M/cp/dir0/sub0/f3' '$M/hardlink' &&
	test \$(stat -c %h '$M/hardlink') = 2"
check "setfattr" setfattr -n user.color -v blue "$M/hardlink"
check "getfattr" test "$(getfattr --only-values -n user.color "$M/hardlink")" = blue
mkdir "$M/posix"
check "fuse_posix" "$POSIX" "$M/posix"
check "df" bash -c "df '$M' | grep -q region.img"
check "fusermount3 -u" fusermount3 -u "$M"
wait "$pid"
check "daxfs-fuse exited 0" test $? = 0
pid=

check "e2fsck -fn" e2fsck -fn "$R"
check "daxfs get -r (libdaxfs reads the copy)" \
	"$DAXFS" get -r "$R" /rsync "$work/back"
check "diff -r of what libdaxfs read" diff -r "$SRC" "$work/back"
check "debugfs ea_get" bash -c "debugfs -R 'ea_get /hardlink user.color' \
	'$R' 2>/dev/null | grep -q blue"
check "debugfs sees the fifo" bash -c "debugfs -R 'stat /fifo' '$R' \
	2>/dev/null | grep -q 'Type: FIFO'"

# A read-only mount: writes fail with EROFS, reads work.
"$FUSE" "$R" "$M" -f -o ro &
pid=$!
for _ in $(seq 100); do mountpoint -q "$M" && break; sleep 0.1; done
check "read-only: reads" diff -r "$SRC" "$M/cp"
check "read-only: writes fail" bash -c "! touch '$M/new' 2>/dev/null"
fusermount3 -u "$M"
wait "$pid"
pid=

if ((fails)); then
	echo "test_fuse: $fails failed"
	exit 1
fi
echo "test_fuse: all passed"
