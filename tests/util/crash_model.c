/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_model.c -- the crash harness's model of the tree: the seeded
 * workload (which operation, on what), what each operation does to the
 * model and to a file system, and the judge that walks a mounted crash
 * image and compares it with the model before and after the operation
 * that was in flight.  See crash.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "crash_model.h"

/* ---- the model ------------------------------------------------------ */

const char *crash_kind_name(int kind)
{
	static const char *const names[CK_NKINDS] = {
		"mount", "create", "mkdir", "symlink", "link", "unlink",
		"rmdir", "rename-new", "rename-file", "rename-dir",
		"rename-move", "truncate-up", "truncate-down", "write-alloc",
		"append", "overwrite", "atomic-write", "lazy-write",
		"fallocate", "punch", "unmount",
	};

	return kind >= 0 && kind < CK_NKINDS ? names[kind] : "?";
}

/* Index of the name path in m, or -1. */
static int m_find(const struct model *m, const char *path)
{
	int i;

	for (i = 0; i < m->nent; i++)
		if (strcmp(m->ent[i].path, path) == 0)
			return i;
	return -1;
}

/* The parent directory of path into buf ("/" for "/x"). */
static const char *m_parent(const char *path, char *buf)
{
	const char *s = strrchr(path, '/');
	size_t n = s && s != path ? (size_t)(s - path) : 1;

	memcpy(buf, path, n);
	buf[n] = 0;
	return buf;
}

/* Is path inside directory dir (at any depth, dir itself excluded)? */
static bool m_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return strcmp(path, "/") != 0;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The type of name i. */
static char m_type(const struct model *m, int i)
{
	return m->obj[m->ent[i].obj].type;
}

/* A directory's link count: 2 and one per subdirectory. */
static unsigned m_dir_nlink(const struct model *m, const char *dir)
{
	char buf[M_PATH];
	unsigned n = 2;
	int i;

	for (i = 0; i < m->nent; i++)
		if (m_type(m, i) == 'd' && strcmp(m->ent[i].path, "/") &&
		    strcmp(m_parent(m->ent[i].path, buf), dir) == 0)
			n++;
	return n;
}

/* Has directory dir no name in it? */
static bool m_empty(const struct model *m, const char *dir)
{
	int i;

	for (i = 0; i < m->nent; i++)
		if (m_under(m->ent[i].path, dir))
			return false;
	return true;
}

/* A free object slot made of type t, or -1. */
static int m_new_obj(struct model *m, char t)
{
	int i;

	for (i = 0; i < M_OBJS; i++)
		if (!m->obj[i].type) {
			memset(&m->obj[i], 0, sizeof(m->obj[i]));
			m->obj[i].type = t;
			m->obj[i].nlink = 1;
			return i;
		}
	return -1;
}

/* Add the name path for object obj. */
static void m_add(struct model *m, const char *path, int obj)
{
	struct ment *e = &m->ent[m->nent++];

	snprintf(e->path, sizeof(e->path), "%s", path);
	e->obj = obj;
}

/* Remove name i (keeping the order); drop its object when unnamed. */
static void m_del(struct model *m, int i)
{
	struct mobj *o = &m->obj[m->ent[i].obj];

	if (o->type != 'f' || --o->nlink == 0)
		o->type = 0;
	memmove(&m->ent[i], &m->ent[i + 1],
		(m->nent - i - 1) * sizeof(m->ent[0]));
	m->nent--;
}

/* Rename the name from, and everything under it, to to. */
static void m_move(struct model *m, const char *from, const char *to)
{
	size_t n = strlen(from);
	char buf[M_PATH];
	int i;

	for (i = 0; i < m->nent; i++) {
		char *p = m->ent[i].path;

		if (strcmp(p, from) == 0 || m_under(p, from)) {
			snprintf(buf, sizeof(buf), "%s%s", to, p + n);
			strcpy(p, buf);
		}
	}
}

/* Clip a file's writes to its size. */
static void m_clip(struct mobj *o)
{
	int i, k = 0;

	for (i = 0; i < o->nw; i++) {
		struct mwrite w = o->w[i];

		if (w.off >= o->size)
			continue;
		if (w.off + w.len > o->size)
			w.len = o->size - w.off;
		o->w[k++] = w;
	}
	o->nw = k;
}

