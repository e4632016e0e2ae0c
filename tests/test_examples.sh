#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_examples.sh BINDIR -- run the example programs of examples/ (built in
# BINDIR) as a user would, on region files in /dev/shm, and check what they
# print, what they leave in the region (with debugfs) and that e2fsck -fn
# finds the region clean after each one that writes:
#
#   kvlog     put/get/list in separate runs (the index is rebuilt at each
#             start), a torn last record and a record with a bad checksum
#             ignored, then cut off by the next put;
#   parray    counters incremented in separate runs, read back by the next
#             run and from the file's bytes (debugfs dump);
#   treecopy  a generated host tree (nested directories, files of several
#             sizes, symbolic links, modes incl. setuid and read-only
#             directories) copied in and out: diff -r and the modes agree
#             with the original, debugfs ls -l and rdump agree too, the
#             read-only "out" leaves the region's bytes unchanged;
#   devices   an empty device list here and the fallback choice.
#
# Exits 0 when all pass, 1 at the first failure (saying what differs), 77
# (skipped, with the reason) without e2fsprogs.
set -u
bin=$1
for tool in e2fsck debugfs; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "test_examples: SKIP: $tool not found (e2fsprogs)"
		exit 77
	fi
done
export PMEM2_FORCE_GRANULARITY="${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}"
tmp=$(mktemp -d /dev/shm/daxfs-test-examples.XXXXXX)
cleanup() {
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "test_examples: FAIL: $*" >&2
	exit 1
}

# run WANT_RC PROG ARGS...: run an example; its stdout goes to $tmp/out,
# its stderr to $tmp/err; fail unless it exits with WANT_RC.
run() {
	want=$1 prog=$2
	shift 2
	echo "+ $prog $*"
	"$bin/$prog" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sed 's/^/  | /' "$tmp/out" "$tmp/err"
	[ "$rc" = "$want" ] || fail "$prog $* exited $rc, expected $want"
}

# out_is TEXT: the last run printed exactly TEXT (lines) on stdout.
out_is() {
	printf '%s\n' "$1" | diff -u - "$tmp/out" >&2 ||
		fail "unexpected output of the last command (diff above)"
}

# err_has TEXT: the last run's stderr contains TEXT.
err_has() {
	grep -qF -- "$1" "$tmp/err" || fail "stderr lacks \"$1\""
}

# fsck_clean REGION: e2fsck -fn finds nothing to fix.
fsck_clean() {
	e2fsck -fn "$1" >"$tmp/fsck" 2>&1 ||
		{ cat "$tmp/fsck" >&2; fail "e2fsck -fn $1 is not clean"; }
}

# dbg REGION CMD: run the debugfs command CMD (read-only) on REGION.
dbg() {
	debugfs -R "$2" "$1" 2>/dev/null
}

# dbg_w REGION CMD: the same, writing.
dbg_w() {
	debugfs -w -R "$2" "$1" >/dev/null 2>&1 || fail "debugfs -w '$2' failed"
}

# put_log REGION FILE: replace /kvlog of REGION by the host file FILE
# (as a crash could have left it), with debugfs.
put_log() {
	dbg_w "$1" "rm /kvlog"
	dbg_w "$1" "write $2 /kvlog"
	fsck_clean "$1"
}

