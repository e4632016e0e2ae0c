#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# speedtest1.sh -- SQLite's own benchmark, speedtest1 (test/speedtest1.c of
# Debian's sqlite3 source package, of the version of the system's
# libsqlite3), through the libdaxfs VFS against SQLite's unix VFS on tmpfs
# and on the same ext2 image loop-mounted, in one run; the journal modes
# DELETE and WAL, SQLite's defaults otherwise (synchronous=FULL).
# bench/sqlite.sh runs it after sqlite_bench; it also runs alone:
#
#   bash bench/speedtest1.sh [--size N] [--repeat N]   # as root
#
# The source is fetched at bench time and never committed: apt-get source
# (through a deb-src entry for bookworm of its own, added for the download
# and removed again, as scripts/build-jemalloc.sh does) into a cache outside
# the repository, /var/cache/libdaxfs/speedtest1-VERSION/speedtest1.c.  It
# is built against the system's libsqlite3 with bench/speedtest1_shim.c,
# which registers the VFS "daxfs" on the region $DAXFS_SPEEDTEST_REGION
# before speedtest1's main (the CMake target speedtest1).
#
# The region (1 GiB, allocated up front, mounted with DAXFS_MOUNT_POPULATE)
# and the tmpfs peer live on a huge=always tmpfs (bench/lib.sh).  Each
# backend runs --repeat times (median of speedtest1's TOTAL); the first run
# of each is also a --verify run (not timed), whose hash of every result
# must be the same for the three backends.  e2fsck -fn checks the image
# after each phase.  Output: the table on stdout, and
# bench/out/speedtest1.csv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${DAXFS_BENCH_BUILD:-$root/build-bench}
out=${DAXFS_BENCH_OUT:-$here/out}
size=100
repeat=3
while (($#)); do
	case $1 in
	--size) size=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--quick) size=10; repeat=1; shift ;;
	*) echo "usage: speedtest1.sh [--size N] [--repeat N] [--quick]" >&2
	   exit 2 ;;
	esac
done
say() { echo "speedtest1.sh: $*" >&2; }
skip() { say "skipped: $*"; echo "speedtest1: skipped ($*)"; exit 0; }

[[ $(id -u) == 0 ]] || skip "not root (apt-get source, the loop mount)"
command -v apt-get >/dev/null || skip "no apt-get (Debian's source)"
version=$(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null) ||
	skip "libsqlite3-0 is not installed"
upstream=${version%%-*}
cache=${DAXFS_SPEEDTEST1_CACHE:-/var/cache/libdaxfs}/speedtest1-$version
src=$cache/speedtest1.c

# fetch: Debian's sqlite3 source of the system's version, test/speedtest1.c
# out of it into the cache (the tarball itself is not kept).
fetch() {
	local tmp srclist=/etc/apt/sources.list.d/libdaxfs-sqlite3-src.sources
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp' '$srclist'" EXIT
	local -a apt=(-o Dir::Etc::sourcelist="$srclist"
		-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
	say "fetching Debian's sqlite3 $version source (apt-get source)"
	cat >"$srclist" <<-EOS
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOS
	apt-get update -qq "${apt[@]}" >/dev/null 2>&1 &&
	(cd "$tmp" && apt-get source -qq --download-only "${apt[@]}" \
		"sqlite3=$version" >/dev/null 2>&1) || return 1
	rm -f "$srclist"
	tar -C "$tmp" -xJf "$tmp/sqlite3_$upstream.orig.tar.xz" \
		"sqlite3-$upstream/test/speedtest1.c" || return 1
	mkdir -p "$cache"
	mv "$tmp/sqlite3-$upstream/test/speedtest1.c" "$src"
	rm -rf "$tmp"
	trap - EXIT
}
[[ -f $src ]] || fetch || skip "cannot fetch Debian's sqlite3 $version source"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DDAXFS_BUILD_TESTS=OFF -DDAXFS_BUILD_EXAMPLES=OFF \
	-DDAXFS_BUILD_BENCH=ON -DDAXFS_SPEEDTEST1_C="$src" >/dev/null
cmake --build "$build" --target speedtest1 daxfs_tool -j2 >/dev/null ||
	{ say "build failed"; exit 1; }
ST=$build/bench/speedtest1
DAXFS=$build/tools/daxfs/daxfs

mkdir -p "$out"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_workdir daxfs-speedtest1 4g
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}
R=$work/region.img
fallocate -l 1G "$R"
"$DAXFS" mkfs --size 1G "$R" >/dev/null
"$DAXFS" mkdir "$R" /st
mkdir -p "$work/tmpfs" "$work/mnt"