/* The contents of file o: size bytes into buf. */
static void m_render(const struct mobj *o, unsigned char *buf)
{
	int i;

	memset(buf, 0, o->size);
	for (i = 0; i < o->nw; i++)
		if (o->w[i].seed)
			test_pattern(buf + o->w[i].off, o->w[i].len,
				     o->w[i].seed, o->w[i].off);
		else
			memset(buf + o->w[i].off, 0, o->w[i].len);
}

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m_add(m, "/", m_new_obj(m, 'd'));
	m_add(m, "/lost+found", m_new_obj(m, 'd'));
}

/* ---- the workload --------------------------------------------------- */

/* Predicates of names for m_pick(). */
static bool is_file(const struct model *m, int i)
{
	return m_type(m, i) == 'f';
}

static bool is_file_or_link(const struct model *m, int i)
{
	return m_type(m, i) == 'f' || m_type(m, i) == 'l';
}

/* A directory new names may go into: not lost+found. */
static bool is_parent(const struct model *m, int i)
{
	return m_type(m, i) == 'd' && strcmp(m->ent[i].path, "/lost+found");
}

/* A directory that may be renamed or removed: not "/" nor m->fixed. */
static bool is_moving_dir(const struct model *m, int i)
{
	return is_parent(m, i) && strcmp(m->ent[i].path, "/") &&
	       strcmp(m->ent[i].path, m->fixed);
}

static bool is_empty_dir(const struct model *m, int i)
{
	return is_moving_dir(m, i) && m_empty(m, m->ent[i].path);
}

/* Bytes of all files (each counted once). */
static uint64_t m_total(const struct model *m)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < M_OBJS; i++)
		if (m->obj[i].type == 'f')
			t += m->obj[i].size;
	return t;
}

/* A file one more write can go to, with room left in the region. */
static bool is_writable(const struct model *m, int i)
{
	const struct mobj *o = &m->obj[m->ent[i].obj];

	return o->type == 'f' && o->nw < M_WRITES &&
	       o->size + 3 * 4096 < M_FILE_MAX &&
	       m_total(m) + M_FILE_MAX / 4 < M_DATA_MAX;
}

/* A random name satisfying pred, or -1. */
static int m_pick(const struct model *m, uint64_t *rng,
		  bool (*pred)(const struct model *, int))
{
	int i, n = 0, k;

	for (i = 0; i < m->nent; i++)
		n += pred(m, i);
	if (!n)
		return -1;
	k = (int)(test_rand(rng) % n);
	for (i = 0; i < m->nent; i++)
		if (pred(m, i) && k-- == 0)
			return i;
	return -1;
}

/* A new name "<dir>/<c><n>" in a random directory; false if too long. */
static bool new_name(const struct model *m, uint64_t *rng, char c,
		     char *out)
{
	int d = m_pick(m, rng, is_parent);
	const char *dir = m->ent[d].path;
	int n = snprintf(out, M_PATH, "%s/%c%u", strcmp(dir, "/") ? dir : "",
			 c, m->next_name);

	return n < M_GEN_PATH && m->nent < M_ENTS - 1;
}

/* Would moving from to to make a path too long? */
static bool move_fits(const struct model *m, const char *from, const char *to)
{
	size_t n = strlen(from), k = strlen(to);
	int i;

	for (i = 0; i < m->nent; i++)
		if (m_under(m->ent[i].path, from) &&
		    strlen(m->ent[i].path) - n + k >= M_GEN_PATH)
			return false;
	return k < M_GEN_PATH;
}

/* A symlink target: short (in the inode) or long (a block). */
static void gen_target(uint64_t *rng, char *t)
{
	size_t n = test_rand(rng) % 2 ? 4 + test_rand(rng) % 20
				      : 70 + test_rand(rng) % 50;
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = "abcdefghijklmnopqrstuvwxyz/._"[test_rand(rng) % 29];
	t[n] = 0;
}

