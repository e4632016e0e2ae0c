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
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

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
		"fallocate", "punch", "chmod", "chown", "utimens", "mknod",
		"setxattr", "removexattr", "acl", "unmount",
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
	m_add(m, "/", m_new_obj(m, 'd', 0755));
	m_add(m, "/lost+found", m_new_obj(m, 'd', 0700));
}

/* ---- extended attributes and ACLs ----------------------------------- */

#define ACL_NAME "system.posix_acl_access"
#define ACL_EQUIV (1ULL << 32) /* an ACL of owner, group, other only */
#define M_XVAL 4096            /* a value's buffer */
#define SHARED_NAME "user.shared"
#define SHARED_LEN 48
#define SHARED_SEED 0x5eedULL
#define NSHARED 3              /* files of the shared block */

/* The entries of an ACL's seed: 3 permission bits each from bit 3 * k,
 * the named user's id from bit 16, ACL_EQUIV: none of A_USER, A_MASK. */
enum { A_USER_OBJ, A_USER, A_GROUP, A_MASK, A_OTHER, A_N };

/* Permissions of entry k of ACL seed. */
static unsigned acl_perm(uint64_t seed, int k)
{
	return (unsigned)(seed >> (3 * k)) & 7;
}

/* Bytes of ACL seed in the xattr form: a header and 8 per entry. */
static uint32_t acl_len(uint64_t seed)
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
static void x_render(const struct mxattr *x, unsigned char *buf)
{
	if (strcmp(x->name, ACL_NAME) == 0)
		acl_render(x->seed, buf);
	else
		test_pattern(buf, x->len, x->seed, 0);
}

