/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_kill.c -- process crashes (issue 11, item 6): a multi-threaded
 * workload SIGKILLed at random moments, and mounts killed likewise.
 *
 * A forked child mounts a fresh region on /dev/shm and runs THREADS
 * threads; each runs the crash harness's seeded workload
 * (util/crash_model.h: create, mkdir, symlink, link, unlink, rmdir, four
 * kinds of rename, truncate up and down, allocating, atomic and lazy
 * writes, append, overwrite, fallocate, punch, chmod, chown, utimens,
 * mknod, setxattr, removexattr, access ACLs) in its own directory /tN,
 * where its files /tN/v0..v2 share one attribute block
 * (crash_seed_shared), and in the shared directory /x under names of
 * its own (/x/tN_...): renames and links cross between /tN, its
 * subdirectories and /x.  Each thread records in a MAP_SHARED
 * log, made before the fork, every operation before it starts and its
 * result after it returns.  The parent SIGKILLs the child after a
 * seeded random delay within the workload's run time (mount, threads,
 * unmount).  ctest sets PMEM2_FORCE_GRANULARITY=CACHE_LINE: the region
 * is DRAM standing in for pmem, so a kill loses no cache line and this
 * tests the atomicity of each operation and durability on return.
 *
 * After each kill, in a forked child with a time limit: daxfs_mount
 * (which recovers), a walk of the whole tree and, per thread, the judge
 * of crash_model.h: every operation that returned must be there (names,
 * types, link counts, sizes, contents, symlink targets), the one in
 * flight wholly done or not at all; then daxfs_unmount.  Then e2fsck -fn
 * on the image (and e2fsck -fp on a copy when that fails: exit >= 4 is
 * "gave up").
 *
 * Asserted: no acknowledged operation lost, no mount or walk that
 * crashes or hangs, every image mounts and passes e2fsck -fn after the
 * mount's recovery, and no operation is half done but an overwrite
 * (its bytes are not atomic: a kill in the copy leaves some of each).
 * Printed: the per-kind table.
 *
 * Knobs: DAXFS_KILL_RUNS (kills of the workload, default 200),
 * DAXFS_KILL_MOUNT_RUNS (crash images whose mount is killed, default
 * 40), DAXFS_KILL_THREADS (2-4, default 3), DAXFS_KILL_OPS (operations
 * per thread, default 60), DAXFS_KILL_SEED (default 1),
 * DAXFS_KILL_VERBOSE=1 (every kill that is not clean),
 * DAXFS_KILL_KEEP=DIR (images of lost or crashed kills).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "crash_model.h"
#include "probe.h"

TestSuite(kill, .fini = test_cleanup, .timeout = 900);

#define K_THREADS 4            /* most threads */
#define K_OPS 400              /* most operations per thread */
#define K_IMG (16 * TEST_MIB)  /* the region */
#define K_SHARED "/x"          /* the directory all threads share */
#define K_JUDGE_S 120          /* a mount + walk longer than this hangs */
#define K_IDLE CK_NKINDS       /* the row of threads with nothing in flight */

/* A thread's operation: not started, started (in flight), returned. */
enum { ST_IDLE, ST_STARTED, ST_RETURNED };

/* Where the child was when it died. */
enum { PH_FORKED, PH_MOUNTING, PH_RUNNING, PH_UNMOUNTING, PH_DONE, PH_N };

static const char *const phase_name[PH_N] = {
	"forked", "mounting", "running", "unmounting", "exited",
};

/* One operation of one thread, and what the child recorded of it. */
struct kill_rec {
	struct crash_op op;     /* the thread's model paths (the parent's) */
	atomic_int state;       /* ST_*: set before the call, after it */
	int result;             /* 0 or a negative errno, once returned */
};

/* The MAP_SHARED area: the workload (made by the parent), the child's
 * log of it, the judge child's verdicts. */
struct kill_log {
	atomic_int phase;                       /* PH_* */
	int nthreads, nops;
	_Atomic double t_start, t_end;          /* child's test_now() */
	_Atomic double t_mounted, t_ran;        /* mount, threads done */
	struct kill_rec rec[K_THREADS][K_OPS];
	int verdict[K_THREADS];                 /* judge: CV_* per thread */
	int shared;                             /* judge: CV_* of / and /x */
	char why[512];                          /* judge: first difference */
};

/* What the parent rebuilt from the log: per thread, the model before the
 * operation in flight and after it, and that operation (kind CK_UNMOUNT
 * and no path when nothing is in flight). */
struct kill_view {
	int nthreads;
	struct model before[K_THREADS], after[K_THREADS];
	struct crash_op op[K_THREADS];
	bool inflight[K_THREADS];
	int errors;                             /* operations that failed */
	char error[256];
};

/* The knobs (see the top). */
struct kill_cfg {
	unsigned long runs, mount_runs, seed;
	int threads, ops;
	bool verbose;
	const char *keep;
};