/* Can op->kind rename name s to (or over, or into) name d? */
static bool rename_ok(const struct model *m, int kind, int s, int d)
{
	char par[M_PATH];
	const char *sp = m->ent[s].path, *dp = m->ent[d].path;

	if (kind == CK_RENAME_FILE)
		return is_file(m, s) && is_file(m, d) &&
		       m->ent[s].obj != m->ent[d].obj && move_fits(m, sp, dp);
	if (!is_moving_dir(m, s) || s == d || m_under(dp, sp))
		return false;
	if (kind == CK_RENAME_DIR)
		return is_empty_dir(m, d) && move_fits(m, sp, dp);
	return is_parent(m, d) && strcmp(m_parent(sp, par), dp) &&
	       strlen(dp) <= 40 && move_fits(m, sp, dp);
}

/* Rename arguments for the three rename kinds: a random pair of all those
 * that fit; false if none does. */
static bool gen_rename(const struct model *m, uint64_t *rng,
		       struct crash_op *op)
{
	int s, d, n = 0, k;

	for (s = 0; s < m->nent; s++)
		for (d = 0; d < m->nent; d++)
			n += rename_ok(m, op->kind, s, d);
	if (!n)
		return false;
	k = (int)(test_rand(rng) % n);
	for (s = 0; s < m->nent; s++)
		for (d = 0; d < m->nent; d++)
			if (rename_ok(m, op->kind, s, d) && k-- == 0)
				goto found;
	return false;
found:
	strcpy(op->a, m->ent[s].path);
	if (op->kind == CK_RENAME_MOVE)
		snprintf(op->b, M_PATH, "%.40s/m%u",
			 strcmp(m->ent[d].path, "/") ? m->ent[d].path : "",
			 m->next_name);
	else
		strcpy(op->b, m->ent[d].path);
	return move_fits(m, op->a, op->b);
}

/* Write arguments: the range of a write of kind op->kind to file i. */
static void gen_write(const struct model *m, uint64_t *rng, int i,
		      struct crash_op *op)
{
	const struct mobj *o = &m->obj[m->ent[i].obj];

	strcpy(op->a, m->ent[i].path);
	op->seed = test_rand(rng) | 1;
	if (op->kind == CK_APPEND) {
		op->off = o->size;
		op->len = 1 + test_rand(rng) % 12288;
	} else if (op->kind == CK_WRITE_ALLOC) {
		op->off = o->size + 4096 + test_rand(rng) % 8192;
		op->len = 1 + test_rand(rng) % 8192;
	} else { /* overwrite within an earlier write (atomic: or on) */
		const struct mwrite *w = &o->w[test_rand(rng) % o->nw];
		uint64_t room;

		op->off = w->off + test_rand(rng) % w->len;
		room = w->off + w->len - op->off;
		if (op->kind == CK_ATOMIC)
			room = 12288;
		op->len = 1 + test_rand(rng) % (room < 12288 ? room : 12288);
	}
	if (op->off + op->len > M_FILE_MAX)
		op->len = op->off < M_FILE_MAX ? M_FILE_MAX - op->off : 0;
}

/* Fill op for its kind, if the tree allows it. */
static bool gen_kind(const struct model *m, uint64_t *rng,
		     struct crash_op *op)
{
	int i = -1;

	switch (op->kind) {
	case CK_CREATE:
		return new_name(m, rng, 'f', op->a);
	case CK_MKDIR:
		return new_name(m, rng, 'd', op->a);
	case CK_SYMLINK:
		gen_target(rng, op->target);
		return new_name(m, rng, 's', op->a);
	case CK_LINK:
	case CK_RENAME_NEW:
		i = m_pick(m, rng, op->kind == CK_LINK ? is_file
						      : is_file_or_link);
		if (i < 0)
			return false;
		strcpy(op->a, m->ent[i].path);
		return new_name(m, rng, op->kind == CK_LINK ? 'h' : 'r', op->b);
	case CK_UNLINK:
	case CK_RMDIR:
		i = m_pick(m, rng, op->kind == CK_UNLINK ? is_file_or_link
							: is_empty_dir);
		if (i >= 0)
			strcpy(op->a, m->ent[i].path);
		return i >= 0;
	case CK_RENAME_FILE:
	case CK_RENAME_DIR:
	case CK_RENAME_MOVE:
		return gen_rename(m, rng, op);
	default:
		break;
	}
	return false;
}

