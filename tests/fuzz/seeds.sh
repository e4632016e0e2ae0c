#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# seeds.sh -- make the seed corpus of fuzz_mount: small real ext2 images
# (64-512 KiB), made by mke2fs with several block sizes and feature sets and
# populated by debugfs, some with hashed (dir_index) directories made by
# "e2fsck -D", and made by libdaxfs itself (fuzz_mkseed).
#
#   bash tests/fuzz/seeds.sh OUTDIR FUZZ_MKSEED
#
# Images are generated, never committed; every one passes e2fsck -fn.
set -euo pipefail

out=$1
mkseed=$2
PATH=$PATH:/sbin:/usr/sbin
export PMEM2_FORCE_GRANULARITY=CACHE_LINE
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# populate IMG BLOCKSIZE: files (small, sparse, with indirect blocks),
# directories, a big directory, fast and slow symlinks, special files.
populate() {
	local img=$1 bs=$2 i
	head -c 100 /dev/urandom >"$tmp/small"
	head -c $((14 * bs)) /dev/zero | tr '\0' 'x' >"$tmp/indirect"
	{
		echo "mkdir a"
		echo "mkdir a/b"
		echo "write $tmp/small a/small"
		echo "write $tmp/indirect big"
		echo "symlink fast /a/small"
		echo "symlink a/slow /$(printf 'x%.0s' $(seq 1 100))/$(printf 'y%.0s' $(seq 1 100))"
		echo "mknod a/fifo p"
		echo "mkdir many"
		for i in $(seq 1 40); do
			echo "write $tmp/small many/file_with_a_longer_name_$i"
		done
		echo "rm many/file_with_a_longer_name_7"
	} | debugfs -w "$img" >/dev/null 2>&1
}

# mk NAME SIZE_KIB BLOCKSIZE [mke2fs options...]: one mke2fs seed.
mk() {
	local name=$1 kib=$2 bs=$3
	shift 3
	rm -f "$tmp/img"
	truncate -s "${kib}k" "$tmp/img" # mke2fs leaves a short file
	# A fixed UUID and hash seed (and E2FSPROGS_FAKE_TIME from the
	# caller): the same seeds on every machine.
	mke2fs -F -q -t ext2 -b "$bs" -N 64 -m 0 \
		-U 6461786d-6673-4675-7a7a-000000000001 \
		-E hash_seed=6461786d-6673-4675-7a7a-000000000002 \
		"$@" "$tmp/img" >/dev/null
	cp "$tmp/img" "$out/$name-empty"
	populate "$tmp/img" "$bs"
	e2fsck -fyD "$tmp/img" >/dev/null 2>&1 || true
	e2fsck -fn "$tmp/img" >/dev/null 2>&1
	cp "$tmp/img" "$out/$name"
}

mk b1k-64k 64 1024 -N 32 -O ^resize_inode
mk b1k-256k-4groups 256 1024 -g 512 -O ^resize_inode
mk b1k-nodirindex 128 1024 -O ^dir_index,^resize_inode
mk b1k-nosparse 256 1024 -g 256 -O ^sparse_super,^resize_inode
mk b1k-rev0 128 1024 -r 0
mk b2k-128k 128 2048
mk b4k-256k 256 4096
mk b4k-512k-2groups 512 4096 -g 8192 -O ^dir_index
mk b4k-inode128 256 4096 -I 128 -O ^resize_inode

# libdaxfs's own images.
for s in "65536 1024" "131072 2048" "262144 4096"; do
	set -- $s
	rm -f "$tmp/img"
	"$mkseed" "$tmp/img" "$1" "$2"
	e2fsck -fn "$tmp/img" >/dev/null 2>&1
	cp "$tmp/img" "$out/daxfs-b$2-$1"
done

# Crash images with a journal to recover (an operation in flight, an
# orphan): e2fsck refuses them (the journal's INCOMPAT bit); libdaxfs's
# mount must recover them and then pass e2fsck.
for s in "524288 1024" "524288 4096"; do
	set -- $s
	rm -f "$tmp/img"
	"$mkseed" "$tmp/img" "$1" "$2" crash
	cp "$tmp/img" "$out/daxfs-crash-b$2-$1"
done
echo "seeds.sh: $(ls "$out" | wc -l) seeds in $out"
