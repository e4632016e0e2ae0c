/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash.c -- the crash-state harness (crash.h): recording a workload's
 * fences with the test build's persistence recorder, building the crash
 * images of every fence, checking each with e2fsck and a forked
 * daxfs_mount + walk, and the per-kind table.  The model, the workload
 * and the walk are in crash_model.c (crash_model.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "core/region_rec.h"
#include "crash.h"

#define IMG_SIZE (4 * TEST_MIB) /* the region: one block group */
#define LINE REGION_REC_LINE
#define CHILD_LIMIT_S 60        /* a mount + walk longer than this hangs */

/* ---- recording ------------------------------------------------------ */

/* A line in flight at a fence that changes the persisted state. */
struct tline {
	size_t off;
	bool data;
	unsigned char b[LINE];
};

/* A fence: the op running, and its lines in the trace's array. */
struct tfence {
	int op;
	size_t first, n;
};

/* The recorded workload: fences and their lines, in order. */
struct trace {
	struct tfence *f;
	size_t nf, capf;
	struct tline *l;
	size_t nl, capl;
	int op;     /* the operation running now */
	bool nomem;
};

/* Grow *p (of *cap elements of size sz) to hold one more than n. */
static bool grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (n < *cap)
		return true;
	q = realloc(*p, (*cap ? *cap * 2 : 1024) * sz);
	if (!q)
		return false;
	*p = q;
	*cap = *cap ? *cap * 2 : 1024;
	return true;
}

/* The recorder's callback: keep the lines that change the shadow. */
static void on_fence(void *arg, const unsigned char *shadow, size_t size,
		     const struct region_rec_line *lines, size_t n)
{
	struct trace *t = arg;
	struct tfence *f;
	size_t i;

	if (!grow((void **)&t->f, &t->capf, t->nf, sizeof(*t->f))) {
		t->nomem = true;
		return;
	}
	f = &t->f[t->nf++];
	*f = (struct tfence){ t->op, t->nl, 0 };
	for (i = 0; i < n; i++) {
		size_t len = size - lines[i].off < LINE ? size - lines[i].off
							: LINE;

		if (memcmp(shadow + lines[i].off, lines[i].bytes, len) == 0)
			continue;
		if (!grow((void **)&t->l, &t->capl, t->nl, sizeof(*t->l))) {
			t->nomem = true;
			return;
		}
		t->l[t->nl].off = lines[i].off;
		t->l[t->nl].data = lines[i].data;
		memcpy(t->l[t->nl].b, lines[i].bytes, LINE);
		t->nl++;
		f->n++;
	}
}

/* ---- the checker's state -------------------------------------------- */

/* One line of a crash image: a line in flight, whole or torn. */
struct piece {
	const struct tline *l;
	int part; /* 0 whole, 1 first half only, 2 second half only */
};

/* Everything the replay needs. */
struct checker {
	const struct crash_opts *o;
	struct crash_result *res;
	struct trace t;
	struct model *models;     /* models[k]: before op k */
	struct crash_op *ops;     /* 0 mount .. nops+1 unmount */
	int nops;                 /* nops + 2 */
	unsigned char *img;       /* the persisted state at the fence */
	size_t size;
	uint64_t *lhash;          /* per line of img */
	uint64_t hash;            /* of img: the xor of lhash */
	uint64_t *seen;           /* dedup set of (hash, op), open address */
	size_t nseen, capseen;
	char path[256], copy[256];
	char *shared;             /* the child's message (MAP_SHARED) */
	unsigned long nstate;
};

/* Hash of a line's bytes at off (FNV-1a, then mixed). */
static uint64_t line_hash(size_t off, const unsigned char *b)
{
	uint64_t h = 1469598103934665603ULL ^ off;
	int i;

	for (i = 0; i < LINE; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return test_rand(&h);
}

/* Insert key into the dedup set; false if it was there. */
static bool seen_add(struct checker *c, uint64_t key)
{
	size_t i, mask;

	key |= 1; /* 0 marks a free slot */
	if (2 * (c->nseen + 1) > c->capseen) {
		uint64_t *old = c->seen;
		size_t oldcap = c->capseen;

		c->capseen = oldcap ? oldcap * 2 : 1 << 14;
		c->seen = calloc(c->capseen, sizeof(*c->seen));
		c->nseen = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i])
				seen_add(c, old[i]);
		free(old);
	}
	mask = c->capseen - 1;
	for (i = key & mask; c->seen[i]; i = (i + 1) & mask)
		if (c->seen[i] == key)
			return false;
	c->seen[i] = key;
	c->nseen++;
	return true;
}

