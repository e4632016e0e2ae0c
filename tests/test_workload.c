/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_workload.c -- a seeded random workload through the public API,
 * checked against an in-memory model.
 *
 * The model maps every path to an inode (type, bytes, link target, link
 * count).  The workload makes thousands of files in nested directories,
 * writes (overwrites, appends with O_APPEND, writes past EOF leaving
 * holes), sparse writes across the single/double/triple-indirect
 * boundaries, ftruncate up and down, renames (within and across
 * directories, over existing files and empty directories, of directories),
 * hard links, symlinks (fast and slow), unlinks and rmdirs, and checks the
 * documented/POSIX error of a few invalid calls.  Then it checks the tree:
 * through the API (every byte), with e2fsck -fn after unmount, with debugfs
 * (ls -p, stat, cat, bmap) against the model, and through the API again
 * after a remount.
 *
 * DAXFS_WORKLOAD_SEED=<n> replays a run; DAXFS_WORKLOAD_TRACE=1 prints
 * every operation; DAXFS_WORKLOAD_SCALE=<n> multiplies the work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "interop.h"

#define MIB (1024ULL * 1024ULL)
#define PG 4096ULL

enum { T_REG = 1, T_DIR, T_LNK };

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

struct page {
	uint64_t idx;
	unsigned char *data;
};

struct minode {
	int type;
	unsigned nlink; /* names referring to it (regular files, links) */
	uint64_t size;
	struct page *pages; /* sorted by idx; absent pages are zeros */
	size_t npages, cap;
	char *target;
	mode_t mode;
	uint64_t ino; /* as libdaxfs reported it, 0 = not known yet */
	/* recorded by verify_api(V_RECORD) just before unmount */
	uint64_t blocks;
	int64_t mtime, ctime;
	unsigned uid, gid;
	bool sparse;  /* a big sparse file: verified page by page */
};

struct ent {
	char *path;
	struct minode *in;
	bool alive;
};

struct model {
	struct ent *e;
	size_t n, cap;
	uint64_t rng;
	uint64_t seed;
	unsigned counter;
	unsigned bs;
	daxfs *fs;
	const char *img;
	unsigned long ops;
	bool trace;
	char lastop[512];
	time_t t0; /* when the run started */
};

enum { V_PLAIN, V_RECORD, V_PERSIST };

static struct model M;

static void fini(void)
{
	test_cleanup();
}

static void init(void)
{
	umask(022);
}

TestSuite(workload, .init = init, .fini = fini, .timeout = 900);

static uint64_t rnd(uint64_t n)
{
	return n ? test_rand(&M.rng) % n : 0;
}

static void op(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void op(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(M.lastop, sizeof(M.lastop), fmt, ap);
	va_end(ap);
	M.ops++;
	if (M.trace)
		fprintf(stderr, "op %lu: %s\n", M.ops, M.lastop);
}

/* Assertion context: seed and the operation that was running. */
#define CTX "[seed %llu, op %lu: %s] "
#define CTXA (unsigned long long)M.seed, M.ops, M.lastop

#define WL_OK(call)                                                           \
	do {                                                                 \
		long long r_ = (long long)(call);                            \
		cr_assert_eq(r_, 0, CTX "%s = %lld (%s): %s", CTXA, #call,   \
			     r_, r_ < 0 ? strerror((int)-r_) : "?",          \
			     daxfs_errormsg());                              \
	} while (0)

#define WL_EQ(call, want)                                                     \
	do {                                                                 \
		long long r_ = (long long)(call);                            \
		long long w_ = (long long)(want);                            \
		cr_assert_eq(r_, w_, CTX "%s = %lld (%s), want %lld: %s",    \
			     CTXA, #call, r_,                                \
			     r_ < 0 ? strerror((int)-r_) : "ok", w_,         \
			     daxfs_errormsg());                              \
	} while (0)

static struct minode *new_inode(int type, mode_t mode)
{
	struct minode *in = calloc(1, sizeof(*in));
	in->type = type;
	in->mode = mode;
	in->nlink = 1;
	return in;
}

static void free_inode(struct minode *in)
{
	for (size_t i = 0; i < in->npages; i++)
		free(in->pages[i].data);
	free(in->pages);
	free(in->target);
	free(in);
}

static struct ent *add_ent(const char *path, struct minode *in)
{
	if (M.n == M.cap) {
		M.cap = M.cap ? M.cap * 2 : 1024;
		M.e = realloc(M.e, M.cap * sizeof(*M.e));
	}
	struct ent *e = &M.e[M.n++];
	e->path = strdup(path);
	e->in = in;
	e->alive = true;
	return e;
}

static struct ent *find(const char *path)
{
	for (size_t i = 0; i < M.n; i++)
		if (M.e[i].alive && !strcmp(M.e[i].path, path))
			return &M.e[i];
	return NULL;
}

static void kill_ent(struct ent *e)
{
	e->alive = false;
	if (e->in->type != T_DIR && --e->in->nlink > 0)
		return;
	/* The inode is gone: others must not point at it. */
	free_inode(e->in);
	e->in = NULL;
}

static char *join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", name) < 0)
		abort();
	return p;
}

static char *parent_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (s == path)
		return strdup("/");
	return strndup(path, s - path);
}

static int depth_of(const char *path)
{
	if (!strcmp(path, "/"))
		return 0;
	int d = 0;
	for (const char *p = path; *p; p++)
		d += *p == '/';
	return d;
}

static bool is_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return strncmp(path, dir, l) == 0 && path[l] == '/';
}

static int children(const char *dir)
{
	int n = 0;
	const char *pfx = strcmp(dir, "/") ? dir : "";
	size_t l = strlen(pfx);
	for (size_t i = 0; i < M.n; i++) {
		const char *p = M.e[i].path;
		if (M.e[i].alive && strncmp(p, pfx, l) == 0 && p[l] == '/' &&
		    p[l + 1] && !strchr(p + l + 1, '/'))
			n++;
	}
	return n;
}

static int subdirs(const char *dir)
{
	int n = 0;
	const char *pfx = strcmp(dir, "/") ? dir : "";
	size_t l = strlen(pfx);
	for (size_t i = 0; i < M.n; i++) {
		const char *p = M.e[i].path;
		if (M.e[i].alive && M.e[i].in->type == T_DIR &&
		    strncmp(p, pfx, l) == 0 && p[l] == '/' && p[l + 1] &&
		    !strchr(p + l + 1, '/'))
			n++;
	}
	return n;
}

/* A random live entry of the given type (0 = any but the root). */
static struct ent *pick(int type)
{
	if (M.n == 0)
		return NULL;
	for (int tries = 0; tries < 200; tries++) {
		struct ent *e = &M.e[rnd(M.n)];
		if (!e->alive || !strcmp(e->path, "/") || e->in->sparse)
			continue;
		if (!strncmp(e->path, "/lost+found", 11))
			continue;
		if (!type || e->in->type == type)
			return e;
	}
	return NULL;
}

static const char *pick_dir(int maxdepth)
{
	for (int tries = 0; tries < 50; tries++) {
		struct ent *e = pick(T_DIR);
		if (e && depth_of(e->path) <= maxdepth)
			return e->path;
	}
	return "/";
}

/* A new unique name; sometimes a long one (up to 255 bytes). */
static char *new_name(char kind)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%c%u", kind, M.counter++);
	unsigned r = (unsigned)rnd(100);
	size_t pad = r < 85 ? 0 : r < 98 ? rnd(60) : 255 - (size_t)n;
	for (size_t i = 0; i < pad && n < 255; i++)
		buf[n++] = (char)('a' + (i % 26));
	buf[n] = '\0';
	return strdup(buf);
}

