/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scenarios.c -- the scenarios of scenarios.h other than the mixed
 * workload (scen_mixed.c): appends, one winner per name, crossing
 * renames, lookups racing unlink, disjoint writes through one handle,
 * truncate racing reads and writes.  No Criterion (the TSan programs run
 * them too): threads record their first failure in their own struct
 * test_err, passed on to the caller's.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* Start fn(arg + i * size) for i < n; join them all.  Threads that could
 * not start are failures in e.  Returns how many ran. */
static int run_all(void *(*fn)(void *), void *arg, size_t size, int n,
		   struct test_err *e)
{
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	bool *up = calloc((size_t)n, sizeof(*up));
	int ran = 0;

	if (!th || !up) {
		test_fail(e, "out of memory for %d threads", n);
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		up[i] = pthread_create(&th[i], NULL, fn,
				       (char *)arg + (size_t)i * size) == 0;
		if (!up[i])
			test_fail(e, "cannot start thread %d", i);
	}
	for (int i = 0; i < n; i++)
		if (up[i]) {
			pthread_join(th[i], NULL);
			ran++;
		}
	free(th);
	free(up);
	return ran;
}

/* ---- appends -------------------------------------------------------- */

#define REC 100

struct appender {
	daxfs *fs;
	const char *path;
	daxfs_file *shared; /* if set, use this handle */
	uint32_t tid;
	struct test_err err;
};

/* Record seq of writer tid: a tag, the two numbers, pattern bytes. */
static void make_record(unsigned char *r, uint32_t tid, uint32_t seq)
{
	memcpy(r, "REC:", 4);
	memcpy(r + 4, &tid, 4);
	memcpy(r + 8, &seq, 4);
	test_pattern(r + 12, REC - 12, tid * 1000003ULL + seq, 0);
}

/* SCEN_NREC appends through the thread's handle or the shared one. */
static void *append_main(void *arg)
{
	struct appender *a = arg;
	daxfs_file *f = a->shared;
	unsigned char rec[REC];
	int r;

	if (!f && (r = daxfs_open(a->fs, a->path, O_WRONLY | O_APPEND, 0,
				  &f))) {
		test_fail(&a->err, "open(%s) = %d", a->path, r);
		return NULL;
	}
	for (uint32_t s = 0; s < SCEN_NREC; s++) {
		ssize_t w;

		make_record(rec, a->tid, s);
		/* The offset is ignored with O_APPEND. */
		w = daxfs_pwrite(f, rec, REC, (off_t)s * 7);
		if (w != REC) {
			test_fail(&a->err, "append %u = %zd (%s)", s, w,
				  test_errname(w));
			break;
		}
	}
	if (!a->shared)
		daxfs_close(f);
	return NULL;
}

