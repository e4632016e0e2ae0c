/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scen_mixed.c -- the mixed-workload scenario of scenarios.h: workers and
 * observers on shared and private directories, then the directories
 * checked against what the workers left.  No Criterion (the TSan
 * programs run it too): threads record their first failure in their own
 * struct test_err, passed on to the caller's.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define NWORKERS 6
#define NOBSERVERS 2
#define NSHARED 3
#define MAXF 48

struct tfile {
	int live;
	char dir[32];
	char name[48];
	uint64_t seed;
	size_t size;
};

struct scen_mixed;

struct worker {
	pthread_t th;
	int id, iters;
	daxfs *fs;
	struct scen_mixed *m;
	uint64_t rng;
	struct tfile files[MAXF];
	unsigned next_name;
	int has_dir;      /* a private subdir in a shared dir */
	char subdir[64];  /* its path */
	char subfile[96]; /* the file in it */
	uint64_t subseed;
	struct test_err err;
	int ops;
};

struct observer {
	pthread_t th;
	daxfs *fs;
	struct scen_mixed *m;
	uint64_t rng;
	struct test_err err;
	int listings;
};

struct scen_mixed {
	struct worker ws[NWORKERS];
	struct observer os[NOBSERVERS];
	atomic_int running; /* workers not done yet */
};

static const char *shared_dir(int i)
{
	static const char *d[NSHARED] = { "/s0", "/s1", "/s2" };

	return d[i];
}

static void full_path(char *buf, size_t len, const struct tfile *t)
{
	snprintf(buf, len, "%s/%s", t->dir, t->name);
}

/* ---- whole files ---------------------------------------------------- */

/* Write a whole file of pattern seed; 0 or a failure recorded. */
static int write_file(daxfs *fs, const char *path, int flags, uint64_t seed,
		      size_t size, struct test_err *e)
{
	daxfs_file *f = NULL;
	unsigned char *buf;
	ssize_t w;
	int r = daxfs_open(fs, path, flags, 0644, &f);

	if (r) {
		test_fail(e, "open(%s, %#o) = %d (%s)", path, flags, r,
			  test_errname(r));
		return -1;
	}
	buf = malloc(size ? size : 1);
	test_pattern(buf, size, seed, 0);
	w = size ? daxfs_pwrite(f, buf, size, 0) : 0;
	free(buf);
	if (w != (ssize_t)size) {
		test_fail(e, "pwrite(%s, %zu) = %zd (%s)", path, size, w,
			  test_errname(w));
		daxfs_close(f);
		return -1;
	}
	r = daxfs_close(f);
	if (r)
		test_fail(e, "close(%s) = %d", path, r);
	return r ? -1 : 0;
}

/* The file is exactly size bytes of pattern seed; 0 or a failure. */
static int check_file(daxfs *fs, const char *path, uint64_t seed,
		      size_t size, struct test_err *e)
{
	daxfs_file *f = NULL;
	struct stat st;
	unsigned char *buf;
	long long bad;
	ssize_t n;
	int r = daxfs_open(fs, path, O_RDONLY, 0, &f);

	if (r) {
		test_fail(e, "open(%s) = %d (%s)", path, r, test_errname(r));
		return -1;
	}
	r = daxfs_fstat(f, &st);
	if (r || st.st_size != (off_t)size || !S_ISREG(st.st_mode)) {
		test_fail(e, "fstat(%s) = %d, size %lld, expected %zu", path, r,
			  (long long)st.st_size, size);
		daxfs_close(f);
		return -1;
	}
	buf = malloc(size + 1);
	n = daxfs_pread(f, buf, size + 1, 0);
	bad = n == (ssize_t)size ? test_pattern_mismatch(buf, size, seed, 0)
				 : -1;
	free(buf);
	daxfs_close(f);
	if (n != (ssize_t)size) {
		test_fail(e, "pread(%s) = %zd, expected %zu", path, n, size);
		return -1;
	}
	if (bad >= 0) {
		test_fail(e, "%s: data differs at offset %lld", path, bad);
		return -1;
	}
	return 0;
}

/* ---- a worker's operations ------------------------------------------ */

