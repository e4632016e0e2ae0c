/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_concurrency.c -- many threads on one mount.  Workers create, write,
 * read back, rename and delete files in shared and private directories
 * while observers list and stat; each thread checks its own data, and at
 * the end the directories hold exactly what the threads left.  Appends
 * from several threads are never lost or torn; O_EXCL creates, unlinks and
 * mkdirs racing on one name have exactly one winner; cross-directory
 * renames in opposite directions do not deadlock.  Every test ends with
 * "e2fsck -fn" exiting 0.
 *
 * Criterion's assertions are not used in the threads: a thread records its
 * first error in a string which the main thread asserts on.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

TestSuite(concurrency, .fini = test_cleanup, .timeout = 180);

/* ------------------------------------------------------------------ */
/* Per-thread error reporting                                          */
/* ------------------------------------------------------------------ */

/*
 * Before asserting on what threads reported: if any failed, unmount first
 * so that the failure is not followed by LeakSanitizer noise about the
 * mount.
 */
static void unmount_if(int failed, daxfs *fs)
{
	if (failed)
		daxfs_unmount(fs);
}

/* Write/read a whole file with pattern seed; 0 or a failure recorded. */
static int t_write_file(daxfs *fs, const char *path, int flags, uint64_t seed,
			size_t size, struct test_err *e)
{
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, path, flags, 0644, &f);
	if (r) {
		test_fail(e, "open(%s, %#o) = %d (%s)", path, flags, r,
			  test_errname(r));
		return -1;
	}
	unsigned char *buf = malloc(size ? size : 1);
	test_pattern(buf, size, seed, 0);
	ssize_t w = size ? daxfs_pwrite(f, buf, size, 0) : 0;
	free(buf);
	if (w != (ssize_t)size) {
		test_fail(e, "pwrite(%s, %zu) = %zd (%s)", path, size, w,
			  test_errname(w));
		daxfs_close(f);
		return -1;
	}
	r = daxfs_close(f);
	if (r) {
		test_fail(e, "close(%s) = %d", path, r);
		return -1;
	}
	return 0;
}

static int t_check_file(daxfs *fs, const char *path, uint64_t seed,
			size_t size, struct test_err *e)
{
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, path, O_RDONLY, 0, &f);
	if (r) {
		test_fail(e, "open(%s) = %d (%s)", path, r, test_errname(r));
		return -1;
	}
	struct stat st;
	r = daxfs_fstat(f, &st);
	if (r || st.st_size != (off_t)size || !S_ISREG(st.st_mode)) {
		test_fail(e, "fstat(%s) = %d, size %lld, expected %zu", path, r,
			  (long long)st.st_size, size);
		daxfs_close(f);
		return -1;
	}
	unsigned char *buf = malloc(size + 1);
	ssize_t n = daxfs_pread(f, buf, size + 1, 0);
	long long bad = n == (ssize_t)size ? test_pattern_mismatch(buf, size,
								   seed, 0)
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

/* ------------------------------------------------------------------ */
/* Mixed workload                                                      */
/* ------------------------------------------------------------------ */

#define NWORKERS 6
#define NOBSERVERS 2
#define NSHARED 3
#define MAXF 48
#define ITERS 1000

struct tfile {
	int live;
	char dir[32];
	char name[48];
	uint64_t seed;
	size_t size;
};

struct worker {
	pthread_t th;
	int id;
	daxfs *fs;
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

static atomic_int workers_running;

static const char *shared_dir(int i)
{
	static const char *d[NSHARED] = {"/s0", "/s1", "/s2"};
	return d[i];
}

static void full_path(char *buf, size_t len, const struct tfile *t)
{
	snprintf(buf, len, "%s/%s", t->dir, t->name);
}

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

struct lscheck {
	struct worker *w;
	const char *dir;
	int seen[MAXF];
	int bad_name;
	char bad[300];
	int subdir_seen;
};

static int ls_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct lscheck *c = arg;
	(void)ino;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	int tid;
	unsigned n;
	char tail[8];
	if (sscanf(name, "t%d_%u%7s", &tid, &n, tail) < 2 &&
	    sscanf(name, "t%d_dir%u", &tid, &n) != 2) {
		c->bad_name++;
		snprintf(c->bad, sizeof(c->bad), "%s", name);
		return 0;
	}
	struct worker *w = c->w;
	if (!w || tid != w->id)
		return 0;
	for (int i = 0; i < MAXF; i++) {
		struct tfile *t = &w->files[i];
		if (t->live && !strcmp(t->dir, c->dir) && !strcmp(t->name, name)) {
			c->seen[i]++;
			if (type != DAXFS_DT_REG)
				c->bad_name++;
		}
	}
	if (w->has_dir) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", c->dir, name);
		if (!strcmp(p, w->subdir)) {
			c->subdir_seen++;
			if (type != DAXFS_DT_DIR)
				c->bad_name++;
		}
	}
	return 0;
}