/* The bytes piece p puts into a line whose persisted bytes are base. */
static void piece_bytes(const struct piece *p, const unsigned char *base,
			unsigned char *out)
{
	memcpy(out, p->l->b, LINE);
	if (p->part == 1)
		memcpy(out + LINE / 2, base + LINE / 2, LINE / 2);
	else if (p->part == 2)
		memcpy(out, base, LINE / 2);
}

/* Write img with the pieces applied to file path; 0 or -1. */
static int write_image(struct checker *c, const struct piece *ps, int n,
		       const char *path)
{
	unsigned char (*save)[LINE] = malloc((size_t)(n ? n : 1) * LINE);
	int i, fd, ret = 0;

	if (!save)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char *at = c->img + ps[i].l->off;

		memcpy(save[i], at, LINE);
		piece_bytes(&ps[i], save[i], at);
	}
	/* No O_TRUNC: rewriting pages in place is far cheaper than freeing
	 * and faulting in 4 MiB of /dev/shm for every image. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, c->img, c->size, 0) != (ssize_t)c->size)
		ret = -1;
	if (fd >= 0)
		close(fd);
	for (i = n - 1; i >= 0; i--)
		memcpy(c->img + ps[i].l->off, save[i], LINE);
	free(save);
	return ret;
}

/* The hash of img with the pieces applied. */
static uint64_t pieces_hash(struct checker *c, const struct piece *ps, int n)
{
	unsigned char b[LINE];
	uint64_t h = c->hash;
	int i;

	for (i = 0; i < n; i++) {
		size_t off = ps[i].l->off;

		piece_bytes(&ps[i], c->img + off, b);
		h ^= c->lhash[off / LINE] ^ line_hash(off, b);
	}
	return h;
}

/* ---- checking one crash image --------------------------------------- */

/* What the forked child judges with. */
struct child_arg {
	struct checker *c;
	int op;
};

/* The child: mount the image, walk it, judge it; the verdict is the exit
 * code, the reason in the shared page. */
static int child_judge(void *arg)
{
	struct child_arg *a = arg;
	struct checker *c = a->c;
	daxfs *fs;
	int ret, v;

	alarm(CHILD_LIMIT_S);
	ret = daxfs_mount(c->path, 0, &fs);
	if (ret) {
		snprintf(c->shared, 512, "daxfs_mount: %s: %s",
			 test_errname(ret), daxfs_errormsg());
		if (c->o->verbose)
			fprintf(stderr, "crash: mount failed: %s\n", c->shared);
		return CV_MOUNT_FAIL;
	}
	v = crash_judge(fs, &c->models[a->op], &c->models[a->op + 1],
			&c->ops[a->op], c->shared, 512);
	/* Unmount: the image stays not clean, the log's INCOMPAT bit goes,
	 * and e2fsck -fn then judges what recovery left (check_state). */
	if (daxfs_unmount(fs) && v != CV_LOST && v != CV_HALF)
		v = CV_MOUNT_FAIL;
	return v;
}

/* Fork child_judge; its verdict, or -1 (message in shared) if it died. */
static int run_child(struct checker *c, int op)
{
	struct child_arg a = { c, op };
	int status;
	pid_t pid;

	c->shared[0] = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(child_judge(&a));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) < CV_NVERDICT)
		return WEXITSTATUS(status);
	snprintf(c->shared, 512, "mount/walk child %s %d%s",
		 WIFSIGNALED(status) ? "killed by signal" : "exited",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		 WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
		 ? " (hung: time limit)" : "");
	return -1;
}

/* e2fsck -fp on a copy of the image as daxfs_mount's recovery left it:
 * exit 4 or more means it gave up. */