static int pick_live(struct worker *w)
{
	int start = (int)(test_rand(&w->rng) % MAXF);

	for (int i = 0; i < MAXF; i++) {
		int k = (start + i) % MAXF;

		if (w->files[k].live)
			return k;
	}
	return -1;
}

/* One of the worker's live files and its path, or NULL if it has none. */
static struct tfile *pick_live_path(struct worker *w, char *path,
				    size_t len)
{
	int k = pick_live(w);

	if (k < 0)
		return NULL;
	full_path(path, len, &w->files[k]);
	return &w->files[k];
}

static int pick_free(struct worker *w)
{
	for (int i = 0; i < MAXF; i++)
		if (!w->files[i].live)
			return i;
	return -1;
}

static void pick_dir(struct worker *w, char *dir, size_t len)
{
	int d = (int)(test_rand(&w->rng) % (NSHARED + 1));

	if (d == NSHARED)
		snprintf(dir, len, "/p%d", w->id);
	else
		snprintf(dir, len, "%s", shared_dir(d));
}

/* A new file in a random directory. */
static int w_create(struct worker *w)
{
	char path[160];
	int k = pick_free(w);
	struct tfile *t;

	if (k < 0)
		return 0;
	t = &w->files[k];
	pick_dir(w, t->dir, sizeof(t->dir));
	snprintf(t->name, sizeof(t->name), "t%d_%u", w->id, w->next_name++);
	t->seed = test_rand(&w->rng);
	t->size = (size_t)(test_rand(&w->rng) % (64 * 1024));
	full_path(path, sizeof(path), t);
	if (write_file(w->fs, path, O_CREAT | O_EXCL | O_RDWR, t->seed,
		       t->size, &w->err))
		return -1;
	t->live = 1;
	return 0;
}

/* Read back (rewrite: replace) one of the worker's files. */
static int w_readback(struct worker *w, bool rewrite)
{
	char path[160];
	struct tfile *t = pick_live_path(w, path, sizeof(path));

	if (!t)
		return 0;
	if (!rewrite)
		return check_file(w->fs, path, t->seed, t->size, &w->err);
	t->seed = test_rand(&w->rng);
	t->size = (size_t)(test_rand(&w->rng) % (96 * 1024));
	return write_file(w->fs, path, O_RDWR | O_TRUNC, t->seed, t->size,
			  &w->err);
}

/* Rename a file within its directory or across; the old name is gone. */
static int w_rename(struct worker *w, bool across)
{
	char path[160], path2[160], ndir[32], nname[48];
	struct tfile *t = pick_live_path(w, path, sizeof(path));
	struct stat st;
	int r;

	if (!t)
		return 0;
	if (across)
		pick_dir(w, ndir, sizeof(ndir));
	else
		snprintf(ndir, sizeof(ndir), "%s", t->dir);
	snprintf(nname, sizeof(nname), "t%d_%u", w->id, w->next_name++);
	snprintf(path2, sizeof(path2), "%s/%s", ndir, nname);
	r = daxfs_rename(w->fs, path, path2);
	if (r) {
		test_fail(&w->err, "rename(%s, %s) = %d (%s)", path, path2, r,
			  test_errname(r));
		return -1;
	}
	snprintf(t->dir, sizeof(t->dir), "%s", ndir);
	snprintf(t->name, sizeof(t->name), "%s", nname);
	r = daxfs_stat(w->fs, path, &st);
	if (r != -ENOENT) {
		test_fail(&w->err, "stat(%s) after rename = %d", path, r);
		return -1;
	}
	return 0;
}

/* Unlink one of the worker's files. */
static int w_unlink(struct worker *w)
{
	char path[160];
	struct tfile *t = pick_live_path(w, path, sizeof(path));
	int r;

	if (!t)
		return 0;
	r = daxfs_unlink(w->fs, path);
	if (r) {
		test_fail(&w->err, "unlink(%s) = %d (%s)", path, r,
			  test_errname(r));
		return -1;
	}
	t->live = 0;
	return 0;
}

/* Remove the worker's subdirectory (after -ENOTEMPTY while it has its
 * file), or make one with a file in a shared directory. */
