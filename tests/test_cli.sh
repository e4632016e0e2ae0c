#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_cli.sh DAXFS -- the daxfs command-line tool, driven from the shell
# as a user would, checked against e2fsprogs: dumpe2fs agrees with mkfs
# and info, a host tree copied in with put -r and out with get -r is the
# same byte for byte (diff -r, symlinks included), ls/stat/cat agree with
# debugfs, mkdir/rm/mv/ln/truncate change what debugfs then sees, every
# error exits 1 with "daxfs CMD: PATH: REASON", and e2fsck -fn is clean
# after every step that writes.  ctest runs it (tests/CMakeLists.txt);
# exit 77 (a skip) when e2fsprogs is missing.
set -uo pipefail

D=${1:?usage: test_cli.sh PATH-OF-daxfs}
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}
export LC_ALL=C
export PATH=$PATH:/usr/sbin:/sbin
for t in debugfs dumpe2fs e2fsck diff; do
	command -v $t >/dev/null || { echo "SKIP: $t not found"; exit 77; }
done

work=$(mktemp -d /dev/shm/daxfs-test-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
R=$work/region.img
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# run CMD...: its stdout in $out, stderr in $err, exit status in $rc.
run() {
	out=$("$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
}

# ok CMD...: CMD must exit 0.
ok() {
	run "$@"
	[[ $rc == 0 ]] || fail "$*: exit $rc, stderr: $err"
}

# refused WHAT PATTERN CMD...: CMD must exit 1 with a message on stderr
# that starts with "daxfs" and holds PATTERN (e.g. the path and reason).
refused() {
	local what=$1 pat=$2
	shift 2
	run "$@"
	if [[ $rc != 1 ]]; then
		fail "$what: exit $rc (want 1): $*"
	elif [[ $err != daxfs* || $err != *"$pat"* ]]; then
		fail "$what: stderr lacks 'daxfs ... $pat': $err"
	else
		pass "$what: exit 1, '${err%%$'\n'*}'"
	fi
}

# fsck WHEN: e2fsck -fn must find the region clean.
fsck() {
	if e2fsck -fn "$R" >"$work/fsck" 2>&1; then
		pass "e2fsck -fn clean after $1"
	else
		fail "e2fsck -fn after $1: $(cat "$work/fsck")"
	fi
}

# sb FIELD: the value of a dumpe2fs -h line ("Block count" -> 16384).
sb() { dumpe2fs -h "$R" 2>/dev/null | sed -n "s/^$1: *//p"; }

# dbg CMD: debugfs's output of one request (read-only).
dbg() { debugfs -R "$1" "$R" 2>/dev/null; }

# names DIR: the names debugfs lists in DIR ("." and ".." left out),
# sorted; ls -p fields are /ino/mode/uid/gid/name/size/.
names() {
	dbg "ls -p \"$1\"" | awk -F/ 'NF >= 7 && $6 != "." && $6 != ".." {
		n = $6; for (i = 7; i < NF - 1; i++) n = n "/" $i; print n }' |
		sort
}

# field PATH NAME: a field of debugfs stat ("Size", "Links", "Inode").
field() {
	dbg "stat \"$1\"" | tr -s ' \t' '\n' | awk -v f="$2:" '$0 == f {
		getline; print; exit }'
}

# ---- usage ------------------------------------------------------------
cmds="mkfs info ls stat cat put get mkdir rm mv ln truncate devices bench"
ok "$D" --help
help=$out
for c in $cmds; do
	[[ $help == *"daxfs $c"* ]] || fail "daxfs --help does not list $c"
	ok "$D" help "$c"
	[[ $out == "usage: daxfs $c"* ]] || fail "daxfs help $c: $out"
	ok "$D" "$c" --help
	[[ $out == "usage: daxfs $c"* ]] || fail "daxfs $c --help: $out"
done
pass "--help, help CMD and CMD --help of every subcommand"
refused "no command" "no command" "$D"
refused "unknown subcommand" "frobnicate: unknown command" "$D" frobnicate
refused "bad option" "-z: unknown option" "$D" ls -z "$R" /
[[ $err == *"usage: daxfs ls"* ]] || fail "bad option: no usage on stderr"
refused "missing argument" "missing argument" "$D" ls "$R"
[[ $err == *"usage: daxfs ls"* ]] || fail "missing argument: no usage"
refused "too many arguments" "too many" "$D" mv "$R" /a /b /c
refused "option without its value" "needs an argument" "$D" mkfs --size

