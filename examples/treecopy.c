/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * treecopy.c -- copy a directory tree from the host into a libdaxfs
 * region, and back out.
 *
 *   treecopy REGION in HOSTDIR DSTDIR    host tree -> region (DSTDIR and
 *                                        its subdirectories are made, or
 *                                        kept if they exist; files are
 *                                        replaced)
 *   treecopy REGION out SRCDIR HOSTDIR   region tree -> host (HOSTDIR must
 *                                        not exist)
 *
 * What it shows:
 *   - walking a tree in the region with daxfs_readdir, whose callback may
 *     call back into libdaxfs (here: recursing into subdirectories);
 *   - daxfs_stat (which does not follow symbolic links, like lstat),
 *     daxfs_readlink and daxfs_symlink;
 *   - creating files and directories with their permission bits
 *     (daxfs_open with O_CREAT and a mode, daxfs_mkdir: no umask applies)
 *     and copying their bytes with daxfs_pwrite and daxfs_pread.
 * Regular files, directories and symbolic links are copied with their
 * modes; other files (devices, FIFOs, sockets) are skipped with a note;
 * hard links become separate files; owners and times are not copied.
 * A region without a file system gets one for "in" (see example.h).
 *
 *   export PMEM2_FORCE_GRANULARITY=CACHE_LINE
 *   treecopy /dev/shm/tree.img in /usr/share/doc/bash /bash-doc
 *   treecopy /dev/shm/tree.img out /bash-doc /tmp/bash-doc
 *   diff -r /usr/share/doc/bash /tmp/bash-doc && e2fsck -fn /dev/shm/tree.img
 */
#include <dirent.h>
#include <limits.h>

#include "example.h"

#define CHUNK (256u << 10)

static char chunk[CHUNK]; /* the copy buffer */

/* Join dir and name into out (PATH_MAX bytes); exits if too long. */
static void join(char *out, const char *dir, const char *name)
{
	const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";

	if (snprintf(out, PATH_MAX, "%s%s%s", dir, sep, name) >= PATH_MAX) {
		fprintf(stderr, "treecopy: %s/%s: path too long\n", dir, name);
		exit_failure();
	}
}

/* Copy the host file src into a new file dst of the region. */
static void file_in(daxfs *fs, const char *src, const char *dst, mode_t mode)
{
	daxfs_file *f;
	off_t off = 0;
	ssize_t n, w;
	int fd = open(src, O_RDONLY);
	int ret;

	if (fd < 0)
		die_sys("treecopy", src);
	ret = daxfs_open(fs, dst, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);
	if (ret < 0)
		die("treecopy", ret);
	while ((n = read(fd, chunk, CHUNK)) > 0) {
		/* A short write (the region is full) is followed by a
		 * call that says why. */
		for (ssize_t done = 0; done < n; done += w)
			if ((w = daxfs_pwrite(f, chunk + done, n - done,
					      off + done)) < 0)
				die("treecopy", w);
		off += n;
	}
	if (n < 0)
		die_sys("treecopy", src);
	close(fd);
	if ((ret = daxfs_close(f)) < 0)
		die("treecopy", ret);
}

/* Make the directory path in the region, or keep it if it exists (files
 * are then copied into it, replacing those of the same names). */
