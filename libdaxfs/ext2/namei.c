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
 * cannot free (or reuse) it in between. */
static int lookup_child(struct ext2_inode_info *dir, const char *name, size_t len,
			struct ext2_inode_info **out)
{
	struct ext2_dirent_info de;
	int ret;

	down_read(&dir->i_rwsem);
	ret = ext2_dir_lookup(dir, name, len, &de);
	if (!ret)
		ret = ext2_iget(dir->fs, de.ino, out);
	up_read(&dir->i_rwsem);
	if (ret == -ENOENT)
		return err_set(-ENOENT, "\"%.*s\" does not exist", (int)len,
				 name);
	return ret;
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
		if (is_dot(name, len))
			continue;
		ret = lookup_child(cur, name, len, &next);
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
		      struct ext2_inode_info **dir, const char **name,
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
		return err_set(-ENAMETOOLONG, "name \"%.40s...\" is longer "
				 "than 255 bytes", *name);
	ret = walk_n(fs, path, s, dir);
	if (ret)
		return ret;
	if (!S_ISDIR(ext2_i_mode(*dir))) {
		ext2_iput(*dir);
		return err_set(-ENOTDIR, "the parent of \"%.200s\" is not a "
				 "directory", path);
	}
	return 0;
}

/* -ENOENT unless dir is still linked; called with dir's i_rwsem held. */
static int dir_alive(struct ext2_inode_info *dir)
{
	if (ext2_i_links(dir) == 0)
		return err_set(-ENOENT, "the directory was removed");
	return 0;
}

/* Store a symlink's target: in i_block when short, else in a block. */
static int symlink_store(struct ext2_inode_info *inode, const char *target,
			 size_t tlen)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	if (tlen <= EXT2_FAST_SYMLINK_MAX) {
		memcpy(inode->raw->i_block, target, tlen);
		ext2_persist(fs, inode->raw->i_block, tlen);
	} else {
		ret = ext2_bmap(inode, 0, 1, true, &pblk, &count, &is_new);
		if (ret)
			return ret;
		fs->rgn->memcpy(ext2_block(fs, pblk), target, tlen, 0);
	}
	ext2_inode_set_size(inode, tlen);
	return 0;
}

/*
 * Create name in dir as a new inode of mode (a directory gets "." and
 * "..", a symlink its target).  Called with dir's i_rwsem held
 * exclusively.  Returns the new inode referenced; on failure nothing is
 * left behind.
 */
static int create_in(struct ext2_inode_info *dir, const char *name, size_t len,
		     mode_t mode, const char *target,
		     struct ext2_inode_info **out)
{
	struct ext2_dirent_info de;
	struct ext2_inode_info *inode;
	bool is_dir = S_ISDIR(mode);
	uint16_t dlinks = ext2_i_links(dir);
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	ret = dir_alive(dir);
	if (ret)
		return ret;
	ret = ext2_dir_lookup(dir, name, len, &de);
	if (ret == 0)
		return err_set(-EEXIST, "\"%.*s\" exists already", (int)len,
				 name);
	if (ret != -ENOENT)
		return ret;
	if (is_dir && dlinks >= EXT2_LINK_MAX)
		return err_set(-EMLINK, "the parent directory has %u "
				 "subdirectories already", dlinks - 2);
	ret = ext2_new_inode(dir->fs, dir, mode, &inode);
	if (ret)
		return ret;
	/*
	 * The inode is whole, links included, before the entry that names
	 * it: dir_add drains what new_inode and this flushed before its
	 * commit store.  A crash before that store leaves an unattached
	 * inode, which e2fsck reclaims.
	 */
	raw_store16(&inode->raw->i_links_count, is_dir ? 2 : 1);
	region_flush(dir->fs->rgn, &inode->raw->i_links_count, 2);
	if (is_dir)
		ret = ext2_dir_init_block(inode, dir->ino);
	else if (S_ISLNK(mode) && target)
		ret = symlink_store(inode, target, strlen(target));
	if (!ret)
		ret = ext2_dir_add(dir, name, len, inode->ino,
				    ext2_mode_to_ftype(mode));
	if (ret) {
		/* No links: the last reference frees blocks and inode. */
		ext2_inode_set_links(inode, 0);
		ext2_iput(inode);
		return ret;
	}
	if (is_dir)
		ext2_inode_set_links(dir, dlinks + 1);
	ext2_inode_touch(dir, true, true);
	*out = inode;
	return 0;
}