# ---- mkfs: sizes with suffixes, as dumpe2fs reads them ----------------
ok "$D" mkfs --size 64M --block-size 1K --label one "$R"
[[ $(sb "Block size") == 1024 && $(sb "Block count") == 65536 &&
   $(sb "Filesystem volume name") == one ]] ||
	fail "mkfs --size 64M --block-size 1K: $(dumpe2fs -h "$R" 2>&1)"
fsck "mkfs 1K blocks"
ok "$D" mkfs --size 98304K --inodes 2048 "$R"
[[ $(sb "Block size") == 4096 && $(sb "Block count") == 24576 &&
   $(sb "Inode count") -ge 2048 &&
   $(sb "Filesystem volume name") == "<none>" ]] ||
	fail "mkfs --size 98304K --inodes 2048: $(dumpe2fs -h "$R" 2>&1)"
ok "$D" mkfs --size 100663296 --label "test cli" "$R"
[[ $(sb "Block count") == 24576 && $(sb "Filesystem volume name") == "test cli" ]] ||
	fail "mkfs --size in bytes: $(dumpe2fs -h "$R" 2>&1)"
[[ $out == *"24576 blocks of 4096 bytes"* ]] || fail "mkfs summary: $out"
fsck "mkfs"
pass "mkfs --size 64M/98304K/bytes, --block-size 1K, --inodes, --label"
for bad in 12Q 1.5G -4M "" 64MB2 K 99999999999999999999G; do
	refused "mkfs --size '$bad'" "not a size" "$D" mkfs --size "$bad" "$R"
done
refused "mkfs --inodes 12K" "not a number" "$D" mkfs --inodes 12K "$R"
refused "mkfs --block-size 3000" "$R" "$D" mkfs --block-size 3000 "$R"
refused "mkfs --label of 17 bytes" "$R" \
	"$D" mkfs --label 12345678901234567 "$R"
fsck "refused mkfs calls"

# ---- info -------------------------------------------------------------
ok "$D" info "$R"
info=$out
infof() { sed -n "s/^$1: *//p" <<<"$info"; }
for f in "Block count" "Block size" "Free blocks" "Inode count" \
	 "Free inodes" "Filesystem UUID" "Blocks per group" \
	 "Inodes per group" "Filesystem volume name"; do
	[[ $(infof "$f") == "$(sb "$f")" ]] ||
		fail "info '$f' $(infof "$f") != dumpe2fs $(sb "$f")"
done
[[ $(infof "Filesystem features") == "$(sb "Filesystem features")" ]] ||
	fail "info features: $(infof "Filesystem features") vs $(sb "Filesystem features")"
[[ $(infof "Filesystem state") == clean && $(infof Recovery) == "none needed" ]] ||
	fail "info state: $info"
[[ $(infof "Mapping alignment") == 4096 &&
   $(infof "Persistence granularity") == "cache line"* &&
   $(infof "Bad blocks") == "0 (0 bad bytes)" ]] || fail "info region: $info"
pass "info agrees with dumpe2fs -h (counts, free, UUID, features, clean)"
refused "info of a missing region" "$work/none.img" "$D" info "$work/none.img"
[[ $err == *"does not exist"* || $err == *"No such file"* ]] ||
	fail "missing region: no reason given: $err"

# ---- put -r of a host tree, get -r back, diff -r ----------------------
src=$work/src
mkdir -p "$src/a/b/c" "$src/empty dir" "$src/with space/deeper"
: >"$src/empty"
: >"$src/a/b/c/empty too"
head -c 5242880 /dev/urandom >"$src/a/big"
head -c 10000 /dev/urandom >"$src/with space/odd name 'q' & x"
printf 'hello\n' >"$src/a/b/hello.txt"
printf 'x' >"$src/-dash"
chmod 0600 "$src/a/b/hello.txt"
chmod 0755 "$src/-dash"
ln -s a/b/hello.txt "$src/rel link"
ln -s /etc/hostname "$src/a/abs"
ln -s "does not exist" "$src/a/b/dangling"
ln -s "$(printf 'l%.0s' $(seq 200))" "$src/long target"
ok "$D" put -r "$R" "$src" /
[[ -z $out && -z $err ]] || fail "put -r printed (not a terminal): $out $err"
fsck "put -r"
dst=$work/dst
mkdir "$dst"
ok "$D" get -r "$R" /src "$dst"
if diff -r --no-dereference "$src" "$dst/src" >"$work/diff" 2>&1; then
	pass "put -r then get -r: diff -r identical (data, symlinks, names)"