int scen_append_run(daxfs *fs, const char *const *paths, int n,
		    daxfs_file *shared, uint32_t tid0, struct test_err *e)
{
	struct appender *a = calloc((size_t)n, sizeof(*a));
	char who[32];

	if (!a) {
		test_fail(e, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		a[i].fs = fs;
		a[i].path = shared ? NULL : paths[i];
		a[i].shared = shared;
		a[i].tid = tid0 + (uint32_t)i;
	}
	run_all(append_main, a, sizeof(*a), n, e);
	for (int i = 0; i < n; i++) {
		snprintf(who, sizeof(who), "appender %d", i);
		test_fail_pass(e, who, &a[i].err);
	}
	free(a);
	return atomic_load(&e->count) ? -1 : 0;
}

/* Check the records of buf[0..len) against the writers tids[0..n). */
static int check_records(const unsigned char *buf, size_t len,
			 const char *path, const uint32_t *tids, int n,
			 struct test_err *e)
{
	uint32_t next[8] = { 0 }, tid, seq;

	for (size_t off = 0; off < len; off += REC) {
		const unsigned char *r = buf + off;
		int k = -1;

		memcpy(&tid, r + 4, 4);
		memcpy(&seq, r + 8, 4);
		for (int i = 0; i < n && i < 8; i++)
			if (tids[i] == tid)
				k = i;
		if (memcmp(r, "REC:", 4) || k < 0 ||
		    test_pattern_mismatch(r + 12, REC - 12,
					  tid * 1000003ULL + seq, 0) >= 0) {
			test_fail(e, "%s: torn or foreign record at offset %zu",
				  path, off);
			return -1;
		}
		if (seq != next[k]) {
			test_fail(e, "%s: writer %u record %u at offset %zu, "
				  "expected %u", path, tid, seq, off, next[k]);
			return -1;
		}
		next[k]++;
	}
	for (int i = 0; i < n && i < 8; i++)
		if (next[i] != SCEN_NREC) {
			test_fail(e, "%s: writer %u has %u records", path,
				  tids[i], next[i]);
			return -1;
		}
	return 0;
}

int scen_append_check(daxfs *fs, const char *path, const uint32_t *tids,
		      int n, struct test_err *e)
{
	size_t len = (size_t)n * SCEN_NREC * REC;
	unsigned char *buf = malloc(len + 1);
	daxfs_file *f = NULL;
	struct stat st;
	ssize_t got;
	int r;

	if (!buf || (r = daxfs_open(fs, path, O_RDONLY, 0, &f))) {
		test_fail(e, "open(%s) failed", path);
		free(buf);
		return -1;
	}
	r = daxfs_fstat(f, &st);
	got = daxfs_pread(f, buf, len + 1, 0);
	daxfs_close(f);
	if (r || st.st_size != (off_t)len || got != (ssize_t)len) {
		test_fail(e, "%s: size %lld, read %zd, after %d x %d appends "
			  "of %d bytes", path, (long long)st.st_size, got, n,
			  SCEN_NREC, REC);
		free(buf);
		return -1;
	}
	r = check_records(buf, len, path, tids, n, e);
	free(buf);
	return r;
}

/* ---- one winner per name -------------------------------------------- */

#define NRACE 8

struct racer {
	daxfs *fs;
	const char *dir;
	enum scen_race op;
	pthread_t th;
	atomic_int *go;         /* set when every racer is started */
	int won[SCEN_NNAMES];
	struct test_err err;
};

/* Do op on path: 1 if it succeeded, 0 if it lost, -1 if it failed. */
static int race_op(struct racer *r, const char *path)
{
	daxfs_file *f = NULL;
	int rc, lost;

	switch (r->op) {
	case SCEN_CREATE_EXCL:
		rc = daxfs_open(r->fs, path, O_CREAT | O_EXCL | O_WRONLY,
				0644, &f);
		if (rc == 0)
			daxfs_close(f);
		lost = -EEXIST;
		break;
	case SCEN_UNLINK:
		rc = daxfs_unlink(r->fs, path);
		lost = -ENOENT;
		break;
	case SCEN_MKDIR:
		rc = daxfs_mkdir(r->fs, path, 0755);
		lost = -EEXIST;
		break;
	default:
		rc = daxfs_rmdir(r->fs, path);
		lost = -ENOENT;
		break;
	}
	if (rc == 0 || rc == lost)
		return rc == 0;
	test_fail(&r->err, "op %d on %s = %d (%s)", r->op, path, rc,
		  test_errname(rc));
	return -1;
}

/* Every name of the round, all racers released at once. */
static void *race_main(void *arg)
{
	struct racer *r = arg;
	char path[64];

	while (!atomic_load(r->go))
		sched_yield();
	for (int i = 0; i < SCEN_NNAMES && !r->err.count; i++) {
		snprintf(path, sizeof(path), "%s/n%03d", r->dir, i);
		r->won[i] = race_op(r, path) == 1;
	}
	return NULL;
}

int scen_race_round(daxfs *fs, const char *dir, enum scen_race op,
		    struct test_err *e)
{
	struct racer *rs = calloc(NRACE, sizeof(*rs));
	bool up[NRACE] = { false };
	atomic_int go = 0;
	char who[32];
	int ret = 0;

	if (!rs) {
		test_fail(e, "out of memory");
		return -1;
	}
	for (int i = 0; i < NRACE; i++) {
		rs[i] = (struct racer){ .fs = fs, .dir = dir, .op = op,
					.go = &go };
		up[i] = pthread_create(&rs[i].th, NULL, race_main, &rs[i]) == 0;
		if (!up[i])
			test_fail(e, "cannot start racer %d", i);
	}
	atomic_store(&go, 1);
	for (int i = 0; i < NRACE; i++) {
		if (up[i])
			pthread_join(rs[i].th, NULL);
		snprintf(who, sizeof(who), "op %d racer %d", op, i);
		test_fail_pass(e, who, &rs[i].err);
	}
	for (int n = 0; n < SCEN_NNAMES && !atomic_load(&e->count); n++) {
		int wins = 0;

		for (int i = 0; i < NRACE; i++)
			wins += rs[i].won[n];
		if (wins != 1)
			test_fail(e, "op %d: %s/n%03d had %d winners", op, dir,
				  n, wins);
	}
	ret = atomic_load(&e->count) ? -1 : 0;
	free(rs);
	return ret;
}

/* ---- crossing renames ----------------------------------------------- */

#define NSWAP 300
#define NSWAPPERS 6

struct swapper {
	daxfs *fs;
	int id;
	struct test_err err;
};

/* rename from -> to, or record the failure. */
static int swap_rename(struct swapper *s, const char *from, const char *to)
{
	int r = daxfs_rename(s->fs, from, to);

	if (r)
		test_fail(&s->err, "rename %s %s = %d (%s)", from, to, r,
			  test_errname(r));
	return r;
}

/* Thread i moves its file and its dir between /x and /y, starting on
 * opposite sides, so that renames cross in both directions. */
static void *swap_main(void *arg)
{
	struct swapper *s = arg;
	const char *side[2] = { "/x", "/y" };
	char from[64], to[64], inner[80];
	struct stat st;
	int at = s->id % 2, r;

	for (int i = 0; i < NSWAP && !s->err.count; i++) {
		snprintf(from, sizeof(from), "%s/f%d", side[at], s->id);
		snprintf(to, sizeof(to), "%s/f%d", side[!at], s->id);
		if (swap_rename(s, from, to))
			break;
		snprintf(from, sizeof(from), "%s/d%d", side[at], s->id);
		snprintf(to, sizeof(to), "%s/d%d", side[!at], s->id);
		if (swap_rename(s, from, to))
			break;
		at = !at;
		/* Touch the moved dir. */
		snprintf(inner, sizeof(inner), "%s/d%d/in", side[at], s->id);
		r = daxfs_stat(s->fs, inner, &st);
		if (r) {
			test_fail(&s->err, "stat %s = %d", inner, r);
			break;
		}
	}
	return NULL;
}

/* Thread i's file (holding its own path) and dir with a file in it. */
static int swap_setup(daxfs *fs, int i, struct test_err *e)
{
	const char *side = i % 2 ? "/y" : "/x";
	daxfs_file *f = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "%s/f%d", side, i);
	r = daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f);
	if (!r) {
		r = daxfs_pwrite(f, path, strlen(path), 0) ==
			    (ssize_t)strlen(path) ? 0 : -EIO;
		daxfs_close(f);
	}
	snprintf(path, sizeof(path), "%s/d%d", side, i);
	if (!r)
		r = daxfs_mkdir(fs, path, 0755);
	snprintf(path, sizeof(path), "%s/d%d/in", side, i);
	if (!r && !(r = daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f)))
		daxfs_close(f);
	if (r)
		test_fail(e, "setting up %s = %d (%s)", path, r,
			  test_errname(r));
	return r;
}

