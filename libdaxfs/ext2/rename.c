/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rename.c -- the rename operation, by POSIX rules, as one atomic
 * operation (journal.h): the new name first, then the old one removed,
 * link counts and ".." of a moved directory last.
 *
 * Two paths.  A file that is not a directory, renamed over another or
 * over nothing (the common case), has both names looked up once, under
 * the parents' locks, as unlink does; rename_lock is taken only when the
 * parents differ (to order them).  A directory needs the tree rules (not
 * into itself, the target empty), which walk ".." up the tree: the
 * general path looks the names up first, walks under rename_lock with no
 * directory locked, then locks and looks again, starting over if a
 * racing change moved a name meanwhile.
 *
 * Locks: the order is the block at the top of ext2.h (rename_lock, the
 * parents ancestor first, then source and target by inode number).
 */
#include <errno.h>
#include <string.h>

#include "daxfs.h"
#include "ext2/ext2.h"

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
		ret = ext2_lookup_child(cur, "..", 2, &up);
		ext2_iput(cur);
		if (ret)
			return ret;
		cur = up;
	}
}

/* State of a rename once both parents are resolved. */
struct rename_ctx {
	struct ext2_last from, to;             /* parents and names */
	struct ext2_inode_info *src, *tgt;     /* tgt may be NULL */
	struct ext2_dirent_info so, ta;        /* their entries, found under
						  the parents' locks */
	bool slash;                            /* a path ended in '/' */
};

/* What rename_files and rename_locked return besides 0 and -errno. */
enum {
	RENAME_SAME = 1,        /* both names are one file: nothing to do */
	RENAME_DIRS = 2,        /* a directory: the general path */
};

/* Type and emptiness rules of POSIX rename, and the ".." a moved
 * directory must have (found now, so rename_apply cannot fail on it
 * after the new name is in); locks are held. */