/* Sparse page store. */
static size_t page_find(struct minode *in, uint64_t idx, bool *found)
{
	size_t lo = 0, hi = in->npages;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (in->pages[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < in->npages && in->pages[lo].idx == idx;
	return lo;
}

static unsigned char *page_get(struct minode *in, uint64_t idx)
{
	bool found;
	size_t i = page_find(in, idx, &found);
	if (found)
		return in->pages[i].data;
	if (in->npages == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 4;
		in->pages = realloc(in->pages, in->cap * sizeof(struct page));
	}
	memmove(&in->pages[i + 1], &in->pages[i],
		(in->npages - i) * sizeof(struct page));
	in->pages[i].idx = idx;
	in->pages[i].data = calloc(1, PG);
	in->npages++;
	return in->pages[i].data;
}

static void model_write(struct minode *in, uint64_t off, const void *buf,
			size_t len)
{
	const unsigned char *b = buf;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in_pg = (size_t)(pos % PG);
		size_t n = PG - in_pg < len - done ? PG - in_pg : len - done;
		memcpy(page_get(in, pos / PG) + in_pg, b + done, n);
		done += n;
	}
	if (off + len > in->size)
		in->size = off + len;
}

static void model_read(struct minode *in, uint64_t off, void *buf, size_t len)
{
	unsigned char *b = buf;
	memset(b, 0, len);
	bool found;
	size_t i = page_find(in, off / PG, &found);
	for (; i < in->npages; i++) {
		uint64_t ps = in->pages[i].idx * PG;
		if (ps >= off + len)
			break;
		uint64_t s = ps > off ? ps : off;
		uint64_t e = ps + PG < off + len ? ps + PG : off + len;
		memcpy(b + (s - off), in->pages[i].data + (s - ps), e - s);
	}
}

static void model_truncate(struct minode *in, uint64_t size)
{
	if (size < in->size) {
		size_t keep = 0;
		for (size_t i = 0; i < in->npages; i++) {
			uint64_t ps = in->pages[i].idx * PG;
			if (ps >= size) {
				free(in->pages[i].data);
				continue;
			}
			if (ps + PG > size)
				memset(in->pages[i].data + (size - ps), 0,
				       PG - (size - ps));
			in->pages[keep++] = in->pages[i];
		}
		in->npages = keep;
	}
	in->size = size;
}

/* ------------------------------------------------------------------ */
/* Operations (each through libdaxfs and the model)                     */
/* ------------------------------------------------------------------ */

static void dax_pwrite_all(daxfs_file *f, const void *buf, size_t len,
			   off_t off)
{
	WL_EQ(daxfs_pwrite(f, buf, len, off), len);
}

static size_t rand_size(void)
{
	unsigned r = (unsigned)rnd(100);
	if (r < 10)
		return 0;
	if (r < 45)
		return 1 + rnd(200);
	if (r < 75)
		return 1 + rnd(2 * M.bs + 100);
	if (r < 95)
		return 1 + rnd(64 * 1024);
	return 64 * 1024 + rnd(192 * 1024);
}

static void do_create(const char *dir)
{
	char *name = new_name('f');
	char *p = join(dir, name);
	size_t len = rand_size();
	mode_t mode = rnd(4) ? 0644 : 0600;
	op("create %s (%zu bytes, mode 0%o)", p, len, mode);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, p, O_CREAT | O_EXCL | O_RDWR, mode, &f));
	struct minode *in = new_inode(T_REG, mode);
	if (len) {
		char *buf = malloc(len);
		uint64_t seed = test_rand(&M.rng);
		test_pattern(buf, len, seed, 0);
		dax_pwrite_all(f, buf, len, 0);
		model_write(in, 0, buf, len);
		free(buf);
	}
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	cr_assert(S_ISREG(st.st_mode), CTX "fstat mode 0%o", CTXA, st.st_mode);
	cr_assert_eq(st.st_size, len, CTX "fstat size %lld", CTXA,
		     (long long)st.st_size);
	in->ino = st.st_ino;
	WL_OK(daxfs_close(f));
	add_ent(p, in);
	free(p);
	free(name);
}

static void do_mkdir(const char *dir)
{
	char *name = new_name('d');
	char *p = join(dir, name);
	op("mkdir %s", p);
	WL_OK(daxfs_mkdir(M.fs, p, 0755));
	add_ent(p, new_inode(T_DIR, 0755));
	free(p);
	free(name);
}

static void do_symlink(const char *dir)
{
	char *name = new_name('l');
	char *p = join(dir, name);
	size_t len = rnd(3) ? 1 + rnd(59) : 60 + rnd(M.bs - 60);
	char *t = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		t[i] = (i % 7 == 6) ? '/' : (char)('A' + rnd(26));
	t[len] = '\0';
	op("symlink %s -> (%zu bytes)", p, len);
	WL_OK(daxfs_symlink(M.fs, t, p));
	struct minode *in = new_inode(T_LNK, 0777);
	in->target = t;
	in->size = len;
	add_ent(p, in);
	free(p);
	free(name);
}

static void do_write(struct ent *e)
{
	struct minode *in = e->in;
	uint64_t off;
	unsigned r = (unsigned)rnd(10);
	size_t len = 1 + rnd(r < 8 ? 3 * M.bs : 100 * 1024);
	if (r < 6 && in->size)
		off = rnd(in->size); /* overwrite, maybe extend */
	else if (r < 9)
		off = in->size + rnd(4 * M.bs); /* past EOF: a hole */
	else
		off = in->size + rnd(MIB); /* far past EOF */
	op("pwrite %s off %llu len %zu (size %llu)", e->path,
	   (unsigned long long)off, len, (unsigned long long)in->size);
	char *buf = malloc(len);
	test_pattern(buf, len, test_rand(&M.rng), off);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, e->path, O_WRONLY, 0, &f));
	dax_pwrite_all(f, buf, len, (off_t)off);
	model_write(in, off, buf, len);
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, in->size, CTX "size %lld, want %llu",
		     CTXA, (long long)st.st_size,
		     (unsigned long long)in->size);
	WL_OK(daxfs_close(f));
	free(buf);
}

static void do_append(struct ent *e)
{
	struct minode *in = e->in;
	size_t len = 1 + rnd(2 * M.bs);
	op("append %s len %zu (size %llu)", e->path, len,
	   (unsigned long long)in->size);
	char *buf = malloc(len);
	test_pattern(buf, len, test_rand(&M.rng), in->size);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, e->path, O_WRONLY | O_APPEND, 0, &f));
	/* The offset is ignored with O_APPEND. */
	dax_pwrite_all(f, buf, len, (off_t)rnd(in->size + 1));
	model_write(in, in->size, buf, len);
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, in->size,
		     CTX "size %lld after O_APPEND write, want %llu", CTXA,
		     (long long)st.st_size, (unsigned long long)in->size);
	WL_OK(daxfs_close(f));
	free(buf);
}

static void do_truncate(struct ent *e)
{
	struct minode *in = e->in;
	uint64_t size;
	unsigned r = (unsigned)rnd(4);
	if (r == 0)
		size = 0;
	else if (r == 1 && in->size)
		size = rnd(in->size);
	else
		size = in->size + rnd(8 * M.bs);
	op("ftruncate %s %llu (size %llu)", e->path, (unsigned long long)size,
	   (unsigned long long)in->size);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, e->path, O_RDWR, 0, &f));
	WL_OK(daxfs_ftruncate(f, (off_t)size));
	model_truncate(in, size);
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, size, CTX "size %lld", CTXA,
		     (long long)st.st_size);
	WL_OK(daxfs_close(f));
}

static void do_otrunc(struct ent *e)
{
	op("open O_TRUNC %s", e->path);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, e->path, O_WRONLY | O_TRUNC, 0, &f));
	model_truncate(e->in, 0);
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, 0, CTX "size %lld after O_TRUNC", CTXA,
		     (long long)st.st_size);
	WL_OK(daxfs_close(f));
}

static void do_link(struct ent *e)
{
	const char *dir = pick_dir(6);
	char *name = new_name('h');
	char *p = join(dir, name);
	op("link %s -> %s (nlink %u)", e->path, p, e->in->nlink);
	WL_OK(daxfs_link(M.fs, e->path, p));
	struct minode *in = e->in;
	in->nlink++;
	add_ent(p, in); /* e may have moved */
	struct stat st;
	WL_OK(daxfs_stat(M.fs, p, &st));
	cr_assert_eq(st.st_nlink, in->nlink, CTX "st_nlink %lu, want %u",
		     CTXA, (unsigned long)st.st_nlink, in->nlink);
	if (in->ino)
		cr_assert_eq(st.st_ino, in->ino, CTX "link has another inode",
			     CTXA);
	free(p);
	free(name);
}

