/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_fs.c -- ThreadSanitizer stress of the namespace and file paths, a
 * standalone program (Criterion cannot run under TSan).
 *
 *   1. mixed: workers create, write, read back, rename and unlink files in
 *      private and shared directories while observers readdir and stat;
 *      every worker's files hold its data and the directories end up
 *      holding exactly what the workers left;
 *   2. append: two threads O_APPEND records to one file: none lost or torn;
 *   3. excl: O_EXCL creates, unlinks and mkdir/rmdir racing on one name
 *      have exactly one winner per round;
 *   4. cross-rename: renames between two directories in opposite
 *      directions do not deadlock;
 *   5. reuse: readers of a file race a writer that truncates and rewrites
 *      it while another file takes the blocks it freed: a read returns
 *      one whole generation of the file, never the other file's bytes
 *      (the lock-free extent cache must forget freed blocks);
 * then unmount and "e2fsck -fn" must exit 0.  A watchdog thread ends the
 * program with status 3 if it does not finish in time; any TSan report
 * ends it too (TSAN_OPTIONS=halt_on_error=1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

#include "tsan_util.h"

static daxfs *fs;

/* ------------------------------------------------------------------ */
/* 1. mixed workload                                                   */
/* ------------------------------------------------------------------ */

#define NWORKERS 4
#define NOBSERVERS 2
#define NSHARED 2
#define MAXF 24
#define MAXSIZE 20000
#define MIXED_SECONDS 4.0

struct tfile {
	int live;
	char dir[16];
	char name[32];
	uint64_t seed;
	size_t size;
};

struct worker {
	pthread_t th;
	int id;
	uint64_t rng;
	unsigned counter;
	long ops;
	struct tfile files[MAXF];
};

static struct worker workers[NWORKERS];
static atomic_bool mixed_stop;
static struct test_err mixed_err;
static atomic_long observed_entries, observed_stats;

static void pick_dir(struct worker *w, char *dir)
{
	unsigned r = test_rand(&w->rng) % (NSHARED + 1);

	if (r == NSHARED)
		sprintf(dir, "/p%d", w->id);
	else
		sprintf(dir, "/s%u", r);
}

static int write_file(const char *path, uint64_t seed, size_t size)
{
	daxfs_file *f = NULL;
	unsigned char *buf;
	ssize_t n = 0;
	int r;

	r = daxfs_open(fs, path, O_RDWR | O_CREAT | O_EXCL, 0644, &f);
	if (r) {
		test_fail(&mixed_err, "open(%s, O_CREAT|O_EXCL) = %s", path,
			  test_errname(r));
		return -1;
	}
	buf = malloc(size + 1);
	test_pattern(buf, size, seed, 0);
	/* Two writes, so that files grow under readers. */
	if (size)
		n = daxfs_pwrite(f, buf + size / 2, size - size / 2, size / 2);
	if (n == (ssize_t)(size - size / 2) && size / 2)
		n += daxfs_pwrite(f, buf, size / 2, 0);
	free(buf);
	if (n != (ssize_t)size) {
		test_fail(&mixed_err, "pwrite(%s, %zu) = %zd", path, size, n);
		daxfs_close(f);
		return -1;
	}
	r = daxfs_close(f);
	if (r)
		test_fail(&mixed_err, "close(%s) = %s", path, test_errname(r));
	return r ? -1 : 0;
}

static int check_file(const char *path, uint64_t seed, size_t size)
{
	daxfs_file *f = NULL;
	struct stat st;
	unsigned char *buf;
	ssize_t n;
	long bad;
	int r;

	r = daxfs_open(fs, path, O_RDONLY, 0, &f);
	if (r) {
		test_fail(&mixed_err, "open(%s) = %s", path, test_errname(r));
		return -1;
	}
	r = daxfs_fstat(f, &st);
	if (r || st.st_size != (off_t)size || !S_ISREG(st.st_mode)) {
		test_fail(&mixed_err, "fstat(%s) = %s, size %lld, expected %zu",
			  path, test_errname(r), (long long)st.st_size, size);
		daxfs_close(f);
		return -1;
	}
	buf = malloc(size + 1);
	n = daxfs_pread(f, buf, size + 1, 0);
	bad = n == (ssize_t)size ? test_pattern_mismatch(buf, size, seed,
							 0) : -1;
	free(buf);
	daxfs_close(f);
	if (n != (ssize_t)size) {
		test_fail(&mixed_err, "pread(%s) = %zd, expected %zu", path, n,
			  size);
		return -1;
	}
	if (bad >= 0) {
		test_fail(&mixed_err, "%s: data differs at offset %ld", path,
			  bad);
		return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char path[64], to[64];

	while (!atomic_load(&mixed_stop) && !atomic_load(&mixed_err.count)) {
		unsigned r = test_rand(&w->rng);
		struct tfile *t = &w->files[r % MAXF];
		int ret;

		snprintf(path, sizeof(path), "%s/%s", t->dir, t->name);
		if (!t->live) {
			pick_dir(w, t->dir);
			snprintf(t->name, sizeof(t->name), "w%d-%u", w->id,
				 w->counter++);
			t->seed = test_rand(&w->rng);
			t->size = test_rand(&w->rng) % MAXSIZE;
			snprintf(path, sizeof(path), "%s/%s", t->dir, t->name);
			if (write_file(path, t->seed, t->size))
				break;
			t->live = 1;
		} else {
			switch ((r >> 8) % 4) {
			case 0: case 1:
				if (check_file(path, t->seed, t->size))
					goto out;
				break;
			case 2: {
				struct tfile n = *t;

				pick_dir(w, n.dir);
				snprintf(n.name, sizeof(n.name), "w%d-%u",
					 w->id, w->counter++);
				snprintf(to, sizeof(to), "%s/%s", n.dir, n.name);
				ret = daxfs_rename(fs, path, to);
				if (ret) {
					test_fail(&mixed_err,
						  "rename(%s, %s) = %s",
						  path, to, test_errname(ret));
					goto out;
				}
				*t = n;
				break;
			}
			default:
				ret = daxfs_unlink(fs, path);
				if (ret) {
					test_fail(&mixed_err, "unlink(%s) = %s",
						  path, test_errname(ret));
					goto out;
				}
				t->live = 0;
				break;
			}
		}
		w->ops++;
	}
out:
	return NULL;
}

struct obs_ctx {
	const char *dir;
	long entries;
};

static int obs_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct obs_ctx *c = arg;
	char path[64];
	struct stat st;
	int r;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	c->entries++;
	if (ino == 0) {
		test_fail(&mixed_err, "readdir(%s): %s has inode 0", c->dir,
			  name);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	/* The callback runs with no lock held: stat may race with renames
	 * and unlinks, so ENOENT is allowed. */
	r = daxfs_stat(fs, path, &st);
	if (r == 0) {
		atomic_fetch_add(&observed_stats, 1);
		if (type != DAXFS_DT_REG && type != DAXFS_DT_UNKNOWN)
			test_fail(&mixed_err, "readdir(%s): %s has type %u",
				  c->dir, name, type);
	} else if (r != -ENOENT) {
		test_fail(&mixed_err, "stat(%s) = %s", path, test_errname(r));
		return 1;
	}
	return 0;
}

static void *observer_main(void *arg)
{
	uint64_t rng = (uintptr_t)arg;
	char dir[16];

	while (!atomic_load(&mixed_stop) && !atomic_load(&mixed_err.count)) {
		unsigned r = test_rand(&rng) % (NSHARED + NWORKERS);
		struct obs_ctx c = { dir, 0 };
		int ret;

		if (r < NSHARED)
			sprintf(dir, "/s%u", r);
		else
			sprintf(dir, "/p%u", r - NSHARED);
		ret = daxfs_readdir(fs, dir, obs_cb, &c);
		if (ret) {
			test_fail(&mixed_err, "readdir(%s) = %d", dir, ret);
			break;
		}
		atomic_fetch_add(&observed_entries, c.entries);
		struct statvfs sv;
		ret = daxfs_statfs(fs, &sv);
		if (ret)
			test_fail(&mixed_err, "statfs = %s", test_errname(ret));
	}
	return NULL;
}

struct list_ctx {
	char names[NWORKERS * MAXF][32];
	int n, overflow;
};

static int list_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct list_ctx *c = arg;

	(void)ino;
	(void)type;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (c->n == NWORKERS * MAXF) {
		c->overflow = 1;
		return 0;
	}
	snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", name);
	return 0;
}

/* Does dir hold exactly the live files the workers put there? */
static void check_dir(const char *dir)
{
	static struct list_ctx c;
	int expect = 0, missing = 0, r;

	memset(&c, 0, sizeof(c));
	r = daxfs_readdir(fs, dir, list_cb, &c);
	for (int i = 0; i < NWORKERS; i++)
		for (int j = 0; j < MAXF; j++) {
			struct tfile *t = &workers[i].files[j];
			int found = 0;

			if (!t->live || strcmp(t->dir, dir))
				continue;
			expect++;
			for (int k = 0; k < c.n; k++)
				found |= !strcmp(c.names[k], t->name);
			missing += !found;
		}
	TU_CHECK(r == 0 && !c.overflow && c.n == expect && missing == 0,
		 "mixed: %s holds exactly the %d files left there (readdir %s,"
		 " %d entries, %d missing)", dir, expect, test_errname(r), c.n,
		 missing);
}

static void scenario_mixed(void)
{
	pthread_t obs[NOBSERVERS];
	char dir[16];
	long ops = 0;
	int bad = 0;

	for (int i = 0; i < NSHARED; i++) {
		sprintf(dir, "/s%d", i);
		daxfs_mkdir(fs, dir, 0755);
	}
	for (int i = 0; i < NWORKERS; i++) {
		sprintf(dir, "/p%d", i);
		daxfs_mkdir(fs, dir, 0755);
		workers[i].id = i;
		workers[i].rng = 1000 + i;
	}
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	for (int i = 0; i < NOBSERVERS; i++)
		pthread_create(&obs[i], NULL, observer_main,
			       (void *)(uintptr_t)(77 + i));
	double end = test_now() + MIXED_SECONDS;
	while (test_now() < end && !atomic_load(&mixed_err.count))
		usleep(20000);
	atomic_store(&mixed_stop, true);
	for (int i = 0; i < NWORKERS; i++) {
		pthread_join(workers[i].th, NULL);
		ops += workers[i].ops;
	}
	for (int i = 0; i < NOBSERVERS; i++)
		pthread_join(obs[i], NULL);
	TU_CHECK(atomic_load(&mixed_err.count) == 0, "mixed: %d workers, %ld "
		 "operations, %ld entries listed and %ld stats by %d observers: "
		 "no error%s%s", NWORKERS, ops, atomic_load(&observed_entries),
		 atomic_load(&observed_stats), NOBSERVERS,
		 mixed_err.count ? "; first: " : "", mixed_err.msg);
	TU_CHECK(ops >= 100, "mixed: progress (%ld operations)", ops);
	/* Every live file holds its data (single-threaded now). */
	for (int i = 0; i < NWORKERS; i++)
		for (int j = 0; j < MAXF; j++) {
			struct tfile *t = &workers[i].files[j];
			char path[64];

			if (!t->live)
				continue;
			snprintf(path, sizeof(path), "%s/%s", t->dir, t->name);
			bad += check_file(path, t->seed, t->size) != 0;
		}
	TU_CHECK(bad == 0, "mixed: every file left holds its data (%d bad%s%s)",
		 bad, bad ? "; first: " : "", mixed_err.msg);
	for (int i = 0; i < NSHARED; i++) {
		sprintf(dir, "/s%d", i);
		check_dir(dir);
	}
	for (int i = 0; i < NWORKERS; i++) {
		sprintf(dir, "/p%d", i);
		check_dir(dir);
	}
}

/* ------------------------------------------------------------------ */
/* 2. O_APPEND from two threads                                        */
/* ------------------------------------------------------------------ */

#define REC 64
#define NREC 4000

struct app_ctx {
	pthread_t th;
	int id;
	daxfs_file *f;
	int err;
};

static void *append_main(void *arg)
{
	struct app_ctx *a = arg;
	unsigned char rec[REC];

	for (int i = 0; i < NREC; i++) {
		memset(rec, 'A' + a->id, REC);
		snprintf((char *)rec, REC, "T%d seq %08d", a->id, i);
		rec[strlen((char *)rec)] = 'A' + a->id; /* no NUL inside */
		ssize_t n = daxfs_pwrite(a->f, rec, REC, 0);
		if (n != REC) {
			a->err = (int)n;
			break;
		}
	}
	return NULL;
}

static void scenario_append(void)
{
	struct app_ctx a[2];
	daxfs_file *f = NULL;
	struct stat st;
	unsigned char *buf;
	int next[2] = { 0, 0 }, bad = 0, r;
	ssize_t n;

	for (int i = 0; i < 2; i++) {
		a[i].id = i;
		a[i].err = 0;
		r = daxfs_open(fs, "/append", O_WRONLY | O_CREAT | O_APPEND,
			       0644, &a[i].f);
		if (!TU_CHECK(r == 0, "append: open O_APPEND: %s",
			      test_errname(r)))
			return;
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&a[i].th, NULL, append_main, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(a[i].th, NULL);
	TU_CHECK(a[0].err == 0 && a[1].err == 0, "append: 2 x %d appends of %d"
		 " bytes succeed (%s, %s)", NREC, REC, test_errname(a[0].err),
		 test_errname(a[1].err));
	for (int i = 0; i < 2; i++)
		daxfs_close(a[i].f);
	r = daxfs_open(fs, "/append", O_RDONLY, 0, &f);
	if (!TU_CHECK(r == 0, "append: reopen: %s", test_errname(r)))
		return;
	daxfs_fstat(f, &st);
	TU_CHECK(st.st_size == 2 * NREC * REC, "append: size %lld == %d",
		 (long long)st.st_size, 2 * NREC * REC);
	buf = malloc(2 * NREC * REC);
	n = daxfs_pread(f, buf, 2 * NREC * REC, 0);
	daxfs_close(f);
	for (ssize_t off = 0; off + REC <= n && !bad; off += REC) {
		unsigned char *rec = buf + off, exp[REC];
		int id = rec[1] - '0';

		if (rec[0] != 'T' || (id != 0 && id != 1)) {
			bad = 1;
			fprintf(stderr, "append: record at %zd is torn\n", off);
			break;
		}
		memset(exp, 'A' + id, REC);
		snprintf((char *)exp, REC, "T%d seq %08d", id, next[id]);
		exp[strlen((char *)exp)] = 'A' + id;
		if (memcmp(exp, rec, REC)) {
			bad = 1;
			fprintf(stderr, "append: record at %zd: expected thread"
				" %d seq %d, got \"%.*s\"\n", off, id, next[id],
				REC, rec);
		}
		next[id]++;
	}
	free(buf);
	TU_CHECK(n == 2 * NREC * REC && !bad && next[0] == NREC &&
		 next[1] == NREC, "append: every record whole, once, in each "
		 "thread's order (read %zd, %d + %d records)", n, next[0],
		 next[1]);
}

/* ------------------------------------------------------------------ */
/* 3. one winner per round                                             */
/* ------------------------------------------------------------------ */

#define NEXCL 4
#define EXCL_ROUNDS 1000

static pthread_barrier_t excl_bar;
static atomic_int excl_wins[EXCL_ROUNDS][4];
static atomic_int excl_other;

static void *excl_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < EXCL_ROUNDS; i++) {
		char path[32], dpath[32];
		daxfs_file *f = NULL;
		int r;

		snprintf(path, sizeof(path), "/x/r%d", i);
		snprintf(dpath, sizeof(dpath), "/x/d%d", i % 7);
		pthread_barrier_wait(&excl_bar);
		r = daxfs_open(fs, path, O_RDWR | O_CREAT | O_EXCL, 0644, &f);
		if (r == 0) {
			atomic_fetch_add(&excl_wins[i][0], 1);
			daxfs_close(f);
		} else if (r != -EEXIST) {
			atomic_fetch_add(&excl_other, 1);
		}
		r = daxfs_mkdir(fs, dpath, 0755);
		if (r == 0)
			atomic_fetch_add(&excl_wins[i][2], 1);
		else if (r != -EEXIST)
			atomic_fetch_add(&excl_other, 1);
		pthread_barrier_wait(&excl_bar);
		r = daxfs_unlink(fs, path);
		if (r == 0)
			atomic_fetch_add(&excl_wins[i][1], 1);
		else if (r != -ENOENT)
			atomic_fetch_add(&excl_other, 1);
		r = daxfs_rmdir(fs, dpath);
		if (r == 0)
			atomic_fetch_add(&excl_wins[i][3], 1);
		else if (r != -ENOENT)
			atomic_fetch_add(&excl_other, 1);
	}
	return NULL;
}

