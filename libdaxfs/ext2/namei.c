/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * namei.c -- the namespace operations: mkdir, rmdir, unlink,
 * link, symlink, readlink, stat, readdir (paths are walked by path.c).
 *
 * Locks: the order is the block at the top of ext2.h.  An operation
 * locks the parent it changes and checks that the parent is still
 * linked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "daxfs.h"
#include "ext2/ext2.h"

/* -ENOENT unless dir is still linked; called with dir's i_rwsem held. */
int ext2_dir_alive(struct ext2_inode_info *dir)
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
static int create_in_logged(struct ext2_inode_info *dir, const char *name,
			    size_t len, mode_t mode, const char *target,
			    dev_t rdev, struct ext2_inode_info **out)
{
	struct ext2_dirent_info de;
	struct ext2_inode_info *inode;
	bool is_dir = S_ISDIR(mode);
	uint16_t dlinks = ext2_i_links(dir);
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	ret = ext2_dir_alive(dir);
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
	 * it: ext2_dir_add drains what ext2_new_inode and this flushed
	 * before its commit store.  A crash before that store leaves an
	 * unattached inode, which e2fsck reclaims.
	 */
	raw_store16(&inode->raw->i_links_count, is_dir ? 2 : 1);
	region_flush(dir->fs->rgn, &inode->raw->i_links_count, 2);
	if (is_dir)
		ret = ext2_dir_init_block(inode, dir->ino);
	else if (S_ISLNK(mode) && target)
		ret = symlink_store(inode, target, strlen(target));
	else if (S_ISCHR(mode) || S_ISBLK(mode))
		ext2_special_store(inode, rdev);
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

/* create_in_logged as one atomic operation (journal.h): committed
 * before the caller drops dir's i_rwsem. */
static int create_in(struct ext2_inode_info *dir, const char *name, size_t len,
		     mode_t mode, const char *target, dev_t rdev,
		     struct ext2_inode_info **out)
{
	struct ext2_jh h;
	int ret;

	ext2_jbegin(dir->fs, &h);
	ret = create_in_logged(dir, name, len, mode, target, rdev, out);
	ext2_jcommit(&h);
	return ret;
}

int ext2_create_locked(struct ext2_inode_info *dir, const char *name,
			size_t len, mode_t mode, struct ext2_inode_info **out)
{
	return create_in(dir, name, len, mode, NULL, 0, out);
}

/* mkdir, symlink and mknod: create the last component of path. */
int ext2_create_path(struct ext2_sb_info *fs, const char *path, mode_t mode,
		     const char *target, dev_t rdev)
{
	struct ext2_inode_info *inode = NULL;
	struct ext2_last l;
	int ret = ext2_path_parent(fs, path, &l);

	if (ret)
		return ret;
	if (l.len == 0 || ext2_is_dot(l.name, l.len) ||
	    ext2_is_dotdot(l.name, l.len)) {
		ret = err_set(-EEXIST, "\"%.200s\" exists already", path);
	} else if (l.slash && !S_ISDIR(mode)) {
		ret = err_set(-ENOENT, "\"%.200s\": trailing slash on a "
				"non-directory", path);
	} else {
		down_write(&l.dir->i_rwsem);
		ret = create_in(l.dir, l.name, l.len, mode, target, rdev,
				&inode);
		up_write(&l.dir->i_rwsem);
		if (!ret)
			ext2_iput(inode);
	}
	ext2_iput(l.dir);
	return ret;
}

/* The mkdir operation. */
int ext2_mkdir(struct daxfs *vfs, const char *path, mode_t mode)
{
	return ext2_create_path(EXT2_SB(vfs), path, S_IFDIR | (mode & 07777),
				NULL, 0);
}

/* The symlink operation: the target is stored in the inode (fast) or in
 * one block, so it must fit in a block. */
int ext2_symlink(struct daxfs *vfs, const char *target, const char *path)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	size_t tlen = strlen(target);

	if (tlen >= fs->blocksize)
		return err_set(-ENAMETOOLONG, "a target of %zu bytes does not "
			       "fit in a block", tlen);
	return ext2_create_path(fs, path, S_IFLNK | 0777, target, 0);
}


/* Lock two inodes' i_rwsem exclusively by inode number (b may be NULL or
 * equal to a). */
