#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# setup-deps.sh -- install the Debian 12 packages libdaxfs needs to build,
# test and benchmark, then build the private jemalloc the library links
# (scripts/build-jemalloc.sh, once per machine).  Idempotent and quiet: when
# every package is already installed it does not touch apt at all;
# otherwise it runs "apt-get update" once and installs only what is missing.
#
#   bash scripts/setup-deps.sh          # as root (or with sudo available)
#   DAXFS_SKIP_DEPS=1 bash scripts/...  # skip the packages (jemalloc is
#                                       # still built if it is missing)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jemalloc() { bash "$here/build-jemalloc.sh" >/dev/null; }

if [[ "${DAXFS_SKIP_DEPS:-0}" == 1 ]]; then
	jemalloc
	exit 0
fi

# Build: compiler, CMake, the libraries the library links, and go-md2man
# for the man pages (doc/man/); bzip2 unpacks jemalloc's source.
#   libc6-dev and make are listed explicitly because --no-install-recommends
#   would otherwise leave gcc without C headers and cmake without make.
build_pkgs=(cmake make gcc libc6-dev pkg-config go-md2man bzip2
	libpmem2-dev libdaxctl-dev)
# Tests: the Criterion framework, e2fsck/mke2fs/debugfs, strace (for the
# no-syscall test), mount/losetup, man (the installed man pages).
test_pkgs=(libcriterion-dev e2fsprogs strace util-linux man-db)
# Fuzzing (tests/fuzz/): clang and its sanitizer and libFuzzer runtimes.
fuzz_pkgs=(clang libclang-rt-14-dev)
# Benchmarks: libext2fs (Debian 12's name for e2fslibs-dev) and gnuplot.
bench_pkgs=(libext2fs-dev gnuplot-nox)
# The SQLite VFS (integrations/sqlite/), its tests and benchmark.
sqlite_pkgs=(libsqlite3-dev sqlite3)
# daxfs-fuse (tools/daxfs-fuse/): libfuse3 to build it, fuse3 (fusermount3)
# to mount it, and what its tests and benchmark run through the mount:
# rsync, getfattr/setfattr (attr), and fuse2fs to compare with.
fuse_pkgs=(libfuse3-dev fuse3 rsync attr fuse2fs)

pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}" "${bench_pkgs[@]}"
	"${sqlite_pkgs[@]}" "${fuse_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [[ "$status" != installed ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	jemalloc
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "setup-deps.sh: missing packages (${missing[*]}) and not root" >&2
		exit 1
	fi
fi

echo "setup-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
	>/dev/null
jemalloc
echo "setup-deps.sh: done"