/* Fallocate arguments for file o: mode 0 anywhere up to 8 KiB past EOF;
 * a punch within the file from under 1 KiB before a block boundary to
 * under 1 KiB past another, so that its partial ends are short and it is
 * one journal step (ext2/falloc.c). */
static bool gen_falloc(const struct mobj *o, uint64_t *rng,
		       struct crash_op *op)
{
	uint64_t a, b, lo, hi;

	op->seed = 0;
	if (op->kind == CK_FALLOC) {
		op->off = test_rand(rng) % (o->size + 8192);
		op->len = 1 + test_rand(rng) % 16384;
		return op->off + op->len <= M_FILE_MAX;
	}
	if (o->size < 4096)
		return false;
	a = (test_rand(rng) % (o->size / 4096 + 1)) * 4096;
	b = (test_rand(rng) % (o->size / 4096 + 1)) * 4096;
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	op->off = lo - (lo ? test_rand(rng) % 1024 : 0);
	op->len = hi + 1 + test_rand(rng) % 1024 - op->off;
	return op->off < o->size;
}

/* Fill op for the file kinds (truncates, writes). */
static bool gen_file_kind(const struct model *m, uint64_t *rng,
			  struct crash_op *op)
{
	const struct mobj *o;
	int i;

	i = m_pick(m, rng, op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN
			   ? is_file : is_writable);
	if (i < 0)
		return false;
	o = &m->obj[m->ent[i].obj];
	strcpy(op->a, m->ent[i].path);
	if (op->kind == CK_TRUNC_UP) {
		op->off = o->size + 1 + test_rand(rng) % 12288;
		return op->off <= M_FILE_MAX &&
		       m_total(m) + M_FILE_MAX / 4 < M_DATA_MAX;
	}
	if (op->kind == CK_TRUNC_DOWN) {
		op->off = o->size ? test_rand(rng) % o->size : 0;
		return o->size > 0;
	}
	if ((op->kind == CK_OVERWRITE || op->kind == CK_ATOMIC ||
	     op->kind == CK_LAZY) && !o->nw)
		return false;
	if (op->kind == CK_FALLOC || op->kind == CK_PUNCH)
		return gen_falloc(o, rng, op);
	gen_write(m, rng, i, op);
	return op->len > 0;
}

/* Another append or atomic write to the file the last one left open
 * (m->held), if it still fits. */
static bool gen_more(const struct model *m, uint64_t *rng,
		     struct crash_op *op)
{
	int i = m_find(m, m->held);

	memset(op, 0, sizeof(*op));
	if (i < 0 || !is_writable(m, i))
		return false;
	op->kind = test_rand(rng) % 2 && m->obj[m->ent[i].obj].nw
		   ? CK_ATOMIC : CK_APPEND;
	gen_write(m, rng, i, op);
	return op->len > 0;
}

/* The first operations: every kind early, in an order that lets each
 * find what it needs. */
static const int first_round[] = {
	CK_MKDIR, CK_MKDIR, CK_CREATE, CK_APPEND, CK_WRITE_ALLOC,
	CK_OVERWRITE, CK_TRUNC_UP, CK_TRUNC_DOWN, CK_SYMLINK, CK_SYMLINK,
	CK_LINK, CK_CREATE, CK_RENAME_FILE, CK_RENAME_NEW, CK_UNLINK,
	CK_MKDIR, CK_RENAME_DIR, CK_RENAME_MOVE, CK_MKDIR, CK_RMDIR,
	CK_APPEND, CK_ATOMIC, CK_LAZY, CK_FALLOC, CK_PUNCH,
};

void model_gen(const struct model *m, uint64_t *rng, int i,
	       struct crash_op *op)
{
	static const int fallback[] = { CK_CREATE, CK_MKDIR, CK_UNLINK,
					CK_RMDIR };
	int nfirst = sizeof(first_round) / sizeof(first_round[0]);
	int k, kind;