/* A listing by the worker itself: its own entries, each exactly once. */
static void worker_ls(struct worker *w, const char *dir)
{
	struct lscheck c;
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.dir = dir;
	int r = daxfs_readdir(w->fs, dir, ls_cb, &c);
	if (r) {
		test_fail(&w->err, "readdir(%s) = %d (%s)", dir, r,
			  test_errname(r));
		return;
	}
	if (c.bad_name) {
		test_fail(&w->err,
			  "readdir(%s): bad entry \"%s\" or wrong type", dir,
			  c.bad);
		return;
	}
	for (int i = 0; i < MAXF; i++) {
		struct tfile *t = &w->files[i];
		int want = t->live && !strcmp(t->dir, dir);
		if (c.seen[i] != want) {
			test_fail(&w->err,
				  "readdir(%s) listed %s %d times, not %d",
				  dir, t->name, c.seen[i], want);
			return;
		}
	}
	if (w->has_dir && !strncmp(w->subdir, dir, strlen(dir)) &&
	    w->subdir[strlen(dir)] == '/' && c.subdir_seen != 1)
		test_fail(&w->err, "readdir(%s) listed %s %d times", dir,
			  w->subdir, c.subdir_seen);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	daxfs *fs = w->fs;
	char path[160], path2[160];
	for (int it = 0; it < ITERS && !w->err.count; it++) {
		unsigned op = (unsigned)(test_rand(&w->rng) % 100);
		int k;
		w->ops++;
		if (op < 28) { /* create */
			k = pick_free(w);
			if (k < 0)
				continue;
			struct tfile *t = &w->files[k];
			pick_dir(w, t->dir, sizeof(t->dir));
			snprintf(t->name, sizeof(t->name), "t%d_%u", w->id,
				 w->next_name++);
			t->seed = test_rand(&w->rng);
			t->size = (size_t)(test_rand(&w->rng) % (64 * 1024));
			full_path(path, sizeof(path), t);
			if (t_write_file(fs, path, O_CREAT | O_EXCL | O_RDWR,
					 t->seed, t->size, &w->err))
				break;
			t->live = 1;
		} else if (op < 42) { /* read back */
			if ((k = pick_live(w)) < 0)
				continue;
			struct tfile *t = &w->files[k];
			full_path(path, sizeof(path), t);
			if (t_check_file(fs, path, t->seed, t->size, &w->err))
				break;
		} else if (op < 52) { /* rewrite */
			if ((k = pick_live(w)) < 0)
				continue;
			struct tfile *t = &w->files[k];
			full_path(path, sizeof(path), t);
			t->seed = test_rand(&w->rng);
			t->size = (size_t)(test_rand(&w->rng) % (96 * 1024));
			if (t_write_file(fs, path, O_RDWR | O_TRUNC, t->seed,
					 t->size, &w->err))
				break;
		} else if (op < 72) { /* rename, in the dir or across */
			if ((k = pick_live(w)) < 0)
				continue;
			struct tfile *t = &w->files[k];
			full_path(path, sizeof(path), t);
			char ndir[32];
			if (op < 62)
				snprintf(ndir, sizeof(ndir), "%s", t->dir);
			else
				pick_dir(w, ndir, sizeof(ndir));
			char nname[48];
			snprintf(nname, sizeof(nname), "t%d_%u", w->id,
				 w->next_name++);
			snprintf(path2, sizeof(path2), "%s/%s", ndir, nname);
			int r = daxfs_rename(fs, path, path2);
			if (r) {
				test_fail(&w->err, "rename(%s, %s) = %d (%s)",
					  path, path2, r, test_errname(r));
				break;
			}
			snprintf(t->dir, sizeof(t->dir), "%s", ndir);
			snprintf(t->name, sizeof(t->name), "%s", nname);
			struct stat st;
			r = daxfs_stat(fs, path, &st);
			if (r != -ENOENT) {
				test_fail(&w->err, "stat(%s) after rename = %d",
					  path, r);
				break;
			}
		} else if (op < 80) { /* unlink */
			if ((k = pick_live(w)) < 0)
				continue;
			struct tfile *t = &w->files[k];
			full_path(path, sizeof(path), t);
			int r = daxfs_unlink(fs, path);
			if (r) {
				test_fail(&w->err, "unlink(%s) = %d (%s)", path,
					  r, test_errname(r));
				break;
			}
			t->live = 0;
		} else if (op < 86) { /* a subdirectory in a shared dir */
			int r;
			if (w->has_dir) {
				if (t_check_file(fs, w->subfile, w->subseed, 3000,
						 &w->err))
					break;
				r = daxfs_rmdir(fs, w->subdir);
				if (r != -ENOTEMPTY) {
					test_fail(&w->err,
						  "rmdir(%s) non-empty = %d",
						  w->subdir, r);
					break;
				}
				r = daxfs_unlink(fs, w->subfile);
				if (!r)
					r = daxfs_rmdir(fs, w->subdir);
				if (r) {
					test_fail(&w->err,
						  "removing %s = %d (%s)",
						  w->subdir, r, test_errname(r));
					break;
				}
				w->has_dir = 0;
			} else {
				int d = (int)(test_rand(&w->rng) % NSHARED);
				snprintf(w->subdir, sizeof(w->subdir),
					 "%s/t%d_dir%u", shared_dir(d), w->id,
					 w->next_name++);
				r = daxfs_mkdir(fs, w->subdir, 0755);
				if (r) {
					test_fail(&w->err,
						  "mkdir(%s) = %d (%s)",
						  w->subdir, r, test_errname(r));
					break;
				}
				w->has_dir = 1;
				snprintf(w->subfile, sizeof(w->subfile),
					 "%s/inner", w->subdir);
				w->subseed = test_rand(&w->rng);
				if (t_write_file(fs, w->subfile,
						 O_CREAT | O_EXCL | O_WRONLY,
						 w->subseed, 3000, &w->err))
					break;
			}
		} else if (op < 93) { /* list a directory */
			char dir[32];
			pick_dir(w, dir, sizeof(dir));
			worker_ls(w, dir);
		} else { /* stat */
			if ((k = pick_live(w)) < 0)
				continue;
			struct tfile *t = &w->files[k];
			full_path(path, sizeof(path), t);
			struct stat st;
			int r = daxfs_stat(fs, path, &st);
			if (r || st.st_size != (off_t)t->size ||
			    !S_ISREG(st.st_mode) || st.st_nlink != 1) {
				test_fail(&w->err,
					  "stat(%s) = %d: size %lld (want %zu), "
					  "mode %o, nlink %lu",
					  path, r, (long long)st.st_size, t->size,
					  (unsigned)st.st_mode,
					  (unsigned long)st.st_nlink);
				break;
			}
		}
	}
	/* a final check of everything the thread owns */
	for (int i = 0; i < MAXF && !w->err.count; i++) {
		struct tfile *t = &w->files[i];
		if (!t->live)
			continue;
		full_path(path, sizeof(path), t);
		t_check_file(fs, path, t->seed, t->size, &w->err);
	}
	atomic_fetch_sub(&workers_running, 1);
	return NULL;
}