/* An unsigned environment variable, or def. */
static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* The knobs from the environment, clamped to what the log holds. */
static void cfg_load(struct kill_cfg *c)
{
	c->runs = env_ul("DAXFS_KILL_RUNS", 200);
	c->mount_runs = env_ul("DAXFS_KILL_MOUNT_RUNS", 40);
	c->seed = env_ul("DAXFS_KILL_SEED", 1);
	c->threads = (int)env_ul("DAXFS_KILL_THREADS", 3);
	c->ops = (int)env_ul("DAXFS_KILL_OPS", 60);
	c->verbose = env_ul("DAXFS_KILL_VERBOSE", 0) != 0;
	c->keep = getenv("DAXFS_KILL_KEEP");
	if (c->threads < 2)
		c->threads = 2;
	if (c->threads > K_THREADS)
		c->threads = K_THREADS;
	if (c->ops < 1)
		c->ops = 1;
	if (c->ops > K_OPS - 1) /* one slot for the self-check's forgery */
		c->ops = K_OPS - 1;
}

/* ---- a thread's names ------------------------------------------------ */

/*
 * Each thread's model is a whole tree ("/", "/lost+found", the fixed
 * directory "/x" and the thread's names); on the file system its "/" is
 * /tN, "/x" is the shared /x and "/x/NAME..." is /x/tN_NAME...
 */

/* The real path of thread t's model path p ("" stays ""). */
static void to_real(int t, const char *p, char *out)
{
	if (!p[0] || strcmp(p, "/lost+found") == 0 ||
	    strcmp(p, K_SHARED) == 0)
		snprintf(out, M_PATH, "%s", p);
	else if (strncmp(p, K_SHARED "/", 3) == 0)
		snprintf(out, M_PATH, K_SHARED "/t%d_%s", t, p + 3);
	else
		snprintf(out, M_PATH, "/t%d%s", t, strcmp(p, "/") ? p : "");
}

/* Thread t's model path of the real path p into out; false if p is not
 * one of thread t's (nor shared). */
static bool to_model(int t, const char *p, char *out)
{
	char own[16];
	size_t n;

	if (strcmp(p, "/lost+found") == 0 || strncmp(p, "/lost+found/", 12) == 0
	    || strcmp(p, K_SHARED) == 0) {
		snprintf(out, M_PATH, "%s", p);
		return true;
	}
	n = (size_t)snprintf(own, sizeof(own), K_SHARED "/t%d_", t);
	if (strncmp(p, own, n) == 0) {
		snprintf(out, M_PATH, K_SHARED "/%s", p + n);
		return true;
	}
	n = (size_t)snprintf(own, sizeof(own), "/t%d", t);
	if (strncmp(p, own, n) || (p[n] && p[n] != '/'))
		return false;
	snprintf(out, M_PATH, "%s", p[n] ? p + n : "/");
	return true;
}

/* The model of thread t's fresh tree: "/", "/lost+found", "/x". */
static void thread_model(struct model *m)
{
	struct crash_op mk = { .kind = CK_MKDIR, .a = K_SHARED };

	model_init(m);
	model_apply(m, &mk);
	model_shared(m);
	snprintf(m->fixed, sizeof(m->fixed), K_SHARED);
}

/* The subdirectories of /x in thread model m. */
static int shared_subdirs(const struct model *m)
{
	int i, n = 0;

	for (i = 0; i < m->nent; i++)
		n += strncmp(m->ent[i].path, K_SHARED "/", 3) == 0 &&
		     !strchr(m->ent[i].path + 3, '/') &&
		     m->obj[m->ent[i].obj].type == 'd';
	return n;
}

/* ---- the child: the workload ----------------------------------------- */

/* One worker thread's arguments. */
struct worker {
	struct kill_log *log;
	daxfs *fs;
	int t;
};

/* Thread t: record, run, record the result of its operations, back to
 * back; it stops at the first one that fails (the operations after it
 * were made for a tree that is no longer there). */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct crash_op real;
	int i;

	for (i = 0; i < w->log->nops; i++) {
		struct kill_rec *r = &w->log->rec[w->t][i];

		real = r->op;
		to_real(w->t, r->op.a, real.a);
		to_real(w->t, r->op.b, real.b);
		atomic_store(&r->state, ST_STARTED);
		r->result = model_exec(w->fs, &real);
		atomic_store(&r->state, ST_RETURNED);
		if (r->result)
			break;
	}
	model_exec_end(); /* an append's file left open */
	return NULL;
}

