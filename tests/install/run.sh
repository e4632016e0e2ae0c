#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh BUILD_DIR -- install the libdaxfs built in BUILD_DIR into a fresh
# temporary prefix, then build tests/install/consumer.c against it as a
# user would, with pkg-config and with find_package (shared and static),
# after running the installed daxfs tool (without LD_LIBRARY_PATH),
# and once more with add_subdirectory of the source tree, and run each on
# a region file in /dev/shm.  Exits non-zero, saying
# which step failed, if any does.
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /dev/shm/daxfs-test-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
pfx=$tmp/prefix
step() { echo "run.sh: $*"; }

step "cmake --install $build --prefix $pfx"
cmake --install "$build" --prefix "$pfx" >/dev/null
for f in include/daxfs.h lib/pkgconfig/daxfs.pc lib/cmake/daxfs/daxfsConfig.cmake; do
	test -f "$pfx/$f" || { echo "run.sh: $f was not installed" >&2; exit 1; }
done

step "the installed tool $pfx/bin/daxfs, its RPATH finding the library"
PMEM2_FORCE_GRANULARITY=CACHE_LINE "$pfx/bin/daxfs" mkfs --size 8M \
	"$tmp/region-tool" >/dev/null
PMEM2_FORCE_GRANULARITY=CACHE_LINE "$pfx/bin/daxfs" info "$tmp/region-tool" |
	grep -q '^Filesystem state: *clean$'

export PKG_CONFIG_PATH=$pfx/lib/pkgconfig
export LD_LIBRARY_PATH=$pfx/lib
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}

step "pkg-config: cc consumer.c \$(pkg-config --cflags --libs daxfs)"
test "$(pkg-config --modversion daxfs)" != ""
# shellcheck disable=SC2046
cc -Wall -Werror -o "$tmp/consumer-pc" "$here/consumer.c" \
	$(pkg-config --cflags --libs daxfs)
"$tmp/consumer-pc" "$tmp/region-pc"

step "find_package(daxfs CONFIG): daxfs::daxfs and daxfs::daxfs_static"
cmake -S "$here" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$pfx" >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/consumer" "$tmp/region-cmake"
if ldd "$tmp/build/consumer_static" | grep -q libdaxfs; then
	echo "run.sh: consumer_static links libdaxfs.so, not libdaxfs.a" >&2
	exit 1
fi
"$tmp/build/consumer_static" "$tmp/region-static"

step "add_subdirectory: daxfs::daxfs, and no tests of libdaxfs built"
cmake -S "$here/subdir" -B "$tmp/sub" -DDAXFS_SOURCE="$here/../.." >/dev/null
cmake --build "$tmp/sub" -j "$(nproc)" >/dev/null
"$tmp/sub/consumer" "$tmp/region-sub"
if [ -e "$tmp/sub/libdaxfs/tests" ] || [ -e "$tmp/sub/libdaxfs/examples" ]; then
	echo "run.sh: add_subdirectory built libdaxfs's tests or examples" >&2
	exit 1
fi
step "ok"