	if (i > nfirst && m->held[0] && test_rand(rng) % 3 &&
	    gen_more(m, rng, op))
		return;
	if (i <= nfirst)
		kind = first_round[i - 1];
	else if (m->nent >= M_ENTS - 4)
		kind = test_rand(rng) % 2 ? CK_UNLINK : CK_RMDIR;
	else
		kind = CK_CREATE + (int)(test_rand(rng) %
					 (CK_PUNCH - CK_CREATE + 1));
	for (k = -1; k < 4; k++) {
		memset(op, 0, sizeof(*op));
		op->kind = k < 0 ? kind : fallback[k];
		if (op->kind >= CK_TRUNC_UP ? gen_file_kind(m, rng, op)
					    : gen_kind(m, rng, op))
			return;
	}
	memset(op, 0, sizeof(*op)); /* nothing fits: an unmount-like no-op */
	op->kind = CK_UNMOUNT;
}

/* ---- applying an operation ------------------------------------------ */

/* The namespace kinds' effect on the model. */
static void apply_name(struct model *m, const struct crash_op *op)
{
	int i = m_find(m, op->a), d;

	switch (op->kind) {
	case CK_CREATE:
	case CK_MKDIR:
	case CK_SYMLINK:
		d = m_new_obj(m, op->kind == CK_CREATE ? 'f'
				 : op->kind == CK_MKDIR ? 'd' : 'l');
		strcpy(m->obj[d].target, op->target);
		m_add(m, op->a, d);
		break;
	case CK_LINK:
		m->obj[m->ent[i].obj].nlink++;
		m_add(m, op->b, m->ent[i].obj);
		break;
	case CK_UNLINK:
	case CK_RMDIR:
		m_del(m, i);
		break;
	case CK_RENAME_FILE:
	case CK_RENAME_DIR:
		m_del(m, m_find(m, op->b));
		/* fall through */
	case CK_RENAME_NEW:
	case CK_RENAME_MOVE:
		m_move(m, op->a, op->b);
		break;
	}
}

void model_apply(struct model *m, const struct crash_op *op)
{
	struct mobj *o;

	if (op->kind == CK_APPEND || op->kind == CK_ATOMIC)
		strcpy(m->held, op->a);
	else
		m->held[0] = 0;
	if (op->kind < CK_TRUNC_UP) {
		if (op->kind != CK_MOUNT && op->kind != CK_UNLINK &&
		    op->kind != CK_RMDIR && op->kind != CK_RENAME_FILE &&
		    op->kind != CK_RENAME_DIR)
			m->next_name++;
		apply_name(m, op);
		return;
	}
	if (op->kind == CK_UNMOUNT)
		return;
	o = &m->obj[m->ent[m_find(m, op->a)].obj];
	if (op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN) {
		o->size = op->off;
		m_clip(o);
		return;
	}
	if (op->kind == CK_FALLOC) { /* zeros: only the size moves */
		if (op->off + op->len > o->size)
			o->size = op->off + op->len;
		return;
	}
	if (op->kind == CK_PUNCH) { /* zeros over the range, size kept */
		uint64_t len = op->off + op->len > o->size ? o->size - op->off
							   : op->len;

		o->w[o->nw++] = (struct mwrite){ op->off, len, 0 };
		return;
	}
	o->w[o->nw++] = (struct mwrite){ op->off, op->len, op->seed };
	if (op->off + op->len > o->size)
		o->size = op->off + op->len;
}

/* Open path read-write, truncate or write as op says, close. */
/* The file the thread's last append left open (model_exec). */
static __thread daxfs_file *held_f;
static __thread char held_path[M_PATH];

int model_exec_end(void)
{
	daxfs_file *f = held_f;

	held_f = NULL;
	return f ? daxfs_close(f) : 0;
}

/* Open op's file, or take the one an append to it left open. */
static int exec_open(daxfs *fs, const struct crash_op *op, daxfs_file **f)
{
	if (held_f && !strcmp(held_path, op->a)) {
		*f = held_f;
		held_f = NULL;
		return 0;
	}
	return daxfs_open(fs, op->a, O_RDWR | (op->kind == CK_CREATE
					       ? O_CREAT | O_EXCL : 0),
			  0644, f);
}