/* NSWAP is even: everything is back where it started. */
static int swap_check(daxfs *fs, struct test_err *e)
{
	struct stat st;
	char path[64];

	for (int i = 0; i < NSWAPPERS; i++) {
		const char *side = i % 2 ? "/y" : "/x";

		snprintf(path, sizeof(path), "%s/d%d/in", side, i);
		if (daxfs_stat(fs, path, &st))
			break;
		snprintf(path, sizeof(path), "%s/f%d", side, i);
		if (daxfs_stat(fs, path, &st) ||
		    st.st_size != (off_t)strlen(path))
			break;
		path[0] = '\0';
	}
	if (path[0]) {
		test_fail(e, "%s is not where it started", path);
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (daxfs_stat(fs, i ? "/y" : "/x", &st) ||
		    st.st_nlink != 2 + NSWAPPERS / 2) {
			test_fail(e, "%s: nlink %lu", i ? "/y" : "/x",
				  (unsigned long)st.st_nlink);
			return -1;
		}
	return 0;
}

int scen_crossing_renames(daxfs *fs, struct test_err *e)
{
	struct swapper sw[NSWAPPERS];
	char who[32];
	int r = daxfs_mkdir(fs, "/x", 0755);

	if (r || (r = daxfs_mkdir(fs, "/y", 0755))) {
		test_fail(e, "mkdir /x, /y = %d", r);
		return -1;
	}
	memset(sw, 0, sizeof(sw));
	for (int i = 0; i < NSWAPPERS; i++) {
		if (swap_setup(fs, i, e))
			return -1;
		sw[i].fs = fs;
		sw[i].id = i;
	}
	run_all(swap_main, sw, sizeof(sw[0]), NSWAPPERS, e);
	for (int i = 0; i < NSWAPPERS; i++) {
		snprintf(who, sizeof(who), "swapper %d", i);
		test_fail_pass(e, who, &sw[i].err);
	}
	if (atomic_load(&e->count))
		return -1;
	return swap_check(fs, e);
}

/* ---- lookups racing with unlink and rename -------------------------- */

struct churn {
	daxfs *fs;
	atomic_int stop;
	struct test_err err;
	long rounds;
};

/* Create, write, rename, unlink /r/x over and over. */
static void *churn_main(void *arg)
{
	struct churn *c = arg;

	for (long i = 0; i < 20000 && !c->err.count; i++) {
		daxfs_file *f = NULL;
		int r = daxfs_open(c->fs, "/r/x", O_CREAT | O_EXCL | O_WRONLY,
				   0644, &f);

		if (r) {
			test_fail(&c->err, "create /r/x = %d (%s)", r,
				  test_errname(r));
			break;
		}
		daxfs_pwrite(f, "data", 4, 0);
		daxfs_close(f);
		r = i % 2 ? daxfs_rename(c->fs, "/r/x", "/r/y") : 0;
		if (!r)
			r = daxfs_unlink(c->fs, i % 2 ? "/r/y" : "/r/x");
		if (r) {
			test_fail(&c->err, "rename/unlink = %d (%s)", r,
				  test_errname(r));
			break;
		}
		c->rounds++;
	}
	atomic_store(&c->stop, 1);
	return NULL;
}

struct looker {
	struct churn *c;
	int kind; /* 0 stat, 1 open+read; 2 the churn thread itself */
	struct test_err err;
	long ok, enoent;
};

/* Look n up once: 0, -ENOENT, or another error (recorded). */
static int look_once(struct looker *l, const char *n)
{
	daxfs_file *f = NULL;
	struct stat st;
	char b[8];
	ssize_t got;
	int r;

	if (l->kind == 0)
		return daxfs_stat(l->c->fs, n, &st);
	r = daxfs_open(l->c->fs, n, O_RDONLY, 0, &f);
	if (r)
		return r;
	got = daxfs_pread(f, b, sizeof(b), 0);
	daxfs_close(f);
	if (got < 0 || got > 4) {
		test_fail(&l->err, "pread of %s = %zd", n, got);
		return -EIO;
	}
	return 0;
}

/* Look up /r/x and /r/y until the churn stops. */
static void *looker_main(void *arg)
{
	struct looker *l = arg;
	const char *names[2] = { "/r/x", "/r/y" };
	long i = 0;

	if (l->kind == 2)
		return churn_main(l->c);
	while (!atomic_load(&l->c->stop) && !l->err.count) {
		const char *n = names[i++ % 2];
		int r = look_once(l, n);

		if (r == 0)
			l->ok++;
		else if (r == -ENOENT)
			l->enoent++;
		else if (!l->err.count)
			test_fail(&l->err, "%s(%s) racing with unlink/rename "
				  "= %d (%s), expected 0 or -ENOENT",
				  l->kind ? "open" : "stat", n, r,
				  test_errname(r));
	}
	return NULL;
}

int scen_lookup_race(daxfs *fs, struct test_err *e)
{
	struct churn c;
	struct looker l[4];
	char who[64];
	int r = daxfs_mkdir(fs, "/r", 0755);

	if (r) {
		test_fail(e, "mkdir /r = %d", r);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	memset(l, 0, sizeof(l));
	c.fs = fs;
	for (int i = 0; i < 4; i++) {
		l[i].c = &c;
		l[i].kind = i == 3 ? 2 : i % 2;
	}
	run_all(looker_main, l, sizeof(l[0]), 4, e);
	test_fail_pass(e, "churn", &c.err);
	for (int i = 0; i < 3; i++) {
		snprintf(who, sizeof(who), "looker %d (%ld found, %ld ENOENT)",
			 i, l[i].ok, l[i].enoent);
		test_fail_pass(e, who, &l[i].err);
	}
	return atomic_load(&e->count) ? -1 : 0;
}

/* ---- disjoint writes through one handle ----------------------------- */

#define NREGIONS 8
#define REGION (256 * 1024)

struct region_writer {
	daxfs_file *f;
	int idx;
	struct test_err err;
};

/* Write region idx in random pieces, reading each back at once. */
static void *region_main(void *arg)
{
	struct region_writer *r = arg;
	uint64_t rng = (uint64_t)r->idx + 99, seed = 500 + (uint64_t)r->idx;
	off_t base = (off_t)r->idx * REGION;
	unsigned char buf[9000];
	size_t done = 0;

	while (done < REGION) {
		size_t n = 1 + (size_t)(test_rand(&rng) % sizeof(buf));
		off_t at = base + (off_t)done;
		ssize_t w, rd;

		if (n > REGION - done)
			n = REGION - done;
		test_pattern(buf, n, seed, (uint64_t)at);
		w = daxfs_pwrite(r->f, buf, n, at);
		if (w != (ssize_t)n) {
			test_fail(&r->err, "pwrite = %zd (%s)", w,
				  test_errname(w));
			return NULL;
		}
		done += n;
		/* Read back what was just written while others write around. */
		rd = daxfs_pread(r->f, buf, n, at);
		if (rd != (ssize_t)n ||
		    test_pattern_mismatch(buf, n, seed, (uint64_t)at) >= 0) {
			test_fail(&r->err, "read back at %lld = %zd, data "
				  "wrong", (long long)at, rd);
			return NULL;
		}
	}
	return NULL;
}

/* /shared is exactly the writers' regions. */
static int regions_check(daxfs_file *f, struct test_err *e)
{
	unsigned char *buf = malloc(REGION);
	struct stat st;
	int bad = -1;

	if (!buf || daxfs_fstat(f, &st) || st.st_size != NREGIONS * REGION) {
		test_fail(e, "/shared: size %lld, want %d",
			  (long long)st.st_size, NREGIONS * REGION);
		free(buf);
		return -1;
	}
	for (int i = 0; i < NREGIONS && bad < 0; i++)
		if (daxfs_pread(f, buf, REGION, (off_t)i * REGION) != REGION ||
		    test_pattern_mismatch(buf, REGION, 500 + (uint64_t)i,
					  (uint64_t)i * REGION) >= 0)
			bad = i;
	if (bad >= 0)
		test_fail(e, "/shared: region %d differs", bad);
	free(buf);
	return bad >= 0 ? -1 : 0;
}

int scen_disjoint_writes(daxfs *fs, struct test_err *e)
{
	struct region_writer rw[NREGIONS];
	daxfs_file *f = NULL;
	char who[32];
	int r = daxfs_open(fs, "/shared", O_CREAT | O_RDWR, 0644, &f);

	if (r) {
		test_fail(e, "open /shared = %d", r);
		return -1;
	}
	memset(rw, 0, sizeof(rw));
	for (int i = 0; i < NREGIONS; i++) {
		rw[i].f = f;
		rw[i].idx = i;
	}
	run_all(region_main, rw, sizeof(rw[0]), NREGIONS, e);
	for (int i = 0; i < NREGIONS; i++) {
		snprintf(who, sizeof(who), "writer %d", i);
		test_fail_pass(e, who, &rw[i].err);
	}
	if (!atomic_load(&e->count))
		regions_check(f, e);
	r = daxfs_close(f);
	if (r)
		test_fail(e, "close /shared = %d", r);
	return atomic_load(&e->count) ? -1 : 0;
}

/* ---- truncate racing with reads and writes -------------------------- */

#define TSIZE (200 * 1024)
#define TSEED 777

struct trunc_thread {
	daxfs_file *f;
	int kind; /* 0 truncate+rewrite, 1 reader, 2 reader + tail writer */
	struct test_err err;
	long rounds;
};

/* Truncate to a random size, then write the whole pattern again. */
static int trunc_round(struct trunc_thread *t, unsigned char *buf,
		       uint64_t *rng)
{
	off_t to = (off_t)(test_rand(rng) % TSIZE);
	int r = daxfs_ftruncate(t->f, to);
	ssize_t w;

	if (r) {
		test_fail(&t->err, "ftruncate(%lld) = %d (%s)", (long long)to,
			  r, test_errname(r));
		return -1;
	}
	test_pattern(buf, TSIZE, TSEED, 0);
	w = daxfs_pwrite(t->f, buf, TSIZE, 0);
	if (w != TSIZE) {
		test_fail(&t->err, "pwrite = %zd (%s)", w, test_errname(w));
		return -1;
	}
	return 0;
}

/* Read a random range: every byte is the pattern or zero (a hole or a
 * truncated-then-extended range); kind 2 then extends past the end. */
static int read_round(struct trunc_thread *t, unsigned char *buf,
		      uint64_t *rng)
{
	off_t off = (off_t)(test_rand(rng) % (2 * TSIZE));
	size_t n = 1 + (size_t)(test_rand(rng) % 32768);
	ssize_t r = daxfs_pread(t->f, buf, n, off), w;
	unsigned char want[32768];

	if (r < 0 || (size_t)r > n) {
		test_fail(&t->err, "pread(%zu @ %lld) = %zd (%s)", n,
			  (long long)off, r, test_errname(r));
		return -1;
	}
	test_pattern(want, (size_t)r, TSEED, (uint64_t)off);
	for (ssize_t k = 0; k < r; k++)
		if (buf[k] && buf[k] != want[k]) {
			test_fail(&t->err, "byte %lld is %#x: neither the data "
				  "nor zero", (long long)off + k, buf[k]);
			return -1;
		}
	if (t->kind != 2)
		return 0;
	test_pattern(buf, 4096, TSEED, TSIZE);
	w = daxfs_pwrite(t->f, buf, 4096, TSIZE);
	if (w != 4096) {
		test_fail(&t->err, "tail pwrite = %zd (%s)", w,
			  test_errname(w));
		return -1;
	}
	return 0;
}

/* 400 rounds of the thread's kind. */
static void *trunc_main(void *arg)
{
	struct trunc_thread *t = arg;
	unsigned char *buf = malloc(TSIZE);
	uint64_t rng = 1234 + (uint64_t)t->kind;

	for (long i = 0; i < 400 && !t->err.count; i++) {
		if ((t->kind == 0 ? trunc_round(t, buf, &rng)
				  : read_round(t, buf, &rng)))
			break;
		t->rounds++;
	}
	free(buf);
	return NULL;
}

int scen_truncate_race(daxfs *fs, struct test_err *e)
{
	struct trunc_thread t[4];
	struct statvfs s0, s1;
	daxfs_file *f = NULL;
	char who[64];
	int r = daxfs_statfs(fs, &s0);

	if (r || (r = daxfs_open(fs, "/t", O_CREAT | O_RDWR, 0644, &f))) {
		test_fail(e, "statfs/open /t = %d", r);
		return -1;
	}
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++) {
		t[i].f = f;
		t[i].kind = i == 0 ? 0 : i == 3 ? 2 : 1;
	}
	run_all(trunc_main, t, sizeof(t[0]), 4, e);
	for (int i = 0; i < 4; i++) {
		snprintf(who, sizeof(who), "thread %d (kind %d, %ld rounds)",
			 i, t[i].kind, t[i].rounds);
		test_fail_pass(e, who, &t[i].err);
	}
	/* Every allocated block is accounted for. */
	r = daxfs_ftruncate(f, 0);
	if (daxfs_close(f) && !r)
		r = -EIO;
	if (!r)
		r = daxfs_unlink(fs, "/t");
	if (!r)
		r = daxfs_statfs(fs, &s1);
	if (r)
		test_fail(e, "removing /t = %d", r);
	else if (s1.f_bfree != s0.f_bfree)
		test_fail(e, "f_bfree %lu after removing /t, %lu at start",
			  (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	return atomic_load(&e->count) ? -1 : 0;
}