else
	fail "diff -r after put -r/get -r: $(head -20 "$work/diff")"
fi
[[ $(stat -c %a "$dst/src/a/b/hello.txt") == 600 &&
   $(stat -c %a "$dst/src/-dash") == 755 ]] ||
	fail "modes not kept: $(stat -c '%a %n' "$dst/src/a/b/hello.txt" "$dst/src/-dash")"
[[ $(field /src/a/b/hello.txt Mode) == 0600 ]] ||
	fail "put: mode in the file system $(field /src/a/b/hello.txt Mode)"
mt=$(dbg "stat /src/a/big" | sed -n 's/^mtime: 0x\([0-9a-f]*\).*/\1/p')
[[ $(stat -c %Y "$dst/src/a/big") == $((16#$mt)) ]] ||
	fail "get: mtime $(stat -c %Y "$dst/src/a/big") != the inode's $((16#$mt))"
pass "modes kept both ways, get sets the inode's mtime"
ok "$D" get "$R" /src/a/big "$work/big.out"
cmp -s "$src/a/big" "$work/big.out" || fail "get of one file differs"
ok "$D" put "$R" "$src/a/big" /
[[ $(field /big Size) == 5242880 ]] || fail "put into a directory"
fsck "put of one file"
refused "put of a directory without -r" "is a directory" \
	"$D" put "$R" "$src" /x
refused "get of a directory without -r" "is a directory" \
	"$D" get "$R" /src "$work/x"
refused "put of a missing host file" "$work/nope" \
	"$D" put "$R" "$work/nope" /nope
refused "get of a missing file" "/nope" "$D" get "$R" /nope "$work/nope"

# ---- ls, stat, cat against debugfs ------------------------------------
for d in / /src /src/a /src/a/b "/src/with space"; do
	ok "$D" ls "$R" "$d"
	[[ $out == "$(names "$d")" ]] ||
		fail "ls $d: [$out] != debugfs [$(names "$d")]"
done
pass "ls names agree with debugfs ls"
ok "$D" ls -l "$R" /src/a
line=$(grep ' big$' <<<"$out")
[[ $line == -rw-* && $(awk '{print $5}' <<<"$line") == 5242880 ]] ||
	fail "ls -l big: $line"
[[ $(grep ' abs -> ' <<<"$out") == l*"abs -> /etc/hostname" ]] ||
	fail "ls -l symlink: $out"
[[ $(wc -l <<<"$out") == $(names /src/a | wc -l) ]] || fail "ls -l lines: $out"
ok "$D" ls -R "$R" /src
(cd "$src" && find . -mindepth 1 | sed 's|^\.|/src|' | sort) >"$work/find"
awk '/^\/.*:$/ { dir = substr($0, 1, length($0) - 1); next }
     NF { print dir "/" $0 }' <<<"$out" | sort >"$work/lsR"
cmp -s "$work/find" "$work/lsR" ||
	fail "ls -R paths differ from the host tree: $(diff "$work/find" "$work/lsR" | head)"
pass "ls -l (sizes, modes, link targets) and ls -R (every path)"
for p in /src/a/big /src/a/b /src/rel\ link /; do
	ok "$D" stat "$R" "$p"
	for f in Inode Size Links; do
		mine=$(sed -n "s/^ *$f: \([0-9]*\).*/\1/p" <<<"$out")
		[[ $mine == "$(field "$p" $f)" ]] ||
			fail "stat $p $f: $mine != debugfs $(field "$p" $f)"
	done
done
[[ $out == *"Type: directory"* ]] || fail "stat / type: $out"
pass "stat agrees with debugfs stat (inode, size, links)"
"$D" cat "$R" /src/a/big >"$work/cat" || fail "cat exit $?"
dbg "cat /src/a/big" >"$work/dbgcat"
cmp -s "$work/cat" "$work/dbgcat" && cmp -s "$work/cat" "$src/a/big" ||
	fail "cat of big differs from debugfs cat / the host file"
ok "$D" cat "$R" "/src/empty"
[[ -z $out ]] || fail "cat of an empty file printed $out"
pass "cat agrees with debugfs cat"
refused "cat of a directory" "/src/a: " "$D" cat "$R" /src/a
refused "cat of a missing file" "/src/none: " "$D" cat "$R" /src/none
refused "ls of a missing path" "/none" "$D" ls "$R" /none
refused "stat of a missing path" "/none" "$D" stat "$R" /none
refused "ls of a missing region" "$work/none.img" "$D" ls "$work/none.img" /

# ---- read-only mounts together; a writer is refused meanwhile ---------
# cat blocks on the full pipe with its read-only mount held.
"$D" cat "$R" /src/a/big | {
	head -c 1 >/dev/null
	"$D" ls "$R" /src >"$work/ro.out" 2>&1
	echo "ls=$?" >>"$work/ro.out"
	"$D" mkdir "$R" /busy >"$work/rw.out" 2>&1
	echo "mkdir=$?" >>"$work/rw.out"
	cat >/dev/null
}
grep -q '^ls=0$' "$work/ro.out" || fail "ls beside a read-only cat: $(cat "$work/ro.out")"
grep -q '^mkdir=1$' "$work/rw.out" && grep -q 'daxfs mkdir: .*region.img: ' "$work/rw.out" ||
	fail "mkdir beside a read-only mount: $(cat "$work/rw.out")"
pass "ls runs beside a read-only mount; mkdir is refused ($(head -1 "$work/rw.out"))"

# ---- mkdir, rm, mv, ln, truncate: what debugfs sees after -------------
ok "$D" mkdir "$R" /new /new2
ok "$D" mkdir -p "$R" /p/q/r /p/q /new
[[ $(names /) == *new*new2*p* && $(names /p/q) == r ]] ||
	fail "mkdir: debugfs sees $(names /) / $(names /p/q)"
fsck "mkdir"
refused "mkdir of an existing directory" "/new: " "$D" mkdir "$R" /new
refused "mkdir without its parent" "/x/y: " "$D" mkdir "$R" /x/y
refused "mkdir -p over a file" "/src/empty: exists and is not a directory" "$D" mkdir -p "$R" /src/empty/x
ok "$D" mv "$R" /new2 /new
ok "$D" mv "$R" /src/empty /src/renamed
[[ $(names /new) == new2 && $(names /src) == *renamed* &&
   $(names /src) != *$'\n'empty$'\n'* ]] || fail "mv: $(names /new) / $(names /src)"
fsck "mv"
ok "$D" ln -s "$R" /src/a/big /new/link
ok "$D" ln "$R" /src/a/big /new/hard
[[ $(dbg "stat /new/link") == *'Fast link dest: "/src/a/big"'* ]] ||
	fail "ln -s: $(dbg "stat /new/link")"
[[ $(field /src/a/big Links) == 2 && $(field /new/hard Inode) == "$(field /src/a/big Inode)" ]] ||
	fail "ln: links $(field /src/a/big Links)"
fsck "ln"
refused "ln over an existing name" "/new/hard: " "$D" ln "$R" /src/a/big /new/hard
ok "$D" truncate "$R" 1M /src/a/big
ok "$D" truncate "$R" 3000 /src/a/b/hello.txt
[[ $(field /src/a/big Size) == 1048576 && $(field /src/a/b/hello.txt Size) == 3000 ]] ||
	fail "truncate: sizes $(field /src/a/big Size) $(field /src/a/b/hello.txt Size)"
"$D" cat "$R" /new/hard | cmp -s - <(head -c 1048576 "$src/a/big") ||
	fail "truncate: data before the new size changed"
fsck "truncate"
refused "truncate to 12Q" "12Q: not a size" "$D" truncate "$R" 12Q /src/a/big
refused "truncate of a missing file" "/nope: " "$D" truncate "$R" 1K /nope
refused "rm of a non-empty directory without -r" "/src/a: " "$D" rm "$R" /src/a
[[ $err == *"not empty"* ]] || fail "rm of a non-empty directory: reason: $err"
ok "$D" rm "$R" /new/link /new/new2
ok "$D" rm -r "$R" /src/a "/src/with space"
[[ $(names /new) == hard && $(names /src) != *with* &&
   $(names /src) != a$'\n'* ]] || fail "rm: $(names /new) / $(names /src)"
[[ $(field /new/hard Links) == 1 ]] || fail "rm: links of /new/hard"
fsck "rm -r"
refused "rm of a missing path" "/nope: " "$D" rm "$R" /nope
refused "rm of /" "refusing" "$D" rm -r "$R" /
fsck "refused changes"
ok "$D" info "$R"
[[ $(sed -n 's/^Free blocks: *//p' <<<"$out") == "$(sb "Free blocks")" &&
   $(sed -n 's/^Free inodes: *//p' <<<"$out") == "$(sb "Free inodes")" ]] ||
	fail "info free counts after the changes: $out"
pass "mkdir/mv/ln/truncate/rm change what debugfs sees; info free counts"

# ---- progress bar on a terminal for >= 64 MiB, none otherwise ---------
if command -v script >/dev/null; then
	head -c $((64 << 20)) /dev/zero | tr '\0' 'z' >"$work/big64"
	ok "$D" put "$R" "$work/big64" /big64
	[[ -z $err ]] || fail "put of 64 MiB, not a terminal: stderr $err"
	ok "$D" rm "$R" /big64
	script -qec "'$D' put '$R' '$work/big64' /big64" /dev/null \
		>"$work/tty" 2>&1 || fail "put under script: $(cat "$work/tty")"
	grep -q '100%' "$work/tty" || fail "no progress bar on a terminal: $(cat -v "$work/tty")"
	script -qec "'$D' put '$R' '$src/-dash' /small" /dev/null \
		>"$work/tty2" 2>&1
	[[ ! -s $work/tty2 ]] || fail "progress bar for a small copy: $(cat -v "$work/tty2")"
	ok "$D" cat "$R" /big64
	[[ ${#out} == $((64 << 20)) ]] || fail "the 64 MiB file read back ${#out} bytes"
	fsck "a 64 MiB put"
	rm -f "$work/big64"
	pass "progress bar on a terminal for 64 MiB, not for a small file or a pipe"
else
	echo "SKIP: progress bar: script(1) not found"
fi

# ---- devices, bench ---------------------------------------------------
ok "$D" devices
[[ $out == "no devdax devices" || $out == PATH*SIZE*ALIGN*NUMA* ]] ||
	fail "devices: $out"
pass "devices: $(head -1 <<<"$out")"
DAXFS_SOURCE_DIR=$work/nosrc refused "bench without a source tree" \
	"not available" "$D" bench --quick
ok "$D" bench --help

# ---- a read-write mount killed: info says what recovery will do -------
# put - holds its read-write mount while it waits for standard input.
mkfifo "$work/fifo"
"$D" put "$R" - /crashed <"$work/fifo" 2>/dev/null &
pid=$!
exec 3>"$work/fifo"
printf 'partial' >&3
# Wait until the bytes are in: debugfs reads the live image, forced open
# past the journal's in-use feature.  (A bound, not a timing check: a
# kill before the write shows as an empty file below.)
printf 'open -f %s\nstat /crashed\n' "$R" >"$work/live"
for _ in $(seq 400); do
	debugfs -f "$work/live" 2>/dev/null | grep -q 'Group: .* Size: 7$' && break
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
exec 3>&-
ok "$D" info "$R"
[[ $(sed -n 's/^Filesystem state: *//p' <<<"$out") == "not clean (a libdaxfs mount crashed)" &&
   $(sed -n 's/^Recovery: *//p' <<<"$out") == *"next read-write mount"* ]] ||
	fail "info after a killed put: $out"
e2fsck -fn "$R" >/dev/null 2>&1 && fail "e2fsck accepted a region a crash left marked"
ok "$D" ls "$R" / # read-only mounts work meanwhile
ok "$D" mkdir -p "$R" / # a read-write mount recovers
ok "$D" info "$R"
[[ $(sed -n 's/^Filesystem state: *//p' <<<"$out") == clean &&
   $(sed -n 's/^Recovery: *//p' <<<"$out") == "none needed" ]] ||
	fail "info after recovery: $out"
ok "$D" cat "$R" /crashed
[[ $out == partial ]] || fail "what put - wrote before the kill: '$out'"
fsck "the recovery of a killed put"
pass "info after a killed read-write mount, and after its recovery"

# ---- info of a region that is not clean -------------------------------
debugfs -w -R "ssv state 0" "$R" >/dev/null 2>&1
ok "$D" info "$R"
[[ $out == *"Filesystem state:"*"not clean"* && $out == *"e2fsck -p"* ]] ||
	fail "info of a not clean region: $out"
pass "info says not clean and what to run"
e2fsck -fp "$R" >/dev/null 2>&1
ok "$D" info "$R"
[[ $(sed -n 's/^Filesystem state: *//p' <<<"$out") == clean ]] ||
	fail "info after e2fsck -p: $out"
fsck "e2fsck -p"

if ((fails)); then
	echo "test_cli: $fails failure(s)"
	exit 1
fi
echo "test_cli: all passed"
