/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_model.c -- the crash harness's model of the tree: what each
 * operation does to the model and to a file system.  The workload is in
 * crash_gen.c, the judge in crash_judge.c; the helpers they share with
 * this file in crash_model_int.h.  See crash.h.
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

/* ---- the model ------------------------------------------------------ */

const char *crash_kind_name(int kind)
{
	static const char *const names[CK_NKINDS] = {
		"mount", "create", "mkdir", "symlink", "link", "unlink",
		"rmdir", "rename-new", "rename-file", "rename-dir",
		"rename-move", "truncate-up", "truncate-down", "write-alloc",
		"append", "overwrite", "atomic-write", "lazy-write",
		"fallocate", "punch", "chmod", "chown", "utimens", "mknod",
		"setxattr", "removexattr", "acl", "unmount",
	};

	return kind >= 0 && kind < CK_NKINDS ? names[kind] : "?";
}

/* Index of the name path in m, or -1. */
int m_find(const struct model *m, const char *path)
{
	int i;

	for (i = 0; i < m->nent; i++)
		if (strcmp(m->ent[i].path, path) == 0)
			return i;
	return -1;
}

/* The parent directory of path into buf ("/" for "/x"). */
const char *m_parent(const char *path, char *buf)
{
	const char *s = strrchr(path, '/');
	size_t n = s && s != path ? (size_t)(s - path) : 1;

	memcpy(buf, path, n);
	buf[n] = 0;
	return buf;
}

/* Is path inside directory dir (at any depth, dir itself excluded)? */
bool m_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return strcmp(path, "/") != 0;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The type of name i. */
char m_type(const struct model *m, int i)
{
	return m->obj[m->ent[i].obj].type;
}

/* A directory's link count: 2 and one per subdirectory. */
unsigned m_dir_nlink(const struct model *m, const char *dir)
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
bool m_empty(const struct model *m, const char *dir)
{
	int i;

	for (i = 0; i < m->nent; i++)
		if (m_under(m->ent[i].path, dir))
			return false;
	return true;
}

/* A free object slot made of type t with permission bits mode, owned
 * by the process (as libdaxfs makes inodes), or -1. */