struct observer {
	pthread_t th;
	daxfs *fs;
	uint64_t rng;
	struct test_err err;
	int listings;
};

struct obs_ls {
	daxfs *fs;
	const char *dir;
	int bad;
	char badname[300];
	int stat_err;
	char statpath[400];
	char statmsg[300];
};

static int obs_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct obs_ls *o = arg;
	(void)type;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	int tid;
	unsigned n;
	if (name[0] != 't' || sscanf(name, "t%d_%u", &tid, &n) < 1 ||
	    tid < 0 || tid >= NWORKERS || ino < 2) {
		o->bad++;
		snprintf(o->badname, sizeof(o->badname), "%s (ino %llu)", name,
			 (unsigned long long)ino);
		return 0;
	}
	/* called with no lock held: calling back in is allowed */
	char p[400];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", o->dir, name);
	int r = daxfs_stat(o->fs, p, &st);
	if (r != 0 && r != -ENOENT && !o->stat_err) {
		o->stat_err = r;
		snprintf(o->statpath, sizeof(o->statpath), "%s", p);
		snprintf(o->statmsg, sizeof(o->statmsg), "%s", daxfs_errormsg());
	}
	return 0;
}

static void *observer_main(void *arg)
{
	struct observer *o = arg;
	char *buf = malloc(128 * 1024);
	while (atomic_load(&workers_running) > 0 && !o->err.count) {
		int d = (int)(test_rand(&o->rng) % (NSHARED + NWORKERS));
		char dir[16];
		if (d < NSHARED)
			snprintf(dir, sizeof(dir), "%s", shared_dir(d));
		else
			snprintf(dir, sizeof(dir), "/p%d", d - NSHARED);
		struct obs_ls ls;
		memset(&ls, 0, sizeof(ls));
		ls.fs = o->fs;
		ls.dir = dir;
		int r = daxfs_readdir(o->fs, dir, obs_cb, &ls);
		o->listings++;
		if (r) {
			test_fail(&o->err, "observer readdir(%s) = %d (%s)",
				  dir, r, test_errname(r));
			break;
		}
		if (ls.bad) {
			test_fail(&o->err, "observer readdir(%s): bad entry %s",
				  dir, ls.badname);
			break;
		}
		if (ls.stat_err) {
			test_fail(&o->err,
				  "observer stat(%s) of a listed entry = %d (%s), "
				  "expected 0 or -ENOENT; its message: \"%s\"",
			     ls.statpath, ls.stat_err, test_errname(ls.stat_err),
			     ls.statmsg);
			break;
		}
		struct statvfs sv;
		r = daxfs_statfs(o->fs, &sv);
		if (r || sv.f_bfree > sv.f_blocks || sv.f_ffree > sv.f_files) {
			test_fail(&o->err,
				  "statfs = %d: bfree %lu of %lu, ffree %lu "
				      "of %lu",
				  r, (unsigned long)sv.f_bfree,
				  (unsigned long)sv.f_blocks,
				  (unsigned long)sv.f_ffree,
				  (unsigned long)sv.f_files);
			break;
		}
		/* open and read whatever file is there (it may vanish) */
		struct stat st;
		r = daxfs_stat(o->fs, "/s0", &st);
		if (r) {
			test_fail(&o->err, "stat(/s0) = %d", r);
			break;
		}
	}
	free(buf);
	return NULL;
}

struct expect_ls {
	char (*names)[48];
	int n;
	int *seen;
	int extra;
	char extra_name[300];
};

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
 * it (and their subdirectories). */
static void check_dir_union(daxfs *fs, const char *dir, struct worker *ws)
{
	struct expect_ls x;
	memset(&x, 0, sizeof(x));
	x.names = calloc(NWORKERS * (MAXF + 1), sizeof(*x.names));
	x.seen = calloc(NWORKERS * (MAXF + 1), sizeof(int));
	for (int t = 0; t < NWORKERS; t++) {
		for (int i = 0; i < MAXF; i++)
			if (ws[t].files[i].live &&
			    !strcmp(ws[t].files[i].dir, dir))
				snprintf(x.names[x.n++], 48, "%s",
					 ws[t].files[i].name);
		size_t dl = strlen(dir);
		if (ws[t].has_dir && !strncmp(ws[t].subdir, dir, dl) &&
		    ws[t].subdir[dl] == '/')
			snprintf(x.names[x.n++], 48, "%s", ws[t].subdir + dl + 1);
	}
	int r = daxfs_readdir(fs, dir, expect_cb, &x);
	cr_assert_eq(r, 0, "readdir(%s) = %d (%s): \"%s\"", dir, r,
		     test_errname(r), daxfs_errormsg());
	cr_assert_eq(x.extra, 0, "%s holds %d unexpected entries, e.g. %s", dir,
		     x.extra, x.extra_name);
	for (int i = 0; i < x.n; i++)
		cr_assert_eq(x.seen[i], 1, "%s/%s listed %d times", dir,
			     x.names[i], x.seen[i]);
	free(x.names);
	free(x.seen);
}

