/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sqlite_bench.c -- SQLite through the libdaxfs VFS ("daxfs",
 * integrations/sqlite/) against SQLite's unix VFS on tmpfs and on the
 * same ext2 image loop-mounted by the kernel, in one run.  bench/sqlite.sh
 * builds and runs it.
 *
 * Workloads (synchronous=FULL everywhere, a fresh database each):
 *   txn_delete   single-row INSERT transactions, journal_mode=DELETE
 *   txn_wal      the same in WAL mode
 *   txn_wal_view the same with the WAL index in views of a -shm file of
 *                the region (shm=view; the unix VFS's is a mapped file
 *                anyway) instead of DRAM
 *   batch_insert INSERTs in transactions of 1000 rows (WAL)
 *   point_select SELECT by primary key, random keys, autocommit (DELETE)
 *   scan         full-table SELECT sum(length(b)) (DELETE)
 * Each is run --repeat times per backend; the median is reported as
 * operations (rows) per second.
 *
 * Phase A: the region (--workdir/region.img, allocated up front) is made
 * with daxfs_mkfs and mounted with DAXFS_MOUNT_POPULATE; libdaxfs and
 * tmpfs (--workdir/tmpfs/) run.  Phase B: the region, unmounted, is
 * loop-mounted with "mount -t ext2 -o loop" and SQLite's unix VFS runs on
 * it (root only; skipped with a reason otherwise).  e2fsck -fn checks the
 * image after each phase.
 *
 * Output (--out DIR): sqlite.csv (median per workload and backend, and the
 * ratios), sqlite_targets.csv (PASS/MISS), sqlite_plot.dat (for the chart).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daxfs.h"
#include "daxfs_sqlite.h"

enum { W_TXN_DELETE, W_TXN_WAL, W_TXN_WAL_VIEW, W_BATCH, W_POINT, W_SCAN,
       NW };
enum { S_DAXFS, S_TMPFS, S_KEXT2, NS };

static const char *const wname[NW] = {"txn_delete", "txn_wal",
				      "txn_wal_view", "batch_insert",
				      "point_select", "scan"};
static const char *const wunit[NW] = {"txn/s", "txn/s", "txn/s", "rows/s",
				      "ops/s", "rows/s"};
static const char *const sname[NS] = {"libdaxfs", "tmpfs", "kext2"};

/* Sizes of one sample (--quick divides them by 10). */
static struct {
	int txns, batch_rows, table_rows, selects, scans, repeat;
} cfg = {2000, 100000, 100000, 200000, 10, 5};

static double result[NW][NS]; /* medians; 0: not run */
static char skipped[NS][256];

/* A place databases go: a VFS and a directory ("" for the region). */
struct target {
	const char *vfs;
	char dir[512];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sqlite_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("%s: %s", sql, err ? err : "?");
}

/* Open (creating) NAME of the target in the journal mode given (a NAME
 * with URI parameters, "x.db?shm=view", is opened as a URI). */
static sqlite3 *open_db(const struct target *t, const char *name, bool wal)
{
	bool uri = strchr(name, '?');
	char path[700];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s%s/%s", uri ? "file:" : "", t->dir,
		 name);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | (uri ? SQLITE_OPEN_URI : 0),
			    t->vfs) != SQLITE_OK)
		die("open %s (%s): %s", path, t->vfs, sqlite3_errmsg(db));
	exec(db, wal ? "PRAGMA journal_mode=WAL" :
		 "PRAGMA journal_mode=DELETE");
	exec(db, "PRAGMA synchronous=FULL");
	exec(db, "CREATE TABLE IF NOT EXISTS t(a INTEGER PRIMARY KEY, b BLOB)");
	return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