static int m_new_obj(struct model *m, char t, uint32_t mode)
{
	int i;

	for (i = 0; i < M_OBJS; i++)
		if (!m->obj[i].type) {
			memset(&m->obj[i], 0, sizeof(m->obj[i]));
			m->obj[i].type = t;
			m->obj[i].nlink = 1;
			m->obj[i].mode = mode;
			m->obj[i].uid = (uint32_t)getuid();
			m->obj[i].gid = (uint32_t)getgid();
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
void m_render(const struct mobj *o, unsigned char *buf)
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
	m_add(m, "/", m_new_obj(m, 'd', 0755));
	m_add(m, "/lost+found", m_new_obj(m, 'd', 0700));
}

/* ---- extended attributes and ACLs ----------------------------------- */


/* The entries of an ACL's seed: 3 permission bits each from bit 3 * k,
 * the named user's id from bit 16, ACL_EQUIV: none of A_USER, A_MASK. */
enum { A_USER_OBJ, A_USER, A_GROUP, A_MASK, A_OTHER, A_N };

/* Permissions of entry k of ACL seed. */
static unsigned acl_perm(uint64_t seed, int k)
{
	return (unsigned)(seed >> (3 * k)) & 7;
}

/* Bytes of ACL seed in the xattr form: a header and 8 per entry. */
uint32_t acl_len(uint64_t seed)
{
	return seed & ACL_EQUIV ? 4 + 3 * 8 : 4 + A_N * 8;
}

/* A little-endian store of n bytes. */
static void put_le(unsigned char *p, uint32_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ACL seed in the xattr form (version 2, entries in tag order) into v. */
static void acl_render(uint64_t seed, unsigned char *v)
{
	static const uint16_t tag[A_N] = { 0x01, 0x02, 0x04, 0x10, 0x20 };
	unsigned char *p = v + 4;
	int k;

	put_le(v, 2, 4);
	for (k = 0; k < A_N; k++) {
		if ((seed & ACL_EQUIV) && (k == A_USER || k == A_MASK))
			continue;
		put_le(p, tag[k], 2);
		put_le(p + 2, acl_perm(seed, k), 2);
		put_le(p + 4, k == A_USER ? (uint32_t)(seed >> 16) & 0xffff
					  : 0xffffffffu, 4);
		p += 8;
	}
}

/* The permission bits ACL seed gives the mode (group: the mask's). */
static uint32_t acl_bits(uint64_t seed)
{
	return acl_perm(seed, A_USER_OBJ) << 6 | acl_perm(seed, A_OTHER) |
	       acl_perm(seed, seed & ACL_EQUIV ? A_GROUP : A_MASK) << 3;
}

/* ACL seed after a chmod to mode: owner, mask, other take its bits (the
 * kernel's posix_acl_chmod; a kept ACL always has a mask). */
static uint64_t acl_chmod(uint64_t seed, uint32_t mode)
{
	static const int ent[3] = { A_USER_OBJ, A_MASK, A_OTHER };
	int k;

	for (k = 0; k < 3; k++) {
		seed &= ~(7ULL << (3 * ent[k]));
		seed |= (uint64_t)(mode >> (6 - 3 * k) & 7) << (3 * ent[k]);
	}
	return seed;
}

/* The value of attribute x into buf (x->len bytes). */
void x_render(const struct mxattr *x, unsigned char *buf)
{
	if (strcmp(x->name, ACL_NAME) == 0)
		acl_render(x->seed, buf);
	else
		test_pattern(buf, x->len, x->seed, 0);
}

/* The attribute of o named name: its index, or -1. */
int x_find(const struct mobj *o, const char *name)
{
	int i;

	for (i = 0; i < o->nx; i++)
		if (strcmp(o->x[i].name, name) == 0)
			return i;
	return -1;
}

/* Set attribute name of o (added or replaced). */
static void x_set(struct mobj *o, const char *name, uint32_t len,
		  uint64_t seed)
{
	int i = x_find(o, name);

	if (i < 0)
		i = o->nx++;
	snprintf(o->x[i].name, M_XNAME, "%s", name);
	o->x[i].len = len;
	o->x[i].seed = seed;
}

/* Remove attribute i of o (if any). */
static void x_del(struct mobj *o, int i)
{
	if (i < 0)
		return;
	o->x[i] = o->x[--o->nx];
}

/* Rounded-up bytes of an attribute (name, len) in a block, over-counted
 * (the whole name): its entry and its value. */
static uint32_t x_cost(const char *name, uint32_t len)
{
	return ((16 + (uint32_t)strlen(name) + 3) & ~3u) + ((len + 3) & ~3u);
}

/* Bytes o's attributes would take with name set to len bytes (header
 * and end marker too); M_XBLOCK + 1 when there would be too many. */
uint32_t x_bytes(const struct mobj *o, const char *name, uint32_t len)
{
	uint32_t n = 36 + x_cost(name, len);
	int i;

	if (x_find(o, name) < 0 && o->nx >= M_XATTRS)
		return M_XBLOCK + 1;
	for (i = 0; i < o->nx; i++)
		if (strcmp(o->x[i].name, name))
			n += x_cost(o->x[i].name, o->x[i].len);
	return n;
}

void model_shared(struct model *m)
{
	char p[M_PATH];
	int k, o;

	for (k = 0; k < NSHARED; k++) {
		snprintf(p, sizeof(p), "/v%d", k);
		o = m_new_obj(m, 'f', 0644);
		x_set(&m->obj[o], SHARED_NAME, SHARED_LEN, SHARED_SEED);
		m_add(m, p, o);
	}
}

/* Make dir/v0..: created, and v0 given the attribute, by libdaxfs. */
static int seed_files(const char *img, const char *dir)
{
	unsigned char val[SHARED_LEN];
	char p[M_PATH];
	daxfs_file *f;
	daxfs *fs;
	int k, ret;

	test_pattern(val, SHARED_LEN, SHARED_SEED, 0);
	ret = daxfs_mount(img, 0, &fs);
	if (ret)
		return ret;
	for (k = 0; !ret && k < NSHARED; k++) {
		snprintf(p, sizeof(p), "%s/v%d", dir, k);
		ret = daxfs_open(fs, p, O_RDWR | O_CREAT | O_EXCL, 0644, &f) ?:
		      daxfs_close(f);
	}
	snprintf(p, sizeof(p), "%s/v0", dir);
	if (!ret)
		ret = daxfs_setxattr(fs, p, SHARED_NAME, val, SHARED_LEN, 0);
	if (ret)
		fprintf(stderr, "crash_seed_shared: %s: %s\n", p,
			daxfs_errormsg());
	return daxfs_unmount(fs) ?: ret;
}

/* Store the refcount n into the header of block blk (bs bytes) of img. */
static int set_refcount(const char *img, unsigned blk, unsigned bs, unsigned n)
{
	unsigned char le[4];
	int fd = open(img, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	put_le(le, n, 4);
	ret = pwrite(fd, le, 4, (off_t)blk * bs + 4) == 4 ? 0 : -1;
	close(fd);
	return ret;
}

int crash_seed_shared(const char *img, const char *dir)
{
	char cmds[512], p[M_PATH], *out, *acl, *bc;
	unsigned blk = 0, sectors = 0;
	size_t k, n = 0;

	if (seed_files(img, dir))
		return -1;
	snprintf(p, sizeof(p), "stat %s/v0", dir);
	out = test_debugfs(img, p, NULL, NULL);
	acl = out ? strstr(out, "File ACL: ") : NULL;
	bc = out ? strstr(out, "Blockcount: ") : NULL;
	if (acl && bc) {
		blk = (unsigned)strtoul(acl + 10, NULL, 10);
		sectors = (unsigned)strtoul(bc + 12, NULL, 10);
	}
	free(out);
	for (k = 1; k < NSHARED && blk && sectors; k++)
		n += (size_t)snprintf(cmds + n, sizeof(cmds) - n,
				      "sif %s/v%zu file_acl %u\nsif %s/v%zu "
				      "blocks %u\n", dir, k, blk, dir, k,
				      sectors);
	if (!blk || !sectors || set_refcount(img, blk, sectors * 512, NSHARED) ||
	    test_debugfs_w(img, cmds)) {
		fprintf(stderr, "crash_seed_shared: cannot share block %u of "
			"%s/v0\n", blk, dir);
		return -1;
	}
	return 0;
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
				 : op->kind == CK_MKDIR ? 'd' : 'l',
			      op->kind == CK_CREATE ? 0644
			      : op->kind == CK_MKDIR ? 0755 : 0777);
		strcpy(m->obj[d].target, op->target);
		m_add(m, op->a, d);
		break;
	case CK_MKNOD:
		d = m_new_obj(m, S_ISFIFO(op->mode) ? 'p' : 'c',
			      op->mode & 07777);
		m->obj[d].major = op->uid;
		m->obj[d].minor = op->gid;
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

/* The object named path no longer has known times (an operation may
 * change its mtime: ext2_inode_touch), nor its parent directory. */
static void m_untime(struct model *m, const char *path)
{
	char par[M_PATH];
	int i = m_find(m, path), j = m_find(m, m_parent(path, par));

	if (i >= 0)
		m->obj[m->ent[i].obj].tknown = false;
	if (path[0] && j >= 0)
		m->obj[m->ent[j].obj].tknown = false;
}

/* A chown's effect on o: a change of owner or group of a non-directory
 * clears set-user-ID, and set-group-ID when group-executable. */
static void apply_chown(struct mobj *o, const struct crash_op *op)
{
	bool change = (op->uid != (uint32_t)-1 && op->uid != o->uid) ||
		      (op->gid != (uint32_t)-1 && op->gid != o->gid);

	if (op->uid != (uint32_t)-1)
		o->uid = op->uid;
	if (op->gid != (uint32_t)-1)
		o->gid = op->gid;
	if (!change || o->type == 'd')
		return;
	o->mode &= ~(uint32_t)S_ISUID;
	if (o->mode & S_IXGRP)
		o->mode &= ~(uint32_t)S_ISGID;
}

/* The attribute kinds' effect on object o. */
static void apply_attr(struct mobj *o, const struct crash_op *op)
{
	int a = x_find(o, ACL_NAME);

	switch (op->kind) {
	case CK_CHMOD:
		o->mode = op->mode & 07777;
		if (a >= 0)
			o->x[a].seed = acl_chmod(o->x[a].seed, o->mode);
		break;
	case CK_CHOWN:
		apply_chown(o, op);
		break;
	case CK_UTIMENS:
		o->tknown = true;
		o->atime = op->atime;
		o->mtime = op->mtime;
		break;
	case CK_RMXATTR:
		x_del(o, x_find(o, op->name));
		break;
	case CK_ACL:
		o->mode = (o->mode & ~0777u) | acl_bits(op->seed);
		if (op->seed & ACL_EQUIV) {
			x_del(o, a);
			break;
		}
		/* fall through */
	default:
		x_set(o, op->name, (uint32_t)op->len, op->seed);
	}
}

/* The namespace kinds (and mknod): next_name, times, the names. */
static void apply_names(struct model *m, const struct crash_op *op)
{
	if (op->kind != CK_MOUNT && op->kind != CK_UNLINK &&
	    op->kind != CK_RMDIR && op->kind != CK_RENAME_FILE &&
	    op->kind != CK_RENAME_DIR)
		m->next_name++;
	m_untime(m, op->a);
	m_untime(m, op->b);
	apply_name(m, op);
}

void model_apply(struct model *m, const struct crash_op *op)
{
	struct mobj *o;

	if (op->kind == CK_APPEND || op->kind == CK_ATOMIC)
		strcpy(m->held, op->a);
	else
		m->held[0] = 0;
	if (op->kind < CK_TRUNC_UP || op->kind == CK_MKNOD) {
		apply_names(m, op);
		return;
	}
	if (op->kind == CK_UNMOUNT)
		return;
	o = &m->obj[m->ent[m_find(m, op->a)].obj];
	if (op->kind >= CK_CHMOD) {
		apply_attr(o, op);
		return;
	}
	o->tknown = false; /* the data kinds change mtime */
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

/* Run an attribute kind (not mknod) on fs. */
static int exec_attr(daxfs *fs, const struct crash_op *op)
{
	struct timespec ts[2] = { { (time_t)op->atime, (long)op->seed },
				  { (time_t)op->mtime, (long)op->seed } };
	struct mxattr x = { .len = (uint32_t)op->len, .seed = op->seed };
	unsigned char *buf;
	int ret;

	if (op->kind == CK_CHMOD)
		return daxfs_chmod(fs, op->a, op->mode);
	if (op->kind == CK_CHOWN)
		return daxfs_chown(fs, op->a, op->uid, op->gid);
	if (op->kind == CK_UTIMENS)
		return daxfs_utimens(fs, op->a, ts);
	if (op->kind == CK_RMXATTR)
		return daxfs_removexattr(fs, op->a, op->name);
	buf = malloc(M_XVAL);
	if (!buf)
		return -ENOMEM;
	snprintf(x.name, M_XNAME, "%s", op->name);
	x_render(&x, buf);
	ret = daxfs_setxattr(fs, op->a, op->name, buf, op->len, 0);
	free(buf);
	return ret;
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
	case CK_MKNOD:
		return daxfs_mknod(fs, op->a, op->mode,
				   makedev(op->uid, op->gid));
	case CK_CHMOD:
	case CK_CHOWN:
	case CK_UTIMENS:
	case CK_SETXATTR:
	case CK_RMXATTR:
	case CK_ACL:
		return exec_attr(fs, op);
	case CK_MOUNT:
	case CK_UNMOUNT:
		return 0;
	default:
		return exec_file(fs, op);
	}
}

/* An attribute kind's op in words into buf. */
static void describe_attr(const struct crash_op *op, char *buf, size_t n)
{
	const char *k = crash_kind_name(op->kind);

	if (op->kind == CK_CHMOD)
		snprintf(buf, n, "%s %s to %04o", k, op->a, op->mode);
	else if (op->kind == CK_CHOWN)
		snprintf(buf, n, "%s %s to %d:%d", k, op->a, (int)op->uid,
			 (int)op->gid);
	else if (op->kind == CK_UTIMENS)
		snprintf(buf, n, "%s %s to %lld,%lld", k, op->a,
			 (long long)op->atime, (long long)op->mtime);
	else if (op->kind == CK_MKNOD)
		snprintf(buf, n, "%s %s %s %u:%u", k, op->a,
			 S_ISFIFO(op->mode) ? "fifo" : "char", op->uid,
			 op->gid);
	else if (op->kind == CK_RMXATTR)
		snprintf(buf, n, "%s %s %s", k, op->a, op->name);
	else if (op->kind == CK_ACL)
		snprintf(buf, n, "%s %s %s mode %03o", k, op->a,
			 op->seed & ACL_EQUIV ? "(mode only)" : "(named user)",
			 acl_bits(op->seed));
	else
		snprintf(buf, n, "%s %s %s (%llu bytes)", k, op->a, op->name,
			 (unsigned long long)op->len);
}

const char *model_describe(const struct crash_op *op, char *buf, size_t n)
{
	const char *k = crash_kind_name(op->kind);

	if (op->kind >= CK_CHMOD && op->kind < CK_UNMOUNT)
		describe_attr(op, buf, n);
	else if (op->kind >= CK_WRITE_ALLOC && op->kind <= CK_PUNCH)
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

