/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir.c -- directory listings and path names for the subcommands of the
 * daxfs tool (ls -R, rm -r, get -r walk the tree with them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* A listing being filled by daxfs_readdir. */
struct dir_fill {
	struct tool_dirent *ents;
	size_t n, cap;
};

/* daxfs_readdir callback: keep every entry but "." and "..". */
static int dir_add(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct dir_fill *d = arg;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;
		struct tool_dirent *e = realloc(d->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		d->ents = e;
		d->cap = cap;
	}
	d->ents[d->n].name = strdup(name);
	if (!d->ents[d->n].name)
		return -ENOMEM;
	d->ents[d->n].ino = ino;
	d->ents[d->n++].type = type;
	return 0;
}

/* qsort order of a listing: bytewise by name. */
static int dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tool_dirent *)a)->name,
		      ((const struct tool_dirent *)b)->name);
}

/* Read and sort a directory (see tool.h). */
int tool_dir_list(daxfs *fs, const char *path, struct tool_dirent **ents,
		  size_t *n)
{
	struct dir_fill d = { 0 };
	int ret = daxfs_readdir(fs, path, dir_add, &d);

	if (ret) {
		tool_dir_free(d.ents, d.n);
		return ret;
	}
	if (d.n)
		qsort(d.ents, d.n, sizeof(*d.ents), dirent_cmp);
	*ents = d.ents;
	*n = d.n;
	return 0;
}

/* Free a listing of tool_dir_list. */
void tool_dir_free(struct tool_dirent *ents, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

/* Join a directory and a name (see tool.h). */
char *tool_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	p = malloc(dl + nl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

const char *tool_basename(const char *path, size_t *len)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (start == end) { /* "/" or "" */
		*len = end;
		return path;
	}
	*len = end - start;
	return path + start;
}
