/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sqlite.c -- the SQLite VFS "daxfs" (integrations/sqlite/) as SQLite
 * uses it, in rollback-journal (DELETE) and WAL modes:
 *
 * workload_{delete,wal}: inserts, updates, deletes, an index, a vacuum,
 *   rolled back and committed transactions; PRAGMA integrity_check says
 *   ok, the rows are what was committed, e2fsck -fn is clean.
 * threads_{delete,wal}: 4 threads, each with its own connection to one
 *   database (region= shared by all), insert and read with busy timeouts;
 *   every row is there at the end, readers never see a half-done
 *   transaction, integrity_check ok.
 * lock_states: a reader's SHARED lock holds a writer's commit off, a
 *   RESERVED lock a second writer.
 * wal_index_in_views: shm=view keeps the WAL index in views of a -shm
 *   file: a killed process leaves the file, the next connections empty
 *   and share it (two connections, each reading the other's rows), the
 *   last removes it; _falls_back_on_units: on a region mapping only in
 *   2 MiB units (hugetlbfs: ctest runs it through hugetlb_run.sh) the
 *   index stays in DRAM and WAL mode works;
 * kill_{delete,wal}: a child inserts rows one per transaction
 *   (synchronous=FULL), reporting each commit through a pipe, and is
 *   killed (SIGKILL) at a random point, many times: a new mount finds
 *   every reported row and integrity_check ok; e2fsck -fn clean.
 * kernel_{delete,wal}: the database read through the Linux ext2 driver
 *   (loop mount) by the sqlite3 tool: byte-identical file, same query
 *   results, integrity_check ok (skipped when not root).
 * region_shared: connections naming one region share one mount, which
 *   the last close releases; errors: no region, a missing region, a
 *   missing directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "daxfs.h"
#include "daxfs_sqlite.h"
#include "check.h"
#include "interop.h"

#define REGION_SIZE (64 * TEST_MIB)

static void fini(void)
{
	test_kernel_cleanup();
}

static void init(void)
{
	cr_assert_eq(daxfs_sqlite_register(NULL, 0), SQLITE_OK);
}

TestSuite(sqlite, .init = init, .fini = fini, .timeout = 600);

/* A fresh region image of REGION_SIZE (unmounted). */
static const char *new_region(const char *tag)
{
	const char *img = test_image_path(tag);

	check_mkfs(img, REGION_SIZE, 4096, 0);
	return img;
}

/* Open file:PATH?vfs=daxfs&region=IMG (PATH may carry parameters of
 * its own), asserting. */
static sqlite3 *db_open(const char *img, const char *path)
{
	char uri[1024];
	sqlite3 *db = NULL;
	int rc;

	snprintf(uri, sizeof(uri), "file:%s%cvfs=daxfs&region=%s", path,
		 strchr(path, '?') ? '&' : '?', img);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
	cr_assert_eq(rc, SQLITE_OK, "open %s: %s", uri,
		     db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 60000);
	return db;
}

/* Run sql, asserting success. */
static void db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : "");
}

/* The first column of the first row of sql, as an integer. */
static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql,
		     sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* All rows of sql in the sqlite3 tool's list mode ("a|b\n" per row),
 * malloc'd. */
static char *db_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int i, rc;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++)
			fprintf(m, "%s%s", i ? "|" : "",
				sqlite3_column_text(st, i) ?
				(const char *)sqlite3_column_text(st, i) : "");
		fputc('\n', m);
	}
	cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	fclose(m);
	return buf;
}

/* PRAGMA integrity_check is "ok". */
static void db_check(sqlite3 *db)
{
	char *r = db_rows(db, "PRAGMA integrity_check");

	cr_assert_str_eq(r, "ok\n", "integrity_check: %s", r);
	free(r);
}

static void db_close(sqlite3 *db)
{
	cr_assert_eq(sqlite3_close(db), SQLITE_OK, "close: %s",
		     sqlite3_errmsg(db));
}

/* Set the journal mode and synchronous=FULL. */
static void db_mode(sqlite3 *db, bool wal)
{
	char *r = db_rows(db, wal ? "PRAGMA journal_mode=WAL" :
			  "PRAGMA journal_mode=DELETE");

	cr_assert_str_eq(r, wal ? "wal\n" : "delete\n");
	free(r);
	db_exec(db, "PRAGMA synchronous=FULL");
}

/* e2fsck -fn of the region is clean (it must be unmounted). */
static void fsck_clean(const char *img)
{
	cr_assert_eq(test_e2fsck(img, NULL), 0, "e2fsck -fn %s", img);
}

