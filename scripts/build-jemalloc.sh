#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-jemalloc.sh -- build the private jemalloc that libdaxfs links into
# itself, once per machine, into a cache directory outside the repository:
#
#   /var/cache/libdaxfs/jemalloc-5.3.0-<hash of the options>/
#       include/jemalloc/jemalloc.h   (the daxfs_je_-prefixed API)
#       lib/libjemalloc_pic.a          (position-independent objects)
#
#   bash scripts/build-jemalloc.sh        # prints the directory on stdout
#   bash scripts/build-jemalloc.sh --dir  # prints it, builds nothing
#
# Why: Debian's libjemalloc.so.2 uses the initial-exec TLS model, whose 2.6
# KiB of thread-local state does not fit glibc's static TLS surplus, so a
# libdaxfs.so that needs it cannot be loaded with dlopen ("cannot allocate
# memory in static TLS block").  This build uses the dynamic TLS model
# (--disable-initial-exec-tls), prefixes every symbol (daxfs_je_mallocx...,
# so it never replaces the application's malloc) and exports nothing
# (--without-export: hidden visibility), so libdaxfs can carry it inside.
#
# Idempotent: when the directory is complete it only prints it.  Otherwise it
# fetches Debian 12's jemalloc source package (apt-get source, through a
# deb-src entry it adds for the download and removes again; needs root or
# sudo), checks the tarball's SHA-256, and builds with make -j$(nproc)
# (about a minute).  CMake (DAXFS_JEMALLOC_DIR) looks for the same directory.
#
# Environment: DAXFS_JEMALLOC_CACHE, the parent directory (default
# /var/cache/libdaxfs; CMake must then be given -DDAXFS_JEMALLOC_DIR=...).
set -euo pipefail

version=5.3.0
tarball=jemalloc_$version.orig.tar.bz2
sha256=2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa
# The directory name carries a hash of these options: changing them makes
# a new build (CMake asks --dir for the name).
options=(--with-jemalloc-prefix=daxfs_je_ --with-private-namespace=daxfs_je_int_
	--without-export --disable-initial-exec-tls --disable-cxx --disable-stats
	--disable-libdl --disable-shared --enable-static)
# jemalloc compiles with -g3 (a 39 MB archive); -g1 keeps backtraces.
make_vars=(EXTRA_CFLAGS=-g1)
cache=${DAXFS_JEMALLOC_CACHE:-/var/cache/libdaxfs}
hash=$(printf '%s\n' "$version" "${options[@]}" "${make_vars[@]}" | sha256sum | cut -c1-12)
dest=$cache/jemalloc-$version-$hash

say() { echo "build-jemalloc.sh: $*" >&2; }

# --dir: only print the directory (CMake's default for DAXFS_JEMALLOC_DIR).
if [[ ${1:-} == --dir ]]; then
	echo "$dest"
	exit 0
fi

if [[ -f $dest/lib/libjemalloc_pic.a && -f $dest/include/jemalloc/jemalloc.h ]]; then
	echo "$dest"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
fi

work=$(mktemp -d)
srclist=/etc/apt/sources.list.d/libdaxfs-jemalloc-src.sources
cleanup() {
	rm -rf "$work"
	if [[ -e $srclist ]]; then "${sudo[@]}" rm -f "$srclist"; fi
}
trap cleanup EXIT INT TERM

# fetch: Debian's source tarball into $work, with only a deb-src entry of
# our own as apt's source list (the system's lists are not touched).
fetch() {
	local -a apt=(-o Dir::Etc::sourcelist="$srclist" -o Dir::Etc::sourceparts=-
		-o APT::Get::List-Cleanup=0)
	say "fetching Debian's jemalloc $version source (apt-get source)"
	"${sudo[@]}" tee "$srclist" >/dev/null <<-EOF
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	"${sudo[@]}" apt-get update -qq "${apt[@]}"
	(cd "$work" && "${sudo[@]}" apt-get source -qq --download-only \
		"${apt[@]}" "jemalloc=$version-1" >/dev/null 2>&1)
	"${sudo[@]}" rm -f "$srclist"
}

fetch
echo "$sha256  $work/$tarball" | sha256sum -c --quiet - ||
	{ say "$tarball: checksum mismatch"; exit 1; }

say "building into $dest (make -j$(nproc))"
tar -C "$work" -xjf "$work/$tarball"
src=$work/jemalloc-$version
(cd "$src" && ./configure -q --prefix="$work/inst" "${options[@]}") \
	>"$work/configure.log" 2>&1 ||
	{ cat "$work/configure.log" >&2; say "configure failed"; exit 1; }
make -C "$src" -s -j"$(nproc)" "${make_vars[@]}" lib/libjemalloc_pic.a >"$work/make.log" 2>&1 ||
	{ tail -n 40 "$work/make.log" >&2; say "make failed"; exit 1; }

# Install atomically: a half-written directory is never seen as done.
stage=$work/stage
mkdir -p "$stage/include/jemalloc" "$stage/lib"
cp "$src/include/jemalloc/jemalloc.h" "$stage/include/jemalloc/"
cp "$src/lib/libjemalloc_pic.a" "$stage/lib/"
cp "$src/COPYING" "$stage/COPYING.jemalloc"
printf '%s\n' "jemalloc $version (Debian $tarball)" "${options[@]}" "${make_vars[@]}" \
	>"$stage/OPTIONS"
"${sudo[@]}" mkdir -p "$cache"
"${sudo[@]}" rm -rf "$dest.tmp"
"${sudo[@]}" cp -r "$stage" "$dest.tmp"
"${sudo[@]}" mv -T "$dest.tmp" "$dest"
say "done"
echo "$dest"
