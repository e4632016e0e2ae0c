/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * be_ext2fs.c -- the bench API over e2fsprogs' libext2fs (unix_io_manager
 * on the unmounted image): the user-space ext2 library people know.
 *
 * "Persisted" here means ext2fs_file_flush() + io_channel_flush(): the data
 * block and the inode reach the image file (fsync).  Bitmaps, group
 * descriptors and the superblock stay in libext2fs' memory until
 * ext2fs_close(), so this is cheaper than what libdaxfs persists per write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#ifdef HAVE_EXT2FS
#include <ext2fs/ext2fs.h>

struct efh {
	ext2_filsys fs;
	ext2_file_t file;
};

static __thread char errbuf[512];

static int eret(errcode_t e)
{
	switch (e) {
	case 0:
		return 0;
	case EXT2_ET_DIR_EXISTS:
	case EXT2_ET_FILE_EXISTS:
		return -EEXIST;
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	default:
		return -(int)e;
	}
}

/* Split "/a/b/name" into the directory's inode and the name. */
static int e2_parent(ext2_filsys fs, const char *path, ext2_ino_t *dir,
		     const char **name)
{
	const char *slash = strrchr(path, '/');
	char dpath[4096];
	errcode_t e;

	if (!slash)
		return -EINVAL;
	*name = slash + 1;
	if (slash == path) {
		*dir = EXT2_ROOT_INO;
		return 0;
	}
	if ((size_t)(slash - path) >= sizeof(dpath))
		return -ENAMETOOLONG;
	memcpy(dpath, path, slash - path);
	dpath[slash - path] = 0;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, dpath, dir);
	return eret(e);
}

/* Create an empty regular file; its inode number in *ino. */
static int e2_create_ino(ext2_filsys fs, const char *path, ext2_ino_t *out)
{
	struct ext2_inode in;
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t e;
	int ret;

	ret = e2_parent(fs, path, &dir, &name);
	if (ret)
		return ret;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, dir, name, &ino);
	if (e == 0)
		return -EEXIST;
	if (e != EXT2_ET_FILE_NOT_FOUND && e != ENOENT)
		return eret(e);
	e = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | 0644, NULL, &ino);
	if (e)
		return eret(e);
	e = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, dir);
		if (e)
			return eret(e);
		e = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	}
	if (e)
		return eret(e);
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&in, 0, sizeof(in));
	in.i_mode = LINUX_S_IFREG | 0644;
	in.i_links_count = 1;
	in.i_atime = in.i_ctime = in.i_mtime = time(NULL);
	e = ext2fs_write_new_inode(fs, ino, &in);
	if (e)
		return eret(e);
	*out = ino;
	return 0;
}

static int e2_open(struct backend *be, const char *path, int flags, void **fh)
{
	ext2_filsys fs = be->priv;
	struct efh *h;
	ext2_ino_t ino;
	errcode_t e;
	int ret;

	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
	if ((e == EXT2_ET_FILE_NOT_FOUND || e == ENOENT) &&
	    (flags & BF_CREAT)) {
		ret = e2_create_ino(fs, path, &ino);
		if (ret)
			return ret;
	} else if (e) {
		return eret(e);
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fs = fs;
	e = ext2fs_file_open(fs, ino, (flags & BF_RDWR) ? EXT2_FILE_WRITE : 0,
			     &h->file);
	if (!e && (flags & BF_TRUNC))
		e = ext2fs_file_set_size2(h->file, 0);
	if (e) {
		free(h);
		return eret(e);
	}
	*fh = h;
	return 0;
}

static int e2_close(struct backend *be, void *fh)
{
	struct efh *h = fh;
	errcode_t e = ext2fs_file_close(h->file);

	(void)be;
	free(h);
	return eret(e);
}

static ssize_t e2_pread(void *fh, void *buf, size_t len, off_t off)
{
	struct efh *h = fh;
	unsigned int got = 0;
	errcode_t e;

	e = ext2fs_file_llseek(h->file, off, EXT2_SEEK_SET, NULL);
	if (!e)
		e = ext2fs_file_read(h->file, buf, len, &got);
	return e ? eret(e) : (ssize_t)got;
}

static ssize_t e2_pwrite(void *fh, const void *buf, size_t len, off_t off)
{
	struct efh *h = fh;
	unsigned int done = 0;
	errcode_t e;

	e = ext2fs_file_llseek(h->file, off, EXT2_SEEK_SET, NULL);
	if (!e)
		e = ext2fs_file_write(h->file, buf, len, &done);
	return e ? eret(e) : (ssize_t)done;
}

static ssize_t e2_append(void *fh, const void *buf, size_t len)
{
	struct efh *h = fh;
	__u64 size;
	errcode_t e = ext2fs_file_get_lsize(h->file, &size);

	if (e)
		return eret(e);
	return e2_pwrite(fh, buf, len, size);
}

static int e2_persist(void *fh)
{
	struct efh *h = fh;
	errcode_t e = ext2fs_file_flush(h->file);

	if (!e)
		e = io_channel_flush(h->fs->io);
	return eret(e);
}

static int e2_create(struct backend *be, const char *path)
{
	ext2_ino_t ino;

	return e2_create_ino(be->priv, path, &ino);
}

static int e2_stat(struct backend *be, const char *path)
{
	ext2_filsys fs = be->priv;
	struct ext2_inode in;
	ext2_ino_t ino;
	errcode_t e;

	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &in);
	return eret(e);
}