static void run_mixed(daxfs *fs, const char *p, uint64_t seed)
{
	static struct worker ws[NWORKERS];
	static struct observer os[NOBSERVERS];
	memset(ws, 0, sizeof(ws));
	memset(os, 0, sizeof(os));
	struct statvfs s0;
	CHECK_EQ(daxfs_statfs(fs, &s0), 0);
	for (int i = 0; i < NSHARED; i++)
		CHECK_EQ(daxfs_mkdir(fs, shared_dir(i), 0755), 0);
	for (int i = 0; i < NWORKERS; i++) {
		char d[16];
		snprintf(d, sizeof(d), "/p%d", i);
		CHECK_EQ(daxfs_mkdir(fs, d, 0755), 0);
	}
	atomic_store(&workers_running, NWORKERS);
	for (int i = 0; i < NWORKERS; i++) {
		ws[i].id = i;
		ws[i].fs = fs;
		ws[i].rng = seed * 1000 + (uint64_t)i;
		cr_assert_eq(pthread_create(&ws[i].th, NULL, worker_main, &ws[i]),
			     0);
	}
	for (int i = 0; i < NOBSERVERS; i++) {
		os[i].fs = fs;
		os[i].rng = seed * 7777 + (uint64_t)i;
		cr_assert_eq(
			pthread_create(&os[i].th, NULL, observer_main, &os[i]),
			0);
	}
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(ws[i].th, NULL);
	for (int i = 0; i < NOBSERVERS; i++)
		pthread_join(os[i].th, NULL);
	int anyfail = 0;
	for (int i = 0; i < NWORKERS; i++)
		anyfail |= ws[i].err.count;
	for (int i = 0; i < NOBSERVERS; i++)
		anyfail |= os[i].err.count;
	unmount_if(anyfail, fs);
	for (int i = 0; i < NWORKERS; i++)
		cr_assert(!ws[i].err.count, "worker %d (after %d ops): %s", i,
			  ws[i].ops, ws[i].err.msg);
	for (int i = 0; i < NOBSERVERS; i++)
		cr_assert(!os[i].err.count, "observer %d: %s", i,
			  os[i].err.msg);

	/* the directories hold the union of what the threads left */
	for (int i = 0; i < NSHARED; i++)
		check_dir_union(fs, shared_dir(i), ws);
	for (int i = 0; i < NWORKERS; i++) {
		char d[16];
		snprintf(d, sizeof(d), "/p%d", i);
		check_dir_union(fs, d, ws);
	}
	/* link counts of the shared dirs match their subdirectories */
	for (int i = 0; i < NSHARED; i++) {
		int subs = 0;
		for (int t = 0; t < NWORKERS; t++)
			subs += ws[t].has_dir &&
				!strncmp(ws[t].subdir, shared_dir(i), 3);
		struct stat st;
		CHECK_EQ(daxfs_stat(fs, shared_dir(i), &st), 0);
		cr_assert_eq((int)st.st_nlink, 2 + subs, "%s: nlink %lu, %d subdirs",
			     shared_dir(i), (unsigned long)st.st_nlink, subs);
	}
	check_unmount_fsck(fs, p);

	/* after a remount: every file, then delete all, counters return */
	fs = check_mount(p, 0);
	struct test_err e = {0};
	for (int t = 0; t < NWORKERS; t++) {
		for (int i = 0; i < MAXF; i++) {
			struct tfile *tf = &ws[t].files[i];
			if (!tf->live)
				continue;
			char path[160];
			full_path(path, sizeof(path), tf);
			t_check_file(fs, path, tf->seed, tf->size, &e);
			cr_assert(!e.count, "after remount: %s", e.msg);
			CHECK_EQ(daxfs_unlink(fs, path), 0);
		}
		if (ws[t].has_dir) {
			CHECK_EQ(daxfs_unlink(fs, ws[t].subfile), 0);
			CHECK_EQ(daxfs_rmdir(fs, ws[t].subdir), 0);
		}
	}
	for (int i = 0; i < NSHARED; i++)
		CHECK_EQ(daxfs_rmdir(fs, shared_dir(i)), 0);
	for (int i = 0; i < NWORKERS; i++) {
		char d[16];
		snprintf(d, sizeof(d), "/p%d", i);
		CHECK_EQ(daxfs_rmdir(fs, d), 0);
	}
	struct statvfs s1;
	CHECK_EQ(daxfs_statfs(fs, &s1), 0);
	cr_assert_eq(s1.f_bfree, s0.f_bfree,
		     "f_bfree %lu after deleting everything, %lu at start",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	cr_assert_eq(s1.f_ffree, s0.f_ffree,
		     "f_ffree %lu after deleting everything, %lu at start",
		     (unsigned long)s1.f_ffree, (unsigned long)s0.f_ffree);
	check_unmount_fsck(fs, p);
}

Test(concurrency, mixed_workload_4k)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 64 * TEST_MIB, 0, 0, &p);
	run_mixed(fs, p, 1);
}

Test(concurrency, mixed_workload_1k_blocks)
{
	/* 1 KiB blocks: 8 groups, more indirect blocks, more contention */
	const char *p;
	daxfs *fs = check_new_fs("conc", 64 * TEST_MIB, 1024, 0, &p);
	run_mixed(fs, p, 2);
}

/* ------------------------------------------------------------------ */
/* Appends                                                             */
/* ------------------------------------------------------------------ */

#define REC 100
#define NREC 1500

struct appender {
	pthread_t th;
	daxfs *fs;
	const char *path;
	daxfs_file *shared; /* if set, use this handle */
	uint32_t tid;
	struct test_err err;
};

static void make_record(unsigned char *r, uint32_t tid, uint32_t seq)
{
	memcpy(r, "REC:", 4);
	memcpy(r + 4, &tid, 4);
	memcpy(r + 8, &seq, 4);
	test_pattern(r + 12, REC - 12, tid * 1000003ULL + seq, 0);
}