static void dir_in(daxfs *fs, const char *path, mode_t mode)
{
	struct stat st;
	int ret = daxfs_mkdir(fs, path, mode);

	if (ret == -EEXIST && daxfs_stat(fs, path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		ret = 0;
	if (ret < 0)
		die("treecopy", ret);
}

/* Copy the host tree at src (a directory) into the region's dir dst. */
static void tree_in(daxfs *fs, const char *src, const char *dst)
{
	char s[PATH_MAX], d[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir = opendir(src);

	if (!dir)
		die_sys("treecopy", src);
	while ((de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		join(s, src, de->d_name);
		join(d, dst, de->d_name);
		if (lstat(s, &st) < 0)
			die_sys("treecopy", s);
		int ret = 0;
		ssize_t len;
		if (S_ISDIR(st.st_mode)) {
			dir_in(fs, d, st.st_mode & 07777);
			tree_in(fs, s, d);
		} else if (S_ISREG(st.st_mode)) {
			file_in(fs, s, d, st.st_mode & 07777);
		} else if (S_ISLNK(st.st_mode)) {
			if ((len = readlink(s, target, sizeof(target) - 1)) < 0)
				die_sys("treecopy", s);
			target[len] = '\0';
			ret = daxfs_symlink(fs, target, d);
			if (ret == -EEXIST && (ret = daxfs_unlink(fs, d)) == 0)
				ret = daxfs_symlink(fs, target, d); /* replace */
		} else {
			fprintf(stderr, "treecopy: %s: not a file, directory "
				"or symbolic link: skipped\n", s);
		}
		if (ret < 0)
			die("treecopy", ret);
	}
	closedir(dir);
}

/* Copy the region's file src into a new host file dst. */
static void file_out(daxfs *fs, const char *src, const char *dst,
		     mode_t mode)
{
	daxfs_file *f;
	off_t off = 0;
	ssize_t n;
	int ret = daxfs_open(fs, src, O_RDONLY, 0, &f);
	int fd;

	if (ret < 0)
		die("treecopy", ret);
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		die_sys("treecopy", dst);
	while ((n = daxfs_pread(f, chunk, CHUNK, off)) > 0) {
		if (write(fd, chunk, n) != n)
			die_sys("treecopy", dst);
		off += n;
	}
	if (n < 0)
		die("treecopy", n);
	/* fchmod: the exact mode, whatever the umask. */
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		die_sys("treecopy", dst);
	if ((ret = daxfs_close(f)) < 0)
		die("treecopy", ret);
}

static void tree_out(daxfs *fs, const char *src, const char *dst,
		     mode_t mode);

/* Where tree_out's readdir callback copies to. */
struct out_dir {
	daxfs *fs;
	const char *src, *dst;
};

/* The daxfs_readdir callback of tree_out: copy one entry out.  It runs
 * with no libdaxfs lock held, so it may call libdaxfs, and recurse. */
static int entry_out(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct out_dir *od = arg;
	char s[PATH_MAX], d[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t len;
	int ret;

	(void)ino;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	join(s, od->src, name);
	join(d, od->dst, name);
	if ((ret = daxfs_stat(od->fs, s, &st)) < 0)
		die("treecopy", ret);
	if (type == DAXFS_DT_DIR) {
		tree_out(od->fs, s, d, st.st_mode & 07777);
	} else if (type == DAXFS_DT_REG) {
		file_out(od->fs, s, d, st.st_mode & 07777);
	} else if (type == DAXFS_DT_LNK) {
		len = daxfs_readlink(od->fs, s, target, sizeof(target) - 1);
		if (len < 0)
			die("treecopy", len);
		target[len] = '\0';
		if (symlink(target, d) < 0)
			die_sys("treecopy", d);
	} else {
		fprintf(stderr, "treecopy: %s: not a file, directory or "
			"symbolic link: skipped\n", s);
	}
	return 0;
}

/* Copy the region's directory src to the new host directory dst, which
 * gets mode once its entries are in (so a read-only directory works). */
static void tree_out(daxfs *fs, const char *src, const char *dst,
		     mode_t mode)
{
	struct out_dir od = { fs, src, dst };
	int ret;

	if (mkdir(dst, 0700) < 0)
		die_sys("treecopy", dst);
	if ((ret = daxfs_readdir(fs, src, entry_out, &od)) < 0)
		die("treecopy", ret);
	if (chmod(dst, mode) < 0)
		die_sys("treecopy", dst);
}

/* Copy the host directory src into the region as dst. */
static void cmd_in(daxfs *fs, const char *src, const char *dst)
{
	struct stat st;

	if (stat(src, &st) < 0)
		die_sys("treecopy", src);
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "treecopy: %s: not a directory\n", src);
		exit_failure();
	}
	dir_in(fs, dst, st.st_mode & 07777);
	tree_in(fs, src, dst);
}

/* Copy the region's directory src out to the host as dst. */
static void cmd_out(daxfs *fs, const char *src, const char *dst)
{
	struct stat st;
	int ret = daxfs_stat(fs, src, &st);

	if (ret < 0)
		die("treecopy", ret);
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "treecopy: %s: not a directory\n", src);
		exit_failure();
	}
	tree_out(fs, src, dst, st.st_mode & 07777);
}

int main(int argc, char **argv)
{
	int in = argc == 5 && strcmp(argv[2], "in") == 0;
	int out = argc == 5 && strcmp(argv[2], "out") == 0;
	daxfs *fs;

	if (!in && !out) {
		fprintf(stderr, "usage: treecopy REGION in HOSTDIR DSTDIR\n"
			"       treecopy REGION out SRCDIR HOSTDIR\n");
		return 1;
	}
	/* Reading only, "out" mounts read-only: it never writes the region. */
	fs = example_mount("treecopy", argv[1], in ? 0 : DAXFS_MOUNT_RDONLY);
	if (in)
		cmd_in(fs, argv[3], argv[4]);
	else
		cmd_out(fs, argv[3], argv[4]);
	example_unmount("treecopy");
	printf("copied %s %s to %s\n", argv[3], in ? "into the region" :
	       "out of the region", argv[4]);
	return 0;
}