static void do_unlink(struct ent *e)
{
	op("unlink %s", e->path);
	WL_OK(daxfs_unlink(M.fs, e->path));
	struct stat st;
	WL_EQ(daxfs_stat(M.fs, e->path, &st), -ENOENT);
	kill_ent(e);
}

static void do_rmdir(struct ent *e)
{
	if (children(e->path) > 0) {
		op("rmdir non-empty %s", e->path);
		long long r = daxfs_rmdir(M.fs, e->path);
		cr_assert(r == -ENOTEMPTY || r == -EEXIST,
			  CTX "rmdir of a non-empty dir = %lld, want -ENOTEMPTY",
			  CTXA, r);
		return;
	}
	op("rmdir %s", e->path);
	WL_OK(daxfs_rmdir(M.fs, e->path));
	struct stat st;
	WL_EQ(daxfs_stat(M.fs, e->path, &st), -ENOENT);
	kill_ent(e);
}

/* Rename a file or symlink to a new name, or over an existing one. */
static void do_rename_file(struct ent *e)
{
	struct ent *over = rnd(3) == 0 ? pick(rnd(4) ? T_REG : T_LNK) : NULL;
	if (over == e)
		over = NULL;
	if (over) {
		char *from = strdup(e->path);
		char *to = strdup(over->path);
		op("rename %s over %s", from, to);
		WL_OK(daxfs_rename(M.fs, from, to));
		struct stat st;
		if (over->in == e->in) {
			/* Two names of one file: POSIX says nothing happens */
			WL_OK(daxfs_stat(M.fs, from, &st));
		} else {
			WL_EQ(daxfs_stat(M.fs, from, &st), -ENOENT);
			kill_ent(over);
			free(e->path);
			e->path = strdup(to);
		}
		WL_OK(daxfs_stat(M.fs, to, &st));
		if (e->in->ino)
			cr_assert_eq(st.st_ino, e->in->ino,
				     CTX "target has inode %llu, want %llu",
				     CTXA, (unsigned long long)st.st_ino,
				     (unsigned long long)e->in->ino);
		free(from);
		free(to);
		return;
	}
	const char *dir = rnd(2) ? pick_dir(6) : NULL;
	char *pdir = dir ? strdup(dir) : parent_of(e->path);
	char *name = new_name('r');
	char *to = join(pdir, name);
	op("rename %s -> %s", e->path, to);
	WL_OK(daxfs_rename(M.fs, e->path, to));
	struct stat st;
	WL_EQ(daxfs_stat(M.fs, e->path, &st), -ENOENT);
	WL_OK(daxfs_stat(M.fs, to, &st));
	free(e->path);
	e->path = to;
	free(pdir);
	free(name);
}

/* Rename a directory (with its subtree) to another place. */
static void do_rename_dir(struct ent *e)
{
	const char *dst = pick_dir(4);
	if (!strcmp(dst, e->path) || is_under(dst, e->path)) {
		char *bad = join(dst, "x");
		op("rename dir %s into itself %s", e->path, bad);
		WL_EQ(daxfs_rename(M.fs, e->path, bad), -EINVAL);
		free(bad);
		return;
	}
	/* Keep the depth bounded. */
	int sub = 0;
	for (size_t i = 0; i < M.n; i++)
		if (M.e[i].alive && is_under(M.e[i].path, e->path)) {
			int d = depth_of(M.e[i].path) - depth_of(e->path);
			sub = d > sub ? d : sub;
		}
	if (depth_of(dst) + 1 + sub > 9)
		return;
	char *name = new_name('m');
	char *to = join(dst, name);
	/* Sometimes over an existing empty directory. */
	struct ent *over = NULL;
	if (rnd(3) == 0) {
		struct ent *c = pick(T_DIR);
		if (c && c != e && children(c->path) == 0 &&
		    !is_under(c->path, e->path) && !is_under(e->path, c->path) &&
		    depth_of(c->path) + sub <= 9) {
			over = c;
			free(to);
			to = strdup(c->path);
		}
	}
	char *from = strdup(e->path);
	op("rename dir %s -> %s%s", from, to, over ? " (over empty dir)" : "");
	WL_OK(daxfs_rename(M.fs, from, to));
	if (over)
		kill_ent(over);
	size_t fl = strlen(from);
	for (size_t i = 0; i < M.n; i++) {
		if (!M.e[i].alive)
			continue;
		if (M.e[i].path == e->path || !strcmp(M.e[i].path, from)) {
			free(M.e[i].path);
			M.e[i].path = strdup(to);
		} else if (is_under(M.e[i].path, from)) {
			char *np;
			if (asprintf(&np, "%s%s", to, M.e[i].path + fl) < 0)
				abort();
			free(M.e[i].path);
			M.e[i].path = np;
		}
	}
	struct stat st;
	WL_EQ(daxfs_stat(M.fs, from, &st), -ENOENT);
	WL_OK(daxfs_stat(M.fs, to, &st));
	cr_assert(S_ISDIR(st.st_mode), CTX "renamed dir is not a dir", CTXA);
	free(from);
	free(to);
	free(name);
}

/* Invalid calls return the POSIX error and change nothing. */
static void do_errors(void)
{
	struct ent *f = pick(T_REG);
	struct ent *d = pick(T_DIR);
	daxfs_file *fh = NULL;
	struct stat st;
	if (f) {
		op("O_CREAT|O_EXCL on existing %s", f->path);
		WL_EQ(daxfs_open(M.fs, f->path, O_CREAT | O_EXCL | O_RDWR, 0644,
				&fh),
		     -EEXIST);
		op("mkdir over existing file %s", f->path);
		WL_EQ(daxfs_mkdir(M.fs, f->path, 0755), -EEXIST);
		op("rmdir on a file %s", f->path);
		WL_EQ(daxfs_rmdir(M.fs, f->path), -ENOTDIR);
		char *below = join(f->path, "x");
		op("file as a directory: %s", below);
		WL_EQ(daxfs_stat(M.fs, below, &st), -ENOTDIR);
		WL_EQ(daxfs_open(M.fs, below, O_CREAT | O_RDWR, 0644, &fh),
		     -ENOTDIR);
		free(below);
		if (d) {
			op("link to existing name %s", d->path);
			WL_EQ(daxfs_link(M.fs, f->path, d->path), -EEXIST);
			op("rename file %s over dir %s", f->path, d->path);
			long long rr = daxfs_rename(M.fs, f->path, d->path);
			/* POSIX: EISDIR; a non-empty target may also give
			 * ENOTEMPTY/EEXIST (Linux does). */
			if (children(d->path) == 0)
				WL_EQ(rr, -EISDIR);
			else
				cr_assert(rr == -EISDIR || rr == -ENOTEMPTY ||
						  rr == -EEXIST,
					  CTX "= %lld, want -EISDIR", CTXA,
					  rr);
			if (!is_under(f->path, d->path)) {
				op("rename dir %s over file %s", d->path,
				   f->path);
				WL_EQ(daxfs_rename(M.fs, d->path, f->path),
				      -ENOTDIR);
			}
		}
	}
	if (d) {
		op("unlink on a directory %s", d->path);
		long long r = daxfs_unlink(M.fs, d->path);
		cr_assert(r == -EISDIR || r == -EPERM,
			  CTX "unlink(dir) = %lld, want -EISDIR", CTXA, r);
		op("open dir %s for writing", d->path);
		WL_EQ(daxfs_open(M.fs, d->path, O_RDWR, 0, &fh), -EISDIR);
		op("mkdir existing %s", d->path);
		WL_EQ(daxfs_mkdir(M.fs, d->path, 0755), -EEXIST);
		char *missing = join(d->path, "no_such_entry");
		op("missing %s", missing);
		WL_EQ(daxfs_open(M.fs, missing, O_RDONLY, 0, &fh), -ENOENT);
		WL_EQ(daxfs_unlink(M.fs, missing), -ENOENT);
		WL_EQ(daxfs_rmdir(M.fs, missing), -ENOENT);
		WL_EQ(daxfs_stat(M.fs, missing, &st), -ENOENT);
		char *to = join(d->path, "no_such_target");
		WL_EQ(daxfs_rename(M.fs, missing, to), -ENOENT);
		WL_EQ(daxfs_link(M.fs, missing, to), -ENOENT);
		char *deep = join(missing, "x");
		WL_EQ(daxfs_mkdir(M.fs, deep, 0755), -ENOENT);
		free(deep);
		free(to);
		free(missing);
	}
	if (f) {
		op("rename %s onto itself", f->path);
		WL_OK(daxfs_rename(M.fs, f->path, f->path));
		WL_OK(daxfs_stat(M.fs, f->path, &st));
		cr_assert_eq((uint64_t)st.st_size, f->in->size,
			     CTX "size changed", CTXA);
		cr_assert_eq(st.st_nlink, f->in->nlink, CTX "nlink changed",
			     CTXA);
	}
	op("rmdir /");
	long long r = daxfs_rmdir(M.fs, "/");
	cr_assert(r == -EBUSY || r == -EINVAL || r == -ENOTEMPTY || r == -EPERM,
		  CTX "rmdir(/) = %lld", CTXA, r);
}