static void *append_main(void *arg)
{
	struct appender *a = arg;
	daxfs_file *f = a->shared;
	if (!f) {
		int r = daxfs_open(a->fs, a->path, O_WRONLY | O_APPEND, 0, &f);
		if (r) {
			test_fail(&a->err, "open(%s) = %d", a->path, r);
			return NULL;
		}
	}
	unsigned char rec[REC];
	for (uint32_t s = 0; s < NREC; s++) {
		make_record(rec, a->tid, s);
		/* the offset is ignored with O_APPEND */
		ssize_t w = daxfs_pwrite(f, rec, REC, (off_t)s * 7);
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

/* Every record whole; each writer's records all there, in order. */
static void check_log(daxfs *fs, const char *path, const uint32_t *tids,
		      int n)
{
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, path, O_RDONLY, 0, &f), 0);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, (off_t)n * NREC * REC,
		     "%s: size %lld after %d x %d appends of %d bytes", path,
		     (long long)st.st_size, n, NREC, REC);
	size_t len = (size_t)st.st_size;
	unsigned char *buf = malloc(len);
	CHECK_EQ(daxfs_pread(f, buf, len, 0), len);
	CHECK_EQ(daxfs_close(f), 0);
	uint32_t next[8] = {0};
	for (size_t off = 0; off < len; off += REC) {
		unsigned char *r = buf + off;
		uint32_t tid, seq;
		memcpy(&tid, r + 4, 4);
		memcpy(&seq, r + 8, 4);
		int k = -1;
		for (int i = 0; i < n; i++)
			if (tids[i] == tid)
				k = i;
		cr_assert(memcmp(r, "REC:", 4) == 0 && k >= 0,
			  "%s: torn or foreign record at offset %zu", path, off);
		cr_assert_eq(seq, next[k],
			     "%s: writer %u record %u at offset %zu, expected %u",
			     path, tid, seq, off, next[k]);
		cr_assert(test_pattern_mismatch(r + 12, REC - 12,
						tid * 1000003ULL + seq, 0) < 0,
			  "%s: torn record at offset %zu", path, off);
		next[k]++;
	}
	for (int i = 0; i < n; i++)
		cr_assert_eq(next[i], NREC);
	free(buf);
}

static void run_appenders(daxfs *fs, struct appender *a, int n)
{
	for (int i = 0; i < n; i++)
		cr_assert_eq(pthread_create(&a[i].th, NULL, append_main, &a[i]),
			     0);
	for (int i = 0; i < n; i++)
		pthread_join(a[i].th, NULL);
	int anyfail = 0;
	for (int i = 0; i < n; i++)
		anyfail |= a[i].err.count;
	if (anyfail && a[0].shared)
		daxfs_close(a[0].shared);
	unmount_if(anyfail, fs);
	for (int i = 0; i < n; i++)
		cr_assert(!a[i].err.count, "appender %d: %s", i, a[i].err.msg);
}

Test(concurrency, appends_to_different_files)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct appender a[2];
	memset(a, 0, sizeof(a));
	const char *paths[2] = {"/log0", "/log1"};
	for (int i = 0; i < 2; i++) {
		daxfs_file *f = NULL;
		CHECK_EQ(daxfs_open(fs, paths[i], O_CREAT | O_WRONLY, 0644, &f),
			 0);
		CHECK_EQ(daxfs_close(f), 0);
		a[i].fs = fs;
		a[i].path = paths[i];
		a[i].tid = (uint32_t)i + 1;
	}
	run_appenders(fs, a, 2);
	for (int i = 0; i < 2; i++)
		check_log(fs, paths[i], &a[i].tid, 1);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	for (int i = 0; i < 2; i++)
		check_log(fs, paths[i], &a[i].tid, 1);
	check_unmount_fsck(fs, p);
}

Test(concurrency, appends_to_one_file)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/log", O_CREAT | O_WRONLY, 0644, &f), 0);
	CHECK_EQ(daxfs_close(f), 0);
	/* four writers, each with its own O_APPEND handle */
	struct appender a[4];
	memset(a, 0, sizeof(a));
	uint32_t tids[4];
	for (int i = 0; i < 4; i++) {
		a[i].fs = fs;
		a[i].path = "/log";
		a[i].tid = tids[i] = (uint32_t)i + 10;
	}
	run_appenders(fs, a, 4);
	check_log(fs, "/log", tids, 4);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_log(fs, "/log", tids, 4);
	check_unmount_fsck(fs, p);
}

Test(concurrency, appends_through_one_shared_handle)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/log", O_CREAT | O_RDWR | O_APPEND, 0644, &f),
		 0);
	struct appender a[3];
	memset(a, 0, sizeof(a));
	uint32_t tids[3];
	for (int i = 0; i < 3; i++) {
		a[i].fs = fs;
		a[i].shared = f;
		a[i].tid = tids[i] = (uint32_t)i + 20;
	}
	run_appenders(fs, a, 3);
	CHECK_EQ(daxfs_close(f), 0);
	check_log(fs, "/log", tids, 3);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Disjoint writes to one file through one handle                      */
/* ------------------------------------------------------------------ */

#define REGION (256 * 1024)

struct region_writer {
	pthread_t th;
	daxfs_file *f;
	int idx;
	struct test_err err;
};

static void *region_main(void *arg)
{
	struct region_writer *r = arg;
	uint64_t rng = (uint64_t)r->idx + 99;
	off_t base = (off_t)r->idx * REGION;
	unsigned char buf[9000];
	size_t done = 0;
	while (done < REGION) {
		size_t n = 1 + (size_t)(test_rand(&rng) % sizeof(buf));
		if (n > REGION - done)
			n = REGION - done;
		test_pattern(buf, n, 500 + (uint64_t)r->idx,
			     (uint64_t)base + done);
		ssize_t w = daxfs_pwrite(r->f, buf, n, base + (off_t)done);
		if (w != (ssize_t)n) {
			test_fail(&r->err, "pwrite = %zd (%s)", w,
				  test_errname(w));
			return NULL;
		}
		done += n;
		/* read back what we just wrote while others write around */
		ssize_t rd = daxfs_pread(r->f, buf, n, base + (off_t)done - n);
		if (rd != (ssize_t)n ||
		    test_pattern_mismatch(buf, n, 500 + (uint64_t)r->idx,
					  (uint64_t)base + done - n) >= 0) {
			test_fail(&r->err,
				  "read back at %lld = %zd, data wrong",
				  (long long)(base + (off_t)done - n), rd);
			return NULL;
		}
	}
	return NULL;
}

