/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * path.c -- the path walk: from an absolute path to its inode
 * (ext2_path_walk), or to its parent directory and last component
 * (ext2_path_parent), for the namespace operations of namei.c and for
 * open.
 *
 * Locks: the order is the block at the top of ext2.h.  The walk holds one
 * directory's i_rwsem (shared) at a time and pins inodes with references
 * between steps, so a racing unlink cannot free (or reuse) them.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ext2/ext2.h"

/* Next component of the path at *p: its start and length (0 at the end);
 * *p moves past it. */
static size_t next_component(const char **p, const char **name)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == '/')
		s++;
	*name = s;
	while (s[n] && s[n] != '/')
		n++;
	*p = s + n;
	return n;
}

/* Check a path argument: absolute, not too long. */
static int path_check(const char *path)
{
	if (!path)
		return err_set(-EINVAL, "path is NULL");
	if (path[0] != '/')
		return err_set(-EINVAL, "path \"%.200s\" is not absolute",
				 path);
	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		return err_set(-ENAMETOOLONG, "path is longer than %d bytes",
				 PATH_MAX - 1);
	return 0;
}

/* Look name up in dir under its shared lock; the child referenced.  The
 * child is pinned before the lock is dropped, so a concurrent unlink
 * cannot free (or reuse) it in between.  -ENOENT with no message (for
 * a name that may well be absent, as a rename's target). */
int ext2_lookup_child_quiet(struct ext2_inode_info *dir, const char *name,
			    size_t len, struct ext2_inode_info **out)
{
	struct ext2_dirent_info de;
	int ret;

	down_read(&dir->i_rwsem);
	ret = ext2_dir_lookup(dir, name, len, &de);
	if (!ret)
		ret = ext2_iget(dir->fs, de.ino, out);
	up_read(&dir->i_rwsem);
	return ret;
}

/* -ENOENT, with the message that name (len bytes) does not exist. */
int ext2_no_entry(const char *name, size_t len)
{
	return err_set(-ENOENT, "\"%.*s\" does not exist", (int)len, name);
}

/* ext2_lookup_child_quiet, with a message when name does not exist. */
int ext2_lookup_child(struct ext2_inode_info *dir, const char *name, size_t len,
			struct ext2_inode_info **out)
{
	int ret = ext2_lookup_child_quiet(dir, name, len, out);

	return ret == -ENOENT ? ext2_no_entry(name, len) : ret;
}

/* Walk the first n bytes of path from the root; the result referenced. */
static int walk_n(struct ext2_sb_info *fs, const char *path, size_t n,
		  struct ext2_inode_info **out)
{
	struct ext2_inode_info *cur = fs->root, *next;
	const char *p = path, *name, *end = path + n;
	size_t len;
	int ret;

	ext2_ihold(cur);
	while (p < end && (len = next_component(&p, &name)) && name < end) {
		if (len > EXT2_NAME_LEN) {
			ret = err_set(-ENAMETOOLONG, "name \"%.40s...\" is "
					"longer than 255 bytes", name);
			goto fail;
		}
		if (!S_ISDIR(ext2_i_mode(cur))) {
			ret = err_set(-ENOTDIR, "\"%.*s\" is not a directory",
					(int)(name - path), path);
			goto fail;
		}
		if (ext2_is_dot(name, len))
			continue;
		ret = ext2_lookup_child(cur, name, len, &next);
		if (ret)
			goto fail;
		ext2_iput(cur);
		cur = next;
	}
	*out = cur;
	return 0;
fail:
	ext2_iput(cur);
	return ret;
}

/* Resolve path to its inode, referenced.  A trailing slash requires a
 * directory. */
int ext2_path_walk(struct ext2_sb_info *fs, const char *path,
		    struct ext2_inode_info **out)
{
	size_t n;
	int ret = path_check(path);

	if (ret)
		return ret;
	n = strlen(path);
	ret = walk_n(fs, path, n, out);
	if (ret)
		return ret;
	if (path[n - 1] == '/' && !S_ISDIR(ext2_i_mode(*out))) {
		ext2_iput(*out);
		return err_set(-ENOTDIR, "\"%.200s\" is not a directory",
				 path);
	}
	return 0;
}

/*
 * Resolve the parent directory of path's last component.  *name and *len are
 * that component (len 0 for "/"); the parent is referenced.
 */
int ext2_path_parent(struct ext2_sb_info *fs, const char *path,
		     struct ext2_last *last)
{
	size_t n, s;
	int ret = path_check(path);

	if (ret)
		return ret;
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	last->slash = n != strlen(path);
	for (s = n; s > 0 && path[s - 1] != '/'; s--)
		;
	last->name = path + s;
	last->len = n - s;
	if (last->len > EXT2_NAME_LEN)
		return err_set(-ENAMETOOLONG, "name \"%.40s...\" is longer "
				 "than 255 bytes", last->name);
	ret = walk_n(fs, path, s, &last->dir);
	if (ret)
		return ret;
	if (!S_ISDIR(ext2_i_mode(last->dir))) {
		ext2_iput(last->dir);
		return err_set(-ENOTDIR, "the parent of \"%.200s\" is not a "
				 "directory", path);
	}
	return 0;
}