/* Sparse writes straddling the indirect boundaries. */
static void do_sparse(const char *path, uint64_t *extra_blocks)
{
	uint64_t bs = M.bs, apb = bs / 4;
	uint64_t ind = 12, dind = 12 + apb, tind = 12 + apb + apb * apb;
	uint64_t bounds[] = {ind, dind, tind, tind + apb * apb + 3,
			     tind + 123457};
	op("create sparse %s", path);
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, path, O_CREAT | O_EXCL | O_RDWR, 0644, &f));
	struct minode *in = new_inode(T_REG, 0644);
	in->sparse = true;
	struct stat st;
	WL_OK(daxfs_fstat(f, &st));
	in->ino = st.st_ino;
	add_ent(path, in);
	size_t len = 2 * bs + 100;
	char *buf = malloc(len);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		uint64_t off = bounds[i] * bs - bs - 50;
		op("sparse pwrite %s off %llu (block %llu) len %zu", path,
		   (unsigned long long)off, (unsigned long long)(off / bs), len);
		test_pattern(buf, len, test_rand(&M.rng), off);
		dax_pwrite_all(f, buf, len, (off_t)off);
		model_write(in, off, buf, len);
	}
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, in->size, CTX "size %lld want %llu",
		     CTXA, (long long)st.st_size, (unsigned long long)in->size);
	/* Sparse: only a handful of data and indirect blocks. */
	cr_assert_lt((uint64_t)st.st_blocks * 512, 256 * bs,
		     CTX "st_blocks %lld: the holes were allocated", CTXA,
		     (long long)st.st_blocks);
	/* Truncate into the double-indirect range, then write in the triple
	 * range again (its freed indirect blocks must be reallocated). */
	uint64_t cut = (dind + apb * 3 + 7) * bs + 11;
	op("sparse ftruncate %s %llu", path, (unsigned long long)cut);
	WL_OK(daxfs_ftruncate(f, (off_t)cut));
	model_truncate(in, cut);
	uint64_t off = (tind + 77) * bs + 5;
	op("sparse pwrite %s off %llu again", path, (unsigned long long)off);
	test_pattern(buf, len, test_rand(&M.rng), off);
	dax_pwrite_all(f, buf, len, (off_t)off);
	model_write(in, off, buf, len);
	/* truncate up: a hole at the end */
	op("sparse ftruncate up %s", path);
	WL_OK(daxfs_ftruncate(f, (off_t)(in->size + 5 * bs + 3)));
	model_truncate(in, in->size + 5 * bs + 3);
	WL_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, in->size, CTX "size", CTXA);
	WL_OK(daxfs_close(f));
	free(buf);
	(void)extra_blocks;
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */
/* ------------------------------------------------------------------ */

static unsigned dt_of(int type)
{
	return type == T_REG ? DAXFS_DT_REG
	       : type == T_DIR ? DAXFS_DT_DIR
			       : DAXFS_DT_LNK;
}

static void verify_content(struct ent *e)
{
	struct minode *in = e->in;
	daxfs_file *f = NULL;
	WL_OK(daxfs_open(M.fs, e->path, O_RDONLY, 0, &f));
	/* small buffers for small files: large ones are slow under ASan */
	size_t chunk = in->sparse ? PG : in->size < MIB ? in->size + 16 : MIB;
	if (chunk < PG && in->sparse)
		chunk = PG;
	char *got = malloc(chunk), *want = malloc(chunk);
	if (!in->sparse) {
		for (uint64_t off = 0; off < in->size; off += chunk) {
			size_t n = in->size - off < chunk ? in->size - off
							  : chunk;
			WL_EQ(daxfs_pread(f, got, n, (off_t)off), n);
			model_read(in, off, want, n);
			long d = test_first_diff(got, want, n);
			cr_assert_eq(d, -1,
				     CTX "%s: byte %llu is 0x%02x, want 0x%02x",
				     CTXA, e->path,
				     (unsigned long long)(off + d),
				     (unsigned char)got[d],
				     (unsigned char)want[d]);
		}
	} else {
		/* Every written page, a few holes, and the end. */
		uint64_t probes[64];
		size_t np = 0;
		for (size_t i = 0; i < in->npages && np < 60; i++)
			probes[np++] = in->pages[i].idx * PG;
		probes[np++] = in->size > PG ? in->size - PG : 0;
		probes[np++] = 12 * (uint64_t)M.bs + 3 * PG;
		probes[np++] = in->size / 3;
		for (size_t i = 0; i < np; i++) {
			uint64_t off = probes[i];
			if (off >= in->size)
				continue;
			size_t n = in->size - off < PG ? in->size - off : PG;
			WL_EQ(daxfs_pread(f, got, n, (off_t)off), n);
			model_read(in, off, want, n);
			long d = test_first_diff(got, want, n);
			cr_assert_eq(d, -1,
				     CTX "%s: byte %llu is 0x%02x, want 0x%02x",
				     CTXA, e->path,
				     (unsigned long long)(off + d),
				     (unsigned char)got[d],
				     (unsigned char)want[d]);
		}
	}
	WL_EQ(daxfs_pread(f, got, 16, (off_t)in->size), 0);
	WL_OK(daxfs_close(f));
	free(got);
	free(want);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct dots {
	int ndot, ndotdot;
	uint64_t dot, dotdot;
};

static int dots_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct dots *d = arg;
	(void)type;
	if (!strcmp(name, ".")) {
		d->ndot++;
		d->dot = ino;
	} else if (!strcmp(name, "..")) {
		d->ndotdot++;
		d->dotdot = ino;
	}
	return 0;
}

static void verify_dir(struct ent *e)
{
	/* "." is the directory, ".." its (current) parent */
	struct dots dd = {0};
	WL_OK(daxfs_readdir(M.fs, e->path, dots_cb, &dd));
	char *parent = parent_of(e->path);
	struct stat pst;
	WL_OK(daxfs_stat(M.fs, parent, &pst));
	cr_assert(dd.ndot == 1 && dd.ndotdot == 1,
		  CTX "%s: \".\" listed %d times, \"..\" %d times", CTXA,
		  e->path, dd.ndot, dd.ndotdot);
	if (e->in->ino)
		cr_assert_eq(dd.dot, e->in->ino, CTX "%s: \".\" is inode %llu",
			     CTXA, e->path, (unsigned long long)dd.dot);
	cr_assert_eq(dd.dotdot, (uint64_t)pst.st_ino,
		     CTX "%s: \"..\" is inode %llu, the parent %s is %llu", CTXA,
		     e->path, (unsigned long long)dd.dotdot, parent,
		     (unsigned long long)pst.st_ino);
	free(parent);

	char **names = NULL;
	unsigned *types = NULL;
	uint64_t *inos = NULL;
	int n = test_dax_list(M.fs, e->path, &names, &types, &inos);
	cr_assert_geq(n, 0, CTX "daxfs_readdir(%s) = %d: %s", CTXA, e->path, n,
		      daxfs_errormsg());
	/* The model's children, sorted. */
	const char *pfx = strcmp(e->path, "/") ? e->path : "";
	size_t l = strlen(pfx);
	char **want = NULL;
	struct minode **wi = NULL;
	int nw = 0;
	for (size_t i = 0; i < M.n; i++) {
		const char *p = M.e[i].path;
		if (M.e[i].alive && strncmp(p, pfx, l) == 0 && p[l] == '/' &&
		    p[l + 1] && !strchr(p + l + 1, '/')) {
			want = realloc(want, (nw + 1) * sizeof(char *));
			want[nw++] = (char *)p + l + 1;
		}
	}
	if (nw)
		qsort(want, nw, sizeof(char *), cmp_str);
	for (int i = 0; i < n || i < nw; i++) {
		cr_assert(i < n && i < nw && !strcmp(names[i], want[i]),
			  CTX "daxfs_readdir(%s): entry %d is \"%s\", the "
			  "model has \"%s\" (%d listed, %d expected)",
			  CTXA, e->path, i, i < n ? names[i] : "(end)",
			  i < nw ? want[i] : "(end)", n, nw);
		char *p = join(e->path, want[i]);
		struct ent *c = find(p);
		cr_assert_not_null(c);
		cr_assert_eq(types[i], dt_of(c->in->type),
			     CTX "readdir type of %s is %u, want %u", CTXA, p,
			     types[i], dt_of(c->in->type));
		if (c->in->ino)
			cr_assert_eq(inos[i], c->in->ino,
				     CTX "readdir inode of %s is %llu, want "
				     "%llu",
				     CTXA, p, (unsigned long long)inos[i],
				     (unsigned long long)c->in->ino);
		free(p);
	}
	(void)wi;
	free(want);
	test_free_list(names, n);
	free(types);
	free(inos);
}