static int w_subdir(struct worker *w)
{
	int r;

	if (w->has_dir) {
		if (check_file(w->fs, w->subfile, w->subseed, 3000, &w->err))
			return -1;
		r = daxfs_rmdir(w->fs, w->subdir);
		if (r != -ENOTEMPTY) {
			test_fail(&w->err, "rmdir(%s) non-empty = %d",
				  w->subdir, r);
			return -1;
		}
		r = daxfs_unlink(w->fs, w->subfile);
		if (!r)
			r = daxfs_rmdir(w->fs, w->subdir);
		if (r) {
			test_fail(&w->err, "removing %s = %d (%s)", w->subdir,
				  r, test_errname(r));
			return -1;
		}
		w->has_dir = 0;
		return 0;
	}
	snprintf(w->subdir, sizeof(w->subdir), "%s/t%d_dir%u",
		 shared_dir((int)(test_rand(&w->rng) % NSHARED)), w->id,
		 w->next_name++);
	r = daxfs_mkdir(w->fs, w->subdir, 0755);
	if (r) {
		test_fail(&w->err, "mkdir(%s) = %d (%s)", w->subdir, r,
			  test_errname(r));
		return -1;
	}
	w->has_dir = 1;
	snprintf(w->subfile, sizeof(w->subfile), "%s/inner", w->subdir);
	w->subseed = test_rand(&w->rng);
	return write_file(w->fs, w->subfile, O_CREAT | O_EXCL | O_WRONLY,
			  w->subseed, 3000, &w->err);
}

/* stat one of the worker's files: its size, type and one link. */
static int w_stat(struct worker *w)
{
	char path[160];
	struct tfile *t = pick_live_path(w, path, sizeof(path));
	struct stat st;
	int r;

	if (!t)
		return 0;
	r = daxfs_stat(w->fs, path, &st);
	if (r || st.st_size != (off_t)t->size || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		test_fail(&w->err, "stat(%s) = %d: size %lld (want %zu), "
			  "mode %o, nlink %lu", path, r, (long long)st.st_size,
			  t->size, (unsigned)st.st_mode,
			  (unsigned long)st.st_nlink);
		return -1;
	}
	return 0;
}

/* ---- a worker's own listing ----------------------------------------- */

struct lscheck {
	struct worker *w;
	const char *dir;
	int seen[MAXF];
	int bad_name;
	char bad[300];
	int subdir_seen;
};

/* Count the worker's entries in a listing; names not of the workers'
 * form or of the wrong type are bad. */
static int ls_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct lscheck *c = arg;
	struct worker *w = c->w;
	unsigned n;
	char tail[8], p[128];
	int tid;

	(void)ino;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (sscanf(name, "t%d_%u%7s", &tid, &n, tail) < 2 &&
	    sscanf(name, "t%d_dir%u", &tid, &n) != 2) {
		c->bad_name++;
		snprintf(c->bad, sizeof(c->bad), "%s", name);
		return 0;
	}
	if (tid != w->id)
		return 0;
	for (int i = 0; i < MAXF; i++) {
		struct tfile *t = &w->files[i];

		if (t->live && !strcmp(t->dir, c->dir) &&
		    !strcmp(t->name, name)) {
			c->seen[i]++;
			c->bad_name += type != DAXFS_DT_REG;
		}
	}
	snprintf(p, sizeof(p), "%s/%s", c->dir, name);
	if (w->has_dir && !strcmp(p, w->subdir)) {
		c->subdir_seen++;
		c->bad_name += type != DAXFS_DT_DIR;
	}
	return 0;
}

/* A listing by the worker itself: its own entries, each exactly once. */
static int w_ls(struct worker *w)
{
	struct lscheck c;
	char dir[32];
	size_t dl;
	int r;

	pick_dir(w, dir, sizeof(dir));
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.dir = dir;
	r = daxfs_readdir(w->fs, dir, ls_cb, &c);
	if (r || c.bad_name) {
		test_fail(&w->err, "readdir(%s) = %d (%s): bad entry \"%s\" "
			  "or wrong type", dir, r, test_errname(r), c.bad);
		return -1;
	}
	for (int i = 0; i < MAXF; i++) {
		struct tfile *t = &w->files[i];
		int want = t->live && !strcmp(t->dir, dir);

		if (c.seen[i] != want) {
			test_fail(&w->err, "readdir(%s) listed %s %d times, "
				  "not %d", dir, t->name, c.seen[i], want);
			return -1;
		}
	}
	dl = strlen(dir);
	if (w->has_dir && !strncmp(w->subdir, dir, dl) &&
	    w->subdir[dl] == '/' && c.subdir_seen != 1) {
		test_fail(&w->err, "readdir(%s) listed %s %d times", dir,
			  w->subdir, c.subdir_seen);
		return -1;
	}
	return 0;
}