static bool fsck_p_gives_up(struct checker *c)
{
	const char *argv[] = { "e2fsck", "-fp", c->copy, NULL };
	const char *cp[] = { "cp", c->path, c->copy, NULL };
	char *out = NULL;
	int rc;

	rc = test_run(cp, TEST_RUN_MERGE, &out, NULL, NULL);
	free(out);
	out = NULL;
	if (rc != 0)
		return true;
	rc = test_run(argv, TEST_RUN_MERGE, &out, NULL, NULL);
	free(out);
	return rc < 0 || (rc & ~3) != 0;
}

/* Describe state (op, what) into buf. */
static void describe(struct checker *c, int op, const char *what,
		     char *buf, size_t n)
{
	char d[160];

	snprintf(buf, n, "seed %llu state %lu, during op %d (%s), %s: %s",
		 (unsigned long long)c->o->seed, c->nstate, op,
		 model_describe(&c->ops[op], d, sizeof(d)), what, c->shared);
}

/* Keep the image of a failing state in keep_dir, if asked. */
static void keep_image(struct checker *c, const struct piece *ps, int n)
{
	char p[512];

	if (!c->o->keep_dir)
		return;
	snprintf(p, sizeof(p), "%s/crash-s%llu-%lu.img", c->o->keep_dir,
		 (unsigned long long)c->o->seed, c->nstate);
	(void)write_image(c, ps, n, p);
}

/* Count the child's verdict v in k, noting the first examples. */
static void count_verdict(struct checker *c, struct crash_counts *k, int v,
			  int op, const char *what, const struct piece *ps,
			  int n)
{
	struct crash_result *r = c->res;
	char *first = NULL;

	if (v < 0) {
		k->crashed++;
		first = r->first_crash;
	} else if (v == CV_LOST) {
		k->lost++;
		first = r->first_lost;
	} else if (v == CV_HALF) {
		k->half++;
		first = r->first_half;
	}
	k->as_old += v == CV_OLD;
	k->as_new += v == CV_NEW;
	k->mount_fail += v == CV_MOUNT_FAIL;
	if (first && !first[0])
		describe(c, op, what, first, 512);
	if (first && v != CV_HALF)
		keep_image(c, ps, n);
	if (first && c->o->verbose) {
		char buf[800];

		describe(c, op, what, buf, sizeof(buf));
		fprintf(stderr, "crash: %s: %s\n", v < 0 ? "CRASH" :
			v == CV_LOST ? "LOST" : "half", buf);
	}
}

/* Check the crash image img + pieces, met during operation op. */
static void check_state(struct checker *c, int op, const struct piece *ps,
			int n, const char *what)
{
	struct crash_counts *k = &c->res->kind[c->ops[op].kind];
	char *out = NULL;
	int rc, v;

	if (!seen_add(c, pieces_hash(c, ps, n) * 31 + (uint64_t)op)) {
		c->res->dups++;
		return;
	}
	c->nstate++;
	k->states++;
	if (write_image(c, ps, n, c->path)) {
		snprintf(c->res->msg, sizeof(c->res->msg),
			 "cannot write %s", c->path);
		c->res->error = -1;
		return;
	}
	/* daxfs_mount recovers, the walk judges, the unmount releases;
	 * then e2fsck -fn checks what recovery left. */
	v = run_child(c, op);
	count_verdict(c, k, v, op, what, ps, n);
	rc = test_e2fsck(c->path, &out);
	if (rc != 0) {
		k->fsck_fail++;
		if (c->o->verbose)
			fprintf(stderr, "crash: fsck op %d state %lu:\n%s\n", op,
				c->nstate, out ? out : "");
		if (c->o->fsck_p && fsck_p_gives_up(c))
			k->fsck_manual++;
	}
	free(out);
}

/* ---- the crash images of one fence ---------------------------------- */

/* The fence's lines, metadata first: into ord; returns how many are
 * metadata. */
static size_t order_lines(const struct checker *c, const struct tfence *f,
			  const struct tline **ord)
{
	size_t i, k = 0, meta;

	for (i = 0; i < f->n; i++)
		if (!c->t.l[f->first + i].data)
			ord[k++] = &c->t.l[f->first + i];
	meta = k;
	for (i = 0; i < f->n; i++)
		if (c->t.l[f->first + i].data)
			ord[k++] = &c->t.l[f->first + i];
	return meta;
}