/* The attribute of o named name: its index, or -1. */
static int x_find(const struct mobj *o, const char *name)
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
static uint32_t x_bytes(const struct mobj *o, const char *name, uint32_t len)
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
						      : is_nondir);
		if (i < 0)
			return false;
		strcpy(op->a, m->ent[i].path);
		return new_name(m, rng, op->kind == CK_LINK ? 'h' : 'r', op->b);
	case CK_UNLINK:
	case CK_RMDIR:
		i = m_pick(m, rng, op->kind == CK_UNLINK ? is_nondir
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
	bool (*pred)(const struct model *, int) = is_writable;

	if (op->kind == CK_TRUNC_UP || op->kind == CK_TRUNC_DOWN)
		pred = is_file;
	else if (op->kind == CK_OVERWRITE || op->kind == CK_ATOMIC ||
		 op->kind == CK_LAZY)
		pred = is_rewritable;
	i = m_pick(m, rng, pred);
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
	i = m_pick(m, rng, pred);
	if (i < 0)
		return false;
	o = &m->obj[m->ent[i].obj];
	strcpy(op->a, m->ent[i].path);
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

#define GX_BYTES (4 * M_XVAL) /* the walk's room for one name's attributes */

/* Read path's extended attributes into g: each "name\0", its value's
 * length (4 bytes), its value; the type '?' when that fails. */
static void walk_xattr(daxfs *fs, const char *path, struct gent *g)
{
	char list[1024];
	ssize_t n = daxfs_listxattr(fs, path, list, sizeof(list)), v;
	size_t k, nl, used = 0;
	uint32_t len;

	if (n <= 0 || !(g->xattr = malloc(GX_BYTES))) {
		g->type = n ? '?' : g->type;
		return;
	}
	for (k = 0; k < (size_t)n; k += nl) {
		nl = strlen(list + k) + 1;
		if (used + nl + 4 + M_XVAL > GX_BYTES)
			break;
		memcpy(g->xattr + used, list + k, nl);
		v = daxfs_getxattr(fs, path, list + k,
				   g->xattr + used + nl + 4, M_XVAL);
		if (v < 0)
			break;
		len = (uint32_t)v;
		memcpy(g->xattr + used + nl, &len, 4);
		used += nl + 4 + len;
		g->nx++;
	}
	if (k < (size_t)n)
		g->type = '?';
}

/* The attributes stat gives, into g. */
static void walk_attrs(const struct stat *st, struct gent *g)
{
	g->type = S_ISDIR(st->st_mode) ? 'd' : S_ISREG(st->st_mode) ? 'f'
		  : S_ISLNK(st->st_mode) ? 'l' : S_ISFIFO(st->st_mode) ? 'p'
		  : S_ISCHR(st->st_mode) ? 'c' : '?';
	g->nlink = st->st_nlink;
	g->size = st->st_size;
	g->ino = st->st_ino;
	g->mode = st->st_mode & 07777;
	g->uid = st->st_uid;
	g->gid = st->st_gid;
	g->major = major(st->st_rdev);
	g->minor = minor(st->st_rdev);
	g->atime = st->st_atim.tv_sec;
	g->mtime = st->st_mtim.tv_sec;
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
	walk_attrs(&st, g);
	if (g->type == 'f' || g->type == 'l')
		read_obj(fs, path, g);
	if (g->type != '?')
		walk_xattr(fs, path, g);
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

/* The walk's value of attribute name in g (*len bytes), or NULL. */
static const unsigned char *gx_find(const struct gent *g, const char *name,
				    uint32_t *len)
{
	const unsigned char *p = g->xattr;
	size_t nl;
	int k;

	for (k = 0; k < g->nx; k++) {
		nl = strlen((const char *)p) + 1;
		memcpy(len, p + nl, 4);
		if (strcmp((const char *)p, name) == 0)
			return p + nl + 4;
		p += nl + 4 + *len;
	}
	return NULL;
}

/* Are o's attributes (mode, owner, device, extended attributes; its
 * times if times and known) those the walk found in g? */
static bool same_attrs(const struct mobj *o, const struct gent *g, bool times)
{
	unsigned char *buf;
	const unsigned char *v;
	uint32_t len;
	bool eq = true;
	int k;

	if (g->mode != o->mode || g->uid != o->uid || g->gid != o->gid ||
	    g->nx != o->nx || (o->type == 'c' && (g->major != o->major ||
						  g->minor != o->minor)) ||
	    (times && o->tknown && (g->atime != o->atime ||
				    g->mtime != o->mtime)))
		return false;
	buf = malloc(M_XVAL);
	for (k = 0; buf && eq && k < o->nx; k++) {
		v = gx_find(g, o->x[k].name, &len);
		x_render(&o->x[k], buf);
		eq = v && len == o->x[k].len && memcmp(v, buf, len) == 0;
	}
	free(buf);
	return buf && eq;
}

/* Do models a and b give an object the same attributes (times: the
 * same known ones)? */
static bool same_model_attrs(const struct mobj *x, const struct mobj *y)
{
	int k, j;

	if (x->mode != y->mode || x->uid != y->uid || x->gid != y->gid ||
	    x->major != y->major || x->minor != y->minor || x->nx != y->nx ||
	    x->tknown != y->tknown || (x->tknown && (x->atime != y->atime ||
						     x->mtime != y->mtime)))
		return false;
	for (k = 0; k < x->nx; k++) {
		j = x_find(y, x->x[k].name);
		if (j < 0 || x->x[k].len != y->x[j].len ||
		    x->x[k].seed != y->x[j].seed)
			return false;
	}
	return true;
}

/* Is what the walk found at path (g, NULL if nothing) the model's?  Its
 * times are judged when times. */
static bool matches(const struct model *m, const struct gtree *t,
		    const char *path, const struct gent *g, bool times)
{
	int i = m_find(m, path), k;
	const struct mobj *o;

	if (!g || i < 0)
		return !g && i < 0;
	o = &m->obj[m->ent[i].obj];
	if (g->type != o->type || !same_attrs(o, g, times))
		return false;
	if (o->type == 'd')
		return g->nlink == m_dir_nlink(m, path) && g->dotdot_ok;
	if (o->type == 'p' || o->type == 'c')
		return g->nlink == 1 && g->size == 0;
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
	if (x->type != y->type || !same_model_attrs(x, y))
		return false;
	if (x->type == 'd')
		return m_dir_nlink(a, path) == m_dir_nlink(b, path);
	if (x->type == 'p' || x->type == 'c')
		return true;
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
		snprintf(why, n, "%s %s (found type %c nlink %u size %llu "
			 "mode %04o owner %u:%u %d attributes)", what, path,
			 g->type, g->nlink, (unsigned long long)g->size,
			 g->mode, g->uid, g->gid, g->nx);
	else
		snprintf(why, n, "%s %s (missing)", what, path);
}

/* Are the times at path judged: known after the op in flight, and known
 * before it too or set by it (a utimens)?  Other operations change mtime
 * with no undo record (ext2_inode_touch): their model forgets it. */
static bool times_judged(const struct model *b, const struct model *a,
			 const struct crash_op *op, const char *path)
{
	int i = m_find(b, path), j = m_find(a, path);
	bool kb = i >= 0 && b->obj[b->ent[i].obj].tknown;
	bool ka = j >= 0 && a->obj[a->ent[j].obj].tknown;

	return ka && (kb || op->kind == CK_UTIMENS);
}

/* Judge one path; updates the all-old/all-new flags, returns 1 if it is
 * lost, 2 if half done, 0 if either state's. */
static int judge_path(const struct model *b, const struct model *a,
		      const struct crash_op *op, const struct gtree *t,
		      const char *path, bool *old, bool *new, char *why,
		      size_t n)
{
	const struct gent *g = g_find(t, path);
	bool tj = times_judged(b, a, op, path);
	bool eo = matches(b, t, path, g, tj), en = matches(a, t, path, g, tj);

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
