/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_judge.c -- the crash harness's judge: the walk of a mounted crash
 * image and its comparison with the model before and after the operation
 * that was in flight (crash_model.h).
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