/* The singles to try: every metadata line (max_singles at most), then
 * max_data data lines evenly spaced (a data copy's lines all look alike);
 * into sel, returning how many.  The pairs are drawn from them too. */
static size_t choose_singles(const struct checker *c, const struct tline **ord,
			     size_t n, size_t meta, const struct tline **sel)
{
	size_t k = 0, i, ndata = n - meta, room = c->o->max_data;

	for (i = 0; i < meta && k < c->o->max_singles; i++)
		sel[k++] = ord[i];
	if (room > ndata)
		room = ndata;
	for (i = 0; i < room; i++)
		sel[k++] = ord[meta + i * ndata / room];
	return k;
}

/* Singles and their torn halves. */
static void fence_singles(struct checker *c, const struct tfence *f,
			  const struct tline **sel, size_t ns)
{
	struct crash_counts *k = &c->res->kind[c->ops[f->op].kind];
	size_t i, ndata = 0;
	int part;

	for (i = 0; i < f->n; i++)
		ndata += c->t.l[f->first + i].data;
	for (i = 0; i < ns && !c->res->error; i++) {
		struct piece p = { sel[i], 0 };
		const unsigned char *base = c->img + sel[i]->off;

		if (f->n >= 2)
			check_state(c, f->op, &p, 1, "single line");
		if (!sel[i]->data)
			continue;
		ndata--;
		for (part = 1; part <= 2; part++) {
			/* torn: only where both halves change something */
			if (memcmp(base, sel[i]->b, LINE / 2) == 0 ||
			    memcmp(base + LINE / 2, sel[i]->b + LINE / 2,
				   LINE / 2) == 0)
				break;
			p.part = part;
			check_state(c, f->op, &p, 1, part == 1
				    ? "torn line (first half)"
				    : "torn line (second half)");
		}
	}
	k->capped += (f->n >= 2 ? f->n - ns : 0) + 2 * ndata;
}

/* Pairs of the chosen lines (metadata first), max_pairs of them. */
static void fence_pairs(struct checker *c, const struct tfence *f,
			const struct tline **sel, size_t ns)
{
	struct crash_counts *k = &c->res->kind[c->ops[f->op].kind];
	size_t i, j, taken = 0, total = f->n * (f->n - 1) / 2;

	if (f->n < 3)
		return;
	for (i = 0; i < ns && taken < c->o->max_pairs; i++)
		for (j = i + 1; j < ns && taken < c->o->max_pairs; j++) {
			struct piece p[2] = { { sel[i], 0 }, { sel[j], 0 } };

			if (c->res->error)
				return;
			check_state(c, f->op, p, 2, "pair of lines");
			taken++;
		}
	k->capped += total - taken;
}

/* Every crash image of fence f, then f's lines become persisted. */
static void check_fence(struct checker *c, const struct tfence *f)
{
	const struct tline **ord = calloc(f->n + 1, sizeof(*ord));
	const struct tline **sel = calloc(f->n + 1, sizeof(*sel));
	struct piece *all = calloc(f->n + 1, sizeof(*all));
	size_t i, meta, ns;

	c->res->kind[c->ops[f->op].kind].fences++;
	check_state(c, f->op, NULL, 0, "persisted lines only");
	meta = order_lines(c, f, ord);
	for (i = 0; i < f->n; i++)
		all[i] = (struct piece){ ord[i], 0 };
	if (f->n)
		check_state(c, f->op, all, (int)f->n, "every line in flight");
	ns = choose_singles(c, ord, f->n, meta, sel);
	fence_singles(c, f, sel, ns);
	fence_pairs(c, f, sel, ns);
	for (i = 0; i < f->n; i++) { /* the fence: all of it persisted */
		const struct tline *l = ord[i];

		memcpy(c->img + l->off, l->b, LINE);
		c->hash ^= c->lhash[l->off / LINE];
		c->lhash[l->off / LINE] = line_hash(l->off, l->b);
		c->hash ^= c->lhash[l->off / LINE];
	}
	free(ord);
	free(sel);
	free(all);
}