/* Record the attributes that must survive unmount (V_RECORD), or check
 * that they did (V_PERSIST). */
static void attrs(struct ent *e, const struct stat *st, int mode)
{
	struct minode *in = e->in;
	if (mode == V_RECORD) {
		time_t now = time(NULL);
		cr_assert(st->st_mtime >= M.t0 - 5 && st->st_mtime <= now + 5,
			  CTX "%s: st_mtime %lld is not the time it was "
			  "written (%lld..%lld)",
			  CTXA, e->path, (long long)st->st_mtime,
			  (long long)M.t0, (long long)now);
		cr_assert(st->st_ctime >= M.t0 - 5 && st->st_ctime <= now + 5,
			  CTX "%s: st_ctime %lld is not the time it was "
			  "changed (%lld..%lld)",
			  CTXA, e->path, (long long)st->st_ctime,
			  (long long)M.t0, (long long)now);
		in->blocks = (uint64_t)st->st_blocks;
		in->mtime = st->st_mtime;
		in->ctime = st->st_ctime;
		in->uid = st->st_uid;
		in->gid = st->st_gid;
	} else if (mode == V_PERSIST) {
		cr_assert_eq((uint64_t)st->st_blocks, in->blocks,
			     CTX "%s: st_blocks %lld after remount, %llu before",
			     CTXA, e->path, (long long)st->st_blocks,
			     (unsigned long long)in->blocks);
		cr_assert_eq(st->st_mtime, in->mtime,
			     CTX "%s: st_mtime %lld after remount, %lld before",
			     CTXA, e->path, (long long)st->st_mtime,
			     (long long)in->mtime);
		cr_assert_eq(st->st_ctime, in->ctime,
			     CTX "%s: st_ctime %lld after remount, %lld before",
			     CTXA, e->path, (long long)st->st_ctime,
			     (long long)in->ctime);
		cr_assert_eq(st->st_uid, in->uid, CTX "%s: uid", CTXA, e->path);
		cr_assert_eq(st->st_gid, in->gid, CTX "%s: gid", CTXA, e->path);
	}
}

/* Everything through the API. */
static void verify_api(const char *when, int vmode)
{
	snprintf(M.lastop, sizeof(M.lastop), "verify (%s)", when);
	size_t nreg = 0, ndir = 0, nlnk = 0;
	for (size_t i = 0; i < M.n; i++) {
		struct ent *e = &M.e[i];
		if (!e->alive)
			continue;
		struct stat st;
		WL_OK(daxfs_stat(M.fs, e->path, &st));
		struct minode *in = e->in;
		switch (in->type) {
		case T_REG:
			nreg++;
			cr_assert(S_ISREG(st.st_mode),
				  CTX "%s: mode 0%o, want a regular file",
				  CTXA, e->path, st.st_mode);
			cr_assert_eq((uint64_t)st.st_size, in->size,
				     CTX "%s: st_size %lld, want %llu", CTXA,
				     e->path, (long long)st.st_size,
				     (unsigned long long)in->size);
			cr_assert_eq(st.st_nlink, in->nlink,
				     CTX "%s: st_nlink %lu, want %u", CTXA,
				     e->path, (unsigned long)st.st_nlink,
				     in->nlink);
			cr_assert_eq(st.st_mode & 07777, in->mode,
				     CTX "%s: mode 0%o, want 0%o", CTXA,
				     e->path, st.st_mode & 07777, in->mode);
			verify_content(e);
			break;
		case T_LNK: {
			nlnk++;
			cr_assert(S_ISLNK(st.st_mode),
				  CTX "%s: mode 0%o, want a symlink", CTXA,
				  e->path, st.st_mode);
			cr_assert_eq((uint64_t)st.st_size, in->size,
				     CTX "%s: symlink st_size %lld, want %llu",
				     CTXA, e->path, (long long)st.st_size,
				     (unsigned long long)in->size);
			char buf[8192];
			ssize_t n = daxfs_readlink(M.fs, e->path, buf,
						   sizeof(buf));
			cr_assert_eq(n, (ssize_t)in->size,
				     CTX "daxfs_readlink(%s) = %zd, want %llu:"
				     " %s",
				     CTXA, e->path, n,
				     (unsigned long long)in->size,
				     daxfs_errormsg());
			cr_assert_eq(memcmp(buf, in->target, n), 0,
				     CTX "%s: target \"%.*s\", want \"%s\"",
				     CTXA, e->path, (int)n, buf, in->target);
			/* a short buffer gets a prefix */
			if (in->size > 3)
				WL_EQ(daxfs_readlink(M.fs, e->path, buf, 3), 3);
			break;
		}
		case T_DIR:
			ndir++;
			cr_assert(S_ISDIR(st.st_mode),
				  CTX "%s: mode 0%o, want a directory", CTXA,
				  e->path, st.st_mode);
			cr_assert_eq(st.st_nlink, 2 + subdirs(e->path),
				     CTX "%s: st_nlink %lu, want 2 + %d "
				     "subdirectories",
				     CTXA, e->path, (unsigned long)st.st_nlink,
				     subdirs(e->path));
			verify_dir(e);
			break;
		}
		if (e->path[1] && strncmp(e->path, "/lost+found", 11))
			attrs(e, &st, vmode);
		if (in->ino == 0)
			in->ino = st.st_ino;
		cr_assert_eq(st.st_ino, in->ino,
			     CTX "%s: st_ino %llu, want %llu", CTXA, e->path,
			     (unsigned long long)st.st_ino,
			     (unsigned long long)in->ino);
	}
	cr_log_info("verify (%s): %zu files, %zu dirs, %zu symlinks\n", when,
		    nreg, ndir, nlnk);
}

/* Split debugfs -f output into the sections of its commands. */
struct section {
	char *cmd;
	char *out;
};