# kvlog: records survive between runs; torn and corrupt tails are ignored.
test_kvlog() {
	r=$tmp/kv.img
	run 0 kvlog "$r" put colour blue
	err_has "no file system on $r: making one"
	out_is "put colour at offset 0 (26 bytes)"
	run 0 kvlog "$r" put size 42
	run 0 kvlog "$r" put colour "dark green"
	run 0 kvlog "$r" put empty ""
	out_is "put empty at offset 80 (21 bytes)"
	run 0 kvlog "$r" get colour
	out_is "dark green"
	err_has "index rebuilt from 4 records (3 keys)"
	run 1 kvlog "$r" get missing
	err_has "missing: not found"
	run 0 kvlog "$r" list
	out_is "colour=dark green
empty=
size=42"
	run 1 kvlog "$r" put
	err_has "usage: kvlog REGION put KEY VALUE"
	run 1 kvlog "$r" put "" value
	err_has "the key must have 1 to 1024 bytes"
	fsck_clean "$r"
	dbg "$r" "dump /kvlog $tmp/log" >/dev/null
	[ "$(wc -c <"$tmp/log")" = 101 ] || fail "/kvlog is not 101 bytes"
	grep -q "dark green" "$tmp/log" || fail "/kvlog lacks the value"

	# One whole record, from a log of its own.
	run 0 kvlog "$tmp/kv2.img" put torn-key torn-value
	dbg "$tmp/kv2.img" "dump /kvlog $tmp/rec" >/dev/null
	[ "$(wc -c <"$tmp/rec")" = 34 ] || fail "the record is not 34 bytes"

	# A torn last record: all but its last 3 bytes were written.
	cp "$tmp/log" "$tmp/torn"
	head -c 31 "$tmp/rec" >>"$tmp/torn"
	put_log "$r" "$tmp/torn"
	run 0 kvlog "$r" list
	out_is "colour=dark green
empty=
size=42"
	err_has "ignoring a torn record at offset 101 (31 bytes)"
	run 1 kvlog "$r" get torn-key
	run 0 kvlog "$r" put after yes
	out_is "put after at offset 101 (24 bytes)"
	run 0 kvlog "$r" list
	out_is "after=yes
colour=dark green
empty=
size=42"
	if grep -q torn "$tmp/err"; then
		fail "the torn record was not cut off by put"
	fi
	fsck_clean "$r"
	dbg "$r" "dump /kvlog $tmp/log" >/dev/null
	[ "$(wc -c <"$tmp/log")" = 125 ] || fail "/kvlog is not 125 bytes"

	# A whole record whose checksum does not match (last byte changed).
	cp "$tmp/log" "$tmp/bad"
	head -c 33 "$tmp/rec" >>"$tmp/bad"
	printf 'X' >>"$tmp/bad"
	put_log "$r" "$tmp/bad"
	run 0 kvlog "$r" get after
	out_is "yes"
	err_has "ignoring a torn record at offset 125 (34 bytes)"
	run 1 kvlog "$r" get torn-key
	fsck_clean "$r"

	# The record itself is valid: only the checksum kept it out.
	put_log "$r" "$tmp/rec"
	run 0 kvlog "$r" get torn-key
	out_is "torn-value"
}

# parray: counters updated through a view keep their values across runs.
test_parray() {
	r=$tmp/pa.img
	run 0 parray "$r" show
	out_is "0 counters in use, sum 0"
	run 0 parray "$r" incr 7 5
	out_is "counter[7] = 5"
	run 0 parray "$r" incr 7 1
	out_is "counter[7] = 6"
	run 0 parray "$r" incr 262143 3
	run 1 parray "$r" incr 262144 1
	run 1 parray "$r" incr 7 x
	run 0 parray "$r" show
	out_is "counter[7] = 6
counter[262143] = 3
2 counters in use, sum 9"
	fsck_clean "$r"
	dbg "$r" "dump /parray $tmp/array" >/dev/null
	[ "$(wc -c <"$tmp/array")" = 2097152 ] || fail "/parray is not 2 MiB"
	[ "$(od -An -t u8 -j 56 -N 8 "$tmp/array" | tr -d ' ')" = 6 ] ||
		fail "counter 7 of /parray does not hold 6"
	[ "$(od -An -t u8 -j 2097144 -N 8 "$tmp/array" | tr -d ' ')" = 3 ] ||
		fail "counter 262143 of /parray does not hold 3"
}

# make_tree DIR: a host tree with what treecopy copies.
make_tree() {
	d=$1
	mkdir -p "$d/docs/deep/deeper" "$d/ro" "$d/private" "$d/sticky"
	printf 'hello\n' >"$d/docs/hello.txt"
	: >"$d/empty"
	head -c 300000 /dev/urandom >"$d/docs/deep/indirect.bin"
	head -c 4500000 /dev/urandom >"$d/docs/deep/deeper/dindirect.bin"
	printf 'spaces\n' >"$d/docs/name with spaces"
	long=$(printf 'n%.0s' $(seq 1 200))
	printf 'long name\n' >"$d/docs/$long"
	printf '#!/bin/sh\necho hi\n' >"$d/run.sh"
	printf 'secret\n' >"$d/private/key"
	printf 'fixed\n' >"$d/ro/file"
	ln -s docs/hello.txt "$d/link"
	ln -s /no/such/target "$d/dangling"
	ln -s "../../$(printf 'x%.0s' $(seq 1 100))/../docs" "$d/docs/deep/long-link"
	ln -s deep "$d/docs/dirlink"
	chmod 0755 "$d/run.sh"
	chmod 4755 "$d/empty"
	chmod 0600 "$d/private/key"
	chmod 0444 "$d/ro/file"
	chmod 0700 "$d/private"
	chmod 1777 "$d/sticky"
	chmod 0750 "$d/docs/deep"
	chmod 0555 "$d/ro"
}