/* ------------------------------------------------------------------ */
/* A workload and integrity_check                                      */
/* ------------------------------------------------------------------ */

static void workload(bool wal)
{
	const char *img = new_region("sqlw");
	sqlite3 *db = db_open(img, "/w.db");
	char sql[256];
	int i;

	db_mode(db, wal);
	db_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);"
		    "CREATE INDEX tb ON t(b)");
	for (i = 0; i < 300; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, 'row%d', "
			 "randomblob(%d))", i, i * 7 % 101, 100 + i * 13);
		db_exec(db, sql);
	}
	db_exec(db, "BEGIN; DELETE FROM t WHERE a < 200; ROLLBACK");
	db_exec(db, "BEGIN; UPDATE t SET b = b || 'x' WHERE a % 3 = 0;"
		    "DELETE FROM t WHERE a % 5 = 0; COMMIT");
	db_exec(db, "INSERT INTO t SELECT a + 1000, b, c FROM t");
	db_exec(db, "VACUUM");
	db_check(db);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM t"), 480);
	cr_assert_eq(db_int(db, "SELECT count(*) FROM t WHERE b LIKE '%x'"),
		     2 * 80);
	db_close(db);
	db = db_open(img, "/w.db");
	db_check(db);
	cr_assert_eq(db_int(db, "SELECT sum(a) FROM t WHERE a < 1000"),
		     db_int(db, "SELECT sum(a) - 1000 * count(*) FROM t "
				"WHERE a >= 1000"));
	db_close(db);
	fsck_clean(img);
}

Test(sqlite, workload_delete) { workload(false); }
Test(sqlite, workload_wal) { workload(true); }

/* ------------------------------------------------------------------ */
/* Threads, each with its own connection                               */
/* ------------------------------------------------------------------ */

#define NTHREADS 4
#define NROWS 150

struct worker {
	const char *img;
	int id;
	int failed;
	int torn;
	char msg[256];
};

/* The callback of the readers' check: the count of rows of t and the
 * counter c.n, which every transaction moves together, must agree. */
static int agree_cb(void *arg, int n, char **v, char **names)
{
	(void)names;
	if (n != 1 || !v[0] || strcmp(v[0], "0"))
		*(int *)arg = 1;
	return 0;
}

/* Insert NROWS rows one per transaction (with the counter), checking
 * between them that a reader sees t and the counter agree. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char uri[1024], sql[256];
	sqlite3 *db = NULL;
	int i, rc;

	snprintf(uri, sizeof(uri), "file:/mt.db?vfs=daxfs&region=%s", w->img);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_URI, NULL);
	sqlite3_busy_timeout(db, 60000);
	for (i = 0; rc == SQLITE_OK && i < NROWS; i++) {
		snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; INSERT INTO t "
			 "VALUES(%d, %d, zeroblob(%d)); UPDATE c SET n = n + 1;"
			 " COMMIT",
			 w->id * 100000 + i, w->id, 50 + i * 31 % 900);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "SELECT (SELECT count(*) FROM t) "
					  "- (SELECT n FROM c)", agree_cb,
					  &w->torn, NULL);
	}
	if (w->torn) {
		w->failed = 1;
		snprintf(w->msg, sizeof(w->msg), "thread %d: a reader saw the "
			 "table and its counter disagree", w->id);
	}
	if (rc != SQLITE_OK) {
		w->failed = 1;
		snprintf(w->msg, sizeof(w->msg), "thread %d row %d: %s", w->id,
			 i, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return NULL;
}

static void threads(bool wal)
{
	const char *img = new_region("sqlmt");
	struct worker w[NTHREADS];
	pthread_t tid[NTHREADS];
	sqlite3 *db = db_open(img, "/mt.db");
	int i;

	db_mode(db, wal);
	db_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, w INT, c BLOB);"
		    "CREATE TABLE c(n INT); INSERT INTO c VALUES(0)");
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.img = img, .id = i};
		cr_assert_eq(pthread_create(&tid[i], NULL, worker_run, &w[i]),
			     0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(tid[i], NULL);
		cr_expect_eq(w[i].failed, 0, "%s", w[i].msg);
	}
	cr_assert_eq(db_int(db, "SELECT count(*) FROM t"), NTHREADS * NROWS);
	for (i = 0; i < NTHREADS; i++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM t WHERE w = %d"
			 " AND a / 100000 = %d", i, i);
		cr_assert_eq(db_int(db, sql), NROWS);
	}
	db_check(db);
	db_close(db);
	fsck_clean(img);
}

Test(sqlite, threads_delete) { threads(false); }
Test(sqlite, threads_wal) { threads(true); }

/* ------------------------------------------------------------------ */
/* A process killed in the middle keeps every committed transaction    */
/* ------------------------------------------------------------------ */