static int split_batch(char *out, struct section **secs)
{
	int n = 0;
	struct section *s = NULL;
	char *p = out;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (!strncmp(p, "debugfs: ", 9)) {
			s = realloc(s, (n + 1) * sizeof(*s));
			s[n].cmd = p + 9;
			s[n].out = nl ? nl + 1 : p + strlen(p);
			*p = '\0'; /* ends the previous section's output */
			if (nl)
				*nl = '\0';
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	*secs = s;
	return n;
}

/* After unmount: e2fsck and debugfs agree with the model. */
static void verify_e2fsprogs(void)
{
	snprintf(M.lastop, sizeof(M.lastop), "e2fsprogs checks");
	char *fsck = NULL;
	int rc = test_e2fsck(M.img, &fsck);
	cr_assert_eq(rc, 0, CTX "e2fsck -fn exit status %d:\n%s", CTXA, rc,
		     fsck);
	free(fsck);
	char *state = test_dumpe2fs_field(M.img, "Filesystem state");
	cr_assert_str_eq(state ? state : "(none)", "clean");
	free(state);

	/* ls -p of every directory, one debugfs run. */
	struct strbuf {
		char *p;
		size_t len, cap;
	} cmds = {0};
#define ADD(...)                                                             \
	do {                                                                 \
		char *s_;                                                    \
		int n_ = asprintf(&s_, __VA_ARGS__);                         \
		if (cmds.len + n_ + 1 > cmds.cap) {                          \
			cmds.cap = (cmds.len + n_ + 1) * 2;                  \
			cmds.p = realloc(cmds.p, cmds.cap);                  \
		}                                                            \
		memcpy(cmds.p + cmds.len, s_, n_ + 1);                       \
		cmds.len += n_;                                              \
		free(s_);                                                    \
	} while (0)
	size_t ndirs = 0;
	for (size_t i = 0; i < M.n; i++)
		if (M.e[i].alive && M.e[i].in->type == T_DIR) {
			ADD("ls -p %s\n", M.e[i].path);
			ndirs++;
		}
	char *err = NULL;
	char *out = test_debugfs_batch(M.img, cmds.p, &err);
	cr_assert_not_null(out);
	cr_assert(!err || !err[0], "debugfs ls: %s", err);
	free(err);
	struct section *secs = NULL;
	int ns = split_batch(out, &secs);
	cr_assert_eq((size_t)ns, ndirs, "debugfs ran %d of %zu ls commands", ns,
		     ndirs);
	size_t nchecked = 0;
	for (int s = 0; s < ns; s++) {
		const char *dir = secs[s].cmd + 6; /* "ls -p " */
		int nents = 0;
		struct test_dent *ents = NULL;
		int nls = test_parse_ls(secs[s].out, &ents);
		for (int k = 0; k < nls; k++) {
			uint64_t ino = ents[k].ino;
			unsigned mode = ents[k].mode;
			const char *name = ents[k].name;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			nents++;
			char *p = join(dir, name);
			struct ent *e = find(p);
			cr_assert_not_null(e, "debugfs lists %s, which the "
					      "model does not have [seed %llu]",
					   p, (unsigned long long)M.seed);
			struct minode *in = e->in;
			cr_assert_eq(ino, in->ino,
				     "debugfs: %s is inode %llu, libdaxfs said "
				     "%llu",
				     p, (unsigned long long)ino,
				     (unsigned long long)in->ino);
			unsigned want_fmt = in->type == T_REG   ? S_IFREG
					    : in->type == T_DIR ? S_IFDIR
								: S_IFLNK;
			cr_assert_eq(mode & S_IFMT, want_fmt,
				     "debugfs: %s has mode 0%o", p, mode);
			if (in->type == T_REG) {
				cr_assert_eq(mode & 07777, in->mode,
					     "debugfs: %s mode 0%o, want 0%o",
					     p, mode & 07777, in->mode);
				cr_assert_eq(ents[k].size, in->size,
					     "debugfs: %s size %llu, want %llu",
					     p, (unsigned long long)ents[k].size,
					     (unsigned long long)in->size);
			}
			free(p);
			nchecked++;
		}
		free(ents);
		cr_assert_eq(nents, children(dir),
			     "debugfs lists %d entries in %s, the model has %d",
			     nents, dir, children(dir));
	}
	free(secs);
	free(out);
	cr_log_info("debugfs ls: %zu entries in %zu directories match\n",
		    nchecked, ndirs);

	/* stat of one name per inode: link count, size, type. */
	cmds.len = 0;
	cmds.p[0] = '\0';
	size_t nstat = 0;
	struct ent **order = NULL;
	for (size_t i = 0; i < M.n; i++) {
		struct ent *e = &M.e[i];
		if (!e->alive)
			continue;
		ADD("stat %s\n", e->path);
		order = realloc(order, (nstat + 1) * sizeof(*order));
		order[nstat++] = e;
	}
	out = test_debugfs_batch(M.img, cmds.p, NULL);
	cr_assert_not_null(out);
	ns = split_batch(out, &secs);
	cr_assert_eq((size_t)ns, nstat);
	for (int s = 0; s < ns; s++) {
		struct ent *e = order[s];
		struct test_dstat ds;
		cr_assert_eq(test_parse_dstat(secs[s].out, &ds), 0,
			     "debugfs stat %s: %s", e->path, secs[s].out);
		struct minode *in = e->in;
		cr_assert_eq(ds.ino, in->ino, "debugfs stat %s: inode %llu",
			     e->path, (unsigned long long)ds.ino);
		const char *want = in->type == T_REG   ? "regular"
				   : in->type == T_DIR ? "directory"
						       : "symlink";
		cr_assert_str_eq(ds.type, want, "debugfs stat %s", e->path);
		unsigned wl = in->type == T_DIR ? 2 + subdirs(e->path)
						: in->nlink;
		cr_assert_eq(ds.links, wl, "debugfs stat %s: Links %u, want %u",
			     e->path, ds.links, wl);
		if (e->path[1] && strncmp(e->path, "/lost+found", 11)) {
			cr_assert_eq(ds.blockcount, in->blocks,
				     "debugfs stat %s: Blockcount %llu, "
				     "libdaxfs st_blocks %llu",
				     e->path, (unsigned long long)ds.blockcount,
				     (unsigned long long)in->blocks);
			cr_assert_eq(ds.mtime, in->mtime,
				     "debugfs stat %s: mtime %lld, libdaxfs "
				     "st_mtime %lld",
				     e->path, (long long)ds.mtime,
				     (long long)in->mtime);
			cr_assert_eq(ds.ctime, in->ctime,
				     "debugfs stat %s: ctime %lld, libdaxfs "
				     "st_ctime %lld",
				     e->path, (long long)ds.ctime,
				     (long long)in->ctime);
			cr_assert_eq(ds.uid, in->uid, "debugfs stat %s: uid",
				     e->path);
		}
		if (in->type != T_DIR)
			cr_assert_eq(ds.size, in->size,
				     "debugfs stat %s: Size %llu, want %llu",
				     e->path, (unsigned long long)ds.size,
				     (unsigned long long)in->size);
		if (in->type == T_LNK && in->size < 60) {
			cr_assert(ds.has_fastlink,
				  "debugfs: %s (%llu bytes) is not a fast "
				  "symlink",
				  e->path, (unsigned long long)in->size);
			cr_assert_str_eq(ds.fastlink, in->target,
					 "debugfs: fast link %s", e->path);
		}
	}
	free(secs);
	free(out);
	free(order);
	cr_log_info("debugfs stat: %zu inodes match\n", nstat);

	/* A sample of contents with debugfs cat, and slow symlinks. */
	int ncat = 0, nlnk = 0;
	for (int tries = 0; tries < 2000 && (ncat < 40 || nlnk < 10);
	     tries++) {
		struct ent *e = &M.e[rnd(M.n)];
		if (!e->alive || e->in->sparse)
			continue;
		if (e->in->type == T_REG && ncat < 40 && e->in->size < 4 * MIB) {
			size_t len = 0;
			char *got = test_debugfs_cat(M.img, e->path, &len);
			cr_assert_not_null(got, "debugfs cat %s", e->path);
			cr_assert_eq(len, e->in->size, "debugfs cat %s: %zu "
				     "bytes, want %llu", e->path, len,
				     (unsigned long long)e->in->size);
			char *want = malloc(len + 1);
			model_read(e->in, 0, want, len);
			long d = test_first_diff(got, want, len);
			cr_assert_eq(d, -1,
				     "debugfs cat %s differs at byte %ld",
				     e->path, d);
			free(want);
			free(got);
			ncat++;
		} else if (e->in->type == T_LNK && nlnk < 10) {
			char *t = test_debugfs_readlink(M.img, e->path);
			cr_assert_not_null(t, "debugfs readlink %s", e->path);
			cr_assert_str_eq(t, e->in->target,
					 "debugfs: symlink %s", e->path);
			free(t);
			nlnk++;
		}
	}

	/* Sparse files: debugfs bmap maps every written block; the block on
	 * the image holds the bytes; holes map to 0. */
	int fd = open(M.img, O_RDONLY);
	cr_assert_geq(fd, 0);
	char *blk = malloc(M.bs), *want = malloc(M.bs);
	for (size_t i = 0; i < M.n; i++) {
		struct ent *e = &M.e[i];
		if (!e->alive || !e->in->sparse)
			continue;
		struct minode *in = e->in;
		cmds.len = 0;
		cmds.p[0] = '\0';
		uint64_t *lb = NULL;
		size_t nlb = 0;
		for (size_t k = 0; k < in->npages; k++) {
			for (uint64_t b = in->pages[k].idx * PG / M.bs;
			     b < (in->pages[k].idx + 1) * PG / M.bs; b++) {
				if (b * M.bs >= in->size)
					break;
				lb = realloc(lb, (nlb + 1) * sizeof(*lb));
				lb[nlb++] = b;
				ADD("bmap %s %llu\n", e->path,
				    (unsigned long long)b);
			}
		}
		/* holes */
		uint64_t holes[] = {12 + 5, 12 + M.bs / 4 + 9};
		for (size_t k = 0; k < 2; k++) {
			bool found;
			page_find(in, holes[k] * M.bs / PG, &found);
			if (!found && holes[k] * M.bs < in->size) {
				lb = realloc(lb, (nlb + 1) * sizeof(*lb));
				lb[nlb++] = holes[k];
				ADD("bmap %s %llu\n", e->path,
				    (unsigned long long)holes[k]);
			}
		}
		out = test_debugfs_batch(M.img, cmds.p, NULL);
		cr_assert_not_null(out);
		ns = split_batch(out, &secs);
		cr_assert_eq((size_t)ns, nlb);
		for (int s = 0; s < ns; s++) {
			long long phys = strtoll(secs[s].out, NULL, 10);
			model_read(in, lb[s] * M.bs, want, M.bs);
			bool zero = true;
			for (unsigned k = 0; k < M.bs && zero; k++)
				zero = want[k] == 0;
			if (phys == 0) {
				cr_assert(zero, "debugfs bmap %s %llu: a hole, "
					  "but data was written there",
					  e->path, (unsigned long long)lb[s]);
				continue;
			}
			cr_assert_eq(pread(fd, blk, M.bs, (off_t)phys * M.bs),
				     (ssize_t)M.bs);
			/* bytes past EOF in the last block do not matter */
			size_t cmp = in->size - lb[s] * M.bs < M.bs
					     ? (size_t)(in->size - lb[s] * M.bs)
					     : M.bs;
			long d = test_first_diff(blk, want, cmp);
			cr_assert_eq(d, -1,
				     "%s: logical block %llu (debugfs bmap: "
				     "physical %lld) differs at byte %ld",
				     e->path, (unsigned long long)lb[s], phys,
				     d);
		}
		free(secs);
		free(out);
		free(lb);
	}
	free(blk);
	free(want);
	close(fd);
	free(cmds.p);
#undef ADD
}

/* ------------------------------------------------------------------ */
/* The workload                                                        */
/* ------------------------------------------------------------------ */

static void model_reset(void)
{
	for (size_t i = 0; i < M.n; i++) {
		if (M.e[i].alive)
			kill_ent(&M.e[i]);
		free(M.e[i].path);
	}
	free(M.e);
	memset(&M, 0, sizeof(M));
}

/* Adopt what a fresh file system has (root, maybe lost+found). */
static void model_adopt(void)
{
	struct stat st;
	WL_OK(daxfs_stat(M.fs, "/", &st));
	struct minode *root = new_inode(T_DIR, 0755);
	root->ino = st.st_ino;
	add_ent("/", root);
	char **names = NULL;
	int n = test_dax_list(M.fs, "/", &names, NULL, NULL);
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		char *p = join("/", names[i]);
		WL_OK(daxfs_stat(M.fs, p, &st));
		cr_assert(S_ISDIR(st.st_mode), "fresh fs has %s", p);
		struct minode *in = new_inode(T_DIR, st.st_mode & 07777);
		in->ino = st.st_ino;
		add_ent(p, in);
		free(p);
	}
	test_free_list(names, n);
}