/* Insert n rows of 100 bytes (keys from first), one statement each. */
static void insert_rows(sqlite3 *db, sqlite3_stmt *st, int first, int n)
{
	static const char blob[100] = "libdaxfs sqlite benchmark row";
	int i;

	for (i = 0; i < n; i++) {
		sqlite3_bind_int(st, 1, first + i);
		sqlite3_bind_blob(st, 2, blob, sizeof(blob), SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
}

/* Single-row transactions: txn/s. */
static double run_txn(const struct target *t, const char *name, bool wal)
{
	sqlite3 *db = open_db(t, name, wal);
	sqlite3_stmt *st = prepare(db, "INSERT INTO t VALUES(?, ?)");
	double t0 = now(), dt;

	insert_rows(db, st, 0, cfg.txns);
	dt = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return cfg.txns / dt;
}

/* Transactions of 1000 rows: rows/s. */
static double run_batch(const struct target *t, const char *name)
{
	sqlite3 *db = open_db(t, name, true);
	sqlite3_stmt *st = prepare(db, "INSERT INTO t VALUES(?, ?)");
	double t0 = now(), dt;
	int i;

	for (i = 0; i < cfg.batch_rows; i += 1000) {
		exec(db, "BEGIN");
		insert_rows(db, st, i, 1000);
		exec(db, "COMMIT");
	}
	dt = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return i / dt;
}

/* The table the reads read: table_rows rows, DELETE mode. */
static void fill_read_db(const struct target *t)
{
	sqlite3 *db = open_db(t, "read.db", false);
	sqlite3_stmt *st = prepare(db, "INSERT INTO t VALUES(?, ?)");

	exec(db, "BEGIN");
	insert_rows(db, st, 0, cfg.table_rows);
	exec(db, "COMMIT");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Point selects by random key, each its own read transaction: ops/s. */
static double run_point(const struct target *t)
{
	sqlite3 *db = open_db(t, "read.db", false);
	sqlite3_stmt *st = prepare(db, "SELECT length(b) FROM t WHERE a = ?");
	uint64_t x = 88172645463325252ULL;
	double t0 = now(), dt;
	int i;

	for (i = 0; i < cfg.selects; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sqlite3_bind_int(st, 1, (int)(x % cfg.table_rows));
		if (sqlite3_step(st) != SQLITE_ROW)
			die("select: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	dt = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return cfg.selects / dt;
}

/* Full scans from a fresh connection each: rows/s. */
static double run_scan(const struct target *t)
{
	double t0 = now(), dt;
	int i;

	for (i = 0; i < cfg.scans; i++) {
		sqlite3 *db = open_db(t, "read.db", false);
		sqlite3_stmt *st = prepare(db, "SELECT sum(length(b)) FROM t");

		if (sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_int64(st, 0) != 100LL * cfg.table_rows)
			die("scan: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	dt = now() - t0;
	return (double)cfg.scans * cfg.table_rows / dt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One sample of workload w on t (run r names its database). */
static double sample(int w, const struct target *t, int r)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%d.db", wname[w], r);
	switch (w) {
	case W_TXN_DELETE: return run_txn(t, name, false);
	case W_TXN_WAL: return run_txn(t, name, true);
	case W_TXN_WAL_VIEW: /* (the unix VFS ignores the parameter) */
		strcat(name, "?shm=view");
		return run_txn(t, name, true);
	case W_BATCH: return run_batch(t, name);
	case W_POINT: return run_point(t);
	default: return run_scan(t);
	}
}

/* Every workload on backend s: medians into result[][s]. */
static void run_backend(int s, const struct target *t)
{
	double v[64];
	int w, r;

	fprintf(stderr, "sqlite_bench: %s: filling the read table\n",
		sname[s]);
	fill_read_db(t);
	for (w = 0; w < NW; w++) {
		for (r = 0; r < cfg.repeat; r++)
			v[r] = sample(w, t, r);
		qsort(v, cfg.repeat, sizeof(double), cmp_double);
		result[w][s] = v[cfg.repeat / 2];
		fprintf(stderr, "sqlite_bench: %s %s: %.0f %s\n", sname[s],
			wname[w], result[w][s], wunit[w]);
	}
}

/* Run a shell command: its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Phase A: libdaxfs (the region, populated) and tmpfs. */
static void phase_a(const char *work, const char *region, uint64_t size)
{
	struct target dx = {.vfs = "daxfs", .dir = ""}, tm = {.vfs = "unix"};
	struct daxfs_mkfs_opts o = {.size = size};
	daxfs *fs;
	int fd = open(region, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || posix_fallocate(fd, 0, size))
		die("allocate %s: %s", region, strerror(errno));
	close(fd);
	if (daxfs_mkfs(region, &o) ||
	    daxfs_mount(region, DAXFS_MOUNT_POPULATE, &fs))
		die("%s", daxfs_errormsg());
	if (daxfs_sqlite_register(fs, 0) != SQLITE_OK)
		die("daxfs_sqlite_register failed");
	run_backend(S_DAXFS, &dx);
	if (daxfs_unmount(fs))
		die("%s", daxfs_errormsg());
	daxfs_sqlite_register(NULL, 0);
	snprintf(tm.dir, sizeof(tm.dir), "%s/tmpfs", work);
	if (mkdir(tm.dir, 0755) && errno != EEXIST)
		die("mkdir %s: %s", tm.dir, strerror(errno));
	run_backend(S_TMPFS, &tm);
	sh("rm -rf '%s'", tm.dir);
	if (sh("e2fsck -fn '%s' >/dev/null 2>&1", region))
		die("e2fsck -fn %s is not clean after libdaxfs", region);
}

/* Phase B: the same image through the kernel's ext2 (loop mount). */
static void phase_b(const char *work, const char *region)
{
	struct target kx = {.vfs = "unix"};

	if (geteuid() != 0) {
		snprintf(skipped[S_KEXT2], 256, "not root: no loop mount");
		return;
	}
	snprintf(kx.dir, sizeof(kx.dir), "%s/mnt", work);
	mkdir(kx.dir, 0755);
	if (sh("mount -t ext2 -o loop '%s' '%s'", region, kx.dir)) {
		snprintf(skipped[S_KEXT2], 256, "mount -t ext2 -o loop failed");
		return;
	}
	/* A directory of its own: the image holds libdaxfs's databases. */
	strcat(kx.dir, "/kext2");
	if (mkdir(kx.dir, 0755))
		die("mkdir %s: %s", kx.dir, strerror(errno));
	run_backend(S_KEXT2, &kx);
	kx.dir[strlen(kx.dir) - 6] = 0;
	if (sh("umount '%s'", kx.dir))
		die("umount %s failed", kx.dir);
	if (sh("e2fsck -fn '%s' >/dev/null 2>&1", region))
		die("e2fsck -fn %s is not clean after the kernel", region);
}

/* libdaxfs / peer for workload w, 0 when either did not run. */
static double ratio(int w, int s)
{
	return result[w][S_DAXFS] > 0 && result[w][s] > 0 ?
	       result[w][S_DAXFS] / result[w][s] : 0;
}

/* The table (stdout) and sqlite.csv. */
static void report(const char *out)
{
	char path[700];
	FILE *csv;
	int w, s;

	snprintf(path, sizeof(path), "%s/sqlite.csv", out);
	csv = fopen(path, "w");
	if (!csv)
		die("%s: %s", path, strerror(errno));
	fprintf(csv, "workload,unit,libdaxfs,tmpfs,kext2,x_tmpfs,x_kext2\n");
	printf("%-13s %-7s %12s %12s %12s %8s %8s\n", "workload", "unit",
	       "libdaxfs", "tmpfs", "kext2", "x tmpfs", "x kext2");
	for (w = 0; w < NW; w++) {
		printf("%-13s %-7s", wname[w], wunit[w]);
		fprintf(csv, "%s,%s", wname[w], wunit[w]);
		for (s = 0; s < NS; s++) {
			printf(" %12.0f", result[w][s]);
			fprintf(csv, ",%.0f", result[w][s]);
		}
		printf(" %7.2fx %7.2fx\n", ratio(w, S_TMPFS), ratio(w, S_KEXT2));
		fprintf(csv, ",%.2f,%.2f\n", ratio(w, S_TMPFS),
			ratio(w, S_KEXT2));
	}
	fclose(csv);
	for (s = 0; s < NS; s++)
		if (skipped[s][0])
			printf("%s: skipped: %s\n", sname[s], skipped[s]);
}

/* The Speed targets of issue 14: PASS/MISS lines, sqlite_targets.csv and
 * the chart's data (sqlite_plot.dat: ratios, then targets). */
static void targets(const char *out)
{
	static const struct { int w, s; double min; } tg[] = {
		{W_TXN_DELETE, S_TMPFS, 3}, {W_TXN_WAL, S_TMPFS, 3},
		{W_POINT, S_TMPFS, 3}, {W_TXN_DELETE, S_KEXT2, 20},
		{W_TXN_WAL, S_KEXT2, 20},
	};
	char path[700], dpath[700];
	FILE *csv, *dat;
	size_t i;
	int w;

	snprintf(path, sizeof(path), "%s/sqlite_targets.csv", out);
	snprintf(dpath, sizeof(dpath), "%s/sqlite_plot.dat", out);
	csv = fopen(path, "w");
	dat = fopen(dpath, "w");
	if (!csv || !dat)
		die("%s: %s", out, strerror(errno));
	fprintf(csv, "workload,peer,ratio,target,verdict\n");
	fprintf(dat, "workload \"x tmpfs\" \"x kext2\"\n");
	for (w = 0; w < NW; w++)
		fprintf(dat, "%s %.3f %.3f\n", wname[w], ratio(w, S_TMPFS),
			ratio(w, S_KEXT2));
	for (i = 0; i < sizeof(tg) / sizeof(tg[0]); i++) {
		double r = ratio(tg[i].w, tg[i].s);
		const char *v = r == 0 ? "SKIP" : r >= tg[i].min ? "PASS" :
				"MISS";

		printf("%s: %s libdaxfs/%s %.2fx (target >= %gx)\n", v,
		       wname[tg[i].w], sname[tg[i].s], r, tg[i].min);
		fprintf(csv, "%s,%s,%.2f,%g,%s\n", wname[tg[i].w],
			sname[tg[i].s], r, tg[i].min, v);
	}
	fclose(csv);
	fclose(dat);
}

static void usage(void)
{
	printf("usage: sqlite_bench --workdir DIR --out DIR [--quick] "
	       "[--repeat N]\n"
	       "  DIR (workdir) holds the region (2 GiB, allocated up front),\n"
	       "  a tmpfs directory and the loop mount point; bench/sqlite.sh\n"
	       "  gives it a huge=always tmpfs.\n");
}

int main(int argc, char **argv)
{
	const char *work = NULL, *out = NULL;
	char region[600];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--workdir") && i + 1 < argc)
			work = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			cfg.repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--quick")) {
			cfg.txns /= 10, cfg.batch_rows /= 10;
			cfg.table_rows /= 10, cfg.selects /= 10;
		} else {
			usage();
			return !strcmp(argv[i], "--help") ? 0 : 2;
		}
	}
	if (!work || !out || cfg.repeat < 1 || cfg.repeat > 64) {
		usage();
		return 2;
	}
	snprintf(region, sizeof(region), "%s/region.img", work);
	phase_a(work, region, 2ULL << 30);
	phase_b(work, region);
	report(out);
	targets(out);
	return 0;
}