static int e2_unlink(struct backend *be, const char *path)
{
	ext2_filsys fs = be->priv;
	struct ext2_inode in;
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t e;
	int ret;

	ret = e2_parent(fs, path, &dir, &name);
	if (ret)
		return ret;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, dir, name, &ino);
	if (!e)
		e = ext2fs_unlink(fs, dir, name, ino, 0);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &in);
	if (e)
		return eret(e);
	if (in.i_links_count > 0)
		in.i_links_count--;
	if (in.i_links_count == 0) {
		e = ext2fs_punch(fs, ino, &in, NULL, 0, ~0ULL);
		if (e)
			return eret(e);
		in.i_dtime = time(NULL);
		ext2fs_inode_alloc_stats2(fs, ino, -1, 0);
	}
	return eret(ext2fs_write_inode(fs, ino, &in));
}

/* The directory entry's file type of an inode's mode. */
static int e2_ftype(__u16 mode)
{
	if (LINUX_S_ISREG(mode))
		return EXT2_FT_REG_FILE;
	if (LINUX_S_ISLNK(mode))
		return EXT2_FT_SYMLINK;
	if (LINUX_S_ISCHR(mode))
		return EXT2_FT_CHRDEV;
	if (LINUX_S_ISBLK(mode))
		return EXT2_FT_BLKDEV;
	if (LINUX_S_ISFIFO(mode))
		return EXT2_FT_FIFO;
	if (LINUX_S_ISSOCK(mode))
		return EXT2_FT_SOCK;
	return EXT2_FT_UNKNOWN;
}

/*
 * Rename a file as fuse2fs does: a link under the new name, then the old
 * name unlinked, the inode's ctime set.  The bench renames files to names
 * that do not exist: a directory (whose ".." and link counts would move)
 * or an existing target is refused.
 */
static int e2_rename(struct backend *be, const char *from, const char *to)
{
	ext2_filsys fs = be->priv;
	struct ext2_inode in;
	const char *fname, *tname;
	ext2_ino_t fdir, tdir, ino, old;
	errcode_t e;
	int ret;

	ret = e2_parent(fs, from, &fdir, &fname);
	if (!ret)
		ret = e2_parent(fs, to, &tdir, &tname);
	if (ret)
		return ret;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, fdir, fname, &ino);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &in);
	if (e)
		return eret(e);
	if (LINUX_S_ISDIR(in.i_mode))
		return -EOPNOTSUPP;
	if (ext2fs_namei(fs, EXT2_ROOT_INO, tdir, tname, &old) == 0)
		return -EEXIST;
	e = ext2fs_link(fs, tdir, tname, ino, e2_ftype(in.i_mode));
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, tdir);
		if (!e)
			e = ext2fs_link(fs, tdir, tname, ino,
					e2_ftype(in.i_mode));
	}
	if (!e)
		e = ext2fs_unlink(fs, fdir, fname, ino, 0);
	if (e)
		return eret(e);
	in.i_ctime = time(NULL);
	return eret(ext2fs_write_inode(fs, ino, &in));
}

static int e2_mkdir(struct backend *be, const char *path)
{
	ext2_filsys fs = be->priv;
	const char *name;
	ext2_ino_t dir;
	errcode_t e;
	int ret;

	ext2_ino_t ino;

	ret = e2_parent(fs, path, &dir, &name);
	if (ret)
		return ret;
	/* ext2fs_mkdir() checks for the name only after writing the new
	 * directory's inode and block. */
	if (ext2fs_namei(fs, EXT2_ROOT_INO, dir, name, &ino) == 0)
		return -EEXIST;
	e = ext2fs_mkdir(fs, dir, 0, name);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, dir);
		if (!e)
			e = ext2fs_mkdir(fs, dir, 0, name);
	}
	return eret(e);
}

static const char *e2_errstr(struct backend *be, int err)
{
	(void)be;
	snprintf(errbuf, sizeof(errbuf), "%s",
		 -err < 256 ? strerror(-err) : error_message(-err));
	return errbuf;
}

int be_e2fs_init(struct backend *be, const char *image, const char *root,
		 char *why, size_t whylen)
{
	ext2_filsys fs;
	errcode_t e;

	memset(be, 0, sizeof(*be));
	initialize_ext2_error_table();
	e = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			unix_io_manager, &fs);
	if (!e) {
		e = ext2fs_read_bitmaps(fs);
		if (e)
			ext2fs_close_free(&fs);
	}
	if (e) {
		snprintf(why, whylen, "ext2fs_open(%s): %s", image,
			 error_message(e));
		return -EIO;
	}
	be->id = B_E2FS;
	be->name = "libext2fs";
	snprintf(be->root, sizeof(be->root), "%s", root);
	be->mt = false; /* libext2fs is not thread-safe */
	be->slow = true;
	be->priv = fs;
	be->open = e2_open;
	be->close = e2_close;
	be->pread = e2_pread;
	be->pwrite = e2_pwrite;
	be->append = e2_append;
	be->persist = e2_persist;
	be->create = e2_create;
	be->stat = e2_stat;
	be->unlink = e2_unlink;
	be->rename = e2_rename;
	be->mkdir = e2_mkdir;
	be->errstr = e2_errstr;
	return 0;
}

int be_e2fs_fini(struct backend *be)
{
	ext2_filsys fs = be->priv;
	errcode_t e = fs ? ext2fs_close2(fs, 0) : 0;

	be->priv = NULL;
	return eret(e);
}

#else /* !HAVE_EXT2FS */

int be_e2fs_init(struct backend *be, const char *image, const char *root,
		 char *why, size_t whylen)
{
	(void)be;
	(void)image;
	(void)root;
	snprintf(why, whylen, "built without libext2fs (pkg-config ext2fs "
		 "not found at configure time)");
	return -ENOSYS;
}

int be_e2fs_fini(struct backend *be)
{
	(void)be;
	return 0;
}

#endif