struct wl_params {
	unsigned bs;
	uint64_t size;
	unsigned nfiles;
	unsigned ndirs;
	unsigned nops;
	bool use_mke2fs;
};

static void run_workload(const struct wl_params *p, uint64_t default_seed)
{
	model_reset();
	/* DAXFS_WORKLOAD_SCALE=n multiplies the work (for soak runs). */
	const char *sc = getenv("DAXFS_WORKLOAD_SCALE");
	unsigned scale = sc && atoi(sc) > 0 ? (unsigned)atoi(sc) : 1;
	struct wl_params scaled = *p;
	scaled.nfiles *= scale;
	scaled.ndirs *= scale;
	scaled.nops *= scale;
	p = &scaled;
	const char *env = getenv("DAXFS_WORKLOAD_SEED");
	M.seed = env ? strtoull(env, NULL, 0) : default_seed;
	M.rng = M.seed;
	M.bs = p->bs;
	M.trace = getenv("DAXFS_WORKLOAD_TRACE") != NULL;
	M.t0 = time(NULL);
	cr_log_info("workload: seed %llu, %u-byte blocks\n",
		    (unsigned long long)M.seed, p->bs);
	fprintf(stderr, "workload: seed %llu (DAXFS_WORKLOAD_SEED replays)\n",
		(unsigned long long)M.seed);

	M.img = test_image_path("workload");
	if (p->use_mke2fs) {
		cr_assert_eq(test_mke2fs(M.img, p->bs, p->size, NULL), 0);
	} else {
		struct daxfs_mkfs_opts o = {.size = p->size,
					    .block_size = p->bs};
		CHECK_OK(daxfs_mkfs(M.img, &o));
	}
	CHECK_OK(daxfs_mount(M.img, 0, &M.fs));
	model_adopt();

	/* Directories first, nested. */
	for (unsigned i = 0; i < p->ndirs; i++)
		do_mkdir(pick_dir(5));
	/* Files, with other operations mixed in. */
	unsigned created = 0;
	while (created < p->nfiles) {
		do_create(pick_dir(7));
		created++;
		if (rnd(10) == 0)
			do_symlink(pick_dir(7));
		if (rnd(40) == 0)
			do_mkdir(pick_dir(5));
	}
	/* The sparse files across the indirect boundaries. */
	WL_OK(daxfs_mkdir(M.fs, "/sparse", 0755));
	add_ent("/sparse", new_inode(T_DIR, 0755));
	do_sparse("/sparse/s1", NULL);

	verify_api("after creating", V_PLAIN);

	/* Random operations. */
	for (unsigned i = 0; i < p->nops; i++) {
		unsigned r = (unsigned)rnd(100);
		struct ent *e;
		if (r < 18) {
			if ((e = pick(T_REG)))
				do_write(e);
		} else if (r < 26) {
			if ((e = pick(T_REG)))
				do_append(e);
		} else if (r < 34) {
			if ((e = pick(T_REG)))
				do_truncate(e);
		} else if (r < 36) {
			if ((e = pick(T_REG)))
				do_otrunc(e);
		} else if (r < 48) {
			if ((e = pick(rnd(5) ? T_REG : T_LNK)))
				do_rename_file(e);
		} else if (r < 52) {
			if ((e = pick(T_DIR)))
				do_rename_dir(e);
		} else if (r < 60) {
			if ((e = pick(T_REG)))
				do_link(e);
		} else if (r < 66) {
			do_symlink(pick_dir(7));
		} else if (r < 78) {
			if ((e = pick(rnd(4) ? T_REG : T_LNK)))
				do_unlink(e);
		} else if (r < 82) {
			if ((e = pick(T_DIR)))
				do_rmdir(e);
		} else if (r < 88) {
			do_create(pick_dir(7));
		} else if (r < 90) {
			do_mkdir(pick_dir(6));
		} else if (r < 91) {
			do_errors();
		} else {
			/* read a random range and compare */
			if ((e = pick(T_REG)) && e->in->size) {
				op("pread %s", e->path);
				uint64_t off = rnd(e->in->size);
				size_t len = 1 + rnd(3 * M.bs);
				char *got = malloc(len), *want = malloc(len);
				daxfs_file *f = NULL;
				WL_OK(daxfs_open(M.fs, e->path, O_RDONLY, 0,
						&f));
				size_t exp = off + len > e->in->size
						     ? e->in->size - off
						     : len;
				WL_EQ(daxfs_pread(f, got, len, (off_t)off),
				     exp);
				model_read(e->in, off, want, exp);
				cr_assert_eq(memcmp(got, want, exp), 0,
					     CTX "pread content", CTXA);
				WL_OK(daxfs_close(f));
				free(got);
				free(want);
			}
		}
	}
	/* Empty some directories completely and remove them. */
	for (int k = 0; k < 5; k++) {
		struct ent *d = pick(T_DIR);
		if (!d || children(d->path) > 20)
			continue;
		bool has_sparse = false;
		for (size_t i = 0; i < M.n; i++)
			if (M.e[i].alive && M.e[i].in->sparse &&
			    is_under(M.e[i].path, d->path))
				has_sparse = true;
		if (has_sparse)
			continue;
		bool again = true;
		while (again) {
			again = false;
			for (size_t i = 0; i < M.n; i++) {
				struct ent *c = &M.e[i];
				if (!c->alive || !is_under(c->path, d->path))
					continue;
				if (c->in->type == T_DIR) {
					if (children(c->path) == 0)
						do_rmdir(c);
					again = true;
				} else {
					do_unlink(c);
				}
			}
		}
		do_rmdir(d);
	}
	do_errors();

	verify_api("after random operations", V_RECORD);
	struct statvfs sv;
	CHECK_OK(daxfs_statfs(M.fs, &sv));
	cr_assert_leq(sv.f_bfree, sv.f_blocks);
	cr_assert_leq(sv.f_ffree, sv.f_files);
	CHECK_OK(daxfs_unmount(M.fs));
	M.fs = NULL;

	verify_e2fsprogs();
	/* df agrees with the superblock (which e2fsck checked) */
	cr_assert_eq(sv.f_bsize, p->bs);
	cr_assert_eq(sv.f_files, check_dumpe2fs_num(M.img, "Inode count"));
	cr_assert_eq(sv.f_ffree, check_dumpe2fs_num(M.img, "Free inodes"),
		     "daxfs_statfs f_ffree %llu, the superblock says %llu",
		     (unsigned long long)sv.f_ffree,
		     (unsigned long long)check_dumpe2fs_num(M.img,
							    "Free inodes"));
	cr_assert_eq(sv.f_bfree, check_dumpe2fs_num(M.img, "Free blocks"),
		     "daxfs_statfs f_bfree %llu, the superblock says %llu",
		     (unsigned long long)sv.f_bfree,
		     (unsigned long long)check_dumpe2fs_num(M.img,
							    "Free blocks"));

	CHECK_OK(daxfs_mount(M.img, 0, &M.fs));
	verify_api("after remount", V_PERSIST);
	CHECK_OK(daxfs_unmount(M.fs));
	M.fs = NULL;
	cr_assert_eq(test_e2fsck(M.img, NULL), 0, "e2fsck after the remount");
	model_reset();
}