static int exec_file(daxfs *fs, const struct crash_op *op)
{
	daxfs_file *f;
	unsigned char *buf = NULL;
	ssize_t w;
	int ret;

	ret = exec_open(fs, op, &f);
	if (ret)
		return ret;
	if (op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN) {
		ret = daxfs_ftruncate(f, (off_t)op->off);
	} else if (op->kind == CK_FALLOC || op->kind == CK_PUNCH) {
		ret = daxfs_fallocate(f, op->kind == CK_FALLOC ? 0
				      : FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE,
				      (off_t)op->off, (off_t)op->len);
	} else if (op->kind != CK_CREATE) {
		buf = malloc(op->len);
		if (!buf) {
			daxfs_close(f);
			return -ENOMEM;
		}
		test_pattern(buf, op->len, op->seed, op->off);
		w = daxfs_pwrite2(f, buf, op->len, (off_t)op->off,
				  op->kind == CK_ATOMIC ? DAXFS_WRITE_ATOMIC
				  : op->kind == CK_LAZY ? DAXFS_WRITE_LAZY : 0);
		ret = w == (ssize_t)op->len ? 0 : w < 0 ? (int)w : -EIO;
		if (!ret && op->kind == CK_LAZY)
			ret = daxfs_fsync(f);
		free(buf);
	}
	if (ret) {
		daxfs_close(f);
		return ret;
	}
	if (op->kind == CK_APPEND || op->kind == CK_ATOMIC) { /* kept */
		held_f = f;
		snprintf(held_path, sizeof(held_path), "%s", op->a);
		return 0;
	}
	return daxfs_close(f);
}

int model_exec(daxfs *fs, const struct crash_op *op)
{
	int ret;

	if (held_f && ((op->kind != CK_APPEND && op->kind != CK_ATOMIC) ||
		       strcmp(held_path, op->a))) {
		ret = model_exec_end();
		if (ret)
			return ret;
	}
	switch (op->kind) {
	case CK_MKDIR:
		return daxfs_mkdir(fs, op->a, 0755);
	case CK_SYMLINK:
		return daxfs_symlink(fs, op->target, op->a);
	case CK_LINK:
		return daxfs_link(fs, op->a, op->b);
	case CK_UNLINK:
		return daxfs_unlink(fs, op->a);
	case CK_RMDIR:
		return daxfs_rmdir(fs, op->a);
	case CK_RENAME_NEW:
	case CK_RENAME_FILE:
	case CK_RENAME_DIR:
	case CK_RENAME_MOVE:
		return daxfs_rename(fs, op->a, op->b);
	case CK_MOUNT:
	case CK_UNMOUNT:
		return 0;
	default:
		return exec_file(fs, op);
	}
}

const char *model_describe(const struct crash_op *op, char *buf, size_t n)
{
	const char *k = crash_kind_name(op->kind);

	if (op->kind >= CK_WRITE_ALLOC && op->kind <= CK_PUNCH)
		snprintf(buf, n, "%s %s [%llu,+%llu)", k, op->a,
			 (unsigned long long)op->off,
			 (unsigned long long)op->len);
	else if (op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN)
		snprintf(buf, n, "%s %s to %llu", k, op->a,
			 (unsigned long long)op->off);
	else if (op->b[0])
		snprintf(buf, n, "%s %s %s", k, op->a, op->b);
	else
		snprintf(buf, n, "%s %s", k, op->a);
	return buf;
}

/* ---- judging a mounted crash image --------------------------------- */

/* One directory's entries, as daxfs_readdir gave them. */
struct gdir {
	int n;
	char name[M_WALK][M_PATH];
	uint64_t ino[M_WALK];
};

/* daxfs_readdir callback: collect the names. */
static int collect(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct gdir *d = arg;

	(void)type;
	if (d->n >= M_WALK || strlen(name) >= M_PATH)
		return -E2BIG;
	snprintf(d->name[d->n], M_PATH, "%s", name);
	d->ino[d->n++] = ino;
	return 0;
}

/* Read file or link path's contents into g. */
static void read_obj(daxfs *fs, const char *path, struct gent *g)
{
	daxfs_file *f;
	ssize_t r;

	if (g->type == 'l') {
		g->data = calloc(1, M_TARGET + 1);
		r = daxfs_readlink(fs, path, (char *)g->data, M_TARGET);
		if (r < 0 || r != (ssize_t)g->size)
			g->type = '?';
		return;
	}
	if (g->size > 2 * M_FILE_MAX || daxfs_open(fs, path, O_RDONLY, 0, &f)) {
		g->type = '?';
		return;
	}
	g->data = malloc(g->size + 1);
	r = daxfs_pread(f, g->data, g->size, 0);
	if (r != (ssize_t)g->size)
		g->type = '?';
	daxfs_close(f);
}

