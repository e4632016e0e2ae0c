#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# hugetlb_run.sh PROGRAM [ARGS...] -- run a test program with a hugetlbfs
# mount of 2 MiB pages in DAXFS_TEST_HUGETLBFS: reserve PAGES more huge
# pages (default 40) in /proc/sys/vm/nr_hugepages, mount hugetlbfs on a
# fresh directory, run, then unmount and give the pages back whatever
# happened (a crashed test leaves nothing behind).  Where that is
# impossible (not root, no hugetlb support, no pages to give) the program
# runs without the variable and its tests skip, printing this reason from
# DAXFS_TEST_HUGETLBFS_WHY.
set -u
pages=${PAGES:-40}
nr=/proc/sys/vm/nr_hugepages
mnt=
old=
cleanup() {
	if [ -n "$mnt" ]; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
		rmdir "$mnt" 2>/dev/null
	fi
	[ -n "$old" ] && echo "$old" > "$nr" 2>/dev/null
}
trap cleanup EXIT INT TERM
why=
if [ "$(id -u)" != 0 ]; then
	why="not root: cannot reserve huge pages"
elif ! old=$(cat "$nr" 2>/dev/null); then
	why="no $nr (a kernel without hugetlb)"
	old=
elif ! echo $((old + pages)) > "$nr" 2>/dev/null ||
     [ "$(cat "$nr")" -lt $((old + pages)) ]; then
	why="the kernel could not reserve $pages huge pages of 2 MiB"
else
	mnt=$(mktemp -d /dev/shm/daxfs-test-htlb.XXXXXX)
	if ! mount -t hugetlbfs -o pagesize=2M none "$mnt" 2>/dev/null; then
		why="cannot mount hugetlbfs"
		rmdir "$mnt"
		mnt=
	fi
fi
if [ -n "$why" ]; then
	echo "hugetlb_run.sh: $why: the tests skip" >&2
	DAXFS_TEST_HUGETLBFS_WHY=$why "$@"
else
	DAXFS_TEST_HUGETLBFS=$mnt "$@"
fi