int ext2_create_locked(struct ext2_inode_info *dir, const char *name,
			size_t len, mode_t mode, struct ext2_inode_info **out)
{
	return create_in(dir, name, len, mode, NULL, out);
}

/* Common argument checks of the modifying calls. */
static int check_fs_rw(struct ext2_sb_info *fs, const char *what)
{
	if (!fs)
		return err_set(-EINVAL, "%s: fs is NULL", what);
	if (fs->vfs.rdonly)
		return err_set(-EROFS, "%s: the file system is mounted "
				 "read-only", what);
	return 0;
}

/* mkdir and symlink: create the last component of path. */
static int create_path(struct ext2_sb_info *fs, const char *path, mode_t mode,
		       const char *target)
{
	struct ext2_inode_info *dir, *inode;
	const char *name;
	size_t len;
	bool slash;
	int ret;

	ret = ext2_path_parent(fs, path, &dir, &name, &len, &slash);
	if (ret)
		return ret;
	if (len == 0 || is_dot(name, len) || is_dotdot(name, len)) {
		ret = err_set(-EEXIST, "\"%.200s\" exists already", path);
	} else if (slash && !S_ISDIR(mode)) {
		ret = err_set(-ENOENT, "\"%.200s\": trailing slash on a "
				"non-directory", path);
	} else {
		down_write(&dir->i_rwsem);
		ret = create_in(dir, name, len, mode, target, &inode);
		up_write(&dir->i_rwsem);
		if (!ret)
			ext2_iput(inode);
	}
	ext2_iput(dir);
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
		return err_set(-EINVAL, "symlink: target is NULL");
	tlen = strlen(target);
	if (tlen == 0)
		return err_set(-ENOENT, "symlink: the target is empty");
	if (tlen >= fs->blocksize || tlen >= PATH_MAX)
		return err_set(-ENAMETOOLONG, "symlink: a target of %zu bytes "
				 "does not fit in a block", tlen);
	return create_path(fs, path, S_IFLNK | 0777, target);
}

/* Lock two inodes' i_rwsem exclusively by inode number (b may be NULL or
 * equal to a). */
static void lock_two(struct ext2_inode_info *a, struct ext2_inode_info *b)
{
	if (b && b != a && b->ino < a->ino) {
		struct ext2_inode_info *t = a;

		a = b;
		b = t;
	}
	down_write(&a->i_rwsem);
	if (b && b != a)
		down_write(&b->i_rwsem);
}

static void unlock_two(struct ext2_inode_info *a, struct ext2_inode_info *b)
{
	if (b && b != a)
		up_write(&b->i_rwsem);
	up_write(&a->i_rwsem);
}