/* iters random operations, then a check of everything the worker has. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char path[160];

	for (int it = 0; it < w->iters && !w->err.count; it++) {
		unsigned op = (unsigned)(test_rand(&w->rng) % 100);
		int r;

		w->ops++;
		if (op < 28)
			r = w_create(w);
		else if (op < 52)
			r = w_readback(w, op >= 42);
		else if (op < 72)
			r = w_rename(w, op >= 62);
		else if (op < 80)
			r = w_unlink(w);
		else if (op < 86)
			r = w_subdir(w);
		else if (op < 93)
			r = w_ls(w);
		else
			r = w_stat(w);
		if (r)
			break;
	}
	for (int i = 0; i < MAXF && !w->err.count; i++) {
		struct tfile *t = &w->files[i];

		if (!t->live)
			continue;
		full_path(path, sizeof(path), t);
		check_file(w->fs, path, t->seed, t->size, &w->err);
	}
	atomic_fetch_sub(&w->m->running, 1);
	return NULL;
}

/* ---- observers ------------------------------------------------------ */

struct obs_ls {
	daxfs *fs;
	const char *dir;
	int bad;
	char badname[300];
	int stat_err;
	char statpath[400];
	char statmsg[300];
};

/* Each listed name is a worker's and stat finds it or -ENOENT (the
 * callback runs with no lock held: calling back in is allowed). */
static int obs_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct obs_ls *o = arg;
	struct stat st;
	char p[400];
	unsigned n;
	int tid, r;

	(void)type;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (name[0] != 't' || sscanf(name, "t%d_%u", &tid, &n) < 1 ||
	    tid < 0 || tid >= NWORKERS || ino < 2) {
		o->bad++;
		snprintf(o->badname, sizeof(o->badname), "%s (ino %llu)", name,
			 (unsigned long long)ino);
		return 0;
	}
	snprintf(p, sizeof(p), "%s/%s", o->dir, name);
	r = daxfs_stat(o->fs, p, &st);
	if (r != 0 && r != -ENOENT && !o->stat_err) {
		o->stat_err = r;
		snprintf(o->statpath, sizeof(o->statpath), "%s", p);
		snprintf(o->statmsg, sizeof(o->statmsg), "%s",
			 daxfs_errormsg());
	}
	return 0;
}

/* One listing of a random directory, then statfs; 0 or a failure. */
static int observe_once(struct observer *o)
{
	int d = (int)(test_rand(&o->rng) % (NSHARED + NWORKERS));
	struct obs_ls ls;
	struct statvfs sv;
	char dir[16];
	int r;

	if (d < NSHARED)
		snprintf(dir, sizeof(dir), "%s", shared_dir(d));
	else
		snprintf(dir, sizeof(dir), "/p%d", d - NSHARED);
	memset(&ls, 0, sizeof(ls));
	ls.fs = o->fs;
	ls.dir = dir;
	r = daxfs_readdir(o->fs, dir, obs_cb, &ls);
	o->listings++;
	if (r || ls.bad) {
		test_fail(&o->err, "observer readdir(%s) = %d (%s), bad entry "
			  "%s", dir, r, test_errname(r), ls.badname);
		return -1;
	}
	if (ls.stat_err) {
		test_fail(&o->err, "observer stat(%s) of a listed entry = %d "
			  "(%s), expected 0 or -ENOENT; its message: \"%s\"",
			  ls.statpath, ls.stat_err, test_errname(ls.stat_err),
			  ls.statmsg);
		return -1;
	}
	r = daxfs_statfs(o->fs, &sv);
	if (r || sv.f_bfree > sv.f_blocks || sv.f_ffree > sv.f_files) {
		test_fail(&o->err, "statfs = %d: bfree %lu of %lu, ffree %lu "
			  "of %lu", r, (unsigned long)sv.f_bfree,
			  (unsigned long)sv.f_blocks, (unsigned long)sv.f_ffree,
			  (unsigned long)sv.f_files);
		return -1;
	}
	return 0;
}