# listing DIR: type, mode, size (not of directories) and link target of
# every entry under DIR, sorted.
listing() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%M %p\n' \) -o \
		\( -printf '%M %s %p %l\n' \)) | sort
}

# dbg_ls REGION DIR: "mode size name" of the entries of DIR per debugfs
# ls -l (not "." and ".."), sorted.
dbg_ls() {
	dbg "$1" "ls -l $2" | awk 'NF >= 9 {
		name = $0	# drop 8 fields (mawk has no {8})
		for (i = 0; i < 8; i++) sub(/^ *[^ ]+ +/, "", name)
		if (name != "." && name != "..") print $2, $6, name }' | sort
}

# host_ls DIR: the same from the host's stat.
host_ls() {
	(cd "$1" && for f in * .[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		s=$(stat -c %s "$f")
		[ -d "$f" ] && [ ! -L "$f" ] && s=4096
		printf '%o %s %s\n' "0x$(stat -c %f "$f")" "$s" "$f"
	done) | sort
}

# treecopy: a tree copied in and out again is the same tree.
test_treecopy() {
	r=$tmp/tree.img
	src=$tmp/src
	make_tree "$src"
	mkfifo "$src/fifo"
	run 0 treecopy "$r" in "$src" /tree
	out_is "copied $src into the region to /tree"
	err_has "$src/fifo: not a file, directory or symbolic link: skipped"
	rm "$src/fifo"
	fsck_clean "$r"
	host_ls "$src" >"$tmp/want"
	dbg_ls "$r" /tree >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" >&2 ||
		fail "debugfs ls -l /tree differs from the host's tree"
	mkdir "$tmp/rdump"
	dbg "$r" "rdump /tree $tmp/rdump" >/dev/null
	diff -r --no-dereference "$src" "$tmp/rdump/tree" >&2 ||
		fail "debugfs rdump /tree differs from the host's tree"

	sum=$(cksum <"$r")
	run 0 treecopy "$r" out /tree "$tmp/copy"
	out_is "copied /tree out of the region to $tmp/copy"
	[ "$(cksum <"$r")" = "$sum" ] || fail "treecopy out changed the region"
	diff -r --no-dereference "$src" "$tmp/copy" >&2 ||
		fail "the tree copied out differs from the original"
	listing "$src" >"$tmp/want"
	listing "$tmp/copy" >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" >&2 ||
		fail "modes or links of the tree copied out differ"
	[ "$(stat -c %a "$tmp/copy")" = "$(stat -c %a "$src")" ] ||
		fail "the mode of the top directory was not kept"

	run 1 treecopy "$r" out /tree "$tmp/copy"
	err_has "$tmp/copy: File exists"
	run 1 treecopy "$r" out /missing "$tmp/copy2"
	err_has "daxfs_stat"
	# A failure after the mount unmounts: the region is left clean.
	run 1 treecopy "$r" in "$tmp/nonexistent" /t2
	err_has "$tmp/nonexistent: No such file or directory"
	fsck_clean "$r"

	# Copying in again, over the same tree, replaces its files.
	printf 'changed\n' >"$src/docs/hello.txt"
	run 0 treecopy "$r" in "$src" /tree
	fsck_clean "$r"
	run 0 treecopy "$r" out /tree "$tmp/copy2"
	diff -r --no-dereference "$src" "$tmp/copy2" >&2 ||
		fail "the tree copied in twice differs from the original"
}

# devices: no devdax device here, so the fallback file is chosen.
test_devices() {
	if ls /dev/dax* >/dev/null 2>&1; then
		echo "test_examples: this machine has devdax devices: only" \
		     "the form of the output of devices is checked"
		run 0 devices
		grep -q '^region: ' "$tmp/out" || fail "devices chose nothing"
		return
	fi
	run 0 devices
	out_is "0 devdax devices found
region: /dev/shm/daxfs-example.img (no devdax device on this machine; a regular file, the default under /dev/shm)"
	run 0 devices "$tmp/mine.img"
	out_is "0 devdax devices found
region: $tmp/mine.img (no devdax device on this machine; a regular file, given on the command line)"
	run 1 devices a b
	err_has "usage: devices [FALLBACK]"
}

test_kvlog
test_parray
test_treecopy
test_devices
echo "test_examples: all passed"