Test(concurrency, disjoint_writes_through_one_handle)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/shared", O_CREAT | O_RDWR, 0644, &f), 0);
	struct region_writer rw[8];
	memset(rw, 0, sizeof(rw));
	for (int i = 0; i < 8; i++) {
		rw[i].f = f;
		rw[i].idx = i;
		cr_assert_eq(pthread_create(&rw[i].th, NULL, region_main, &rw[i]),
			     0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(rw[i].th, NULL);
	int anyfail = 0;
	for (int i = 0; i < 8; i++)
		anyfail |= rw[i].err.count;
	if (anyfail)
		daxfs_close(f);
	unmount_if(anyfail, fs);
	for (int i = 0; i < 8; i++)
		cr_assert(!rw[i].err.count, "writer %d: %s", i, rw[i].err.msg);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 8 * REGION);
	for (int i = 0; i < 8; i++)
		check_pread_pattern(f, 500 + (uint64_t)i, (off_t)i * REGION,
				    REGION);
	CHECK_EQ(daxfs_close(f), 0);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Races on one name                                                   */
/* ------------------------------------------------------------------ */

#define NRACE 8
#define NNAMES 150

struct racer {
	pthread_t th;
	daxfs *fs;
	int mode; /* 0 create excl, 1 unlink, 2 mkdir, 3 rmdir */
	int won[NNAMES];
	struct test_err err;
};

static pthread_barrier_t race_barrier;

static void *race_main(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(&race_barrier);
	for (int i = 0; i < NNAMES && !r->err.count; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/race/n%03d", i);
		int rc;
		switch (r->mode) {
		case 0: {
			daxfs_file *f = NULL;
			rc = daxfs_open(r->fs, path, O_CREAT | O_EXCL | O_WRONLY,
					0644, &f);
			if (rc == 0) {
				r->won[i] = 1;
				daxfs_close(f);
			} else if (rc != -EEXIST) {
				test_fail(&r->err, "create %s = %d (%s)", path,
					  rc, test_errname(rc));
			}
			break;
		}
		case 1:
			rc = daxfs_unlink(r->fs, path);
			if (rc == 0)
				r->won[i] = 1;
			else if (rc != -ENOENT)
				test_fail(&r->err, "unlink %s = %d (%s)", path,
					  rc, test_errname(rc));
			break;
		case 2:
			rc = daxfs_mkdir(r->fs, path, 0755);
			if (rc == 0)
				r->won[i] = 1;
			else if (rc != -EEXIST)
				test_fail(&r->err, "mkdir %s = %d (%s)", path,
					  rc, test_errname(rc));
			break;
		default:
			rc = daxfs_rmdir(r->fs, path);
			if (rc == 0)
				r->won[i] = 1;
			else if (rc != -ENOENT)
				test_fail(&r->err, "rmdir %s = %d (%s)", path,
					  rc, test_errname(rc));
			break;
		}
	}
	return NULL;
}

static void race_round(daxfs *fs, int mode)
{
	static struct racer rs[NRACE];
	memset(rs, 0, sizeof(rs));
	pthread_barrier_init(&race_barrier, NULL, NRACE);
	for (int i = 0; i < NRACE; i++) {
		rs[i].fs = fs;
		rs[i].mode = mode;
		cr_assert_eq(pthread_create(&rs[i].th, NULL, race_main, &rs[i]),
			     0);
	}
	for (int i = 0; i < NRACE; i++)
		pthread_join(rs[i].th, NULL);
	pthread_barrier_destroy(&race_barrier);
	int anyfail = 0;
	for (int i = 0; i < NRACE; i++)
		anyfail |= rs[i].err.count;
	unmount_if(anyfail, fs);
	for (int i = 0; i < NRACE; i++)
		cr_assert(!rs[i].err.count, "mode %d racer %d: %s", mode, i,
			  rs[i].err.msg);
	for (int n = 0; n < NNAMES; n++) {
		int wins = 0;
		for (int i = 0; i < NRACE; i++)
			wins += rs[i].won[n];
		cr_assert_eq(wins, 1, "mode %d: name %d had %d winners", mode, n,
			     wins);
	}
}

Test(concurrency, one_winner_per_name)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	CHECK_EQ(daxfs_mkdir(fs, "/race", 0755), 0);
	struct statvfs s0;
	CHECK_EQ(daxfs_statfs(fs, &s0), 0);
	struct stat st;
	int n;

	race_round(fs, 0); /* O_EXCL creates */
	n = 0;
	CHECK_EQ(daxfs_readdir(fs, "/race", test_count_cb, &n), 0);
	cr_assert_eq(n, NNAMES, "%d entries after the create race", n);
	race_round(fs, 1); /* unlinks */
	n = 0;
	CHECK_EQ(daxfs_readdir(fs, "/race", test_count_cb, &n), 0);
	cr_assert_eq(n, 0);
	race_round(fs, 2); /* mkdirs */
	CHECK_EQ(daxfs_stat(fs, "/race", &st), 0);
	cr_assert_eq(st.st_nlink, 2 + NNAMES, "nlink %lu after %d mkdirs",
		     (unsigned long)st.st_nlink, NNAMES);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	race_round(fs, 3); /* rmdirs */
	CHECK_EQ(daxfs_stat(fs, "/race", &st), 0);
	cr_assert_eq(st.st_nlink, 2);
	struct statvfs s1;
	CHECK_EQ(daxfs_statfs(fs, &s1), 0);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	/* the directory may keep its grown blocks; nothing else may leak */
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Renames in opposite directions                                      */
/* ------------------------------------------------------------------ */

#define NSWAP 300

struct swapper {
	pthread_t th;
	daxfs *fs;
	int id;
	struct test_err err;
};

static void *swap_main(void *arg)
{
	struct swapper *s = arg;
	/* thread i moves its file and its dir between /x and /y, starting
	 * on opposite sides, so that renames cross in both directions */
	const char *side[2] = {"/x", "/y"};
	int at = s->id % 2;
	char from[64], to[64];
	for (int i = 0; i < NSWAP && !s->err.count; i++) {
		snprintf(from, sizeof(from), "%s/f%d", side[at], s->id);
		snprintf(to, sizeof(to), "%s/f%d", side[!at], s->id);
		int r = daxfs_rename(s->fs, from, to);
		if (r) {
			test_fail(&s->err, "rename %s %s = %d (%s)", from, to,
				  r, test_errname(r));
			break;
		}
		snprintf(from, sizeof(from), "%s/d%d", side[at], s->id);
		snprintf(to, sizeof(to), "%s/d%d", side[!at], s->id);
		r = daxfs_rename(s->fs, from, to);
		if (r) {
			test_fail(&s->err, "rename %s %s = %d (%s)", from, to,
				  r, test_errname(r));
			break;
		}
		at = !at;
		/* touch the moved dir */
		char inner[80];
		snprintf(inner, sizeof(inner), "%s/d%d/in", side[at], s->id);
		struct stat st;
		r = daxfs_stat(s->fs, inner, &st);
		if (r) {
			test_fail(&s->err, "stat %s = %d", inner, r);
			break;
		}
	}
	return NULL;
}

Test(concurrency, crossing_renames_do_not_deadlock)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	CHECK_EQ(daxfs_mkdir(fs, "/x", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/y", 0755), 0);
	struct swapper sw[6];
	memset(sw, 0, sizeof(sw));
	for (int i = 0; i < 6; i++) {
		char path[64];
		const char *side = i % 2 ? "/y" : "/x";
		snprintf(path, sizeof(path), "%s/f%d", side, i);
		daxfs_file *f = NULL;
		CHECK_EQ(daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f), 0);
		CHECK_EQ(daxfs_pwrite(f, path, strlen(path), 0), strlen(path));
		CHECK_EQ(daxfs_close(f), 0);
		snprintf(path, sizeof(path), "%s/d%d", side, i);
		CHECK_EQ(daxfs_mkdir(fs, path, 0755), 0);
		snprintf(path, sizeof(path), "%s/d%d/in", side, i);
		CHECK_EQ(daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f), 0);
		CHECK_EQ(daxfs_close(f), 0);
		sw[i].fs = fs;
		sw[i].id = i;
	}
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pthread_create(&sw[i].th, NULL, swap_main, &sw[i]),
			     0);
	for (int i = 0; i < 6; i++)
		pthread_join(sw[i].th, NULL);
	int anyfail = 0;
	for (int i = 0; i < 6; i++)
		anyfail |= sw[i].err.count;
	unmount_if(anyfail, fs);
	for (int i = 0; i < 6; i++)
		cr_assert(!sw[i].err.count, "swapper %d: %s", i, sw[i].err.msg);
	/* NSWAP is even: everything is back where it started */
	struct stat st;
	for (int i = 0; i < 6; i++) {
		char path[64];
		const char *side = i % 2 ? "/y" : "/x";
		snprintf(path, sizeof(path), "%s/d%d/in", side, i);
		CHECK_EQ(daxfs_stat(fs, path, &st), 0);
		snprintf(path, sizeof(path), "%s/f%d", side, i);
		CHECK_EQ(daxfs_stat(fs, path, &st), 0);
		cr_assert_eq(st.st_size, (off_t)strlen(path));
	}
	CHECK_EQ(daxfs_stat(fs, "/x", &st), 0);
	cr_assert_eq(st.st_nlink, 2 + 3);
	CHECK_EQ(daxfs_stat(fs, "/y", &st), 0);
	cr_assert_eq(st.st_nlink, 2 + 3);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Lookups racing with unlink and rename                               */