/* List and stat until the workers are done. */
static void *observer_main(void *arg)
{
	struct observer *o = arg;

	while (atomic_load(&o->m->running) > 0 && !o->err.count)
		if (observe_once(o))
			break;
	return NULL;
}

/* ---- the end state -------------------------------------------------- */

struct expect_ls {
	char (*names)[48];
	int n;
	int *seen;
	int extra;
	char extra_name[300];
};

/* Tick off a listed name, or count it as one nobody left there. */
static int expect_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct expect_ls *x = arg;

	(void)ino;
	(void)type;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (int i = 0; i < x->n; i++)
		if (!strcmp(x->names[i], name)) {
			x->seen[i]++;
			return 0;
		}
	x->extra++;
	snprintf(x->extra_name, sizeof(x->extra_name), "%s", name);
	return 0;
}

/* The directory holds exactly the live files of the workers that are in
 * it (and their subdirectories), each once. */
static int check_dir_union(daxfs *fs, const char *dir,
			   const struct worker *ws, struct test_err *e)
{
	struct expect_ls x;
	size_t dl = strlen(dir);
	int r, ret = 0;

	memset(&x, 0, sizeof(x));
	x.names = calloc(NWORKERS * (MAXF + 1), sizeof(*x.names));
	x.seen = calloc(NWORKERS * (MAXF + 1), sizeof(int));
	for (int t = 0; t < NWORKERS; t++) {
		for (int i = 0; i < MAXF; i++)
			if (ws[t].files[i].live &&
			    !strcmp(ws[t].files[i].dir, dir))
				snprintf(x.names[x.n++], 48, "%s",
					 ws[t].files[i].name);
		if (ws[t].has_dir && !strncmp(ws[t].subdir, dir, dl) &&
		    ws[t].subdir[dl] == '/')
			snprintf(x.names[x.n++], 48, "%s",
				 ws[t].subdir + dl + 1);
	}
	r = daxfs_readdir(fs, dir, expect_cb, &x);
	if (r || x.extra) {
		test_fail(e, "readdir(%s) = %d (%s): %d unexpected entries, "
			  "e.g. %s", dir, r, test_errname(r), x.extra,
			  x.extra_name);
		ret = -1;
	}
	for (int i = 0; i < x.n && !ret; i++)
		if (x.seen[i] != 1) {
			test_fail(e, "%s/%s listed %d times", dir, x.names[i],
				  x.seen[i]);
			ret = -1;
		}
	free(x.names);
	free(x.seen);
	return ret;
}

/* Every directory as the workers left it; the shared ones' link counts
 * count their subdirectories. */
static int check_end_state(daxfs *fs, const struct scen_mixed *m,
			   struct test_err *e)
{
	char d[16];
	struct stat st;

	for (int i = 0; i < NSHARED; i++)
		if (check_dir_union(fs, shared_dir(i), m->ws, e))
			return -1;
	for (int i = 0; i < NWORKERS; i++) {
		snprintf(d, sizeof(d), "/p%d", i);
		if (check_dir_union(fs, d, m->ws, e))
			return -1;
	}
	for (int i = 0; i < NSHARED; i++) {
		int subs = 0, r;

		for (int t = 0; t < NWORKERS; t++)
			subs += m->ws[t].has_dir &&
				!strncmp(m->ws[t].subdir, shared_dir(i), 3);
		r = daxfs_stat(fs, shared_dir(i), &st);
		if (r || (int)st.st_nlink != 2 + subs) {
			test_fail(e, "stat(%s) = %d: nlink %lu, %d subdirs",
				  shared_dir(i), r, (unsigned long)st.st_nlink,
				  subs);
			return -1;
		}
	}
	return 0;
}