/* Remove name from dir: rmdir when want_dir, unlink otherwise. */
static int remove_path(struct ext2_sb_info *fs, const char *path, bool want_dir)
{
	struct ext2_inode_info *dir, *victim = NULL;
	struct ext2_dirent_info de;
	const char *name;
	size_t len;
	bool slash;
	int ret;

	ret = ext2_path_parent(fs, path, &dir, &name, &len, &slash);
	if (ret)
		return ret;
	if (len == 0) {
		ret = want_dir ? err_set(-EBUSY, "cannot remove the root")
			       : err_set(-EISDIR, "\"/\" is a directory");
		goto out;
	}
	if (is_dot(name, len) || is_dotdot(name, len)) {
		ret = !want_dir ? err_set(-EISDIR, "\"%.200s\" is a "
					    "directory", path)
		      : is_dot(name, len) ? err_set(-EINVAL, "cannot remove "
						      "\".\"")
		      : err_set(-ENOTEMPTY, "cannot remove \"..\"");
		goto out;
	}
	down_write(&dir->i_rwsem);
	ret = dir_alive(dir);
	if (!ret)
		ret = ext2_dir_lookup(dir, name, len, &de);
	if (ret == -ENOENT)
		ret = err_set(-ENOENT, "\"%.200s\" does not exist", path);
	if (!ret)
		ret = ext2_iget(fs, de.ino, &victim);
	if (ret)
		goto out_unlock;
	if (want_dir && !S_ISDIR(ext2_i_mode(victim))) {
		ret = err_set(-ENOTDIR, "\"%.200s\" is not a directory", path);
		goto out_unlock;
	}
	if (!want_dir && S_ISDIR(ext2_i_mode(victim))) {
		ret = err_set(-EISDIR, "\"%.200s\" is a directory", path);
		goto out_unlock;
	}
	if (!want_dir && slash) {
		ret = err_set(-ENOTDIR, "\"%.200s\" is not a directory", path);
		goto out_unlock;
	}
	down_write(&victim->i_rwsem);
	if (want_dir) {
		ret = ext2_dir_is_empty(victim);
		if (ret == 0)
			ret = err_set(-ENOTEMPTY, "directory \"%.200s\" is not "
					"empty", path);
		ret = ret == 1 ? 0 : ret;
	}
	if (!ret)
		ret = ext2_dir_remove(dir, name, len);
	if (!ret) {
		uint16_t n = ext2_i_links(victim);

		if (want_dir) {
			ext2_inode_set_links(victim, 0);
			ext2_inode_set_links(dir, ext2_i_links(dir) - 1);
		} else {
			ext2_inode_set_links(victim, n ? n - 1 : 0);
		}
		ext2_inode_touch(victim, false, true);
		ext2_inode_touch(dir, true, true);
	}
	up_write(&victim->i_rwsem);
out_unlock:
	up_write(&dir->i_rwsem);
	ext2_iput(victim); /* the last one frees an unlinked inode */
out:
	ext2_iput(dir);
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
	struct ext2_inode_info *src, *dir;
	struct ext2_dirent_info de;
	const char *name;
	size_t len;
	bool slash;
	uint16_t n;
	int ret = check_fs_rw(fs, "link");

	if (ret)
		return ret;
	ret = ext2_path_walk(fs, from, &src);
	if (ret)
		return ret;
	if (S_ISDIR(ext2_i_mode(src))) {
		ext2_iput(src);
		return err_set(-EPERM, "cannot hard-link directory \"%.200s\"",
				 from);
	}
	ret = ext2_path_parent(fs, to, &dir, &name, &len, &slash);
	if (ret) {
		ext2_iput(src);
		return ret;
	}
	if (len == 0 || is_dot(name, len) || is_dotdot(name, len) || slash) {
		ret = err_set(-EEXIST, "\"%.200s\" exists already", to);
		goto out;
	}
	down_write(&dir->i_rwsem);
	down_write(&src->i_rwsem);
	n = ext2_i_links(src);
	ret = dir_alive(dir);
	if (!ret && n == 0)
		ret = err_set(-ENOENT, "\"%.200s\" was removed", from);
	if (!ret && n >= EXT2_LINK_MAX)
		ret = err_set(-EMLINK, "\"%.200s\" has too many links", from);
	if (!ret) {
		ret = ext2_dir_lookup(dir, name, len, &de);
		if (ret == 0)
			ret = err_set(-EEXIST, "\"%.200s\" exists already", to);
		else if (ret == -ENOENT)
			ret = ext2_dir_add(dir, name, len, src->ino,
					    ext2_mode_to_ftype(ext2_i_mode(src)));
	}
	if (!ret) {
		ext2_inode_set_links(src, n + 1);
		ext2_inode_touch(src, false, true);
		ext2_inode_touch(dir, true, true);
	}
	up_write(&src->i_rwsem);
	up_write(&dir->i_rwsem);
out:
	ext2_iput(dir);
	ext2_iput(src);
	return ret;
}

/* Is a (a directory) dir itself or one of its ancestors?  Walks ".." up
 * from dir; called under rename_lock, so the tree cannot change shape. */
static int is_ancestor(struct ext2_sb_info *fs, struct ext2_inode_info *a,
		       struct ext2_inode_info *dir)
{
	struct ext2_inode_info *cur = dir, *up;
	int depth = 0, ret;

	ext2_ihold(cur);
	for (;;) {
		if (cur == a) {
			ext2_iput(cur);
			return 1;
		}
		if (cur == fs->root) {
			ext2_iput(cur);
			return 0;
		}
		if (++depth > 65536) {
			ext2_iput(cur);
			return ext2_corrupt(fs, "directory loop above inode %u",
					     dir->ino);
		}
		ret = lookup_child(cur, "..", 2, &up);
		ext2_iput(cur);
		if (ret)
			return ret;
		cur = up;
	}
}

/* State of a rename once both parents are resolved. */
struct rename_ctx {
	struct ext2_inode_info *pold, *pnew;   /* parents */
	const char *oname, *nname;
	size_t olen, nlen;
	struct ext2_inode_info *src, *tgt;     /* tgt may be NULL */
	bool slash;                        /* a path ended in '/' */
};