/* The child: insert rows one per transaction, writing each committed id
 * to fd; never returns (killed, or exits 1 on an error). */
static void kill_child(const char *img, bool wal, int round, int fd)
{
	char uri[1024], sql[256];
	sqlite3 *db = NULL;
	int i, id;

	snprintf(uri, sizeof(uri), "file:/k.db?vfs=daxfs&region=%s", img);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) ||
	    sqlite3_exec(db, wal ? "PRAGMA journal_mode=WAL" :
			 "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) ||
	    sqlite3_exec(db, "PRAGMA synchronous=FULL; CREATE TABLE IF NOT "
			 "EXISTS t(a INTEGER PRIMARY KEY, b BLOB)", NULL, NULL,
			 NULL))
		_exit(1);
	for (i = 0;; i++) {
		id = round * 1000000 + i;
		snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, "
			 "randomblob(%d))", id, 10 + (i * 577) % 3000);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL))
			_exit(1);
		if (write(fd, &id, sizeof(id)) != sizeof(id))
			_exit(1);
	}
}

/* One round: fork the child, kill it after it reported `after` commits
 * (plus a little), then check every reported id.  Returns the count. */
static int kill_round(const char *img, bool wal, int round, int after,
		      long delay_us)
{
	int fds[2], id, n = 0, status;
	sqlite3 *db;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		kill_child(img, wal, round, fds[1]);
	}
	close(fds[1]);
	int *ids = malloc(sizeof(int) * 1000000);
	while (read(fds[0], &id, sizeof(id)) == sizeof(id)) {
		ids[n++] = id;
		if (n == after) {
			test_sleep_us(delay_us);
			kill(pid, SIGKILL);
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "round %d: the child ended by itself (status %#x)", round,
		  status);
	db = db_open(img, "/k.db");
	for (int i = 0; i < n; i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM t WHERE a = %d",
			 ids[i]);
		cr_assert_eq(db_int(db, sql), 1, "round %d: committed row %d "
			     "(of %d) is missing", round, ids[i], n);
	}
	db_check(db);
	db_close(db);
	free(ids);
	return n;
}

static void killed(bool wal)
{
	const char *img = new_region("sqlk");
	uint64_t seed = wal ? 77 : 78;
	int r, total = 0;

	for (r = 0; r < 16; r++)
		total += kill_round(img, wal, r, 1 + test_rand(&seed) % 60,
				    test_rand(&seed) % 3000);
	cr_assert_gt(total, 16);
	fsck_clean(img);
}

Test(sqlite, kill_delete) { killed(false); }
Test(sqlite, kill_wal) { killed(true); }

/* ------------------------------------------------------------------ */
/* The WAL index in views of a -shm file (shm=view)                    */
/* ------------------------------------------------------------------ */

/* The child of wal_index_in_views: 100 rows in WAL mode, then killed
 * with its connection open (the -shm file stays). */
static void views_child(const char *img)
{
	char uri[1024];
	sqlite3 *db = NULL;

	snprintf(uri, sizeof(uri), "file:/v.db?shm=view&vfs=daxfs&region=%s",
		 img);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(a);"
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
			 "i + 1 FROM n WHERE i < 100) INSERT INTO t SELECT i "
			 "FROM n", NULL, NULL, NULL))
		_exit(2);
	kill(getpid(), SIGKILL);
}

/* The size of path in img (mounted for the check), or -1 if missing. */
static long long size_in(const char *img, const char *path)
{
	daxfs *fs = check_mount(img, 0);
	struct stat st;
	long long n = daxfs_stat(fs, path, &st) ? -1 : (long long)st.st_size;

	check_unmount(fs);
	return n;
}

