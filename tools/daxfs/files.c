/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * files.c -- the read-only subcommands on files of the file system:
 * daxfs ls, daxfs stat, daxfs cat (read-only mounts).
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* "drwxr-xr-x" for mode, as ls -l writes it, into buf[11]. */
static char *mode_string(mode_t mode, char *buf)
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	buf[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c'
		 : S_ISBLK(mode) ? 'b' : S_ISFIFO(mode) ? 'p'
		 : S_ISSOCK(mode) ? 's' : '-';
	for (i = 0; i < 9; i++)
		buf[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		buf[3] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		buf[6] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		buf[9] = (mode & S_IXOTH) ? 't' : 'T';
	buf[10] = '\0';
	return buf;
}

/* "2026-11-30 02:13:07" (local time) into buf[32]. */
static char *time_string(time_t t, char *buf)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, 32, "%lld", (long long)t);
	return buf;
}

/* " -> target" of a symbolic link (or "" for other files). */
static void print_link_target(daxfs *fs, const char *path, mode_t mode)
{
	char target[4097];
	ssize_t n;

	if (!S_ISLNK(mode))
		return;
	n = daxfs_readlink(fs, path, target, sizeof(target) - 1);
	if (n >= 0)
		printf(" -> %.*s", (int)n, target);
}

/* ---- ls ------------------------------------------------------------- */

struct ls_opts {
	bool longfmt, recursive;
};

/* -l and -R of ls. */
static int ls_opt(void *arg, int opt, const char *val)
{
	struct ls_opts *o = arg;

	(void)val;
	if (opt == 'l')
		o->longfmt = true;
	else if (opt == 'R')
		o->recursive = true;
	return TOOL_OK;
}

/* One entry of a listing: its name, or the ls -l line of path. */
static int ls_entry(daxfs *fs, const struct ls_opts *o, const char *path,
		    const char *name)
{
	char mode[11], when[32];
	struct stat st;
	int ret;

	if (!o->longfmt)
		return printf("%s\n", name), 0;
	ret = daxfs_stat(fs, path, &st);
	if (ret)
		return tool_fail("ls", path, ret);
	printf("%s %3ju %5ju %5ju %10jd %.16s %s", mode_string(st.st_mode, mode),
	       (uintmax_t)st.st_nlink, (uintmax_t)st.st_uid,
	       (uintmax_t)st.st_gid, (intmax_t)st.st_size,
	       time_string(st.st_mtime, when), name);
	print_link_target(fs, path, st.st_mode);
	printf("\n");
	return 0;
}

/* The entries of directory path, then (-R) its subdirectories. */
static int ls_dir(daxfs *fs, const struct ls_opts *o, const char *path,
		  bool header)
{
	struct tool_dirent *ents;
	size_t n, i;
	int status = 0, ret;

	ret = tool_dir_list(fs, path, &ents, &n);
	if (ret)
		return tool_fail("ls", path, ret);
	if (header)
		printf("%s:\n", path);
	for (i = 0; i < n; i++) {
		char *p = tool_join(path, ents[i].name);

		status |= p ? ls_entry(fs, o, p, ents[i].name) : TOOL_ERR;
		free(p);
	}
	for (i = 0; o->recursive && i < n; i++) {
		char *p = tool_join(path, ents[i].name);

		if (ents[i].type != DAXFS_DT_DIR || !p) {
			free(p);
			continue;
		}
		printf("\n");
		status |= ls_dir(fs, o, p, true);
		free(p);
	}
	tool_dir_free(ents, n);
	return status;
}