/* ---- the run -------------------------------------------------------- */

/* Run the workload on image path with the recorder on; models and ops
 * filled.  0, or -1 with res->msg. */
static int record(struct checker *c, const char *path)
{
	struct crash_result *r = c->res;
	uint64_t rng = c->o->seed;
	daxfs *fs = NULL;
	int k, ret, n = c->nops - 2;

	model_init(&c->models[0]);
	model_shared(&c->models[0]);
	c->ops[0].kind = CK_MOUNT;
	c->ops[n + 1].kind = CK_UNMOUNT;
	if (region_rec_start(on_fence, &c->t)) {
		snprintf(r->msg, sizeof(r->msg), "region_rec_start failed");
		return -1;
	}
	c->t.op = 0;
	ret = daxfs_mount(path, 0, &fs);
	c->models[1] = c->models[0];
	for (k = 1; !ret && k <= n; k++) {
		model_gen(&c->models[k], &rng, k, &c->ops[k]);
		c->t.op = k;
		region_rec_drop_flushes(k == c->o->drop_op);
		ret = model_exec(fs, &c->ops[k]);
		region_rec_drop_flushes(false);
		if (c->o->verbose) {
			char d[160];

			fprintf(stderr, "crash: op %d: %s\n", k,
				model_describe(&c->ops[k], d, sizeof(d)));
		}
		c->models[k + 1] = c->models[k];
		model_apply(&c->models[k + 1], &c->ops[k]);
	}
	c->t.op = n + 1;
	c->models[n + 2] = c->models[n + 1];
	if (fs && !ret)
		ret = model_exec_end();
	if (fs && !ret)
		ret = daxfs_unmount(fs);
	r->overlaps = region_rec_get_stats().overlaps;
	region_rec_stop();
	if (ret || c->t.nomem) {
		char d[160];

		snprintf(r->msg, sizeof(r->msg), "op %d (%s) failed: %s: %s",
			 k - 1, model_describe(&c->ops[k - 1], d, sizeof(d)),
			 test_errname(ret), daxfs_errormsg());
		return -1;
	}
	for (k = 0; k < c->nops; k++)
		r->kind[c->ops[k].kind].ops++;
	return 0;
}

/* Lines of the image file that differ from the replayed persisted state:
 * stores that were never flushed. */
static unsigned long unflushed_lines(struct checker *c, const char *path)
{
	size_t len, i;
	unsigned char *now = (unsigned char *)test_read_file(path, &len);
	unsigned long n = 0;

	if (!now || len != c->size)
		return (unsigned long)-1;
	for (i = 0; i < c->size; i += LINE)
		n += memcmp(now + i, c->img + i, LINE) != 0;
	free(now);
	return n;
}

/* Set up c for a run on the fresh image at path; 0 or -1. */
static int setup(struct checker *c, const char *path)
{
	size_t i;

	c->nops = c->o->nops + 2;
	c->models = calloc(c->nops + 1, sizeof(*c->models));
	c->ops = calloc(c->nops, sizeof(*c->ops));
	c->shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!c->models || !c->ops || c->shared == MAP_FAILED ||
	    test_mkfs(path, IMG_SIZE, 4096, 0) ||
	    crash_seed_shared(path, ""))
		return -1;
	c->img = (unsigned char *)test_read_file(path, &c->size);
	if (!c->img)
		return -1;
	c->lhash = calloc(c->size / LINE + 1, sizeof(*c->lhash));
	if (!c->lhash)
		return -1;
	for (i = 0; i + LINE <= c->size; i += LINE) {
		c->lhash[i / LINE] = line_hash(i, c->img + i);
		c->hash ^= c->lhash[i / LINE];
	}
	test_shm_path(c->path, sizeof(c->path), "crash-img");
	test_shm_path(c->copy, sizeof(c->copy), "crash-copy");
	return 0;
}

/* Free what setup() and the run took. */
static void teardown(struct checker *c)
{
	free(c->models);
	free(c->ops);
	free(c->img);
	free(c->lhash);
	free(c->seen);
	free(c->t.f);
	free(c->t.l);
	if (c->shared && c->shared != MAP_FAILED)
		munmap(c->shared, 4096);
	unlink(c->path);
	unlink(c->copy);
}

