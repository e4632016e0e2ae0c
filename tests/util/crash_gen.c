/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_gen.c -- the crash harness's seeded workload: which operation
 * comes next, on what, for the tree of the model (crash_model.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "crash_model.h"
#include "crash_model_int.h"

/* ---- the workload --------------------------------------------------- */

/* Predicates of names for m_pick(). */
static bool is_file(const struct model *m, int i)
{
	return m_type(m, i) == 'f';
}

/* A file, symlink or special file. */
static bool is_nondir(const struct model *m, int i)
{
	return m_type(m, i) && m_type(m, i) != 'd';
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

/* A writable file with bytes written before, for the overwrite kinds
 * (the shared files /v0.. have none). */
static bool is_rewritable(const struct model *m, int i)
{
	return is_writable(m, i) && m->obj[m->ent[i].obj].nw > 0;
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

/* m_pick, with the name's path copied into path when there is one. */
static int m_pick_path(const struct model *m, uint64_t *rng,
		       bool (*pred)(const struct model *, int), char *path)
{
	int i = m_pick(m, rng, pred);

	if (i >= 0)
		strcpy(path, m->ent[i].path);
	return i;
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
		i = m_pick_path(m, rng, op->kind == CK_LINK ? is_file
							   : is_nondir, op->a);
		if (i < 0)
			return false;
		return new_name(m, rng, op->kind == CK_LINK ? 'h' : 'r', op->b);
	case CK_UNLINK:
	case CK_RMDIR:
		return m_pick_path(m, rng, op->kind == CK_UNLINK ? is_nondir
							       : is_empty_dir,
				   op->a) >= 0;
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
	bool (*pred)(const struct model *, int) = is_writable;

	if (op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN)
		pred = is_file;
	else if (op->kind == CK_OVERWRITE || op->kind == CK_ATOMIC ||
		 op->kind == CK_LAZY)
		pred = is_rewritable;
	i = m_pick_path(m, rng, pred, op->a);
	if (i < 0)
		return false;
	o = &m->obj[m->ent[i].obj];
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

/* A name whose attributes may change: not lost+found, nor m->fixed
 * (which test_kill's threads share). */
static bool is_attr_target(const struct model *m, int i)
{
	return strcmp(m->ent[i].path, "/lost+found") &&
	       strcmp(m->ent[i].path, m->fixed);
}

/* One that may have user.* attributes: a file or a directory (Linux). */
static bool is_xattr_target(const struct model *m, int i)
{
	return is_attr_target(m, i) &&
	       (m_type(m, i) == 'f' || m_type(m, i) == 'd');
}

static bool has_xattr(const struct model *m, int i)
{
	return is_attr_target(m, i) && m->obj[m->ent[i].obj].nx > 0;
}

/* One whose times a utimens set (so the judge knows the old ones). */
static bool has_times(const struct model *m, int i)
{
	return is_attr_target(m, i) && m->obj[m->ent[i].obj].tknown;
}

/* An owner or group for chown: 1000..1002, or (uint32_t)-1 (kept). */
static uint32_t gen_id(uint64_t *rng)
{
	uint64_t r = test_rand(rng) % 4;

	return r == 3 ? (uint32_t)-1 : 1000 + (uint32_t)r;
}

/* Setxattr arguments for o: user.shared with the shared files' value,
 * or user.k0..k3 (replaced when there) of 1-48 bytes, 100-700 or
 * 800-1500; false if o's attributes would not fit in a block. */
static bool gen_setxattr(const struct mobj *o, uint64_t *rng,
			 struct crash_op *op)
{
	uint64_t r = test_rand(rng);

	if (r % 5 == 0) {
		snprintf(op->name, M_XNAME, SHARED_NAME);
		op->len = SHARED_LEN;
		op->seed = SHARED_SEED;
	} else {
		snprintf(op->name, M_XNAME, "user.k%u", (unsigned)(r >> 4) % 4);
		op->len = (r >> 8) % 3 == 0 ? 1 + (r >> 16) % 48
			  : (r >> 8) % 3 == 1 ? 100 + (r >> 16) % 600
			  : 800 + (r >> 16) % 700;
		op->seed = test_rand(rng) | 1;
	}
	return x_bytes(o, op->name, op->len) <= M_XBLOCK;
}

/* An access ACL for o: random permissions, a named user 1000..1004 and
 * a mask; or, one time in four, owner, group and other only (the mode
 * says it whole: libdaxfs keeps no ACL, as the kernel). */
static bool gen_acl(const struct mobj *o, uint64_t *rng, struct crash_op *op)
{
	uint64_t r = test_rand(rng);

	op->seed = (r & 0x7fff) | (1000 + (r >> 16) % 5) << 16;
	if ((r >> 40) % 4 == 0)
		op->seed |= ACL_EQUIV;
	snprintf(op->name, M_XNAME, ACL_NAME);
	op->len = acl_len(op->seed);
	return (op->seed & ACL_EQUIV) ||
	       x_bytes(o, op->name, op->len) <= M_XBLOCK;
}

/* Mknod arguments: a FIFO, or a character device of a number that fits
 * ext2's old 16-bit form or only its new 32-bit one. */
static bool gen_mknod(const struct model *m, uint64_t *rng,
		      struct crash_op *op)
{
	uint64_t r = test_rand(rng);

	if (r % 2) {
		op->mode = S_IFIFO | 0640;
	} else {
		op->mode = S_IFCHR | 0600;
		op->uid = (uint32_t)(r >> 8) % ((r >> 4) % 2 ? 256 : 4096);
		op->gid = (uint32_t)(r >> 24) % ((r >> 4) % 2 ? 256 : 1 << 20);
	}
	return new_name(m, rng, 'n', op->a);
}

/* Fill op for the attribute kinds, if the tree allows it. */
static bool gen_attr(const struct model *m, uint64_t *rng,
		     struct crash_op *op)
{
	bool (*pred)(const struct model *, int) = is_attr_target;
	const struct mobj *o;
	int i;

	if (op->kind == CK_MKNOD)
		return gen_mknod(m, rng, op);
	if (op->kind == CK_SETXATTR || op->kind == CK_ACL)
		pred = is_xattr_target;
	else if (op->kind == CK_RMXATTR)
		pred = has_xattr;
	else if (op->kind == CK_UTIMENS && test_rand(rng) % 2 &&
		 m_pick(m, rng, has_times) >= 0)
		pred = has_times;
	i = m_pick_path(m, rng, pred, op->a);
	if (i < 0)
		return false;
	o = &m->obj[m->ent[i].obj];
	op->mode = (uint32_t)(test_rand(rng) % 010000);
	op->uid = gen_id(rng);
	op->gid = op->uid == (uint32_t)-1 ? 1000 : gen_id(rng);
	op->atime = 1000000000 + (int64_t)(test_rand(rng) % 100000000);
	op->mtime = 1000000000 + (int64_t)(test_rand(rng) % 100000000);
	op->seed = test_rand(rng) % 1000000000; /* nanoseconds: dropped */
	if (op->kind == CK_RMXATTR)
		snprintf(op->name, M_XNAME, "%s",
			 o->x[test_rand(rng) % o->nx].name);
	if (op->kind == CK_SETXATTR)
		return gen_setxattr(o, rng, op);
	if (op->kind == CK_ACL)
		return gen_acl(o, rng, op);
	return true;
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
	CK_APPEND, CK_ATOMIC, CK_LAZY, CK_FALLOC, CK_PUNCH, CK_CHMOD,
	CK_SETXATTR, CK_MKNOD, CK_ACL, CK_CHOWN, CK_UTIMENS, CK_RMXATTR,
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
					 (CK_ACL - CK_CREATE + 1));
	for (k = -1; k < 4; k++) {
		memset(op, 0, sizeof(*op));
		op->kind = k < 0 ? kind : fallback[k];
		if (op->kind >= CK_CHMOD ? gen_attr(m, rng, op)
		    : op->kind >= CK_TRUNC_UP ? gen_file_kind(m, rng, op)
		    : gen_kind(m, rng, op))
			return;
	}
	memset(op, 0, sizeof(*op)); /* nothing fits: an unmount-like no-op */
	op->kind = CK_UNMOUNT;
}