/* Type and emptiness rules of POSIX rename; locks are held. */
static int rename_check(struct rename_ctx *c)
{
	bool sdir = S_ISDIR(ext2_i_mode(c->src));
	int ret;

	if (c->slash && !sdir)
		return err_set(-ENOTDIR, "trailing slash on a non-directory");
	if (!c->tgt) {
		if (sdir && c->pold != c->pnew &&
		    ext2_i_links(c->pnew) >= EXT2_LINK_MAX)
			return err_set(-EMLINK, "the target directory has too "
					 "many subdirectories");
		return 0;
	}
	if (sdir && !S_ISDIR(ext2_i_mode(c->tgt)))
		return err_set(-ENOTDIR, "cannot replace a non-directory "
				 "with a directory");
	if (!sdir && S_ISDIR(ext2_i_mode(c->tgt)))
		return err_set(-EISDIR, "cannot replace a directory with a "
				 "non-directory");
	if (sdir) {
		ret = ext2_dir_is_empty(c->tgt);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return err_set(-ENOTEMPTY, "the target directory is "
					 "not empty");
	}
	return 0;
}

/* Carry out a checked rename; every lock is held. */
static int rename_apply(struct rename_ctx *c)
{
	bool sdir = S_ISDIR(ext2_i_mode(c->src));
	unsigned ft = ext2_mode_to_ftype(ext2_i_mode(c->src));
	int ret;

	/* The new name first: if it fails, nothing has changed. */
	if (c->tgt)
		ret = ext2_dir_retarget(c->pnew, c->nname, c->nlen,
					 c->src->ino, ft);
	else
		ret = ext2_dir_add(c->pnew, c->nname, c->nlen, c->src->ino,
				    ft);
	if (ret)
		return ret;
	ret = ext2_dir_remove(c->pold, c->oname, c->olen);
	if (ret)
		return ret;
	if (c->tgt) {
		uint16_t n = ext2_i_links(c->tgt);

		if (sdir) {
			ext2_inode_set_links(c->tgt, 0);
			ext2_inode_set_links(c->pnew,
				ext2_i_links(c->pnew) - 1);
		} else {
			ext2_inode_set_links(c->tgt, n ? n - 1 : 0);
		}
		ext2_inode_touch(c->tgt, false, true);
	}
	if (sdir && c->pold != c->pnew) {
		ret = ext2_dir_retarget(c->src, "..", 2, c->pnew->ino,
					 EXT2_FT_DIR);
		ext2_inode_set_links(c->pold,
				      ext2_i_links(c->pold) - 1);
		ext2_inode_set_links(c->pnew,
				      ext2_i_links(c->pnew) + 1);
	}
	ext2_inode_touch(c->src, false, true);
	ext2_inode_touch(c->pold, true, true);
	if (c->pnew != c->pold)
		ext2_inode_touch(c->pnew, true, true);
	return ret;
}

/* Lock the two parents (ancestor first) and then source and target. */
static void rename_lock_all(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	if (c->pold == c->pnew)
		down_write(&c->pold->i_rwsem);
	else if (is_ancestor(fs, c->pold, c->pnew) == 1) {
		down_write(&c->pold->i_rwsem);
		down_write(&c->pnew->i_rwsem);
	} else if (is_ancestor(fs, c->pnew, c->pold) == 1) {
		down_write(&c->pnew->i_rwsem);
		down_write(&c->pold->i_rwsem);
	} else {
		lock_two(c->pold, c->pnew);
	}
	lock_two(c->src, c->tgt);
}

static void rename_unlock_all(struct rename_ctx *c)
{
	unlock_two(c->src, c->tgt);
	if (c->pold != c->pnew)
		up_write(&c->pnew->i_rwsem);
	up_write(&c->pold->i_rwsem);
}

/* Resolve source and target under rename_lock, check the tree rules,
 * lock everything and re-check the names; -EAGAIN to start over. */