/* Stat path into a new entry of t; its type '?' when that fails. */
static struct gent *walk_stat(daxfs *fs, const char *path, struct gtree *t)
{
	struct gent *g;
	struct stat st;

	if (t->n >= M_WALK) {
		t->overflow = true;
		return NULL;
	}
	g = &t->e[t->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->type = '?';
	if (daxfs_stat(fs, path, &st))
		return g;
	g->type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f'
		  : S_ISLNK(st.st_mode) ? 'l' : '?';
	g->nlink = st.st_nlink;
	g->size = st.st_size;
	g->ino = st.st_ino;
	if (g->type == 'f' || g->type == 'l')
		read_obj(fs, path, g);
	return g;
}

/* Walk directory g (already stat'ed) and below; parent: its parent's
 * inode number. */
static void walk_dir(daxfs *fs, struct gent *g, uint64_t parent,
		     int depth, struct gtree *t)
{
	struct gdir *d = calloc(1, sizeof(*d));
	char path[M_PATH + 256];
	uint64_t self = g->ino;
	int i;

	if (!d || depth > 12 || daxfs_readdir(fs, g->path, collect, d)) {
		g->type = '?';
		free(d);
		return;
	}
	for (i = 0; i < d->n; i++) {
		struct gent *c;

		if (strcmp(d->name[i], ".") == 0 || strcmp(d->name[i], "..") == 0) {
			g->dotdot_ok |= d->name[i][1] && d->ino[i] == parent;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s",
			 strcmp(g->path, "/") ? g->path : "", d->name[i]);
		if (strlen(path) >= M_PATH) {
			t->overflow = true;
			snprintf(t->why, sizeof(t->why), "name too long %.100s",
				 path);
			continue;
		}
		c = walk_stat(fs, path, t);
		if (c && c->type == 'd')
			walk_dir(fs, c, self, depth + 1, t);
	}
	free(d);
}

/* The walk's entry for path, or NULL. */
static const struct gent *g_find(const struct gtree *t, const char *path)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->e[i].path, path) == 0)
			return &t->e[i];
	return NULL;
}

/* Does file/link o have the contents data (size bytes)? */
static bool same_data(const struct mobj *o, const unsigned char *data)
{
	unsigned char *buf;
	bool eq;

	if (o->type == 'l')
		return strcmp(o->target, (const char *)data) == 0;
	buf = malloc(o->size + 1);
	m_render(o, buf);
	eq = memcmp(buf, data, o->size) == 0;
	free(buf);
	return eq;
}

/* Is what the walk found at path (g, NULL if nothing) the model's? */
static bool matches(const struct model *m, const struct gtree *t,
		    const char *path, const struct gent *g)
{
	int i = m_find(m, path), k;
	const struct mobj *o;

	if (!g || i < 0)
		return !g && i < 0;
	o = &m->obj[m->ent[i].obj];
	if (g->type != o->type)
		return false;
	if (o->type == 'd')
		return g->nlink == m_dir_nlink(m, path) && g->dotdot_ok;
	if (g->nlink != (o->type == 'f' ? o->nlink : 1) ||
	    g->size != (o->type == 'f' ? o->size : strlen(o->target)) ||
	    !same_data(o, g->data))
		return false;
	for (k = 0; k < m->nent; k++) { /* the same inode under each name */
		const struct gent *h;

		if (k == i || m->ent[k].obj != m->ent[i].obj)
			continue;
		h = g_find(t, m->ent[k].path);
		if (h && h->ino != g->ino)
			return false;
	}
	return true;
}

/* Is path one the operation names: an argument, inside one (a renamed
 * directory), the parent of one, or another name of an argument's inode
 * (its link count changes)? */
static bool op_names(const struct model *m, const struct crash_op *op,
		     const char *path)
{
	const char *arg[2] = { op->a, op->b };
	char par[M_PATH];
	int i, j, k = m_find(m, path);

	for (i = 0; i < 2; i++) {
		if (!arg[i][0])
			continue;
		if (strcmp(path, arg[i]) == 0 || m_under(path, arg[i]) ||
		    strcmp(path, m_parent(arg[i], par)) == 0)
			return true;
		j = m_find(m, arg[i]);
		if (j >= 0 && k >= 0 && m->ent[j].obj == m->ent[k].obj)
			return true;
	}
	return false;
}