static void scenario_excl(void)
{
	pthread_t th[NEXCL];
	int bad = 0, first = -1;

	daxfs_mkdir(fs, "/x", 0755);
	pthread_barrier_init(&excl_bar, NULL, NEXCL);
	for (int i = 0; i < NEXCL; i++)
		pthread_create(&th[i], NULL, excl_main, NULL);
	for (int i = 0; i < NEXCL; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&excl_bar);
	for (int i = 0; i < EXCL_ROUNDS; i++)
		for (int k = 0; k < 4; k++)
			if (atomic_load(&excl_wins[i][k]) != 1) {
				if (first < 0)
					first = i * 4 + k;
				bad++;
			}
	TU_CHECK(bad == 0 && atomic_load(&excl_other) == 0, "excl: %d rounds "
		 "of %d threads: exactly one O_EXCL create, unlink, mkdir and "
		 "rmdir wins each round (%d bad, first round %d op %d; %d "
		 "unexpected errors)", EXCL_ROUNDS, NEXCL, bad,
		 first < 0 ? -1 : first / 4, first < 0 ? -1 : first % 4,
		 atomic_load(&excl_other));
}

/* ------------------------------------------------------------------ */
/* 4. opposite cross-directory renames                                 */
/* ------------------------------------------------------------------ */

