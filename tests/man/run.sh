#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh BUILD_DIR HEADER BUILD_MAN -- install the libdaxfs built in
# BUILD_DIR into a fresh temporary prefix and read its man pages with
# man(1) as a user would: daxfs_map(3) and an alias of its group
# (daxfs_unmap), daxfs(1) and libdaxfs(7) show their NAME line and
# synopsis, and every DAXFS_API function of HEADER has a page that shows
# its prototype.  Skips (exit 77, with the reason) when BUILD_MAN is not
# ON (go-md2man missing) or man(1) is not installed.
set -eu
build=$1
header=$2
if [ "$3" != ON ]; then
	echo "run.sh: skipped: the man pages were not built (DAXFS_BUILD_MAN" \
	     "is $3: install go-md2man and configure with -DDAXFS_BUILD_MAN=ON)"
	exit 77
fi
if ! command -v man >/dev/null 2>&1; then
	echo "run.sh: skipped: man(1) is not installed (Debian: man-db)"
	exit 77
fi
tmp=$(mktemp -d /dev/shm/daxfs-test-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
pfx=$tmp/prefix
fail() { echo "run.sh: $*" >&2; exit 1; }

echo "run.sh: cmake --install $build --prefix $pfx"
cmake --install "$build" --prefix "$pfx" >/dev/null
mandir=$pfx/share/man
test -d "$mandir/man3" || fail "no $mandir/man3 was installed"

# show ARGS...: man's rendering of a page, plain text (formatting is
# dropped when the output is not a terminal; ASCII, so that "-" stays
# "-"), not paged.
unset MAN_KEEP_FORMATTING
show() {
	LC_ALL=C MANWIDTH=200 MANPAGER=cat PAGER=cat man -M "$mandir" "$@" \
		2>"$tmp/man.err"
}
# squeeze: text on one line, every run of blanks one space.
squeeze() { tr '\n\t' '  ' | tr -s ' '; }
# expect PAGE TEXT FILE: FILE (a rendered page) holds the line TEXT.
expect() {
	grep -qF -- "$2" "$3" ||
		fail "man $1 does not show \"$2\" ($(head -c 300 "$3"))"
}

show daxfs_map >"$tmp/map" || fail "man daxfs_map failed: $(cat "$tmp/man.err")"
expect daxfs_map "daxfs_map, daxfs_unmap, daxfs_persist -" "$tmp/map"
expect daxfs_map "int daxfs_map(daxfs_file *f, off_t off, size_t len, int prot," "$tmp/map"
expect daxfs_map "#include <daxfs.h>" "$tmp/map"
expect daxfs_map "RETURN VALUE" "$tmp/map"
expect daxfs_map "ERRORS" "$tmp/map"
show daxfs_unmap >"$tmp/unmap"
expect daxfs_unmap "daxfs_map, daxfs_unmap, daxfs_persist -" "$tmp/unmap"
expect daxfs_unmap "int daxfs_unmap(void *addr, size_t len);" "$tmp/unmap"
test "$(head -c 4 "$mandir/man3/daxfs_unmap.3")" = ".so " ||
	fail "daxfs_unmap.3 is not a .so link to its group's page"
show 1 daxfs >"$tmp/tool"
expect "1 daxfs" "daxfs - " "$tmp/tool"
expect "1 daxfs" "daxfs mkfs" "$tmp/tool"
expect "1 daxfs" "EXIT STATUS" "$tmp/tool"
show 7 libdaxfs >"$tmp/overview"
expect "7 libdaxfs" "libdaxfs - " "$tmp/overview"
expect "7 libdaxfs" "daxfs_map(3)" "$tmp/overview"

# Every DAXFS_API function of the header: a page (its own or an alias)
# whose SYNOPSIS holds the prototype as the header has it (blanks aside).
fns=$(sed -n 's/^DAXFS_API[^(]*[ *]\(daxfs_[a-z0-9_]*\)(.*/\1/p' "$header")
test -n "$fns" || fail "no DAXFS_API function found in $header"
n=0
for fn in $fns; do
	test -e "$mandir/man3/$fn.3" || fail "$fn has no page in $mandir/man3"
	show 3 "$fn" >"$tmp/page" ||
		fail "man 3 $fn failed: $(cat "$tmp/man.err")"
	proto=$(awk -v fn="$fn" '
		$0 ~ "^DAXFS_API .*[ *]" fn "\\(" { on = 1 }
		on { print; if ($0 ~ /;/) exit }' "$header" |
		sed 's/^DAXFS_API //' | squeeze)
	synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$tmp/page" | squeeze)
	case "$synopsis" in
	*"$proto"*) ;;
	*) fail "man 3 $fn does not show the prototype \"$proto\"" ;;
	esac
	grep -q "^ERRORS" "$tmp/page" || fail "man 3 $fn has no ERRORS section"
	n=$((n + 1))
done
echo "run.sh: ok: $n functions of $(basename "$header") have pages"