/* Do the two models agree at path: the same inode, link count, size and
 * contents (the op in flight does not change it)? */
static bool untouched(const struct model *a, const struct model *b,
		      const char *path)
{
	int i = m_find(a, path), j = m_find(b, path);
	const struct mobj *x, *y;
	unsigned char *buf;
	bool eq;

	if (i < 0 || j < 0)
		return i < 0 && j < 0;
	if (a->ent[i].obj != b->ent[j].obj)
		return false; /* another inode under the name */
	x = &a->obj[a->ent[i].obj];
	y = &b->obj[b->ent[j].obj];
	if (x->type != y->type)
		return false;
	if (x->type == 'd')
		return m_dir_nlink(a, path) == m_dir_nlink(b, path);
	if (x->nlink != y->nlink || x->size != y->size)
		return false;
	if (x->type == 'l')
		return strcmp(x->target, y->target) == 0;
	buf = malloc(x->size + 1);
	m_render(x, buf);
	eq = same_data(y, buf);
	free(buf);
	return eq;
}

/* Note a difference at path into why (the first one only). */
static void why_note(char *why, size_t n, const char *what, const char *path,
		     const struct gent *g)
{
	if (why[0])
		return;
	if (g)
		snprintf(why, n, "%s %s (found type %c nlink %u size %llu)",
			 what, path, g->type, g->nlink,
			 (unsigned long long)g->size);
	else
		snprintf(why, n, "%s %s (missing)", what, path);
}

/* Judge one path; updates the all-old/all-new flags, returns 1 if it is
 * lost, 2 if half done, 0 if either state's. */
static int judge_path(const struct model *b, const struct model *a,
		      const struct crash_op *op, const struct gtree *t,
		      const char *path, bool *old, bool *new, char *why,
		      size_t n)
{
	const struct gent *g = g_find(t, path);
	bool eo = matches(b, t, path, g), en = matches(a, t, path, g);

	*old &= eo;
	*new &= en;
	if (eo || en)
		return 0;
	if (untouched(b, a, path) && !op_names(b, op, path)) {
		why_note(why, n, "acknowledged state lost at", path, g);
		return 1;
	}
	why_note(why, n, "neither before nor after at", path, g);
	return 2;
}

struct gtree *crash_walk(daxfs *fs)
{
	struct gtree *t = calloc(1, sizeof(*t));
	struct gent *root;

	if (!t)
		return NULL;
	root = walk_stat(fs, "/", t);
	if (root->type == 'd')
		walk_dir(fs, root, root->ino, 0, t);
	return t;
}

int crash_judge_tree(const struct gtree *t, const struct model *before,
		     const struct model *after, const struct crash_op *op,
		     char *why, size_t n)
{
	bool old = true, new = true;
	int i, lost = 0, half = 0, r;

	why[0] = 0;
	for (i = 0; i < t->n + before->nent + after->nent; i++) {
		const char *p = i < t->n ? t->e[i].path
				: i < t->n + before->nent
				? before->ent[i - t->n].path
				: after->ent[i - t->n - before->nent].path;

		r = judge_path(before, after, op, t, p, &old, &new, why, n);
		lost += r == 1;
		half += r == 2;
	}
	if (t->overflow) {
		snprintf(why, n, "walk overflow: %s", t->why);
		lost++;
	}
	if (!lost && old)
		return CV_OLD;
	if (!lost && new)
		return CV_NEW;
	if (lost)
		return CV_LOST;
	if (!why[0])
		snprintf(why, n, "some names before, some after");
	return CV_HALF;
}

int crash_judge(daxfs *fs, const struct model *before,
		const struct model *after, const struct crash_op *op,
		char *why, size_t n)
{
	struct gtree *t = crash_walk(fs);
	int v;

	if (!t) {
		snprintf(why, n, "out of memory for the walk");
		return CV_LOST;
	}
	v = crash_judge_tree(t, before, after, op, why, n);
	free(t); /* the contents read are the child's, freed at its exit */
	return v;
}