#define XREN_ITERS 1500

static atomic_int xren_err;

static void *xren_main(void *arg)
{
	int dir = (int)(uintptr_t)arg;
	const char *a = dir ? "/ra" : "/rb", *b = dir ? "/rb" : "/ra";
	char p1[64], p2[64];

	for (int i = 0; i < XREN_ITERS; i++) {
		/* Move a file a -> b and back: directory pairs locked in
		 * opposite orders by the two threads. */
		snprintf(p1, sizeof(p1), "%s/file%d", a, dir);
		snprintf(p2, sizeof(p2), "%s/file%d", b, dir);
		if (daxfs_rename(fs, p1, p2) || daxfs_rename(fs, p2, p1)) {
			atomic_fetch_add(&xren_err, 1);
			break;
		}
		/* And a directory, which moves ".." too. */
		snprintf(p1, sizeof(p1), "%s/dir%d", a, dir);
		snprintf(p2, sizeof(p2), "%s/dir%d", b, dir);
		if (daxfs_rename(fs, p1, p2) || daxfs_rename(fs, p2, p1)) {
			atomic_fetch_add(&xren_err, 1);
			break;
		}
	}
	return NULL;
}

static void scenario_cross_rename(void)
{
	pthread_t th[2];
	daxfs_file *f;
	char p[32];

	daxfs_mkdir(fs, "/ra", 0755);
	daxfs_mkdir(fs, "/rb", 0755);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/file%d", i ? "/ra" : "/rb", i);
		if (daxfs_open(fs, p, O_RDWR | O_CREAT, 0644, &f) == 0)
			daxfs_close(f);
		snprintf(p, sizeof(p), "%s/dir%d", i ? "/ra" : "/rb", i);
		daxfs_mkdir(fs, p, 0755);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, xren_main, (void *)(uintptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	TU_CHECK(atomic_load(&xren_err) == 0, "cross-rename: 2 x %d file and "
		 "directory renames in opposite directions, no error, no "
		 "deadlock", XREN_ITERS);
}

/* ------------------------------------------------------------------ */
/* 5. reads vs truncate, with the freed blocks reused                  */
/* ------------------------------------------------------------------ */

#define REUSE_SIZE (256 * 1024)
#define REUSE_ROUNDS 20
#define REUSE_THIEF 0xEE

static atomic_bool reuse_stop;
static atomic_long reuse_reads, reuse_bad;

static void *reuse_reader(void *arg)
{
	daxfs_file *f = arg;
	unsigned char *buf = malloc(64 * 1024);
	uint64_t rng = (uintptr_t)arg;

	while (!atomic_load(&reuse_stop)) {
		off_t off = (off_t)(test_rand(&rng) % (REUSE_SIZE / 4096)) * 4096;
		ssize_t n = daxfs_pread(f, buf, 64 * 1024, off);

		for (ssize_t i = 1; i < n; i++)
			if (buf[i] != buf[0])
				n = -1000;
		if (n < 0 || (n > 0 && (buf[0] == 0 || buf[0] == REUSE_THIEF))) {
			if (atomic_fetch_add(&reuse_bad, 1) == 0)
				fprintf(stderr, "reuse: pread at %lld: %zd, "
					"first byte %#x\n", (long long)off, n,
					n > 0 ? buf[0] : 0);
		}
		atomic_fetch_add(&reuse_reads, 1);
	}
	free(buf);
	return NULL;
}

static void scenario_reuse(void)
{
	unsigned char *data = malloc(REUSE_SIZE), *steal = malloc(1 << 20);
	daxfs_file *f = NULL, *t = NULL, *d = NULL, *rf[2] = { NULL, NULL };
	pthread_t th[2];
	int r, wrong = 0;

	r = daxfs_open(fs, "/reuse", O_RDWR | O_CREAT | O_TRUNC, 0644, &f);
	if (!r)
		r = daxfs_open(fs, "/thief", O_RDWR | O_CREAT | O_TRUNC, 0644,
			       &t);
	if (!r)
		r = daxfs_open(fs, "/donor", O_RDWR | O_CREAT | O_TRUNC, 0644,
			       &d);
	for (int i = 0; i < 2 && !r; i++)
		r = daxfs_open(fs, "/reuse", O_RDONLY, 0, &rf[i]);
	if (!TU_CHECK(r == 0, "reuse: open: %s", test_errname(r)))
		return;
	memset(steal, REUSE_THIEF, 1 << 20);
	memset(data, 1, REUSE_SIZE);
	if (daxfs_pwrite(f, data, REUSE_SIZE, 0) != REUSE_SIZE)
		wrong++;
	atomic_store(&reuse_stop, false);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reuse_reader, rf[i]);
	for (int g = 0; g < REUSE_ROUNDS && !wrong; g++) {
		off_t tsize = 0;
		ssize_t n;

		/* A donor takes room; the file's blocks are freed and the
		 * thief fills the file system, taking them; the donor gives
		 * its blocks back and the file is written there. */
		wrong += daxfs_pwrite(d, steal, REUSE_SIZE, 0) != REUSE_SIZE;
		wrong += daxfs_ftruncate(f, 0) != 0;
		while ((n = daxfs_pwrite(t, steal, 1 << 20, tsize)) > 0)
			tsize += n;
		wrong += n != -ENOSPC;
		wrong += daxfs_ftruncate(d, 0) != 0;
		memset(data, 2 + g % 200, REUSE_SIZE);
		wrong += daxfs_pwrite(f, data, REUSE_SIZE, 0) != REUSE_SIZE;
		wrong += daxfs_ftruncate(t, 0) != 0;
	}
	atomic_store(&reuse_stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	TU_CHECK(!wrong, "reuse: %d rounds of truncate, steal, rewrite "
		 "succeed", REUSE_ROUNDS);
	TU_CHECK(atomic_load(&reuse_bad) == 0 && atomic_load(&reuse_reads) > 0,
		 "reuse: %ld reads racing truncate and reuse each saw one "
		 "whole generation (%ld did not)", atomic_load(&reuse_reads),
		 atomic_load(&reuse_bad));
	for (int i = 0; i < 2; i++)
		daxfs_close(rf[i]);
	daxfs_close(t);
	daxfs_close(d);
	daxfs_close(f);
	daxfs_unlink(fs, "/thief");
	daxfs_unlink(fs, "/donor");
	daxfs_unlink(fs, "/reuse");
	free(data);
	free(steal);
}

/* Usage: tsan_fs [mixed] [append] [excl] [cross-rename] [reuse]
 * (default: all). */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scenarios[] = {
		{ "mixed", scenario_mixed },
		{ "append", scenario_append },
		{ "excl", scenario_excl },
		{ "cross-rename", scenario_cross_rename },
		{ "reuse", scenario_reuse },
	};
	const char *path = test_image_path("fs");
	double t0 = test_now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	TU_CHECK(test_watchdog_start("tsan_fs", 120, 0, NULL) != NULL,
		 "watchdog armed: 120 s");
	printf("tsan_fs: image %s\n", path);
	fs = tu_new_fs(path, 64 * TEST_MIB, 8192);
	if (!fs)
		return tu_finish("tsan_fs");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!tu_wanted(argc, argv, scenarios[i].name))
			continue;
		scenarios[i].fn();
		printf("  (%s done at %.1f s)\n", scenarios[i].name,
		       test_now() - t0);
	}
	tu_unmount_fsck(fs, path);
	printf("  (total %.1f s)\n", test_now() - t0);
	return tu_finish("tsan_fs");
}