/* ------------------------------------------------------------------ */

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
		if (r) {
			test_fail(&c->err, "rename = %d (%s)", r,
				  test_errname(r));
			break;
		}
		r = daxfs_unlink(c->fs, i % 2 ? "/r/y" : "/r/x");
		if (r) {
			test_fail(&c->err, "unlink = %d (%s)", r,
				  test_errname(r));
			break;
		}
		c->rounds++;
	}
	atomic_store(&c->stop, 1);
	return NULL;
}

struct looker {
	pthread_t th;
	struct churn *c;
	int kind; /* 0 stat, 1 open+read */
	struct test_err err;
	long ok, enoent;
};

static void *looker_main(void *arg)
{
	struct looker *l = arg;
	const char *names[2] = {"/r/x", "/r/y"};
	long i = 0;
	while (!atomic_load(&l->c->stop) && !l->err.count) {
		const char *n = names[i++ % 2];
		int r;
		if (l->kind == 0) {
			struct stat st;
			r = daxfs_stat(l->c->fs, n, &st);
		} else {
			daxfs_file *f = NULL;
			r = daxfs_open(l->c->fs, n, O_RDONLY, 0, &f);
			if (r == 0) {
				char b[8];
				ssize_t got = daxfs_pread(f, b, sizeof(b), 0);
				daxfs_close(f);
				if (got < 0 || got > 4) {
					test_fail(&l->err, "pread of %s = %zd",
						  n, got);
					break;
				}
			}
		}
		if (r == 0)
			l->ok++;
		else if (r == -ENOENT)
			l->enoent++;
		else
			test_fail(&l->err,
				  "%s(%s) racing with unlink/rename = %d (%s), "
				  "expected 0 or -ENOENT",
			     l->kind ? "open" : "stat", n, r, test_errname(r));
	}
	return NULL;
}