static int rename_check(struct rename_ctx *c)
{
	bool sdir = S_ISDIR(ext2_i_mode(c->src));
	struct ext2_dirent_info dd;
	int ret;

	if (c->slash && !sdir)
		return err_set(-ENOTDIR, "trailing slash on a non-directory");
	if (sdir && c->from.dir != c->to.dir) {
		ret = ext2_dir_lookup(c->src, "..", 2, &dd);
		if (ret == -ENOENT)
			return ext2_corrupt(c->src->fs, "rename: directory "
					     "inode %u has no \"..\" entry",
					     c->src->ino);
		if (ret)
			return ret;
	}
	if (!c->tgt) {
		if (sdir && c->from.dir != c->to.dir &&
		    ext2_i_links(c->to.dir) >= EXT2_LINK_MAX)
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
		ret = ext2_dir_retarget_found(c->to.dir, c->to.name, c->to.len,
					      &c->ta, c->src->ino, ft);
	else
		ret = ext2_dir_add(c->to.dir, c->to.name, c->to.len, c->src->ino,
				    ft);
	if (ret)
		return ret;
	ret = ext2_dir_remove_found(c->from.dir, c->from.name, c->from.len,
				    &c->so);
	if (ret) {
		/* Only a damaged directory gets here: take the new name
		 * back, so that the failed call changes nothing. */
		if (c->tgt)
			ext2_dir_retarget(c->to.dir, c->to.name, c->to.len,
					  c->tgt->ino, ext2_mode_to_ftype(
					  ext2_i_mode(c->tgt)));
		else
			ext2_dir_remove(c->to.dir, c->to.name, c->to.len);
		return ret;
	}
	if (c->tgt) {
		uint16_t n = ext2_i_links(c->tgt);

		if (sdir) {
			ext2_inode_set_links(c->tgt, 0);
			ext2_inode_set_links(c->to.dir,
				ext2_i_links(c->to.dir) - 1);
		} else {
			ext2_inode_set_links(c->tgt, n ? n - 1 : 0);
		}
		if (!ext2_i_links(c->tgt))
			ext2_orphan_add(c->tgt);
		ext2_inode_touch(c->tgt, false, true);
	}
	if (sdir && c->from.dir != c->to.dir) {
		ret = ext2_dir_retarget(c->src, "..", 2, c->to.dir->ino,
					 EXT2_FT_DIR);
		ext2_inode_set_links(c->from.dir,
				      ext2_i_links(c->from.dir) - 1);
		ext2_inode_set_links(c->to.dir,
				      ext2_i_links(c->to.dir) + 1);
	}
	ext2_inode_touch(c->src, false, true);
	ext2_inode_touch(c->from.dir, true, true);
	if (c->to.dir != c->from.dir)
		ext2_inode_touch(c->to.dir, true, true);
	return ret;
}

/* Lock the two parents, the ancestor first. */
static void rename_lock_parents(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	if (c->from.dir == c->to.dir)
		down_write(&c->from.dir->i_rwsem);
	else if (is_ancestor(fs, c->from.dir, c->to.dir) == 1) {
		down_write(&c->from.dir->i_rwsem);
		down_write(&c->to.dir->i_rwsem);
	} else if (is_ancestor(fs, c->to.dir, c->from.dir) == 1) {
		down_write(&c->to.dir->i_rwsem);
		down_write(&c->from.dir->i_rwsem);
	} else {
		ext2_lock_two(c->from.dir, c->to.dir);
	}
}

static void rename_unlock_parents(struct rename_ctx *c)
{
	if (c->from.dir != c->to.dir)
		up_write(&c->to.dir->i_rwsem);
	up_write(&c->from.dir->i_rwsem);
}

/* Check and carry out the rename as one atomic operation; every lock is
 * held and both names were found under them. */
static int rename_commit(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	struct ext2_jh h;
	int ret = rename_check(c);

	if (ret)
		return ret;
	ext2_jbegin(fs, &h); /* every change of it, or none */
	ret = rename_apply(c);
	ext2_jcommit(&h);
	return ret;
}

/* Look both names up under the parents' locks: src and tgt referenced
 * (tgt NULL if absent), their entries in c->so and c->ta. */
static int rename_lookup(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	int ret = ext2_dir_alive(c->from.dir);

	if (!ret)
		ret = ext2_dir_alive(c->to.dir);
	if (ret)
		return ret;
	ret = ext2_dir_lookup(c->from.dir, c->from.name, c->from.len, &c->so);
	if (ret == -ENOENT)
		return ext2_no_entry(c->from.name, c->from.len);
	if (!ret)
		ret = ext2_iget(fs, c->so.ino, &c->src);
	if (!ret)
		ret = ext2_dir_lookup(c->to.dir, c->to.name, c->to.len, &c->ta);
	if (ret == -ENOENT)
		return 0;
	return ret ? ret : ext2_iget(fs, c->ta.ino, &c->tgt);
}

/* The rename of a file that is not a directory over another or over
 * nothing, the common case: each name is looked up once, under the
 * parents' locks (as unlink does), and no walk up the tree is needed.
 * RENAME_DIRS when either is a directory. */
static int rename_files(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	int ret;

	rename_lock_parents(fs, c);
	ret = rename_lookup(fs, c);
	if (!ret && (S_ISDIR(ext2_i_mode(c->src)) ||
		     (c->tgt && S_ISDIR(ext2_i_mode(c->tgt)))))
		ret = RENAME_DIRS;
	else if (!ret && c->tgt == c->src)
		ret = RENAME_SAME;
	if (!ret) {
		ext2_lock_two(c->src, c->tgt);
		ret = rename_commit(fs, c);
		ext2_unlock_two(c->src, c->tgt);
	}
	rename_unlock_parents(c);
	return ret;
}

/* Resolve source and target under rename_lock, check the tree rules,
 * lock everything and re-check the names; -EAGAIN to start over. */
static int rename_locked(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	int ret, r2;

	ret = ext2_lookup_child(c->from.dir, c->from.name, c->from.len, &c->src);
	if (ret)
		return ret;
	ret = ext2_lookup_child_quiet(c->to.dir, c->to.name, c->to.len, &c->tgt);
	if (ret == -ENOENT)
		ret = 0, c->tgt = NULL;
	if (ret)
		return ret;
	if (c->tgt == c->src)
		return RENAME_SAME;
	if (S_ISDIR(ext2_i_mode(c->src))) {
		ret = is_ancestor(fs, c->src, c->to.dir);
		if (ret)
			return ret < 0 ? ret : err_set(-EINVAL, "cannot move "
					 "a directory into itself");
	}
	if (c->tgt && S_ISDIR(ext2_i_mode(c->tgt))) {
		ret = is_ancestor(fs, c->tgt, c->from.dir);
		if (ret)
			return ret < 0 ? ret : err_set(-ENOTEMPTY, "the target "
					 "directory is not empty");
	}
	if (c->src == c->from.dir || c->src == c->to.dir || /* damaged: */
	    c->tgt == c->from.dir || c->tgt == c->to.dir)  /* locked twice */
		return ext2_corrupt(fs, "an entry names its own directory");
	rename_lock_parents(fs, c);
	ext2_lock_two(c->src, c->tgt);
	ret = ext2_dir_alive(c->from.dir);
	if (!ret)
		ret = ext2_dir_alive(c->to.dir);
	if (!ret) {
		ret = ext2_dir_lookup(c->from.dir, c->from.name, c->from.len,
				      &c->so);
		r2 = ext2_dir_lookup(c->to.dir, c->to.name, c->to.len, &c->ta);
		if (ret || c->so.ino != c->src->ino ||
		    (c->tgt ? r2 || c->ta.ino != c->tgt->ino : r2 != -ENOENT))
			ret = -EAGAIN; /* changed meanwhile */
	}
	if (!ret)
		ret = rename_commit(fs, c);
	ext2_unlock_two(c->src, c->tgt);
	rename_unlock_parents(c);
	return ret;
}

/* Drop the references rename_files or rename_locked took. */
static void rename_put(struct rename_ctx *c)
{
	ext2_iput(c->src);
	ext2_iput(c->tgt);
	c->src = c->tgt = NULL;
}

/* Rename under rename_lock when the parents differ (it orders them and
 * keeps the tree still for the general path's walks): first as files,
 * then, for directories or after a racing change, by the general path. */
static int rename_run(struct ext2_sb_info *fs, struct rename_ctx *c)
{
	bool global = c->from.dir != c->to.dir;
	int ret;

	if (global)
		pthread_mutex_lock(&fs->rename_lock);
	ret = rename_files(fs, c);
	if (ret == RENAME_DIRS && !global) {
		global = true;
		pthread_mutex_lock(&fs->rename_lock);
	}
	while (ret == RENAME_DIRS || ret == -EAGAIN) {
		rename_put(c);
		ret = rename_locked(fs, c);
	}
	if (global)
		pthread_mutex_unlock(&fs->rename_lock);
	return ret == RENAME_SAME ? 0 : ret;
}

/* The rename operation, by POSIX rules; retried whole when a racing
 * change was seen (-EAGAIN). */
int ext2_rename(struct daxfs *vfs, const char *from, const char *to)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct rename_ctx c = { 0 };
	int ret;

	ret = ext2_path_parent(fs, from, &c.from);
	if (ret)
		return ret;
	ret = ext2_path_parent(fs, to, &c.to);
	if (ret) {
		ext2_iput(c.from.dir);
		return ret;
	}
	if (c.from.len == 0 || c.to.len == 0) {
		ret = err_set(-EBUSY, "cannot rename the root");
		goto out;
	}
	if (ext2_is_dot(c.from.name, c.from.len) || ext2_is_dotdot(c.from.name, c.from.len) ||
	    ext2_is_dot(c.to.name, c.to.len) || ext2_is_dotdot(c.to.name, c.to.len)) {
		ret = err_set(-EBUSY, "cannot rename \".\" or \"..\" (as "
			      "Linux, EBUSY)");
		goto out;
	}
	c.slash = c.from.slash || c.to.slash;
	ret = rename_run(fs, &c);
out:
	ext2_iput(c.tgt); /* the last one frees a replaced file */
	ext2_iput(c.src);
	ext2_iput(c.to.dir);
	ext2_iput(c.from.dir);
	return ret;
}