Test(sqlite, wal_index_in_views)
{
	const char *img = new_region("sqlv");
	sqlite3 *a, *b;
	pid_t pid = fork();
	int st, i;

	cr_assert(pid >= 0);
	if (pid == 0)
		views_child(img);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st), "the child exited %d", WEXITSTATUS(st));
	/* The index was in the file: the killed process left it. */
	cr_assert_geq(size_in(img, "/v.db-shm"), 32768);
	a = db_open(img, "/v.db?shm=view");
	b = db_open(img, "/v.db?shm=view");
	cr_assert_eq(db_int(a, "SELECT count(*) FROM t"), 100);
	for (i = 0; i < 200; i++) {
		db_exec(i % 2 ? a : b, "INSERT INTO t VALUES(0)");
		cr_assert_eq(db_int(i % 2 ? b : a, "SELECT count(*) FROM t"),
			     101 + i);
	}
	db_check(a);
	db_close(b);
	db_close(a);
	cr_assert_eq(size_in(img, "/v.db-shm"), -1, "the -shm file stayed "
		     "after the last connection");
	fsck_clean(img);
}

/* On a region that maps only in 2 MiB units (hugetlbfs, through
 * tests/hugetlb_run.sh) no 32 KiB region of a -shm file can be a view:
 * shm=view keeps the WAL index in DRAM and WAL mode works. */
Test(sqlite, wal_index_in_views_falls_back_on_units)
{
	const char *mnt = getenv("DAXFS_TEST_HUGETLBFS"),
		   *why = getenv("DAXFS_TEST_HUGETLBFS_WHY");
	char img[300];
	sqlite3 *a, *b;
	int fd, i;

	if (!mnt || !*mnt)
		cr_skip_test("no hugetlbfs mount: %s", why ? why :
			     "run through tests/hugetlb_run.sh");
	snprintf(img, sizeof(img), "%s/sqlu-%d", mnt, (int)getpid());
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0, "open %s: %s", img, strerror(errno));
	/* hugetlbfs has no write(2): its files are sized by ftruncate */
	cr_assert(ftruncate(fd, REGION_SIZE) == 0, "ftruncate: %s",
		  strerror(errno));
	close(fd);
	check_mkfs(img, 0, 0, 0);
	a = db_open(img, "/u.db?shm=view");
	b = db_open(img, "/u.db?shm=view");
	db_mode(a, true);
	db_exec(a, "CREATE TABLE t(a)");
	for (i = 0; i < 50; i++) {
		db_exec(i % 2 ? a : b, "INSERT INTO t VALUES(0)");
		cr_assert_eq(db_int(i % 2 ? b : a, "SELECT count(*) FROM t"),
			     i + 1);
	}
	db_check(a);
	db_close(b);
	db_close(a);
	cr_assert_eq(size_in(img, "/u.db-shm"), -1, "a -shm file stayed");
	fsck_clean(img);
	unlink(img);
}

/* ------------------------------------------------------------------ */
/* The kernel's ext2 driver and the sqlite3 tool read the same database */
/* ------------------------------------------------------------------ */

static const char *const KQUERY =
	"SELECT a, b, hex(c) FROM t ORDER BY a";

/* Fill /k.db in img (default mount fs) and return the query's rows. */
static char *kernel_fill(daxfs *fs, bool wal)
{
	sqlite3 *db;
	char *rows;
	int i;

	cr_assert_eq(daxfs_sqlite_register(fs, 0), SQLITE_OK);
	cr_assert_eq(sqlite3_open_v2("/k.db", &db, SQLITE_OPEN_READWRITE |
				     SQLITE_OPEN_CREATE, "daxfs"), SQLITE_OK);
	db_mode(db, wal);
	db_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB)");
	for (i = 0; i < 200; i++) {
		char sql[160];

		snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, 'v%d', "
			 "randomblob(%d))", i, i * i, 1 + i * 41 % 5000);
		db_exec(db, sql);
	}
	db_exec(db, "DELETE FROM t WHERE a % 7 = 3");
	rows = db_rows(db, KQUERY);
	db_close(db);
	cr_assert_eq(daxfs_sqlite_register(NULL, 0), SQLITE_OK);
	return rows;
}