void ext2_lock_two(struct ext2_inode_info *a, struct ext2_inode_info *b)
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

/* Unlock what ext2_lock_two locked. */
void ext2_unlock_two(struct ext2_inode_info *a, struct ext2_inode_info *b)
{
	if (b && b != a)
		up_write(&b->i_rwsem);
	up_write(&a->i_rwsem);
}

/* Runs of blocks an unlink frees inside its own operation, at most. */
#define UNLINK_RUNS 32

/* The blocks a victim left without links could be freed with inside the
 * unlink's operation (remove_now), into run: how many runs, or -1 when
 * it must go through the orphan chain instead (still open or mapped, an
 * xattr block to share, too fragmented, no journal). */
static int remove_now_runs(struct ext2_inode_info *victim,
			   uint32_t (*run)[2])
{
	struct ext2_sb_info *fs = victim->fs;

	if (!fs->journal || victim->orphan || victim->raw->i_file_acl ||
	    !ext2_inode_sole_ref(victim) || ext2_jdefer_reserve(UNLINK_RUNS + 1))
		return -1;
	if (!ext2_inode_has_blocks(victim))
		return 0;
	return ext2_bmap_runs(fs, victim->raw, run, UNLINK_RUNS);
}

/* Free victim inside the operation: its deletion time (logged before),
 * then its blocks and its inode bit at the commit (ext2_jdefer_free:
 * logged as freed here, one fence for all, cleared under the group
 * locks before the commit word).  Its map stays: a free inode's is never
 * read.  It leaves the inode cache now; its last iput only frees the
 * DRAM inode. */
static void remove_now(struct ext2_inode_info *victim, uint32_t (*run)[2],
		       int nrun)
{
	int i;

	raw_store32(&victim->raw->i_dtime, ext2_now());
	ext2_persist(victim->fs, &victim->raw->i_dtime, 4);
	ext2_jbatch(true);
	for (i = 0; i < nrun; i++)
		ext2_jdefer_free(false, run[i][0], run[i][1]);
	ext2_jdefer_free(true, victim->ino, 1);
	ext2_jbatch(false);
	region_drain(victim->fs->rgn); /* the records before the clears */
	victim->freed = true;
	ext2_icache_unhash(victim); /* before its number is free */
}

/*
 * Remove the entry name -> victim from dir and drop the link(s) it held,
 * as one atomic operation (journal.h).  A victim left without links is
 * freed in it when nothing else holds it (remove_now); otherwise it goes
 * on the orphan chain in it, so that a crash before its last iput frees
 * it at the next mount.  One fence serves three things: the record the
 * directory change makes also fences the link counts' records (logged
 * first, unfenced) and the orphan link in the victim's i_dtime.  Both
 * locks held.
 */
static int remove_entry(struct ext2_inode_info *dir, const char *name,
			size_t len, const struct ext2_dirent_info *found,
			struct ext2_inode_info *victim, bool is_dir)
{
	uint16_t n = ext2_i_links(victim), left = is_dir || !n ? 0 : n - 1;
	uint32_t run[UNLINK_RUNS][2];
	int nrun = -1;
	bool orphan;
	struct ext2_jh h;
	int ret;

	ext2_jbegin(dir->fs, &h);
	if (!left)
		nrun = remove_now_runs(victim, run);
	ext2_jbatch(true);
	ext2_jlog(&victim->raw->i_links_count, 2);
	if (is_dir)
		ext2_jlog(&dir->raw->i_links_count, 2);
	if (nrun >= 0)
		ext2_jlog(&victim->raw->i_dtime, 4);
	ext2_jbatch(false);
	orphan = !left && nrun < 0 && ext2_orphan_add_begin(victim);
	ret = ext2_dir_remove_found(dir, name, len, found); /* the fence */
	if (ret) {
		if (orphan)
			ext2_orphan_add_abort(victim);
	} else {
		ext2_inode_store_links(victim, left);
		if (is_dir)
			ext2_inode_store_links(dir, ext2_i_links(dir) - 1);
		if (orphan)
			ext2_orphan_add_end(victim);
		if (nrun >= 0)
			remove_now(victim, run, nrun);
		ext2_inode_touch(victim, false, true);
		ext2_inode_touch(dir, true, true);
	}
	ext2_jcommit(&h);
	return ret;
}

