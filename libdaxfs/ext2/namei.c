/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * namei.c -- path walk and the namespace operations: mkdir, rmdir,
 * unlink, rename, link, symlink, readlink, stat, readdir.
 *
 * Lock order (see ext2.h): rename_lock, then directories ancestor first,
 * then the non-directory inodes by number.  The path walk holds one
 * directory's i_rwsem (shared) at a time and pins inodes with references
 * between steps; an operation then locks the parent it changes and checks
 * that the parent is still linked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "daxfs.h"
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

static bool is_dot(const char *name, size_t len)
{
	return len == 1 && name[0] == '.';
}

static bool is_dotdot(const char *name, size_t len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

/* Check a path argument: absolute, not too long. */
static int path_check(const char *path)
{
	if (!path)
		return daxfs_err(-EINVAL, "path is NULL");
	if (path[0] != '/')
		return daxfs_err(-EINVAL, "path \"%.200s\" is not absolute",
				 path);
	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		return daxfs_err(-ENAMETOOLONG, "path is longer than %d bytes",
				 PATH_MAX - 1);
	return 0;
}

/* Look name up in dir under its shared lock; the child referenced.  The
 * child is pinned before the lock is dropped, so a concurrent unlink
 * cannot free (or reuse) it in between. */
static int lookup_child(struct daxfs_inode *dir, const char *name, size_t len,
			struct daxfs_inode **out)
{
	struct daxfs_dirent_info de;
	int ret;

	daxfs_down_read(&dir->i_rwsem);
	ret = daxfs_dir_lookup(dir, name, len, &de);
	if (!ret)
		ret = daxfs_iget(dir->fs, de.ino, out);
	daxfs_up_read(&dir->i_rwsem);
	if (ret == -ENOENT)
		return daxfs_err(-ENOENT, "\"%.*s\" does not exist", (int)len,
				 name);
	return ret;
}

/* Walk the first n bytes of path from the root; the result referenced. */
static int walk_n(struct daxfs *fs, const char *path, size_t n,
		  struct daxfs_inode **out)
{
	struct daxfs_inode *cur = fs->root, *next;
	const char *p = path, *name, *end = path + n;
	size_t len;
	int ret;

	daxfs_ihold(cur);
	while (p < end && (len = next_component(&p, &name)) && name < end) {
		if (len > EXT2_NAME_LEN) {
			ret = daxfs_err(-ENAMETOOLONG, "name \"%.40s...\" is "
					"longer than 255 bytes", name);
			goto fail;
		}
		if (!S_ISDIR(daxfs_i_mode(cur))) {
			ret = daxfs_err(-ENOTDIR, "\"%.*s\" is not a directory",
					(int)(name - path), path);
			goto fail;
		}
		if (is_dot(name, len))
			continue;
		ret = lookup_child(cur, name, len, &next);
		if (ret)
			goto fail;
		daxfs_iput(cur);
		cur = next;
	}
	*out = cur;
	return 0;
fail:
	daxfs_iput(cur);
	return ret;
}

/* Resolve path to its inode, referenced.  A trailing slash requires a
 * directory. */
int daxfs_path_walk(struct daxfs *fs, const char *path,
		    struct daxfs_inode **out)
{
	size_t n;
	int ret = path_check(path);

	if (ret)
		return ret;
	n = strlen(path);
	ret = walk_n(fs, path, n, out);
	if (ret)
		return ret;
	if (path[n - 1] == '/' && !S_ISDIR(daxfs_i_mode(*out))) {
		daxfs_iput(*out);
		return daxfs_err(-ENOTDIR, "\"%.200s\" is not a directory",
				 path);
	}
	return 0;
}

/*
 * Resolve the parent directory of path's last component.  *name and *len are
 * that component (len 0 for "/"); the parent is referenced.
 */
int daxfs_path_parent(struct daxfs *fs, const char *path,
		      struct daxfs_inode **dir, const char **name,
		      size_t *len, bool *trailing_slash)
{
	size_t n, s;
	int ret = path_check(path);

	if (ret)
		return ret;
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	*trailing_slash = n != strlen(path);
	for (s = n; s > 0 && path[s - 1] != '/'; s--)
		;
	*name = path + s;
	*len = n - s;
	if (*len > EXT2_NAME_LEN)
		return daxfs_err(-ENAMETOOLONG, "name \"%.40s...\" is longer "
				 "than 255 bytes", *name);
	ret = walk_n(fs, path, s, dir);
	if (ret)
		return ret;
	if (!S_ISDIR(daxfs_i_mode(*dir))) {
		daxfs_iput(*dir);
		return daxfs_err(-ENOTDIR, "the parent of \"%.200s\" is not a "
				 "directory", path);
	}
	return 0;
}

/* -ENOENT unless dir is still linked; called with dir's i_rwsem held. */
static int dir_alive(struct daxfs_inode *dir)
{
	if (daxfs_i_links(dir) == 0)
		return daxfs_err(-ENOENT, "the directory was removed");
	return 0;
}

/* Store a symlink's target: in i_block when short, else in a block. */
static int symlink_store(struct daxfs_inode *inode, const char *target,
			 size_t tlen)
{
	struct daxfs *fs = inode->fs;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	if (tlen <= EXT2_FAST_SYMLINK_MAX) {
		memcpy(inode->raw->i_block, target, tlen);
		daxfs_fs_persist(fs, inode->raw->i_block, tlen);
	} else {
		ret = daxfs_bmap(inode, 0, 1, true, &pblk, &count, &is_new);
		if (ret)
			return ret;
		fs->rgn->memcpy(daxfs_block(fs, pblk), target, tlen, 0);
	}
	daxfs_inode_set_size(inode, tlen);
	return 0;
}

/*
 * Create name in dir as a new inode of mode (a directory gets "." and
 * "..", a symlink its target).  Called with dir's i_rwsem held
 * exclusively.  Returns the new inode referenced; on failure nothing is
 * left behind.
 */
static int create_in(struct daxfs_inode *dir, const char *name, size_t len,
		     mode_t mode, const char *target,
		     struct daxfs_inode **out)
{
	struct daxfs_dirent_info de;
	struct daxfs_inode *inode;
	bool is_dir = S_ISDIR(mode);
	uint16_t dlinks = daxfs_i_links(dir);
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	ret = dir_alive(dir);
	if (ret)
		return ret;
	ret = daxfs_dir_lookup(dir, name, len, &de);
	if (ret == 0)
		return daxfs_err(-EEXIST, "\"%.*s\" exists already", (int)len,
				 name);
	if (ret != -ENOENT)
		return ret;
	if (is_dir && dlinks >= EXT2_LINK_MAX)
		return daxfs_err(-EMLINK, "the parent directory has %u "
				 "subdirectories already", dlinks - 2);
	ret = daxfs_new_inode(dir->fs, dir, mode, &inode);
	if (ret)
		return ret;
	/*
	 * The inode is whole, links included, before the entry that names
	 * it: dir_add drains what new_inode and this flushed before its
	 * commit store.  A crash before that store leaves an unattached
	 * inode, which e2fsck reclaims.
	 */
	raw_store16(&inode->raw->i_links_count, is_dir ? 2 : 1);
	daxfs_flush_range(dir->fs->rgn, &inode->raw->i_links_count, 2);
	if (is_dir)
		ret = daxfs_dir_init_block(inode, dir->ino);
	else if (S_ISLNK(mode) && target)
		ret = symlink_store(inode, target, strlen(target));
	if (!ret)
		ret = daxfs_dir_add(dir, name, len, inode->ino,
				    daxfs_mode_to_ftype(mode));
	if (ret) {
		/* No links: the last reference frees blocks and inode. */
		daxfs_inode_set_links(inode, 0);
		daxfs_iput(inode);
		return ret;
	}
	if (is_dir)
		daxfs_inode_set_links(dir, dlinks + 1);
	daxfs_inode_touch(dir, true, true);
	*out = inode;
	return 0;
}

int daxfs_create_locked(struct daxfs_inode *dir, const char *name,
			size_t len, mode_t mode, struct daxfs_inode **out)
{
	return create_in(dir, name, len, mode, NULL, out);
}

/* Common argument checks of the modifying calls. */
static int check_fs_rw(struct daxfs *fs, const char *what)
{
	if (!fs)
		return daxfs_err(-EINVAL, "%s: fs is NULL", what);
	if (fs->rdonly)
		return daxfs_err(-EROFS, "%s: the file system is mounted "
				 "read-only", what);
	return 0;
}

/* mkdir and symlink: create the last component of path. */
static int create_path(struct daxfs *fs, const char *path, mode_t mode,
		       const char *target)
{
	struct daxfs_inode *dir, *inode;
	const char *name;
	size_t len;
	bool slash;
	int ret;

	ret = daxfs_path_parent(fs, path, &dir, &name, &len, &slash);
	if (ret)
		return ret;
	if (len == 0 || is_dot(name, len) || is_dotdot(name, len)) {
		ret = daxfs_err(-EEXIST, "\"%.200s\" exists already", path);
	} else if (slash && !S_ISDIR(mode)) {
		ret = daxfs_err(-ENOENT, "\"%.200s\": trailing slash on a "
				"non-directory", path);
	} else {
		daxfs_down_write(&dir->i_rwsem);
		ret = create_in(dir, name, len, mode, target, &inode);
		daxfs_up_write(&dir->i_rwsem);
		if (!ret)
			daxfs_iput(inode);
	}
	daxfs_iput(dir);
	return ret;
}

DAXFS_API int daxfs_mkdir(daxfs *fs, const char *path, mode_t mode)
{
	int ret = check_fs_rw(fs, "mkdir");

	if (ret)
		return ret;
	return create_path(fs, path, S_IFDIR | (mode & 07777), NULL);
}

DAXFS_API int daxfs_symlink(daxfs *fs, const char *target, const char *path)
{
	size_t tlen;
	int ret = check_fs_rw(fs, "symlink");

	if (ret)
		return ret;
	if (!target)
		return daxfs_err(-EINVAL, "symlink: target is NULL");
	tlen = strlen(target);
	if (tlen == 0)
		return daxfs_err(-ENOENT, "symlink: the target is empty");
	if (tlen >= fs->blocksize || tlen >= PATH_MAX)
		return daxfs_err(-ENAMETOOLONG, "symlink: a target of %zu bytes "
				 "does not fit in a block", tlen);
	return create_path(fs, path, S_IFLNK | 0777, target);
}

/* Lock two inodes' i_rwsem exclusively by inode number (b may be NULL or
 * equal to a). */
static void lock_two(struct daxfs_inode *a, struct daxfs_inode *b)
{
	if (b && b != a && b->ino < a->ino) {
		struct daxfs_inode *t = a;

		a = b;
		b = t;
	}
	daxfs_down_write(&a->i_rwsem);
	if (b && b != a)
		daxfs_down_write(&b->i_rwsem);
}

static void unlock_two(struct daxfs_inode *a, struct daxfs_inode *b)
{
	if (b && b != a)
		daxfs_up_write(&b->i_rwsem);
	daxfs_up_write(&a->i_rwsem);
}

/* Remove name from dir: rmdir when want_dir, unlink otherwise. */
static int remove_path(struct daxfs *fs, const char *path, bool want_dir)
{
	struct daxfs_inode *dir, *victim = NULL;
	struct daxfs_dirent_info de;
	const char *name;
	size_t len;
	bool slash;
	int ret;

	ret = daxfs_path_parent(fs, path, &dir, &name, &len, &slash);
	if (ret)
		return ret;
	if (len == 0) {
		ret = want_dir ? daxfs_err(-EBUSY, "cannot remove the root")
			       : daxfs_err(-EISDIR, "\"/\" is a directory");
		goto out;
	}
	if (is_dot(name, len) || is_dotdot(name, len)) {
		ret = !want_dir ? daxfs_err(-EISDIR, "\"%.200s\" is a "
					    "directory", path)
		      : is_dot(name, len) ? daxfs_err(-EINVAL, "cannot remove "
						      "\".\"")
		      : daxfs_err(-ENOTEMPTY, "cannot remove \"..\"");
		goto out;
	}
	daxfs_down_write(&dir->i_rwsem);
	ret = dir_alive(dir);
	if (!ret)
		ret = daxfs_dir_lookup(dir, name, len, &de);
	if (ret == -ENOENT)
		ret = daxfs_err(-ENOENT, "\"%.200s\" does not exist", path);
	if (!ret)
		ret = daxfs_iget(fs, de.ino, &victim);
	if (ret)
		goto out_unlock;
	if (want_dir && !S_ISDIR(daxfs_i_mode(victim))) {
		ret = daxfs_err(-ENOTDIR, "\"%.200s\" is not a directory", path);
		goto out_unlock;
	}
	if (!want_dir && S_ISDIR(daxfs_i_mode(victim))) {
		ret = daxfs_err(-EISDIR, "\"%.200s\" is a directory", path);
		goto out_unlock;
	}
	if (!want_dir && slash) {
		ret = daxfs_err(-ENOTDIR, "\"%.200s\" is not a directory", path);
		goto out_unlock;
	}
	daxfs_down_write(&victim->i_rwsem);
	if (want_dir) {
		ret = daxfs_dir_is_empty(victim);
		if (ret == 0)
			ret = daxfs_err(-ENOTEMPTY, "directory \"%.200s\" is not "
					"empty", path);
		ret = ret == 1 ? 0 : ret;
	}
	if (!ret)
		ret = daxfs_dir_remove(dir, name, len);
	if (!ret) {
		uint16_t n = daxfs_i_links(victim);

		if (want_dir) {
			daxfs_inode_set_links(victim, 0);
			daxfs_inode_set_links(dir, daxfs_i_links(dir) - 1);
		} else {
			daxfs_inode_set_links(victim, n ? n - 1 : 0);
		}
		daxfs_inode_touch(victim, false, true);
		daxfs_inode_touch(dir, true, true);
	}
	daxfs_up_write(&victim->i_rwsem);
out_unlock:
	daxfs_up_write(&dir->i_rwsem);
	daxfs_iput(victim); /* the last one frees an unlinked inode */
out:
	daxfs_iput(dir);
	return ret;
}

DAXFS_API int daxfs_unlink(daxfs *fs, const char *path)
{
	int ret = check_fs_rw(fs, "unlink");

	return ret ? ret : remove_path(fs, path, false);
}

DAXFS_API int daxfs_rmdir(daxfs *fs, const char *path)
{
	int ret = check_fs_rw(fs, "rmdir");

	return ret ? ret : remove_path(fs, path, true);
}

DAXFS_API int daxfs_link(daxfs *fs, const char *from, const char *to)
{
	struct daxfs_inode *src, *dir;
	struct daxfs_dirent_info de;
	const char *name;
	size_t len;
	bool slash;
	uint16_t n;
	int ret = check_fs_rw(fs, "link");

	if (ret)
		return ret;
	ret = daxfs_path_walk(fs, from, &src);
	if (ret)
		return ret;
	if (S_ISDIR(daxfs_i_mode(src))) {
		daxfs_iput(src);
		return daxfs_err(-EPERM, "cannot hard-link directory \"%.200s\"",
				 from);
	}
	ret = daxfs_path_parent(fs, to, &dir, &name, &len, &slash);
	if (ret) {
		daxfs_iput(src);
		return ret;
	}
	if (len == 0 || is_dot(name, len) || is_dotdot(name, len) || slash) {
		ret = daxfs_err(-EEXIST, "\"%.200s\" exists already", to);
		goto out;
	}
	daxfs_down_write(&dir->i_rwsem);
	daxfs_down_write(&src->i_rwsem);
	n = daxfs_i_links(src);
	ret = dir_alive(dir);
	if (!ret && n == 0)
		ret = daxfs_err(-ENOENT, "\"%.200s\" was removed", from);
	if (!ret && n >= EXT2_LINK_MAX)
		ret = daxfs_err(-EMLINK, "\"%.200s\" has too many links", from);
	if (!ret) {
		ret = daxfs_dir_lookup(dir, name, len, &de);
		if (ret == 0)
			ret = daxfs_err(-EEXIST, "\"%.200s\" exists already", to);
		else if (ret == -ENOENT)
			ret = daxfs_dir_add(dir, name, len, src->ino,
					    daxfs_mode_to_ftype(daxfs_i_mode(src)));
	}
	if (!ret) {
		daxfs_inode_set_links(src, n + 1);
		daxfs_inode_touch(src, false, true);
		daxfs_inode_touch(dir, true, true);
	}
	daxfs_up_write(&src->i_rwsem);
	daxfs_up_write(&dir->i_rwsem);
out:
	daxfs_iput(dir);
	daxfs_iput(src);
	return ret;
}

/* Is a (a directory) dir itself or one of its ancestors?  Walks ".." up
 * from dir; called under rename_lock, so the tree cannot change shape. */
static int is_ancestor(struct daxfs *fs, struct daxfs_inode *a,
		       struct daxfs_inode *dir)
{
	struct daxfs_inode *cur = dir, *up;
	int depth = 0, ret;

	daxfs_ihold(cur);
	for (;;) {
		if (cur == a) {
			daxfs_iput(cur);
			return 1;
		}
		if (cur == fs->root) {
			daxfs_iput(cur);
			return 0;
		}
		if (++depth > 65536) {
			daxfs_iput(cur);
			return daxfs_corrupt(fs, "directory loop above inode %u",
					     dir->ino);
		}
		ret = lookup_child(cur, "..", 2, &up);
		daxfs_iput(cur);
		if (ret)
			return ret;
		cur = up;
	}
}

/* State of a rename once both parents are resolved. */
struct rename_ctx {
	struct daxfs_inode *pold, *pnew;   /* parents */
	const char *oname, *nname;
	size_t olen, nlen;
	struct daxfs_inode *src, *tgt;     /* tgt may be NULL */
	bool slash;                        /* a path ended in '/' */
};

/* Type and emptiness rules of POSIX rename; locks are held. */
static int rename_check(struct rename_ctx *c)
{
	bool sdir = S_ISDIR(daxfs_i_mode(c->src));
	int ret;

	if (c->slash && !sdir)
		return daxfs_err(-ENOTDIR, "trailing slash on a non-directory");
	if (!c->tgt) {
		if (sdir && c->pold != c->pnew &&
		    daxfs_i_links(c->pnew) >= EXT2_LINK_MAX)
			return daxfs_err(-EMLINK, "the target directory has too "
					 "many subdirectories");
		return 0;
	}
	if (sdir && !S_ISDIR(daxfs_i_mode(c->tgt)))
		return daxfs_err(-ENOTDIR, "cannot replace a non-directory "
				 "with a directory");
	if (!sdir && S_ISDIR(daxfs_i_mode(c->tgt)))
		return daxfs_err(-EISDIR, "cannot replace a directory with a "
				 "non-directory");
	if (sdir) {
		ret = daxfs_dir_is_empty(c->tgt);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return daxfs_err(-ENOTEMPTY, "the target directory is "
					 "not empty");
	}
	return 0;
}

/* Carry out a checked rename; every lock is held. */
static int rename_apply(struct rename_ctx *c)
{
	bool sdir = S_ISDIR(daxfs_i_mode(c->src));
	unsigned ft = daxfs_mode_to_ftype(daxfs_i_mode(c->src));
	int ret;

	/* The new name first: if it fails, nothing has changed. */
	if (c->tgt)
		ret = daxfs_dir_retarget(c->pnew, c->nname, c->nlen,
					 c->src->ino, ft);
	else
		ret = daxfs_dir_add(c->pnew, c->nname, c->nlen, c->src->ino,
				    ft);
	if (ret)
		return ret;
	ret = daxfs_dir_remove(c->pold, c->oname, c->olen);
	if (ret)
		return ret;
	if (c->tgt) {
		uint16_t n = daxfs_i_links(c->tgt);

		if (sdir) {
			daxfs_inode_set_links(c->tgt, 0);
			daxfs_inode_set_links(c->pnew,
				daxfs_i_links(c->pnew) - 1);
		} else {
			daxfs_inode_set_links(c->tgt, n ? n - 1 : 0);
		}
		daxfs_inode_touch(c->tgt, false, true);
	}
	if (sdir && c->pold != c->pnew) {
		ret = daxfs_dir_retarget(c->src, "..", 2, c->pnew->ino,
					 EXT2_FT_DIR);
		daxfs_inode_set_links(c->pold,
				      daxfs_i_links(c->pold) - 1);
		daxfs_inode_set_links(c->pnew,
				      daxfs_i_links(c->pnew) + 1);
	}
	daxfs_inode_touch(c->src, false, true);
	daxfs_inode_touch(c->pold, true, true);
	if (c->pnew != c->pold)
		daxfs_inode_touch(c->pnew, true, true);
	return ret;
}

/* Lock the two parents (ancestor first) and then source and target. */
static void rename_lock_all(struct daxfs *fs, struct rename_ctx *c)
{
	if (c->pold == c->pnew)
		daxfs_down_write(&c->pold->i_rwsem);
	else if (is_ancestor(fs, c->pold, c->pnew) == 1) {
		daxfs_down_write(&c->pold->i_rwsem);
		daxfs_down_write(&c->pnew->i_rwsem);
	} else if (is_ancestor(fs, c->pnew, c->pold) == 1) {
		daxfs_down_write(&c->pnew->i_rwsem);
		daxfs_down_write(&c->pold->i_rwsem);
	} else {
		lock_two(c->pold, c->pnew);
	}
	lock_two(c->src, c->tgt);
}

static void rename_unlock_all(struct rename_ctx *c)
{
	unlock_two(c->src, c->tgt);
	if (c->pold != c->pnew)
		daxfs_up_write(&c->pnew->i_rwsem);
	daxfs_up_write(&c->pold->i_rwsem);
}

/* Resolve source and target under rename_lock, check the tree rules,
 * lock everything and re-check the names; -EAGAIN to start over. */
static int rename_locked(struct daxfs *fs, struct rename_ctx *c)
{
	struct daxfs_dirent_info so, ta;
	int ret, r2;

	ret = lookup_child(c->pold, c->oname, c->olen, &c->src);
	if (ret)
		return ret;
	ret = lookup_child(c->pnew, c->nname, c->nlen, &c->tgt);
	if (ret == -ENOENT)
		ret = 0, c->tgt = NULL;
	if (ret)
		return ret;
	if (c->tgt == c->src)
		return 1; /* the same file: nothing to do */
	if (S_ISDIR(daxfs_i_mode(c->src))) {
		ret = is_ancestor(fs, c->src, c->pnew);
		if (ret)
			return ret < 0 ? ret : daxfs_err(-EINVAL, "cannot move "
					 "a directory into itself");
	}
	if (c->tgt && S_ISDIR(daxfs_i_mode(c->tgt))) {
		ret = is_ancestor(fs, c->tgt, c->pold);
		if (ret)
			return ret < 0 ? ret : daxfs_err(-ENOTEMPTY, "the target "
					 "directory is not empty");
	}
	rename_lock_all(fs, c);
	ret = dir_alive(c->pold);
	if (!ret)
		ret = dir_alive(c->pnew);
	if (!ret) {
		ret = daxfs_dir_lookup(c->pold, c->oname, c->olen, &so);
		r2 = daxfs_dir_lookup(c->pnew, c->nname, c->nlen, &ta);
		if (ret || so.ino != c->src->ino ||
		    (c->tgt ? r2 || ta.ino != c->tgt->ino : r2 != -ENOENT))
			ret = -EAGAIN; /* changed meanwhile */
	}
	if (!ret)
		ret = rename_check(c);
	if (!ret)
		ret = rename_apply(c);
	rename_unlock_all(c);
	return ret;
}

DAXFS_API int daxfs_rename(daxfs *fs, const char *from, const char *to)
{
	struct rename_ctx c = { 0 };
	bool s1, s2;
	int ret = check_fs_rw(fs, "rename");

	if (ret)
		return ret;
	ret = daxfs_path_parent(fs, from, &c.pold, &c.oname, &c.olen, &s1);
	if (ret)
		return ret;
	ret = daxfs_path_parent(fs, to, &c.pnew, &c.nname, &c.nlen, &s2);
	if (ret) {
		daxfs_iput(c.pold);
		return ret;
	}
	if (c.olen == 0 || c.nlen == 0) {
		ret = daxfs_err(-EBUSY, "cannot rename the root");
		goto out;
	}
	if (is_dot(c.oname, c.olen) || is_dotdot(c.oname, c.olen) ||
	    is_dot(c.nname, c.nlen) || is_dotdot(c.nname, c.nlen)) {
		ret = daxfs_err(-EINVAL, "cannot rename \".\" or \"..\"");
		goto out;
	}
	c.slash = s1 || s2;
	pthread_mutex_lock(&fs->rename_lock);
	do {
		daxfs_iput(c.src);
		daxfs_iput(c.tgt);
		c.src = c.tgt = NULL;
		ret = rename_locked(fs, &c);
	} while (ret == -EAGAIN);
	pthread_mutex_unlock(&fs->rename_lock);
	if (ret == 1)
		ret = 0;
out:
	daxfs_iput(c.tgt); /* the last one frees a replaced file */
	daxfs_iput(c.src);
	daxfs_iput(c.pnew);
	daxfs_iput(c.pold);
	return ret;
}

DAXFS_API ssize_t daxfs_readlink(daxfs *fs, const char *path, char *buf,
				 size_t len)
{
	struct daxfs_inode *inode;
	uint64_t size;
	int ret;

	if (!fs || !buf)
		return daxfs_err(-EINVAL, "readlink: fs and buf must be given");
	ret = daxfs_path_walk(fs, path, &inode);
	if (ret)
		return ret;
	if (!S_ISLNK(daxfs_i_mode(inode))) {
		daxfs_iput(inode);
		return daxfs_err(-EINVAL, "\"%.200s\" is not a symbolic link",
				 path);
	}
	size = daxfs_i_size(inode);
	if (size > fs->blocksize) {
		daxfs_iput(inode);
		return daxfs_corrupt(fs, "symlink inode %u has size %llu",
				     inode->ino, (unsigned long long)size);
	}
	if (len > size)
		len = size;
	daxfs_down_read(&inode->i_rwsem);
	if (daxfs_inode_is_fast_symlink(inode)) {
		memcpy(buf, inode->raw->i_block, len);
		ret = len;
	} else {
		ret = daxfs_iomap_rw(fs->rgn, inode, NULL, &daxfs_ext2_iomap_ops, 0,
				     len, buf, false);
	}
	daxfs_up_read(&inode->i_rwsem);
	daxfs_iput(inode);
	return ret;
}

DAXFS_API int daxfs_stat(daxfs *fs, const char *path, struct stat *st)
{
	struct daxfs_inode *inode;
	int ret;

	if (!fs || !st)
		return daxfs_err(-EINVAL, "stat: fs and st must be given");
	ret = daxfs_path_walk(fs, path, &inode);
	if (ret)
		return ret;
	daxfs_inode_stat(inode, st);
	daxfs_iput(inode);
	return 0;
}

DAXFS_API int daxfs_readdir(daxfs *fs, const char *path,
			    int (*fn)(void *arg, const char *name,
				      uint64_t ino, unsigned type),
			    void *arg)
{
	struct daxfs_inode *dir;
	int ret;

	if (!fs || !fn)
		return daxfs_err(-EINVAL, "readdir: fs and fn must be given");
	ret = daxfs_path_walk(fs, path, &dir);
	if (ret)
		return ret;
	if (!S_ISDIR(daxfs_i_mode(dir)))
		ret = daxfs_err(-ENOTDIR, "\"%.200s\" is not a directory", path);
	else
		ret = daxfs_dir_iterate(dir, fn, arg);
	daxfs_iput(dir);
	return ret;
}