static void kernel(bool wal)
{
	const char *why = NULL, *img, *mnt;
	char *rows, *krows, *dbuf, *kbuf, path[512];
	size_t klen;
	ssize_t dlen;
	daxfs *fs;

	if (!test_kernel_mount_works(&why))
		cr_skip_test("%s", why);
	img = new_region("sqlkern");
	mnt = test_tmp_dir("sqlkmnt");
	fs = check_mount(img, 0);
	rows = kernel_fill(fs, wal);
	cr_assert_str_eq(rows + strlen(rows) - 1, "\n");
	dlen = test_dax_read_all(fs, "/k.db", &dbuf, 64 << 20);
	cr_assert_gt(dlen, 0);
	check_unmount(fs);
	fsck_clean(img);
	cr_assert_eq(test_kmount(img, mnt, true), 0);
	snprintf(path, sizeof(path), "%s/k.db", mnt);
	kbuf = test_read_file(path, &klen);
	cr_assert(kbuf && klen == (size_t)dlen &&
		  !memcmp(kbuf, dbuf, klen), "the kernel reads another file");
	krows = test_sh_capture(NULL, "sqlite3 -readonly "
				"'file:%s?immutable=1' '%s'", path, KQUERY);
	cr_assert(krows && !strcmp(krows, rows), "sqlite3 on the kernel "
		  "mount gives other rows");
	free(krows);
	krows = test_sh_capture(NULL, "sqlite3 -readonly "
				"'file:%s?immutable=1' 'PRAGMA "
				"integrity_check'", path);
	cr_assert(krows && !strcmp(krows, "ok\n"), "integrity_check: %s",
		  krows ? krows : "(sqlite3 failed)");
	cr_assert_eq(test_kumount(mnt), 0);
	fsck_clean(img);
	free(krows);
	free(kbuf);
	free(dbuf);
	free(rows);
}

Test(sqlite, kernel_delete) { kernel(false); }
Test(sqlite, kernel_wal) { kernel(true); }

/* ------------------------------------------------------------------ */
/* One mount per region and process; errors                            */
/* ------------------------------------------------------------------ */

Test(sqlite, region_shared)
{
	const char *img = new_region("sqlsh");
	sqlite3 *a = db_open(img, "/a.db"), *b = db_open(img, "/b.db");
	daxfs *fs;

	db_exec(a, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	db_exec(b, "CREATE TABLE t(x); INSERT INTO t VALUES(2)");
	/* The region is mounted (once): our own mount is refused. */
	cr_assert_eq(daxfs_mount(img, 0, &fs), -EBUSY);
	db_close(a);
	cr_assert_eq(daxfs_mount(img, 0, &fs), -EBUSY);
	cr_assert_eq(db_int(b, "SELECT x FROM t"), 2);
	db_close(b);
	/* The last close unmounted it. */
	fs = check_mount(img, 0);
	struct stat st;
	cr_assert_eq(daxfs_stat(fs, "/a.db", &st), 0);
	cr_assert_eq(daxfs_stat(fs, "/b.db", &st), 0);
	check_unmount(fs);
	fsck_clean(img);
}

/* Opening uri fails with SQLITE_CANTOPEN. */
static void open_fails(const char *uri)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
				 SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);

	cr_assert_eq(rc, SQLITE_CANTOPEN, "%s: %d", uri, rc);
	sqlite3_close(db);
}

Test(sqlite, open_errors)
{
	const char *img = new_region("sqlerr");
	char uri[1024];

	/* No region= and no default mount. */
	open_fails("file:/x.db?vfs=daxfs");
	snprintf(uri, sizeof(uri), "file:/x.db?vfs=daxfs&region=%s-missing",
		 img);
	open_fails(uri);
	snprintf(uri, sizeof(uri), "file:/nodir/x.db?vfs=daxfs&region=%s",
		 img);
	open_fails(uri);
	fsck_clean(img);
}

/* SQLite's lock states between two connections of the process
 * (rollback-journal mode): a reader's SHARED lock keeps a writer from
 * committing (SQLITE_BUSY, no busy handler), a RESERVED lock keeps a
 * second writer out, and the commit goes through once the reader ends. */
Test(sqlite, lock_states)
{
	const char *img = new_region("sqllock");
	sqlite3 *r = db_open(img, "/l.db"), *w, *w2;

	db_exec(r, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	w = db_open(img, "/l.db");
	w2 = db_open(img, "/l.db");
	sqlite3_busy_timeout(w, 0);
	sqlite3_busy_timeout(w2, 0);
	db_exec(r, "BEGIN; SELECT count(*) FROM t");
	db_exec(w, "BEGIN; INSERT INTO t VALUES(2)");
	cr_assert_eq(sqlite3_exec(w2, "BEGIN IMMEDIATE", NULL, NULL, NULL),
		     SQLITE_BUSY, "a second writer got RESERVED");
	cr_assert_eq(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_BUSY,
		     "a writer committed under a reader's SHARED lock");
	cr_assert_eq(db_int(r, "SELECT count(*) FROM t"), 1);
	db_exec(r, "COMMIT");
	db_exec(w, "COMMIT");
	cr_assert_eq(db_int(r, "SELECT count(*) FROM t"), 2);
	db_check(r);
	db_close(w2);
	db_close(w);
	db_close(r);
	fsck_clean(img);
}