/* Make the directories the workers use. */
static int make_dirs(daxfs *fs, struct test_err *e)
{
	char d[16];
	int r;

	for (int i = 0; i < NSHARED + NWORKERS; i++) {
		if (i < NSHARED)
			snprintf(d, sizeof(d), "%s", shared_dir(i));
		else
			snprintf(d, sizeof(d), "/p%d", i - NSHARED);
		r = daxfs_mkdir(fs, d, 0755);
		if (r) {
			test_fail(e, "mkdir(%s) = %d (%s)", d, r,
				  test_errname(r));
			return -1;
		}
	}
	return 0;
}

/* Run the workers and observers to the end; failures passed on to e. */
static void run_threads(daxfs *fs, struct scen_mixed *m, uint64_t seed,
			int iters, struct test_err *e)
{
	bool wup[NWORKERS] = { false }, oup[NOBSERVERS] = { false };
	char who[32];

	atomic_store(&m->running, NWORKERS);
	for (int i = 0; i < NWORKERS; i++) {
		struct worker *w = &m->ws[i];

		w->id = i;
		w->iters = iters;
		w->fs = fs;
		w->m = m;
		w->rng = seed * 1000 + (uint64_t)i;
		wup[i] = pthread_create(&w->th, NULL, worker_main, w) == 0;
		if (!wup[i]) {
			test_fail(e, "cannot start worker %d", i);
			atomic_fetch_sub(&m->running, 1);
		}
	}
	for (int i = 0; i < NOBSERVERS; i++) {
		struct observer *o = &m->os[i];

		o->fs = fs;
		o->m = m;
		o->rng = seed * 7777 + (uint64_t)i;
		oup[i] = pthread_create(&o->th, NULL, observer_main, o) == 0;
		if (!oup[i])
			test_fail(e, "cannot start observer %d", i);
	}
	for (int i = 0; i < NWORKERS; i++) {
		if (wup[i])
			pthread_join(m->ws[i].th, NULL);
		snprintf(who, sizeof(who), "worker %d (%d ops)", i,
			 m->ws[i].ops);
		test_fail_pass(e, who, &m->ws[i].err);
	}
	for (int i = 0; i < NOBSERVERS; i++) {
		if (oup[i])
			pthread_join(m->os[i].th, NULL);
		snprintf(who, sizeof(who), "observer %d", i);
		test_fail_pass(e, who, &m->os[i].err);
	}
}

int scen_mixed_run(daxfs *fs, uint64_t seed, int iters,
		   struct scen_mixed **out, struct test_err *e)
{
	struct scen_mixed *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m) {
		test_fail(e, "mixed: out of memory");
		return -1;
	}
	if (make_dirs(fs, e)) {
		free(m);
		return -1;
	}
	run_threads(fs, m, seed, iters, e);
	if (atomic_load(&e->count) || check_end_state(fs, m, e)) {
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int scen_mixed_check_remove(daxfs *fs, const struct scen_mixed *m,
			    struct test_err *e)
{
	char path[160];
	int r = 0;

	for (int t = 0; t < NWORKERS && !r; t++) {
		const struct worker *w = &m->ws[t];

		for (int i = 0; i < MAXF && !r; i++) {
			const struct tfile *tf = &w->files[i];

			if (!tf->live)
				continue;
			full_path(path, sizeof(path), tf);
			r = check_file(fs, path, tf->seed, tf->size, e);
			if (!r && (r = daxfs_unlink(fs, path)))
				test_fail(e, "unlink(%s) = %d", path, r);
		}
		if (!r && w->has_dir && ((r = daxfs_unlink(fs, w->subfile)) ||
					 (r = daxfs_rmdir(fs, w->subdir))))
			test_fail(e, "removing %s = %d", w->subdir, r);
	}
	for (int i = 0; i < NSHARED + NWORKERS && !r; i++) {
		if (i < NSHARED)
			snprintf(path, sizeof(path), "%s", shared_dir(i));
		else
			snprintf(path, sizeof(path), "/p%d", i - NSHARED);
		if ((r = daxfs_rmdir(fs, path)))
			test_fail(e, "rmdir(%s) = %d", path, r);
	}
	return r ? -1 : 0;
}

void scen_mixed_free(struct scen_mixed *m)
{
	free(m);
}