/* Remove name from dir: rmdir when want_dir, unlink otherwise. */
static int remove_path(struct ext2_sb_info *fs, const char *path, bool want_dir)
{
	struct ext2_inode_info *victim = NULL;
	struct ext2_dirent_info de;
	struct ext2_last l;
	int ret;

	ret = ext2_path_parent(fs, path, &l);
	if (ret)
		return ret;
	if (l.len == 0) {
		ret = want_dir ? err_set(-EBUSY, "cannot remove the root")
			       : err_set(-EISDIR, "\"/\" is a directory");
		goto out;
	}
	if (ext2_is_dot(l.name, l.len) || ext2_is_dotdot(l.name, l.len)) {
		ret = !want_dir ? err_set(-EISDIR, "\"%.200s\" is a "
					    "directory", path)
		      : ext2_is_dot(l.name, l.len) ? err_set(-EINVAL, "cannot remove "
						      "\".\"")
		      : err_set(-ENOTEMPTY, "cannot remove \"..\"");
		goto out;
	}
	down_write(&l.dir->i_rwsem);
	ret = ext2_dir_alive(l.dir);
	if (!ret)
		ret = ext2_dir_lookup(l.dir, l.name, l.len, &de);
	if (ret == -ENOENT)
		ret = err_set(-ENOENT, "\"%.200s\" does not exist", path);
	if (!ret)
		ret = ext2_iget(fs, de.ino, &victim);
	if (!ret && victim == l.dir) /* locking it twice would deadlock */
		ret = ext2_corrupt(fs, "directory inode %u names itself "
				   "\"%.*s\"", victim->ino, (int)l.len, l.name);
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
	if (!want_dir && l.slash) {
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
		ret = remove_entry(l.dir, l.name, l.len, &de, victim, want_dir);
	up_write(&victim->i_rwsem);
out_unlock:
	up_write(&l.dir->i_rwsem);
	ext2_iput(victim); /* the last one frees an unlinked inode */
out:
	ext2_iput(l.dir);
	return ret;
}

/* The unlink operation. */
int ext2_unlink(struct daxfs *vfs, const char *path)
{
	return remove_path(EXT2_SB(vfs), path, false);
}

/* The rmdir operation. */
int ext2_rmdir(struct daxfs *vfs, const char *path)
{
	return remove_path(EXT2_SB(vfs), path, true);
}

/*
 * Add the entry name -> src in dir, src having n links: the count is
 * raised before the entry is added, as the kernel's ext2_link does; both
 * are one atomic operation (journal.h), committed before the caller
 * drops the locks.  Both locks held.
 */
static int link_add(struct ext2_inode_info *dir, const char *name,
		    size_t len, struct ext2_inode_info *src, uint16_t n)
{
	struct ext2_jh h;
	int ret;

	ext2_jbegin(dir->fs, &h);
	ext2_inode_set_links(src, n + 1);
	ret = ext2_dir_add(dir, name, len, src->ino,
			   ext2_mode_to_ftype(ext2_i_mode(src)));
	if (ret) {
		ext2_inode_set_links(src, n);
	} else {
		ext2_inode_touch(src, false, true);
		ext2_inode_touch(dir, true, true);
	}
	ext2_jcommit(&h);
	return ret;
}

/* The link operation: to becomes another name of from's inode. */
int ext2_link(struct daxfs *vfs, const char *from, const char *to)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct ext2_inode_info *src;
	struct ext2_dirent_info de;
	struct ext2_last l;
	uint16_t n;
	int ret;

	ret = ext2_path_walk(fs, from, &src);
	if (ret)
		return ret;
	if (S_ISDIR(ext2_i_mode(src))) {
		ext2_iput(src);
		return err_set(-EPERM, "cannot hard-link directory \"%.200s\"",
				 from);
	}
	ret = ext2_path_parent(fs, to, &l);
	if (ret) {
		ext2_iput(src);
		return ret;
	}
	if (l.len == 0 || ext2_is_dot(l.name, l.len) || ext2_is_dotdot(l.name, l.len)) {
		ret = err_set(-EEXIST, "\"%.200s\" exists already", to);
		goto out;
	}
	down_write(&l.dir->i_rwsem);
	down_write(&src->i_rwsem);
	n = ext2_i_links(src);
	ret = ext2_dir_alive(l.dir);
	if (!ret && n == 0)
		ret = err_set(-ENOENT, "\"%.200s\" was removed", from);
	if (!ret && n >= EXT2_LINK_MAX)
		ret = err_set(-EMLINK, "\"%.200s\" has too many links", from);
	if (!ret) {
		ret = ext2_dir_lookup(l.dir, l.name, l.len, &de);
		if (ret == 0)
			ret = err_set(-EEXIST, "\"%.200s\" exists already", to);
		else if (ret == -ENOENT && l.slash) /* as Linux */
			ret = err_set(-ENOENT, "link to \"%.200s\": no such "
					"directory (a new link cannot end in "
					"'/')", to);
		else if (ret == -ENOENT)
			ret = link_add(l.dir, l.name, l.len, src, n);
	}
	up_write(&src->i_rwsem);
	up_write(&l.dir->i_rwsem);
out:
	ext2_iput(l.dir);
	ext2_iput(src);
	return ret;
}