void crash_opts_default(struct crash_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->nops = 34;
	o->max_singles = 64;
	o->max_data = 4;
	o->max_pairs = 64;
	o->fsck_p = true;
	o->drop_op = -1;
}

int crash_run(const struct crash_opts *o, struct crash_result *res)
{
	struct checker c = { .o = o, .res = res };
	const char *path = test_image_path("crash-run");
	size_t i;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (setup(&c, path)) {
		snprintf(res->msg, sizeof(res->msg), "setup failed: %s",
			 strerror(errno));
		goto out;
	}
	if (record(&c, path))
		goto out;
	for (i = 0; i < c.t.nf && !res->error; i++)
		check_fence(&c, &c.t.f[i]);
	res->unflushed = unflushed_lines(&c, path);
	ret = res->error ? -1 : 0;
out:
	if (ret && !res->msg[0])
		snprintf(res->msg, sizeof(res->msg), "the harness failed");
	res->error = ret;
	teardown(&c);
	unlink(path);
	return ret;
}

/* ---- the table ------------------------------------------------------ */

/* Add the counts b to a. */
static void counts_add(struct crash_counts *a, const struct crash_counts *b)
{
	unsigned long *x = (unsigned long *)a;
	const unsigned long *y = (const unsigned long *)b;
	size_t i;

	for (i = 0; i < sizeof(*a) / sizeof(*x); i++)
		x[i] += y[i];
}

struct crash_counts crash_total(const struct crash_result *res)
{
	struct crash_counts t;
	int k;

	memset(&t, 0, sizeof(t));
	for (k = 0; k < CK_NKINDS; k++)
		counts_add(&t, &res->kind[k]);
	return t;
}

void crash_sum(struct crash_result *sum, const struct crash_result *r)
{
	int k;

	for (k = 0; k < CK_NKINDS; k++)
		counts_add(&sum->kind[k], &r->kind[k]);
	sum->unflushed += r->unflushed;
	sum->dups += r->dups;
	sum->overlaps += r->overlaps;
	if (!sum->first_lost[0])
		strcpy(sum->first_lost, r->first_lost);
	if (!sum->first_crash[0])
		strcpy(sum->first_crash, r->first_crash);
	if (!sum->first_half[0])
		strcpy(sum->first_half, r->first_half);
}

/* One row of the table. */
static void print_row(FILE *out, const char *name, const struct crash_counts *k)
{
	fprintf(out, "%-13s %5lu %6lu %7lu %7lu %7lu %7lu %5lu %5lu %5lu "
		"%5lu %6lu %6lu\n", name, k->ops, k->fences, k->states,
		k->capped, k->fsck_fail, k->fsck_manual, k->lost, k->half,
		k->mount_fail, k->crashed, k->as_old, k->as_new);
}

void crash_print(FILE *out, const struct crash_result *res, const char *title)
{
	struct crash_counts t = crash_total(res);
	int k;

	fprintf(out, "%s\n", title);
	fprintf(out, "%-13s %5s %6s %7s %7s %7s %7s %5s %5s %5s %5s %6s %6s\n",
		"kind", "ops", "fences", "states", "capped", "fsck-n", "fsck-p",
		"lost", "half", "mfail", "crash", "old", "new");
	for (k = 0; k < CK_NKINDS; k++)
		if (res->kind[k].ops)
			print_row(out, crash_kind_name(k), &res->kind[k]);
	print_row(out, "total", &t);
	fprintf(out, "fsck-n: e2fsck -fn failed; fsck-p: e2fsck -fp gave up "
		"(exit >= 4) on a copy; lost: an acknowledged operation "
		"lost; half: the operation in flight half done; mfail: "
		"daxfs_mount failed cleanly; crash: mount/walk died or hung; "
		"old/new: the tree before/after the operation in flight.\n"
		"images met twice (not re-checked): %lu; lines stored but "
		"never flushed: %lu; recorder overlaps: %lu\n",
		res->dups, res->unflushed, res->overlaps);
}