Test(concurrency, lookups_racing_with_unlink_and_rename)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	CHECK_EQ(daxfs_mkdir(fs, "/r", 0755), 0);
	struct churn c;
	memset(&c, 0, sizeof(c));
	c.fs = fs;
	struct looker l[3];
	memset(l, 0, sizeof(l));
	pthread_t ct;
	cr_assert_eq(pthread_create(&ct, NULL, churn_main, &c), 0);
	for (int i = 0; i < 3; i++) {
		l[i].c = &c;
		l[i].kind = i % 2;
		cr_assert_eq(pthread_create(&l[i].th, NULL, looker_main, &l[i]),
			     0);
	}
	pthread_join(ct, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(l[i].th, NULL);
	int anyfail = c.err.count;
	for (int i = 0; i < 3; i++)
		anyfail |= l[i].err.count;
	unmount_if(anyfail, fs);
	cr_assert(!c.err.count, "churn: %s", c.err.msg);
	for (int i = 0; i < 3; i++)
		cr_assert(!l[i].err.count,
			  "looker %d (%ld found, %ld ENOENT): %s",
			  i, l[i].ok, l[i].enoent, l[i].err.msg);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Truncate racing with reads and writes of the same file              */
/* ------------------------------------------------------------------ */

struct trunc_ctx {
	daxfs_file *f;
	atomic_int stop;
};

struct trunc_thread {
	pthread_t th;
	struct trunc_ctx *c;
	int kind; /* 0 truncate+rewrite, 1 reader, 2 writer of the tail */
	struct test_err err;
	long rounds;
};

#define TSIZE (200 * 1024)

static void *trunc_main(void *arg)
{
	struct trunc_thread *t = arg;
	unsigned char *buf = malloc(TSIZE);
	uint64_t rng = 1234 + (uint64_t)t->kind;
	for (long i = 0; i < 400 && !t->err.count; i++) {
		if (t->kind == 0) {
			off_t to = (off_t)(test_rand(&rng) % TSIZE);
			int r = daxfs_ftruncate(t->c->f, to);
			if (r) {
				test_fail(&t->err, "ftruncate(%lld) = %d (%s)",
					  (long long)to, r, test_errname(r));
				break;
			}
			test_pattern(buf, TSIZE, 777, 0);
			ssize_t w = daxfs_pwrite(t->c->f, buf, TSIZE, 0);
			if (w != TSIZE) {
				test_fail(&t->err, "pwrite = %zd (%s)", w,
					  test_errname(w));
				break;
			}
		} else {
			/* every byte is the pattern or zero (a hole or a
			 * truncated-then-extended range) */
			off_t off = (off_t)(test_rand(&rng) % (2 * TSIZE));
			size_t n = 1 + (size_t)(test_rand(&rng) % 32768);
			ssize_t r = daxfs_pread(t->c->f, buf, n, off);
			if (r < 0 || (size_t)r > n) {
				test_fail(&t->err,
					  "pread(%zu @ %lld) = %zd (%s)", n,
					  (long long)off, r, test_errname(r));
				break;
			}
			unsigned char want[32768];
			test_pattern(want, (size_t)r, 777, (uint64_t)off);
			for (ssize_t k = 0; k < r; k++)
				if (buf[k] && buf[k] != want[k]) {
					test_fail(&t->err,
						  "byte %lld is %#x: neither the "
						  "data nor zero",
						  (long long)off + k, buf[k]);
					break;
				}
			if (t->kind == 2) {
				/* extend past the end with the same pattern */
				test_pattern(buf, 4096, 777, TSIZE);
				ssize_t w = daxfs_pwrite(t->c->f, buf, 4096,
							 TSIZE);
				if (w != 4096) {
					test_fail(&t->err,
						  "tail pwrite = %zd (%s)", w,
						  test_errname(w));
					break;
				}
			}
		}
		t->rounds++;
	}
	free(buf);
	return NULL;
}

Test(concurrency, truncate_racing_with_reads_and_writes)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct statvfs s0;
	CHECK_EQ(daxfs_statfs(fs, &s0), 0);
	struct trunc_ctx c;
	memset(&c, 0, sizeof(c));
	CHECK_EQ(daxfs_open(fs, "/t", O_CREAT | O_RDWR, 0644, &c.f), 0);
	struct trunc_thread t[4];
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++) {
		t[i].c = &c;
		t[i].kind = i == 0 ? 0 : i == 3 ? 2 : 1;
		cr_assert_eq(pthread_create(&t[i].th, NULL, trunc_main, &t[i]),
			     0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i].th, NULL);
	int anyfail = 0;
	for (int i = 0; i < 4; i++)
		anyfail |= t[i].err.count;
	if (anyfail)
		daxfs_close(c.f);
	unmount_if(anyfail, fs);
	for (int i = 0; i < 4; i++)
		cr_assert(!t[i].err.count,
			  "thread %d (kind %d, %ld rounds): %s",
			  i, t[i].kind, t[i].rounds, t[i].err.msg);
	/* every allocated block is accounted for */
	CHECK_EQ(daxfs_ftruncate(c.f, 0), 0);
	CHECK_EQ(daxfs_close(c.f), 0);
	CHECK_EQ(daxfs_unlink(fs, "/t"), 0);
	struct statvfs s1;
	CHECK_EQ(daxfs_statfs(fs, &s1), 0);
	cr_assert_eq(s1.f_bfree, s0.f_bfree, "f_bfree %lu, %lu at start",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	check_unmount_fsck(fs, p);
}