# run BACKEND MODE [--verify]: one speedtest1; its stdout.
run() {
	local b=$1 mode=$2
	shift 2
	case $b in
	libdaxfs) DAXFS_SPEEDTEST_REGION=$R "$ST" --vfs daxfs --journal \
		"$mode" --size "$size" "$@" /st/speedtest1.db ;;
	tmpfs) "$ST" --journal "$mode" --size "$size" "$@" \
		"$work/tmpfs/speedtest1.db" ;;
	kext2) "$ST" --journal "$mode" --size "$size" "$@" \
		"$work/mnt/st/speedtest1.db" ;;
	esac
}

# total OUTPUT: speedtest1's TOTAL in seconds.
total() { sed -n 's/^ *TOTAL\.* *\([0-9.]*\)s$/\1/p' <<<"$1"; }
# hash OUTPUT: its verification hash.
hash_of() { sed -n 's/.*Verification Hash: //p' <<<"$1"; }

declare -A secs hashes
# measure BACKEND...: every mode, a --verify run then --repeat timed runs.
measure() {
	local b m o
	for m in delete wal; do
		for b in "$@"; do
			o=$(run "$b" "$m" --verify) ||
				{ say "$b $m: speedtest1 failed"; exit 1; }
			hashes[$b,$m]=$(hash_of "$o")
			[[ -n ${hashes[$b,$m]} ]] ||
				{ say "$b $m: no verification hash"; exit 1; }
		done
		for _ in $(seq "$repeat"); do
			for b in "$@"; do
				o=$(run "$b" "$m") ||
					{ say "$b $m: speedtest1 failed"; exit 1; }
				secs[$b,$m]+="$(total "$o") "
			done
		done
	done
}

measure libdaxfs tmpfs
e2fsck -fn "$R" >/dev/null 2>&1 || { say "e2fsck failed after libdaxfs"; exit 1; }
if mount -t ext2 -o loop "$R" "$work/mnt" 2>/dev/null; then
	measure kext2
	umount "$work/mnt"
	e2fsck -fn "$R" >/dev/null 2>&1 ||
		{ say "e2fsck failed after kext2"; exit 1; }
else
	say "cannot loop-mount the image: kext2 skipped"
fi

# median "v1 v2 ...": the middle value.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g |
	awk '{v[NR] = $1} END {if (!NR) print 0; else if (NR % 2)
	     print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0)
	printf "%.2fx", b / a; else printf "-"}'; }

csv=$out/speedtest1.csv
echo "mode,libdaxfs_s,tmpfs_s,kext2_s,x_tmpfs,x_kext2,hashes_equal" >"$csv"
echo "speedtest1 (SQLite $upstream, --size $size, TOTAL seconds, median of" \
	"$repeat; lower is better; x = how many times faster libdaxfs is)"
printf '%-8s %10s %10s %10s %8s %8s  %s\n' mode libdaxfs tmpfs kext2 \
	"x tmpfs" "x kext2" "results (--verify)"
for m in delete wal; do
	d=$(median "${secs[libdaxfs,$m]}")
	t=$(median "${secs[tmpfs,$m]}")
	k=$(median "${secs[kext2,$m]:-}")
	same=same
	for b in tmpfs kext2; do
		[[ -z ${hashes[$b,$m]:-} ]] && continue
		[[ ${hashes[$b,$m]} == "${hashes[libdaxfs,$m]}" ]] || same=DIFFER
	done
	printf '%-8s %10.3f %10.3f %10.3f %8s %8s  %s\n' "$m" "$d" "$t" "$k" \
		"$(ratio "$d" "$t")" "$(ratio "$d" "$k")" "$same"
	echo "$m,$d,$t,$k,$(ratio "$d" "$t"),$(ratio "$d" "$k"),$same" >>"$csv"
	[[ $same == same ]] || { say "$m: results differ between backends"; exit 1; }
done