/* daxfs ls [-l] [-R] REGION PATH (a read-only mount). */
static int ls_run(int argc, char **argv)
{
	struct ls_opts o = { 0 };
	struct stat st;
	int status, i, ret;
	daxfs *fs;

	i = tool_options(argc, argv, "lR", NULL, 2, 2, ls_opt, &o, &status);
	if (i < 0)
		return status;
	if (tool_mount("ls", argv[i], DAXFS_MOUNT_RDONLY, &fs))
		return TOOL_ERR;
	ret = daxfs_stat(fs, argv[i + 1], &st);
	if (ret)
		status = tool_fail("ls", argv[i + 1], ret);
	else if (S_ISDIR(st.st_mode))
		status = ls_dir(fs, &o, argv[i + 1], o.recursive);
	else
		status = ls_entry(fs, &o, argv[i + 1], argv[i + 1]);
	return tool_unmount("ls", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_ls = {
	.name = "ls",
	.run = ls_run,
	.synopsis = "ls [-l] [-R] REGION PATH",
	.help =
	"List the directory PATH of the file system on REGION, one name a\n"
	"line, sorted bytewise, without \".\" and \"..\" (a PATH that is not a\n"
	"directory is listed itself).  The mount is read-only.\n"
	"\n"
	"Options:\n"
	"  -l          long format: mode, links, uid, gid, size, modification\n"
	"              time (local), name, and \" -> target\" for a symlink\n"
	"  -R          also list every subdirectory, each after a blank line\n"
	"              and a \"PATH:\" header (as ls -R)\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs ls -l /dev/dax0.0 /\n",
};

/* ---- stat ----------------------------------------------------------- */

static const char *type_name(mode_t m)
{
	return S_ISREG(m) ? "regular file" : S_ISDIR(m) ? "directory"
	       : S_ISLNK(m) ? "symbolic link" : S_ISCHR(m) ? "character device"
	       : S_ISBLK(m) ? "block device" : S_ISFIFO(m) ? "fifo"
	       : S_ISSOCK(m) ? "socket" : "unknown";
}

/* The lines of daxfs stat for path. */
static void stat_print(daxfs *fs, const char *path, const struct stat *st)
{
	char mode[11], t[32];

	printf("  File: %s", path);
	print_link_target(fs, path, st->st_mode);
	printf("\n  Type: %s\n", type_name(st->st_mode));
	printf("  Size: %jd\n", (intmax_t)st->st_size);
	printf("Blocks: %jd (512-byte units)\n", (intmax_t)st->st_blocks);
	printf(" Inode: %ju\n", (uintmax_t)st->st_ino);
	printf(" Links: %ju\n", (uintmax_t)st->st_nlink);
	printf("  Mode: %04o (%s)\n", (unsigned)(st->st_mode & 07777),
	       mode_string(st->st_mode, mode));
	printf("   Uid: %ju\n   Gid: %ju\n", (uintmax_t)st->st_uid,
	       (uintmax_t)st->st_gid);
	printf("Access: %s\n", time_string(st->st_atime, t));
	printf("Modify: %s\n", time_string(st->st_mtime, t));
	printf("Change: %s\n", time_string(st->st_ctime, t));
}

/* daxfs stat REGION PATH (a read-only mount). */
static int stat_run(int argc, char **argv)
{
	struct stat st;
	int status, i, ret;
	daxfs *fs;

	i = tool_options(argc, argv, "", NULL, 2, 2, NULL, NULL, &status);
	if (i < 0)
		return status;
	if (tool_mount("stat", argv[i], DAXFS_MOUNT_RDONLY, &fs))
		return TOOL_ERR;
	ret = daxfs_stat(fs, argv[i + 1], &st);
	if (ret)
		status = tool_fail("stat", argv[i + 1], ret);
	else
		stat_print(fs, argv[i + 1], &st);
	return tool_unmount("stat", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_stat = {
	.name = "stat",
	.run = stat_run,
	.synopsis = "stat REGION PATH",
	.help =
	"Print the inode of PATH in the file system on REGION: type, size,\n"
	"blocks (512-byte units), inode number, links, mode, uid, gid and\n"
	"the access, modification and change times (local time); a symbolic\n"
	"link is not followed (its target follows \"->\").  The mount is\n"
	"read-only.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs stat /dev/dax0.0 /docs/hello.txt\n",
};

/* ---- cat ------------------------------------------------------------ */

/* Copy the file f to standard output; 0 or the failed call's errno. */
static long cat_copy(daxfs_file *f, char *buf, size_t size)
{
	off_t off = 0;
	ssize_t n;

	while ((n = daxfs_pread(f, buf, size, off)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1; /* stdout: reported by the caller */
		off += n;
	}
	return n;
}

/* Open path and copy it out. */
static int cat_file(daxfs *fs, const char *path)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);
	int status = TOOL_OK;
	daxfs_file *f;
	long ret;

	if (!buf)
		return tool_error("cat", path, "out of memory");
	ret = daxfs_open(fs, path, O_RDONLY, 0, &f);
	if (ret) {
		free(buf);
		return tool_fail("cat", path, ret);
	}
	ret = cat_copy(f, buf, size);
	if (ret < 0)
		status = tool_fail("cat", path, ret);
	else if (ret > 0 || fflush(stdout))
		status = tool_error("cat", "standard output", "%m");
	daxfs_close(f);
	free(buf);
	return status;
}

/* daxfs cat REGION PATH (a read-only mount). */
static int cat_run(int argc, char **argv)
{
	int status, i;
	daxfs *fs;

	i = tool_options(argc, argv, "", NULL, 2, 2, NULL, NULL, &status);
	if (i < 0)
		return status;
	if (tool_mount("cat", argv[i], DAXFS_MOUNT_RDONLY, &fs))
		return TOOL_ERR;
	status = cat_file(fs, argv[i + 1]);
	return tool_unmount("cat", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_cat = {
	.name = "cat",
	.run = cat_run,
	.synopsis = "cat REGION PATH",
	.help =
	"Write the bytes of the regular file PATH of the file system on\n"
	"REGION to standard output.  The mount is read-only.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs cat /dev/dax0.0 /docs/hello.txt\n",
};
