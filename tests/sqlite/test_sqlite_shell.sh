#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_sqlite_shell.sh EXT DAXFS -- the sqlite3 tool with the loadable
# extension EXT (libdaxfs_sqlite.so, loaded as ".load" without its suffix)
# on a region made by the daxfs tool DAXFS, as a user would: a session in
# rollback-journal then WAL mode, a second session that finds the rows,
# the same rows from the file copied out with "daxfs get" and read by
# sqlite3 directly, a region that does not exist refused; e2fsck -fn clean
# after each session.  ctest runs it (tests/CMakeLists.txt); exit 77 (a
# skip) when sqlite3 or e2fsck is missing.
set -uo pipefail

EXT=${1:?usage: test_sqlite_shell.sh LIBDAXFS_SQLITE.so DAXFS}
D=${2:?usage: test_sqlite_shell.sh LIBDAXFS_SQLITE.so DAXFS}
export PMEM2_FORCE_GRANULARITY=${PMEM2_FORCE_GRANULARITY:-CACHE_LINE}
export LC_ALL=C
export PATH=$PATH:/usr/sbin:/sbin
for t in sqlite3 e2fsck; do
	command -v $t >/dev/null || { echo "SKIP: $t not found"; exit 77; }
done

work=$(mktemp -d /dev/shm/daxfs-test-sqlite.XXXXXX)
trap 'rm -rf "$work"' EXIT
R=$work/region.img
LOAD=${EXT%.so}
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# session SQL: run sqlite3 with the extension loaded and the database
# /app.db of the region open, SQL on its standard input; output in $out.
session() {
	out=$(printf '.load %s\n.open file:/app.db?vfs=daxfs&region=%s\n%s\n' \
		"$LOAD" "$R" "$1" | sqlite3 -bail 2>&1)
	rc=$?
}

fsck_clean() {
	if e2fsck -fn "$R" >"$work/fsck" 2>&1; then
		pass "e2fsck -fn clean $1"
	else
		fail "e2fsck -fn $1: $(cat "$work/fsck")"
	fi
}

"$D" mkfs --size 64M "$R" >/dev/null || { echo "FAIL: daxfs mkfs"; exit 1; }

session "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
INSERT INTO t VALUES(1, 'one'), (2, 'two');
BEGIN; INSERT INTO t VALUES(3, 'three'); ROLLBACK;
PRAGMA journal_mode=WAL;
INSERT INTO t VALUES(4, 'four');
SELECT a, b FROM t ORDER BY a;
PRAGMA integrity_check;"
want=$'wal\n1|one\n2|two\n4|four\nok'
if [[ $rc == 0 && $out == "$want" ]]; then
	pass "a session in DELETE then WAL mode"
else
	fail "first session: exit $rc, output: $out"
fi
fsck_clean "after the first session"

session "SELECT group_concat(b, ',') FROM t; PRAGMA journal_mode;"
if [[ $rc == 0 && $out == $'one,two,four\nwal' ]]; then
	pass "a second session finds the rows"
else
	fail "second session: exit $rc, output: $out"
fi
fsck_clean "after the second session"

if "$D" get "$R" /app.db "$work/host.db" &&
	out=$(sqlite3 "$work/host.db" 'SELECT group_concat(b, ",") FROM t') &&
	[[ $out == one,two,four ]]; then
	pass "sqlite3 reads the file copied out with daxfs get"
else
	fail "the copied-out file: $out"
fi

out=$(printf '.load %s\n.open file:/app.db?vfs=daxfs&region=%s\nSELECT 1;\n' \
	"$LOAD" "$work/missing" | sqlite3 -bail 2>&1)
if [[ $out == *"unable to open database"* ]]; then
	pass "a missing region is refused"
else
	fail "a missing region: $out"
fi
fsck_clean "at the end"

if ((fails)); then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