Test(workload, mkfs_4k)
{
	struct wl_params p = {.bs = 4096,
			      .size = 384 * MIB,
			      .nfiles = 3000,
			      .ndirs = 120,
			      .nops = 4000};
	run_workload(&p, 4242);
}

Test(workload, mkfs_1k)
{
	struct wl_params p = {.bs = 1024,
			      .size = 160 * MIB,
			      .nfiles = 1200,
			      .ndirs = 60,
			      .nops = 2000};
	run_workload(&p, 1024);
}

Test(workload, mke2fs_2k)
{
	struct wl_params p = {.bs = 2048,
			      .size = 192 * MIB,
			      .nfiles = 1200,
			      .ndirs = 60,
			      .nops = 2000,
			      .use_mke2fs = true};
	run_workload(&p, 2048);
}

/* Everything made and then removed gives back every block and inode:
 * files of all sizes (with indirect, double- and triple-indirect blocks),
 * sparse files, truncated files, hard links, slow symlinks and
 * directories that grew several blocks. */
static void space_reclaimed(unsigned bs)
{
	model_reset();
	M.seed = 7 * bs;
	M.rng = M.seed;
	M.bs = bs;
	M.img = test_image_path("reclaim");
	struct daxfs_mkfs_opts o = {.size = 256 * MIB, .block_size = bs};
	CHECK_OK(daxfs_mkfs(M.img, &o));
	CHECK_OK(daxfs_mount(M.img, 0, &M.fs));
	struct statvfs s0, s1, s2;
	CHECK_OK(daxfs_statfs(M.fs, &s0));

	WL_OK(daxfs_mkdir(M.fs, "/w", 0755));
	WL_OK(daxfs_mkdir(M.fs, "/w/many", 0755));
	char p[256], q[256];
	size_t bufsz = 300 * 1024;
	char *buf = malloc(bufsz);
	test_pattern(buf, bufsz, 1, 0);
	for (int i = 0; i < 1500; i++) {
		snprintf(p, sizeof(p), "/w/many/file_with_a_long_name_%05d", i);
		daxfs_file *f = NULL;
		WL_OK(daxfs_open(M.fs, p, O_CREAT | O_WRONLY, 0644, &f));
		size_t len = i % 50 == 0 ? bufsz : (size_t)(i * 7 % 5000);
		WL_EQ(daxfs_pwrite(f, buf, len, 0), len);
		if (i % 97 == 0) { /* sparse, deep in the tree */
			uint64_t apb = bs / 4;
			off_t off = (off_t)((12 + apb + apb * apb + 5) * bs);
			WL_EQ(daxfs_pwrite(f, buf, 3 * bs, off), 3 * bs);
		}
		if (i % 13 == 0) /* truncated in the middle of a block */
			WL_OK(daxfs_ftruncate(f, (off_t)(len / 3 + 1)));
		WL_OK(daxfs_close(f));
		if (i % 11 == 0) {
			snprintf(q, sizeof(q), "/w/hard_%05d", i);
			WL_OK(daxfs_link(M.fs, p, q));
		}
		if (i % 17 == 0) {
			char t[1000];
			memset(t, 'x', sizeof(t) - 1);
			t[(i % 2) ? 999 : 20] = '\0';
			snprintf(q, sizeof(q), "/w/sym_%05d", i);
			WL_OK(daxfs_symlink(M.fs, t, q));
		}
		if (i % 100 == 0) {
			snprintf(q, sizeof(q), "/w/d%d", i);
			WL_OK(daxfs_mkdir(M.fs, q, 0755));
		}
	}
	free(buf);
	CHECK_OK(daxfs_statfs(M.fs, &s1));
	cr_assert_lt(s1.f_bfree, s0.f_bfree);
	cr_assert_lt(s1.f_ffree, s0.f_ffree);

	/* remove everything */
	char **names = NULL;
	int n = test_dax_list(M.fs, "/w/many", &names, NULL, NULL);
	cr_assert_geq(n, 1500);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/w/many/%s", names[i]);
		WL_OK(daxfs_unlink(M.fs, p));
	}
	test_free_list(names, n);
	WL_OK(daxfs_rmdir(M.fs, "/w/many"));
	n = test_dax_list(M.fs, "/w", &names, NULL, NULL);
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/w/%s", names[i]);
		if (names[i][0] == 'd')
			WL_OK(daxfs_rmdir(M.fs, p));
		else
			WL_OK(daxfs_unlink(M.fs, p));
	}
	test_free_list(names, n);
	WL_OK(daxfs_rmdir(M.fs, "/w"));

	CHECK_OK(daxfs_statfs(M.fs, &s2));
	cr_assert_eq(s2.f_ffree, s0.f_ffree,
		     "free inodes %llu after removing everything, %llu before",
		     (unsigned long long)s2.f_ffree,
		     (unsigned long long)s0.f_ffree);
	cr_assert_eq(s2.f_bfree, s0.f_bfree,
		     "free blocks %llu after removing everything, %llu before "
		     "(%lld leaked)",
		     (unsigned long long)s2.f_bfree,
		     (unsigned long long)s0.f_bfree,
		     (long long)s0.f_bfree - (long long)s2.f_bfree);
	CHECK_OK(daxfs_unmount(M.fs));
	M.fs = NULL;
	cr_assert_eq(test_e2fsck(M.img, NULL), 0);
	cr_assert_eq(check_dumpe2fs_num(M.img, "Free blocks"), s0.f_bfree);
	cr_assert_eq(check_dumpe2fs_num(M.img, "Free inodes"), s0.f_ffree);
	model_reset();
}

Test(workload, space_reclaimed_4k)
{
	space_reclaimed(4096);
}

Test(workload, space_reclaimed_1k)
{
	space_reclaimed(1024);
}