/* dax_copy_guarded's copy for a fast symlink's target. */
static void readlink_copy(void *ctx, void *dst, const void *src, size_t len)
{
	(void)ctx;
	memcpy(dst, src, len);
}

/* The readlink operation: the target from the inode or its block. */
ssize_t ext2_readlink(struct daxfs *vfs, const char *path, char *buf,
		      size_t len)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct ext2_inode_info *inode;
	uint64_t size;
	ssize_t ret;

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
	if (ext2_inode_is_fast_symlink(inode))
		ret = dax_copy_guarded(buf, inode->raw->i_block, len,
				       readlink_copy, NULL) ?: (ssize_t)len;
	else
		ret = dax_iomap_rw(fs->rgn, inode, NULL, &ext2_iomap_ops, 0,
				   len, buf, 0);
	if (ret == -EFAULT)
		ret = err_set(-EFAULT, "\"%.200s\": bad address: buf "
			      "cannot be written", path);
	up_read(&inode->i_rwsem);
	ext2_iput(inode);
	return ret;
}

/* The stat of path whose last component is a name in a directory (the
 * common case), without caching its inode (ext2_stat_ino): 0 or -errno
 * with its message; 1 for every other path ("/", ".", "..", a trailing
 * slash, a parent that is not a directory), which the full walk serves. */
static int stat_last(struct ext2_sb_info *fs, const char *path,
		     struct stat *st)
{
	struct ext2_dirent_info de;
	struct ext2_last l;
	int ret = ext2_path_parent(fs, path, &l);

	if (ret)
		return ret;
	if (!l.len || l.slash || ext2_is_dot(l.name, l.len) ||
	    ext2_is_dotdot(l.name, l.len) || !S_ISDIR(ext2_i_mode(l.dir))) {
		ext2_iput(l.dir);
		return 1;
	}
	down_read(&l.dir->i_rwsem);
	ret = ext2_dir_lookup(l.dir, l.name, l.len, &de);
	if (ret == -ENOENT)
		ret = ext2_no_entry(l.name, l.len);
	else if (!ret)
		ret = ext2_stat_ino(fs, de.ino, st);
	up_read(&l.dir->i_rwsem);
	ext2_iput(l.dir);
	return ret;
}

/* The stat operation. */
int ext2_stat(struct daxfs *vfs, const char *path, struct stat *st)
{
	struct ext2_inode_info *inode;
	int ret = stat_last(EXT2_SB(vfs), path, st);

	if (ret <= 0)
		return ret;
	ret = ext2_path_walk(EXT2_SB(vfs), path, &inode);
	if (ret)
		return ret;
	ext2_inode_stat(inode, st);
	ext2_iput(inode);
	return 0;
}

/* The readdir operation: fn for every entry, no lock held while it
 * runs (ext2_dir_iterate). */
int ext2_readdir(struct daxfs *vfs, const char *path, vfs_filldir_t fn,
		 void *arg)
{
	struct ext2_inode_info *dir;
	int ret;

	ret = ext2_path_walk(EXT2_SB(vfs), path, &dir);
	if (ret)
		return ret;
	if (!S_ISDIR(ext2_i_mode(dir)))
		ret = err_set(-ENOTDIR, "\"%.200s\" is not a directory", path);
	else
		ret = ext2_dir_iterate(dir, fn, arg);
	ext2_iput(dir);
	return ret;
}