static int rename_locked(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	struct ext2_dirent_info so, ta;
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
	if (S_ISDIR(ext2_i_mode(c->src))) {
		ret = is_ancestor(fs, c->src, c->pnew);
		if (ret)
			return ret < 0 ? ret : err_set(-EINVAL, "cannot move "
					 "a directory into itself");
	}
	if (c->tgt && S_ISDIR(ext2_i_mode(c->tgt))) {
		ret = is_ancestor(fs, c->tgt, c->pold);
		if (ret)
			return ret < 0 ? ret : err_set(-ENOTEMPTY, "the target "
					 "directory is not empty");
	}
	rename_lock_all(fs, c);
	ret = dir_alive(c->pold);
	if (!ret)
		ret = dir_alive(c->pnew);
	if (!ret) {
		ret = ext2_dir_lookup(c->pold, c->oname, c->olen, &so);
		r2 = ext2_dir_lookup(c->pnew, c->nname, c->nlen, &ta);
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
	ret = ext2_path_parent(fs, from, &c.pold, &c.oname, &c.olen, &s1);
	if (ret)
		return ret;
	ret = ext2_path_parent(fs, to, &c.pnew, &c.nname, &c.nlen, &s2);
	if (ret) {
		ext2_iput(c.pold);
		return ret;
	}
	if (c.olen == 0 || c.nlen == 0) {
		ret = err_set(-EBUSY, "cannot rename the root");
		goto out;
	}
	if (is_dot(c.oname, c.olen) || is_dotdot(c.oname, c.olen) ||
	    is_dot(c.nname, c.nlen) || is_dotdot(c.nname, c.nlen)) {
		ret = err_set(-EINVAL, "cannot rename \".\" or \"..\"");
		goto out;
	}
	c.slash = s1 || s2;
	pthread_mutex_lock(&fs->rename_lock);
	do {
		ext2_iput(c.src);
		ext2_iput(c.tgt);
		c.src = c.tgt = NULL;
		ret = rename_locked(fs, &c);
	} while (ret == -EAGAIN);
	pthread_mutex_unlock(&fs->rename_lock);
	if (ret == 1)
		ret = 0;
out:
	ext2_iput(c.tgt); /* the last one frees a replaced file */
	ext2_iput(c.src);
	ext2_iput(c.pnew);
	ext2_iput(c.pold);
	return ret;
}

DAXFS_API ssize_t daxfs_readlink(daxfs *fs, const char *path, char *buf,
				 size_t len)
{
	struct ext2_inode_info *inode;
	uint64_t size;
	int ret;

	if (!fs || !buf)
		return err_set(-EINVAL, "readlink: fs and buf must be given");
	ret = ext2_path_walk(fs, path, &inode);
	if (ret)
		return ret;
	if (!S_ISLNK(ext2_i_mode(inode))) {
		ext2_iput(inode);
		return err_set(-EINVAL, "\"%.200s\" is not a symbolic link",
				 path);
	}
	size = ext2_i_size(inode);
	if (size > fs->blocksize) {
		ext2_iput(inode);
		return ext2_corrupt(fs, "symlink inode %u has size %llu",
				     inode->ino, (unsigned long long)size);
	}
	if (len > size)
		len = size;
	down_read(&inode->i_rwsem);
	if (ext2_inode_is_fast_symlink(inode)) {
		memcpy(buf, inode->raw->i_block, len);
		ret = len;
	} else {
		ret = dax_iomap_rw(fs->rgn, inode, NULL, &ext2_iomap_ops, 0,
				     len, buf, false);
	}
	up_read(&inode->i_rwsem);
	ext2_iput(inode);
	return ret;
}

DAXFS_API int daxfs_stat(daxfs *fs, const char *path, struct stat *st)
{
	struct ext2_inode_info *inode;
	int ret;

	if (!fs || !st)
		return err_set(-EINVAL, "stat: fs and st must be given");
	ret = ext2_path_walk(fs, path, &inode);
	if (ret)
		return ret;
	ext2_inode_stat(inode, st);
	ext2_iput(inode);
	return 0;
}

DAXFS_API int daxfs_readdir(daxfs *fs, const char *path,
			    int (*fn)(void *arg, const char *name,
				      uint64_t ino, unsigned type),
			    void *arg)
{
	struct ext2_inode_info *dir;
	int ret;

	if (!fs || !fn)
		return err_set(-EINVAL, "readdir: fs and fn must be given");
	ret = ext2_path_walk(fs, path, &dir);
	if (ret)
		return ret;
	if (!S_ISDIR(ext2_i_mode(dir)))
		ret = err_set(-ENOTDIR, "\"%.200s\" is not a directory", path);
	else
		ret = ext2_dir_iterate(dir, fn, arg);
	ext2_iput(dir);
	return ret;
}
