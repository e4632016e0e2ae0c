# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh -- sourced by the bench scripts: the work directory they share.
#
# bench_workdir NAME SIZE: a fresh /dev/shm/NAME.XXXXXX in $work, with a
# tmpfs mounted on it with huge=always (2 MiB pages, as devdax maps; as
# root; $huge is 1 then), or plain /dev/shm with 4 KiB pages, said on
# stderr; removed at exit (with a loop mount at $work/mnt), also on
# failure or ^C.

bench_cleanup() {
	if mountpoint -q "$work/mnt" 2>/dev/null; then
		umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt" || true
	fi
	if ((huge)); then
		umount "$work" 2>/dev/null || umount -l "$work" || true
	fi
	rm -rf "$work"
}

bench_workdir() {
	local name=$1 size=$2

	work=$(mktemp -d "/dev/shm/$name.XXXXXX")
	huge=0
	if mount -t tmpfs -o "huge=always,size=$size,mode=0755" "$name" \
		"$work" 2>/dev/null; then
		huge=1
	else
		echo "$name: cannot mount a huge=always tmpfs (not root?): the" \
			"region stays on /dev/shm, with 4 KiB pages" >&2
	fi
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}