/* The child: mount img, run the threads, unmount; its exit code. */
static int child_workload(struct kill_log *log, const char *img)
{
	struct worker w[K_THREADS];
	pthread_t th[K_THREADS];
	daxfs *fs;
	int t, n = 0;

	atomic_store(&log->t_start, test_now());
	atomic_store(&log->phase, PH_MOUNTING);
	if (daxfs_mount(img, 0, &fs))
		return 2;
	atomic_store(&log->t_mounted, test_now());
	atomic_store(&log->phase, PH_RUNNING);
	for (t = 0; t < log->nthreads; t++) {
		w[t] = (struct worker){ log, fs, t };
		if (pthread_create(&th[t], NULL, worker_run, &w[t]))
			break;
		n++;
	}
	for (t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	atomic_store(&log->t_ran, test_now());
	atomic_store(&log->phase, PH_UNMOUNTING);
	if (daxfs_unmount(fs))
		return 3;
	atomic_store(&log->phase, PH_DONE);
	atomic_store(&log->t_end, test_now());
	return n == log->nthreads ? 0 : 4;
}

/* The child of the mount kills: mount img and unmount it. */
static int child_mount(struct kill_log *log, const char *img)
{
	daxfs *fs;
	int ret = 0;

	atomic_store(&log->t_start, test_now());
	if (daxfs_mount(img, 0, &fs))
		ret = 2;
	else if (daxfs_unmount(fs))
		ret = 3;
	atomic_store(&log->t_end, test_now());
	return ret;
}

/* ---- the parent: running and killing the child ----------------------- */

/* Sleep until delay_us after the child started (it notes when in the
 * log), or 1 s at most while it does not start. */
static void sleep_after_start(struct kill_log *log, long delay_us)
{
	double t0 = test_now(), start, left;

	while ((start = atomic_load(&log->t_start)) == 0 &&
	       test_now() - t0 < 1)
		test_sleep_us(10);
	left = (start ? start : t0) + delay_us * 1e-6 - test_now();
	if (left > 0)
		test_sleep_us((long)(left * 1e6));
}

/* Fork the workload child (mount_only: the mount child) on img and
 * SIGKILL it delay_us after it started (never if < 0); its wait status,
 * or -1.  *elapsed (if elapsed) gets its seconds from start to end. */
static int run_child(struct kill_log *log, const char *img, bool mount_only,
		     long delay_us, double *elapsed)
{
	int status;
	pid_t pid;

	atomic_store(&log->t_start, 0);
	atomic_store(&log->t_end, 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) /* _exit: a killed child's leaks are by design */
		_exit(mount_only ? child_mount(log, img)
				 : child_workload(log, img));
	if (delay_us >= 0) {
		sleep_after_start(log, delay_us);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (elapsed)
		*elapsed = atomic_load(&log->t_end) - atomic_load(&log->t_start);
	return status;
}

/* Empty the log and make the workload of run number run of c in it:
 * each thread's seeded operations, chosen for the tree its earlier ones
 * leave (made here, so that the threads run them back to back). */
static void log_reset(struct kill_log *log, const struct kill_cfg *c,
		      unsigned long run)
{
	struct model *m = malloc(sizeof(*m));
	uint64_t rng;
	int t, i;

	cr_assert(m);
	memset(log, 0, sizeof(*log));
	log->nthreads = c->threads;
	log->nops = c->ops;
	for (t = 0; t < c->threads; t++) {
		rng = (c->seed * 1000003u + run) * 7919u + (uint64_t)t;
		test_rand(&rng);
		thread_model(m);
		for (i = 0; i < c->ops; i++) {
			model_gen(m, &rng, i + 1, &log->rec[t][i].op);
			model_apply(m, &log->rec[t][i].op);
		}
	}
	free(m);
}

/* Rebuild thread t's models from the log: the operations that returned
 * (in order, up to the first that failed), then the one in flight. */
static void view_thread(const struct kill_log *log, int t,
			struct kill_view *v)
{
	const struct kill_rec *r = NULL;
	struct model *b = &v->before[t];
	char d[160];
	int i, st = ST_IDLE;

	thread_model(b);
	for (i = 0; i < K_OPS; i++) {
		r = &log->rec[t][i];
		st = atomic_load(&r->state);
		if (st != ST_RETURNED || r->result)
			break;
		model_apply(b, &r->op);
	}
	if (st == ST_RETURNED && r->result && !v->errors++)
		snprintf(v->error, sizeof(v->error), "thread %d op %d %s: %s",
			 t, i, model_describe(&r->op, d, sizeof(d)),
			 test_errname(r->result));
	v->after[t] = *b;
	memset(&v->op[t], 0, sizeof(v->op[t]));
	v->op[t].kind = CK_UNMOUNT; /* names nothing */
	v->inflight[t] = st == ST_STARTED;
	if (v->inflight[t]) {
		v->op[t] = r->op;
		model_apply(&v->after[t], &r->op);
	}
}

/* Rebuild every thread's models from the log. */
static void view_build(const struct kill_log *log, struct kill_view *v)
{
	int t;

	v->nthreads = log->nthreads;
	v->errors = 0;
	v->error[0] = 0;
	for (t = 0; t < log->nthreads; t++)
		view_thread(log, t, v);
}

/* ---- the judge --------------------------------------------------------- */

/*
 * The walk seen by thread k: its names as model paths, with the link
 * counts of the directories it shares made its own: its "/" (/tk) also
 * holds "/lost+found" and "/x" in the model; "/x" gets 2 and thread k's
 * subdirectories of it (the real count is judge_shared()'s).
 */
static void thread_tree(const struct gtree *t, int k, struct gtree *out)
{
	char mp[M_PATH], own[16];
	int i, xsub = 0;
	size_t n = (size_t)snprintf(own, sizeof(own), K_SHARED "/t%d_", k);

	out->n = 0;
	out->overflow = t->overflow;
	memcpy(out->why, t->why, sizeof(out->why));
	for (i = 0; i < t->n; i++) {
		const struct gent *g = &t->e[i];

		if (!to_model(k, g->path, mp))
			continue;
		xsub += strncmp(g->path, own, n) == 0 &&
			!strchr(g->path + n, '/') && g->type == 'd';
		out->e[out->n] = *g;
		snprintf(out->e[out->n++].path, M_PATH, "%s", mp);
	}
	for (i = 0; i < out->n; i++) {
		if (strcmp(out->e[i].path, "/") == 0)
			out->e[i].nlink += 2;
		else if (strcmp(out->e[i].path, K_SHARED) == 0)
			out->e[i].nlink = 2 + (unsigned)xsub;
	}
}

/*
 * What no thread owns: every name is some thread's (or lost+found, /x),
 * "/" counts lost+found, /x and the /tN, and /x counts its
 * subdirectories.  CV_OLD when so; CV_HALF when only /x's count is off
 * and an operation in flight changes it; else CV_LOST.
 */
static int judge_shared(const struct gtree *t, const struct kill_view *v,
			char *why, size_t n)
{
	long root = -1, x = -1, xsub = 0;
	int i, k, changes = 0;
	char mp[M_PATH];

	for (i = 0; i < t->n; i++) {
		const struct gent *g = &t->e[i];

		if (strcmp(g->path, "/") == 0 || strcmp(g->path, K_SHARED) == 0) {
			*(g->path[1] ? &x : &root) = g->type == 'd' ? g->nlink : -1;
			continue;
		}
		xsub += strncmp(g->path, K_SHARED "/", 3) == 0 &&
			!strchr(g->path + 3, '/') && g->type == 'd';
		for (k = 0; k < v->nthreads && !to_model(k, g->path, mp); k++)
			;
		if (k == v->nthreads) {
			snprintf(why, n, "shared: a name no thread made: %s", g->path);
			return CV_LOST;
		}
	}
	if (root != 4 + v->nthreads) {
		snprintf(why, n, "shared: / has link count %ld, not %d", root,
			 4 + v->nthreads);
		return CV_LOST;
	}
	if (x == 2 + xsub)
		return CV_OLD;
	for (k = 0; k < v->nthreads; k++)
		changes += shared_subdirs(&v->before[k]) !=
			   shared_subdirs(&v->after[k]);
	snprintf(why, n, "shared: " K_SHARED " has link count %ld with %ld "
		 "subdirectories", x, xsub);
	return changes ? CV_HALF : CV_LOST;
}

/* What the judge child gets. */
struct judge_arg {
	const char *img;
	struct kill_log *log;           /* the verdicts go there */
	const struct kill_view *v;
};

/* The judge child: mount (which recovers), walk, judge the shared part
 * and each thread, unmount (e2fsck -fn then checks what recovery left);
 * 0 with the verdicts in the log, 1 if daxfs_mount or daxfs_unmount
 * failed, 2 if out of memory. */
static int judge_main(void *arg)
{
	struct judge_arg *a = arg;
	struct kill_log *log = a->log;
	struct gtree *t, *tt = malloc(sizeof(*tt));
	char why[384];
	daxfs *fs;
	int k, ret;

	ret = daxfs_mount(a->img, 0, &fs);
	if (ret) {
		snprintf(log->why, sizeof(log->why), "daxfs_mount: %s: %s",
			 test_errname(ret), daxfs_errormsg());
		return 1;
	}
	t = crash_walk(fs);
	if (!t || !tt)
		return 2;
	log->shared = judge_shared(t, a->v, log->why, sizeof(log->why));
	for (k = 0; k < a->v->nthreads; k++) {
		thread_tree(t, k, tt);
		log->verdict[k] = crash_judge_tree(tt, &a->v->before[k],
						   &a->v->after[k],
						   &a->v->op[k], why,
						   sizeof(why));
		if (log->verdict[k] > CV_NEW && !log->why[0])
			snprintf(log->why, sizeof(log->why), "thread %d: %s",
				 k, why);
	}
	if (daxfs_unmount(fs)) {
		snprintf(log->why, sizeof(log->why), "daxfs_unmount: %s",
			 daxfs_errormsg());
		return 1;
	}
	return 0;
}

/* ---- counting ------------------------------------------------------------ */

/* One row of the table: a kind of operation in flight at a kill. */
struct kill_row {
	unsigned long n;        /* threads that had one in flight */
	unsigned long old, new; /* it was not done / wholly done */
	unsigned long half;     /* neither */
	unsigned long lost;     /* an acknowledged operation lost */
	unsigned long fsck_n;   /* the image failed e2fsck -fn */
	unsigned long fsck_p;   /* e2fsck -fp gave up on a copy */
};

/* The counts of a series of kills. */
struct kill_sum {
	struct kill_row row[K_IDLE + 1];
	unsigned long kills, phase[PH_N];       /* where the child died */
	unsigned long images, fsck_n, fsck_p;   /* images checked */
	unsigned long lost, half, mfail, crashed;
	unsigned long op_errors;                /* workload calls that failed */
	char first_lost[1024], first_half[1024], first_mfail[1024];
	char first_crash[1024], first_error[256];
};

/* e2fsck -fn on img; when it fails, e2fsck -fp on a copy: *gave_up if
 * that exits >= 4 ("RUN fsck MANUALLY").  Whether -fn failed. */
static bool fsck_image(const char *img, const char *copy, bool *gave_up)
{
	const char *argv[] = { "e2fsck", "-fp", copy, NULL };
	char *out = NULL, *buf;
	size_t len = 0;
	int rc;

	rc = test_e2fsck(img, &out);
	free(out);
	*gave_up = false;
	if (rc == 0)
		return false;
	buf = test_read_file(img, &len);
	cr_assert(buf && test_write_file(copy, buf, len) == 0, "copy %s", img);
	free(buf);
	out = NULL;
	rc = test_run(argv, TEST_RUN_MERGE, &out, NULL, NULL);
	free(out);
	*gave_up = rc < 0 || (rc & ~3) != 0;
	return true;
}

/* "t0 create /x/f3; t1 -; ..." (the operations in flight) into buf. */
static const char *describe_inflight(const struct kill_view *v, char *buf,
				     size_t n)
{
	char d[200];
	size_t k = 0;
	int t;

	buf[0] = 0;
	for (t = 0; t < v->nthreads && k < n; t++)
		k += (size_t)snprintf(buf + k, n - k, "%st%d %s", t ? "; " : "",
				      t, v->inflight[t] ? model_describe(
				      &v->op[t], d, sizeof(d)) : "-");
	return buf;
}

/* Note the first example of a kind of failure: what, where, why. */
static void note(char *first, size_t n, const char *label,
		 const struct kill_view *v, const char *why, bool verbose,
		 const char *tag)
{
	char buf[900], d[600];

	snprintf(buf, sizeof(buf), "%s; in flight: %s; %s", label,
		 describe_inflight(v, d, sizeof(d)), why);
	if (!first[0])
		snprintf(first, n, "%s", buf);
	if (verbose)
		fprintf(stderr, "kill: %s: %s\n", tag, buf);
}

/* Count the judge's verdicts of one image into s; returns whether
 * something acknowledged was lost. */
static bool count_verdicts(struct kill_sum *s, const struct kill_log *log,
			   const struct kill_view *v, bool fn, bool fp)
{
	bool lost = log->shared == CV_LOST, half = log->shared == CV_HALF;
	int t;

	for (t = 0; t < v->nthreads; t++) {
		struct kill_row *r = &s->row[v->inflight[t] ? v->op[t].kind
							    : K_IDLE];
		int vd = log->verdict[t];

		r->n++;
		r->old += vd == CV_OLD;
		r->new += vd == CV_NEW;
		r->half += vd == CV_HALF;
		r->lost += vd == CV_LOST;
		r->fsck_n += fn && v->inflight[t];
		r->fsck_p += fp && v->inflight[t];
		lost |= vd == CV_LOST;
		half |= vd == CV_HALF;
	}
	s->lost += lost;
	s->half += half && !lost;
	return lost || half;
}

/* Check the image img after a kill: e2fsck, then mount + walk + judge in
 * a child with a time limit; count into s.  label says which kill.
 * Whether the image was lost, crashed or not mountable. */
static bool check_image(const struct kill_cfg *c, const char *img,
			const char *copy, struct kill_log *log,
			const struct kill_view *v, struct kill_sum *s,
			const char *label)
{
	struct judge_arg ja = { img, log, v };
	unsigned long lost0 = s->lost;
	bool fn, fp = false, bad;
	int rc, t;

	log->why[0] = 0;
	log->shared = CV_NVERDICT;
	for (t = 0; t < K_THREADS; t++)
		log->verdict[t] = CV_NVERDICT;
	rc = test_fork_run(judge_main, &ja, K_JUDGE_S);
	fn = fsck_image(img, copy, &fp); /* what recovery left */
	s->images++;
	s->fsck_n += fn;
	s->fsck_p += fp;
	if (rc == 0) {
		bad = count_verdicts(s, log, v, fn, fp);
		if (bad)
			note(s->lost > lost0 ? s->first_lost : s->first_half,
			     sizeof(s->first_lost), label, v, log->why,
			     c->verbose, s->lost > lost0 ? "LOST" : "half");
		return s->lost > lost0;
	}
	if (rc == 1) {
		s->mfail++;
		note(s->first_mfail, sizeof(s->first_mfail), label, v, log->why,
		     c->verbose, "mount failed");
		return true;
	}
	s->crashed++;
	snprintf(log->why, sizeof(log->why), "mount/walk child %s %d",
		 rc < 0 ? "hung, killed after (s)" : rc > 128 ? "died of signal"
		 : "exited", rc < 0 ? K_JUDGE_S : rc > 128 ? rc - 128 : rc);
	note(s->first_crash, sizeof(s->first_crash), label, v, log->why,
	     c->verbose, "CRASH");
	return true;
}

/* One row of the table. */
static void print_row(const char *name, const struct kill_row *r)
{
	printf("%-13s %9lu %6lu %6lu %5lu %5lu %6lu %6lu\n", name, r->n,
	       r->old, r->new, r->half, r->lost, r->fsck_n, r->fsck_p);
}

/* The table of s, headed by title. */
static void print_sum(const struct kill_sum *s, const char *title)
{
	int k;

	printf("%s\n%-13s %9s %6s %6s %5s %5s %6s %6s\n", title, "in flight",
	       "threads", "old", "new", "half", "lost", "fsck-n", "fsck-p");
	for (k = 0; k < K_IDLE; k++)
		if (s->row[k].n)
			print_row(crash_kind_name(k), &s->row[k]);
	print_row("(nothing)", &s->row[K_IDLE]);
	printf("images %lu: e2fsck -fn failed %lu, e2fsck -fp gave up %lu, "
	       "lost %lu, half done %lu, mount failed %lu, mount/walk "
	       "crashed or hung %lu\n", s->images, s->fsck_n, s->fsck_p,
	       s->lost, s->half, s->mfail, s->crashed);
	printf("kills %lu: child mounting %lu, running %lu, unmounting %lu, "
	       "exited before the kill %lu; workload calls that failed %lu\n",
	       s->kills, s->phase[PH_FORKED] + s->phase[PH_MOUNTING],
	       s->phase[PH_RUNNING], s->phase[PH_UNMOUNTING],
	       s->phase[PH_DONE], s->op_errors);
	printf("old/new: the thread's operation in flight not done / wholly "
	       "done; half: neither; lost: an acknowledged operation's "
	       "effect missing; fsck-n/fsck-p: images with an operation of "
	       "the kind in flight that fail e2fsck -fn / on which e2fsck "
	       "-fp gives up (exit >= 4)\n");
	fflush(stdout);
}

/* ---- the tests --------------------------------------------------------- */

/* What every test sets up: the knobs, the image paths, the template
 * image's bytes, the shared log, the parent's views and counts. */
struct kill_fix {
	struct kill_cfg c;
	const char *img, *copy;
	unsigned char *tmpl;            /* the fresh tree: /x, /t0.. */
	size_t tmpl_len;
	struct kill_log *log;           /* MAP_SHARED */
	struct kill_view *v;
	struct kill_sum *s;
	double run_s;                   /* a whole workload, the median */
	double mount_ms, ops_ms, umount_ms; /* its parts, mean of five */
};

/* mkfs, mount, mkdir /x and /t0.., unmount: the template's bytes. */
static void make_template(struct kill_fix *f)
{
	char p[16];
	daxfs *fs;
	int t;

	cr_assert_eq(test_mkfs(f->img, K_IMG, 0, 0), 0, "mkfs");
	cr_assert_eq(daxfs_mount(f->img, 0, &fs), 0, "%s", daxfs_errormsg());
	cr_assert_eq(daxfs_mkdir(fs, K_SHARED, 0755), 0);
	for (t = 0; t < f->c.threads; t++) {
		snprintf(p, sizeof(p), "/t%d", t);
		cr_assert_eq(daxfs_mkdir(fs, p, 0755), 0);
	}
	cr_assert_eq(daxfs_unmount(fs), 0);
	for (t = 0; t < f->c.threads; t++) { /* /tN/v0.. share a block */
		snprintf(p, sizeof(p), "/t%d", t);
		cr_assert_eq(crash_seed_shared(f->img, p), 0);
	}
	f->tmpl = (unsigned char *)test_read_file(f->img, &f->tmpl_len);
	cr_assert(f->tmpl && f->tmpl_len == K_IMG);
}

/* A fresh image at f->img. */
static void fresh_image(struct kill_fix *f)
{
	cr_assert_eq(test_write_file(f->img, f->tmpl, f->tmpl_len), 0);
}

/* qsort's order of doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Set up f, then run the whole workload of run 0 once without a kill:
 * it must end (exit 0, no call failing), its image pass e2fsck -fn, and
 * every operation be found (all acknowledged, none in flight).  Its
 * duration is the scale of the kill delays; the log stays for the
 * self-check.
 */
static void fix_setup(struct kill_fix *f)
{
	struct kill_sum *s;
	double t[5];
	int k, st;

	memset(f, 0, sizeof(*f));
	cfg_load(&f->c);
	f->img = test_image_path("kill");
	f->copy = test_image_path("kill-copy");
	f->log = mmap(NULL, sizeof(*f->log), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	f->v = calloc(1, sizeof(*f->v));
	f->s = calloc(1, sizeof(*f->s));
	s = calloc(1, sizeof(*s));
	cr_assert(f->img && f->copy && f->log != MAP_FAILED && f->v && f->s && s);
	make_template(f);
	for (k = 0; k < 5; k++) { /* the median of five runs */
		fresh_image(f);
		log_reset(f->log, &f->c, 0);
		st = run_child(f->log, f->img, false, -1, &t[k]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "the workload without a kill: status %#x", st);
		f->mount_ms += (f->log->t_mounted - f->log->t_start) * 200;
		f->ops_ms += (f->log->t_ran - f->log->t_mounted) * 200;
		f->umount_ms += (f->log->t_end - f->log->t_ran) * 200;
	}
	qsort(t, 5, sizeof(t[0]), cmp_double);
	f->run_s = t[2];
	view_build(f->log, f->v);
	cr_assert_eq(f->v->errors, 0, "a workload call failed: %s",
		     f->v->error);
	check_image(&f->c, f->img, f->copy, f->log, f->v, s, "no kill");
	cr_assert_eq(s->fsck_n, 0, "e2fsck -fn after a clean unmount");
	cr_assert_eq(s->row[K_IDLE].old, (unsigned long)f->c.threads,
		     "the finished workload is not all there: %s%s%s",
		     s->first_lost, s->first_mfail, s->first_crash);
	free(s);
}

/* Free what fix_setup() took. */
static void fix_teardown(struct kill_fix *f)
{
	munmap(f->log, sizeof(*f->log));
	free(f->tmpl);
	free(f->v);
	free(f->s);
}

/* A random delay in [0, 1.1 * s] microseconds. */
static long rand_delay(uint64_t *rng, double s)
{
	return (long)(test_rand(rng) % (uint64_t)(1.1 * s * 1e6 + 1));
}

/* Keep img as DIR/kill-<seed>-<what>-<run>.img if DAXFS_KILL_KEEP. */
static void keep_image(const struct kill_fix *f, const char *what,
		       unsigned long run)
{
	char p[512];
	char *buf;
	size_t len;

	if (!f->c.keep)
		return;
	snprintf(p, sizeof(p), "%s/kill-%lu-%s-%lu.img", f->c.keep,
		 f->c.seed, what, run);
	buf = test_read_file(f->img, &len);
	if (buf)
		(void)test_write_file(p, buf, len);
	free(buf);
}

/* Kill run number run of the workload at a random moment; rebuild the
 * views from its log.  The delay goes into *delay. */
static void kill_workload(struct kill_fix *f, unsigned long run,
			  uint64_t *rng, long *delay)
{
	fresh_image(f);
	log_reset(f->log, &f->c, run);
	*delay = rand_delay(rng, f->run_s);
	cr_assert_neq(run_child(f->log, f->img, false, *delay, NULL), -1);
	f->s->kills++;
	f->s->phase[atomic_load(&f->log->phase)]++;
	view_build(f->log, f->v);
	f->s->op_errors += f->v->errors;
	if (f->v->errors && !f->s->first_error[0])
		snprintf(f->s->first_error, sizeof(f->s->first_error), "%s",
			 f->v->error);
}

/* Threads whose operation in flight was found half done, plain and lazy
 * overwrites (not atomic: bytes) left out. */
static unsigned long half_but_overwrites(const struct kill_sum *s)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < K_IDLE; k++)
		if (k != CK_OVERWRITE && k != CK_LAZY)
			n += s->row[k].half;
	return n;
}

/* What must hold after the kills. */
static void assert_sum(const struct kill_fix *f)
{
	const struct kill_sum *s = f->s;

	cr_assert_eq(s->crashed, 0, "daxfs_mount/walk of a killed image "
		     "died or hung: %s", s->first_crash);
	cr_assert_eq(s->lost, 0, "an acknowledged operation was lost: %s",
		     s->first_lost);
	cr_assert_eq(s->op_errors, 0, "a workload call failed: %s",
		     s->first_error);
	/* Every operation atomic (issue 11): recovery by the mount alone. */
	cr_expect_eq(s->fsck_n, 0, "killed images fail e2fsck -fn after "
		     "the mount's recovery");
	cr_expect_eq(s->fsck_p, 0, "e2fsck -p gives up");
	cr_expect_eq(half_but_overwrites(s), 0, "half-done operations: %s",
		     s->first_half);
	cr_expect_eq(s->mfail, 0, "daxfs_mount refused images: %s",
		     s->first_mfail);
}

Test(kill, workload)
{
	struct kill_fix f;
	uint64_t rng;
	unsigned long run;
	char label[128], title[256];
	long delay;

	fix_setup(&f);
	rng = f.c.seed;
	for (run = 1; run <= f.c.runs; run++) {
		kill_workload(&f, run, &rng, &delay);
		snprintf(label, sizeof(label), "seed %lu run %lu (killed "
			 "after %ld us, %s)", f.c.seed, run, delay,
			 phase_name[atomic_load(&f.log->phase)]);
		if (check_image(&f.c, f.img, f.copy, f.log, f.v, f.s, label))
			keep_image(&f, "workload", run);
	}
	snprintf(title, sizeof(title), "process kills: seed %lu, %lu kills "
		 "of %d threads x %d operations (a run: mount %.2f ms, "
		 "operations %.2f ms, unmount %.2f ms)", f.c.seed, f.c.runs,
		 f.c.threads, f.c.ops, f.mount_ms, f.ops_ms, f.umount_ms);
	print_sum(f.s, title);
	cr_assert_gt(f.s->phase[PH_RUNNING], 0, "no kill hit the workload");
	assert_sum(&f);
	fix_teardown(&f);
}

/* A mount + unmount of the fresh image in seconds: the median of five
 * (the first is cold). */
static double mount_time(struct kill_fix *f)
{
	double s[5];
	int k, st;

	for (k = 0; k < 5; k++) {
		fresh_image(f);
		memset(f->log, 0, sizeof(*f->log));
		st = run_child(f->log, f->img, true, -1, &s[k]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mount: %#x",
			  st);
	}
	qsort(s, 5, sizeof(s[0]), cmp_double);
	return s[2];
}

Test(kill, during_mount)
{
	struct kill_fix f;
	unsigned long run, killed = 0, ended = 0;
	char label[160], title[200];
	uint64_t rng;
	double mount_s;
	long delay, md;
	int k, st;

	/* A killed workload's image, then mounts of it (where recovery
	 * will run) killed at random moments, three times: it still
	 * mounts, with every acknowledged operation there. */
	fix_setup(&f);
	mount_s = mount_time(&f);
	rng = f.c.seed ^ 0x6d6f756e74ull;
	for (run = 1; run <= f.c.mount_runs; run++) {
		kill_workload(&f, run, &rng, &delay);
		for (k = 0; k < 3; k++) {
			md = rand_delay(&rng, mount_s);
			st = run_child(f.log, f.img, true, md, NULL);
			killed += WIFSIGNALED(st);
			ended += WIFEXITED(st);
		}
		snprintf(label, sizeof(label), "seed %lu run %lu (killed "
			 "after %ld us, then 3 mounts killed, the last after "
			 "%ld us)", f.c.seed, run, delay, md);
		if (check_image(&f.c, f.img, f.copy, f.log, f.v, f.s, label))
			keep_image(&f, "mount", run);
	}
	snprintf(title, sizeof(title), "kills during mount: seed %lu, %lu "
		 "killed workloads, 3 mounts of each killed within %.1f ms: "
		 "%lu killed, %lu ended first", f.c.seed, f.c.mount_runs,
		 mount_s * 1.1e3, killed, ended);
	print_sum(f.s, title);
	cr_assert_gt(killed, 0, "no mount was killed");
	cr_assert_eq(f.s->mfail, 0, "the image no longer mounts: %s",
		     f.s->first_mfail);
	assert_sum(&f);
	fix_teardown(&f);
}

/* Forge op in thread t's log after its last returned operation, in state
 * st (as if the child had recorded it); returns its slot. */
static int forge(struct kill_log *log, int t, const struct crash_op *op,
		 int st)
{
	int i = 0;

	while (atomic_load(&log->rec[t][i].state) == ST_RETURNED)
		i++;
	cr_assert_lt(i, K_OPS);
	log->rec[t][i].op = *op;
	log->rec[t][i].result = 0;
	atomic_store(&log->rec[t][i].state, st);
	return i;
}

/* Judge the finished workload's image with the forgery in the log, then
 * take the forgery out again; the sum of that one judgement. */
static void judge_forged(struct kill_fix *f, int t, const struct crash_op *op,
			 int st, struct kill_sum *s)
{
	int i = forge(f->log, t, op, st);

	memset(s, 0, sizeof(*s));
	view_build(f->log, f->v);
	check_image(&f->c, f->img, f->copy, f->log, f->v, s, "forged");
	atomic_store(&f->log->rec[t][i].state, ST_IDLE);
}

/* A file of thread t's finished tree with some bytes and room in the
 * model for one more write: its model path. */
static const char *some_file(const struct model *m)
{
	int i;

	for (i = 0; i < m->nent; i++)
		if (m->obj[m->ent[i].obj].type == 'f' &&
		    m->obj[m->ent[i].obj].size > 0 &&
		    m->obj[m->ent[i].obj].nw < M_WRITES)
			return m->ent[i].path;
	return NULL;
}

Test(kill, forged_acknowledgement_is_lost)
{
	struct crash_op never = { .kind = CK_CREATE, .a = "/x/never" };
	struct crash_op ow = { .kind = CK_OVERWRITE, .len = 16, .seed = 77 };
	struct crash_op cm = { .kind = CK_CHMOD, .mode = 07001 };
	struct crash_op sx = { .kind = CK_SETXATTR, .name = "user.forged",
			       .len = 300, .seed = 5 };
	struct kill_sum *s = calloc(1, sizeof(*s));
	struct kill_fix f;
	const char *file;

	/* The checker must be able to fail: after the finished workload,
	 * a create that never ran but is logged as returned is lost, and
	 * so is an overwrite logged so; logged as in flight only, the
	 * create is "not done", and nothing is lost. */
	cr_assert(s);
	fix_setup(&f);
	judge_forged(&f, 1, &never, ST_RETURNED, s);
	cr_assert_eq(s->lost, 1, "a forged create is not reported lost");
	cr_assert(strstr(s->first_lost, "thread 1: acknowledged state lost "
			 "at /x/never"), "%s", s->first_lost);

	view_build(f.log, f.v);
	file = some_file(&f.v->before[0]);
	cr_assert(file, "thread 0 made no file with data");
	snprintf(ow.a, sizeof(ow.a), "%s", file);
	judge_forged(&f, 0, &ow, ST_RETURNED, s);
	cr_assert_eq(s->lost, 1, "a forged overwrite of %s is not lost", ow.a);
	cr_assert(strstr(s->first_lost, "thread 0: acknowledged state lost"),
		  "%s", s->first_lost); /* at it or another of its names */

	/* An attribute change logged as returned but never run: a chmod
	 * and a setxattr of that file are lost too (the walk reads modes
	 * and extended attributes). */
	snprintf(cm.a, sizeof(cm.a), "%s", file);
	judge_forged(&f, 0, &cm, ST_RETURNED, s);
	cr_assert_eq(s->lost, 1, "a forged chmod of %s is not lost", cm.a);
	snprintf(sx.a, sizeof(sx.a), "%s", file);
	judge_forged(&f, 0, &sx, ST_RETURNED, s);
	cr_assert_eq(s->lost, 1, "a forged setxattr of %s is not lost", sx.a);

	judge_forged(&f, 1, &never, ST_STARTED, s);
	cr_assert_eq(s->lost + s->half + s->crashed + s->mfail, 0, "%s%s",
		     s->first_lost, s->first_half);
	cr_assert_eq(s->row[CK_CREATE].old, 1, "in flight, not run: not done");
	free(s);
	fix_teardown(&f);
}
