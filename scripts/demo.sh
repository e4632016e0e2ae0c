#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# demo.sh -- the one command that shows libdaxfs working on a fresh Debian 12
# machine (as root):
#
#   bash scripts/demo.sh [REGION]
#
# It installs the dependencies, builds the library and the examples in build/,
# makes a 64 MiB file-backed region on /dev/shm (these machines have no devdax
# device), runs examples/quickstart on it -- which formats it with daxfs_mkfs,
# mounts it, writes, reads, lists and unmounts -- and finally checks the image
# with e2fsck, the ext2 checker of e2fsprogs.
#
# REGION defaults to /dev/shm/daxfs-demo.img; it is reformatted on every run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

region=${1:-/dev/shm/daxfs-demo.img}

# libpmem2 on a regular file outside a DAX file system persists with msync
# (page granularity).  /dev/shm is RAM, so force cache-line granularity:
# this emulates persistent memory (flushes instead of msync).
export PMEM2_FORCE_GRANULARITY=CACHE_LINE

echo "== dependencies"
bash scripts/setup-deps.sh

echo "== build (build/, RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Only the library and the example: the demo does not need the test suite.
cmake --build build --target quickstart -j "$(nproc)"

echo
echo "== quickstart on $region (PMEM2_FORCE_GRANULARITY=$PMEM2_FORCE_GRANULARITY)"
rm -f "$region"
"$root/build/examples/quickstart" --mkfs "$region"

echo
echo "== e2fsck -fn $region"
set +e
e2fsck -fn "$region"
rc=$?
set -e
echo
if ((rc == 0)); then
	echo "e2fsck: clean (exit 0) -- the image is a valid ext2 file system"
	echo "browse it with: debugfs -R 'ls -l /docs' $region"
else
	echo "e2fsck: exit $rc -- the image has errors (see above)" >&2
	exit "$rc"
fi
