/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * change.c -- the subcommands that change the namespace or a file of the
 * file system: daxfs mkdir, rm, mv, ln, truncate (read-write mounts;
 * each change is crash-atomic and durable when the library call returns).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

/* The flag of a subcommand's one-letter option (-p, -r, -s). */
static int flag_opt(void *arg, int opt, const char *val)
{
	(void)opt, (void)val;
	*(bool *)arg = true;
	return TOOL_OK;
}

/* ---- mkdir ---------------------------------------------------------- */

/* mkdir path; with parents, an existing directory is no error. */
static int mkdir_one(daxfs *fs, const char *path, bool parents)
{
	struct stat st;
	int ret = daxfs_mkdir(fs, path, 0755);

	if (ret != -EEXIST || !parents)
		return ret ? tool_fail("mkdir", path, ret) : 0;
	ret = daxfs_stat(fs, path, &st);
	if (ret)
		return tool_fail("mkdir", path, ret);
	return S_ISDIR(st.st_mode) ? 0 : tool_error("mkdir", path, "exists "
						    "and is not a directory");
}

/* mkdir -p: every component of path, from the top. */
static int mkdir_parents(daxfs *fs, const char *path)
{
	char *p = strdup(path), *s;
	int status = 0;

	if (!p)
		return tool_error("mkdir", path, "out of memory");
	for (s = p + 1; !status && (s = strchr(s, '/')); s++) {
		if (s[-1] == '/')
			continue;
		*s = '\0';
		status = mkdir_one(fs, p, true);
		*s = '/';
	}
	if (!status)
		status = mkdir_one(fs, p, true);
	free(p);
	return status;
}

/* daxfs mkdir [-p] REGION PATH... */
static int mkdir_run(int argc, char **argv)
{
	bool parents = false;
	int status, i, j;
	daxfs *fs;

	i = tool_options(argc, argv, "p", NULL, 2, -1, flag_opt, &parents,
			 &status);
	if (i < 0)
		return status;
	if (tool_mount("mkdir", argv[i], 0, &fs))
		return TOOL_ERR;
	for (j = i + 1; j < argc; j++)
		status |= parents ? mkdir_parents(fs, argv[j])
				  : mkdir_one(fs, argv[j], false);
	return tool_unmount("mkdir", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_mkdir = {
	.name = "mkdir",
	.run = mkdir_run,
	.synopsis = "mkdir [-p] REGION PATH...",
	.help =
	"Make the directories PATH... (mode 0755) in the file system on\n"
	"REGION.  The parent of each must exist, and PATH must not.\n"
	"\n"
	"Options:\n"
	"  -p          make missing parents too; an existing directory is\n"
	"              no error\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs mkdir -p /dev/dax0.0 /data/2026/11\n",
};

/* ---- rm ------------------------------------------------------------- */

static int rm_path(daxfs *fs, const char *path, bool recursive);

/* rm -r of a directory's entries. */
static int rm_children(daxfs *fs, const char *path)
{
	struct tool_dirent *ents;
	size_t n, i;
	int status = 0, ret;

	ret = tool_dir_list(fs, path, &ents, &n);
	if (ret)
		return tool_fail("rm", path, ret);
	for (i = 0; i < n; i++) {
		char *p = tool_join(path, ents[i].name);

		status |= p ? rm_path(fs, p, true)
			    : tool_error("rm", path, "out of memory");
		free(p);
	}
	tool_dir_free(ents, n);
	return status;
}

/* Remove path: a file or symlink, an empty directory, or (recursive) a
 * whole tree. */
static int rm_path(daxfs *fs, const char *path, bool recursive)
{
	struct stat st;
	int ret = daxfs_stat(fs, path, &st);

	if (ret)
		return tool_fail("rm", path, ret);
	if (!S_ISDIR(st.st_mode))
		ret = daxfs_unlink(fs, path);
	else if (recursive && rm_children(fs, path))
		return TOOL_ERR;
	else
		ret = daxfs_rmdir(fs, path);
	return ret ? tool_fail("rm", path, ret) : 0;
}

/* daxfs rm [-r] REGION PATH...; the root is refused. */
static int rm_run(int argc, char **argv)
{
	bool recursive = false;
	int status, i, j;
	daxfs *fs;

	i = tool_options(argc, argv, "r", NULL, 2, -1, flag_opt, &recursive,
			 &status);
	if (i < 0)
		return status;
	if (tool_mount("rm", argv[i], 0, &fs))
		return TOOL_ERR;
	for (j = i + 1; j < argc; j++) {
		size_t len;

		if (*tool_basename(argv[j], &len) == '/')
			status |= tool_error("rm", argv[j], "refusing to "
					     "remove the root directory");
		else
			status |= rm_path(fs, argv[j], recursive);
	}
	return tool_unmount("rm", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_rm = {
	.name = "rm",
	.run = rm_run,
	.synopsis = "rm [-r] REGION PATH...",
	.help =
	"Remove PATH... from the file system on REGION: files and symbolic\n"
	"links (the link, not its target), and empty directories; a\n"
	"directory that is not empty needs -r.  A file's blocks are freed\n"
	"when its last name goes (crash-safe: a crash in between leaves it\n"
	"for the next mount to free).  The root directory is never removed.\n"
	"\n"
	"Options:\n"
	"  -r          remove directories and everything below them\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs rm -r /dev/dax0.0 /data/old\n",
};

/* ---- mv ------------------------------------------------------------- */

/* Where mv puts from: into to when to is a directory, else at to. */
static char *mv_target(daxfs *fs, const char *from, const char *to)
{
	struct stat st;
	size_t len;
	const char *base = tool_basename(from, &len);
	char *name, *p;

	if (daxfs_stat(fs, to, &st) || !S_ISDIR(st.st_mode) || *base == '/')
		return strdup(to);
	name = strndup(base, len);
	p = name ? tool_join(to, name) : NULL;
	free(name);
	return p;
}

/* daxfs mv REGION FROM TO. */
static int mv_run(int argc, char **argv)
{
	int status, i, ret;
	char *to;
	daxfs *fs;

	i = tool_options(argc, argv, "", NULL, 3, 3, NULL, NULL, &status);
	if (i < 0)
		return status;
	if (tool_mount("mv", argv[i], 0, &fs))
		return TOOL_ERR;
	to = mv_target(fs, argv[i + 1], argv[i + 2]);
	if (!to)
		status = tool_error("mv", argv[i + 1], "out of memory");
	else if ((ret = daxfs_rename(fs, argv[i + 1], to)))
		status = tool_fail("mv", argv[i + 1], ret);
	free(to);
	return tool_unmount("mv", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_mv = {
	.name = "mv",
	.run = mv_run,
	.synopsis = "mv REGION FROM TO",
	.help =
	"Rename FROM to TO in the file system on REGION, atomically; when TO\n"
	"is an existing directory, FROM moves into it (TO/name of FROM).  An\n"
	"existing file TO is replaced, by the rules of rename(2).\n"
	"\n"
	"Options:\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs mv /dev/dax0.0 /data/new.log /data/archive\n",
};

/* ---- ln ------------------------------------------------------------- */

/* daxfs ln [-s] REGION TARGET LINK. */
static int ln_run(int argc, char **argv)
{
	bool symbolic = false;
	int status, i, ret;
	daxfs *fs;

	i = tool_options(argc, argv, "s", NULL, 3, 3, flag_opt, &symbolic,
			 &status);
	if (i < 0)
		return status;
	if (tool_mount("ln", argv[i], 0, &fs))
		return TOOL_ERR;
	if (symbolic)
		ret = daxfs_symlink(fs, argv[i + 1], argv[i + 2]);
	else
		ret = daxfs_link(fs, argv[i + 1], argv[i + 2]);
	if (ret)
		status = tool_fail("ln", argv[i + 2], ret);
	return tool_unmount("ln", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_ln = {
	.name = "ln",
	.run = ln_run,
	.synopsis = "ln [-s] REGION TARGET LINK",
	.help =
	"Make LINK another name (a hard link) of the file TARGET in the file\n"
	"system on REGION; with -s, make LINK a symbolic link whose content\n"
	"is the string TARGET (which need not exist).  LINK must not exist.\n"
	"\n"
	"Options:\n"
	"  -s          make a symbolic link\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs ln -s /dev/dax0.0 ../2026/11/current.log /data/latest\n",
};

/* ---- truncate ------------------------------------------------------- */

/* daxfs truncate REGION SIZE PATH (PATH must exist). */
static int truncate_run(int argc, char **argv)
{
	int status, i, ret;
	daxfs_file *f;
	uint64_t size;
	daxfs *fs;

	i = tool_options(argc, argv, "", NULL, 3, 3, NULL, NULL, &status);
	if (i < 0)
		return status;
	if (tool_parse_size(argv[i + 1], &size) || size > INT64_MAX) {
		tool_error("truncate", argv[i + 1], "not a size (e.g. 4096, "
			   "64M, 2G)");
		return tool_usage("truncate", false);
	}
	if (tool_mount("truncate", argv[i], 0, &fs))
		return TOOL_ERR;
	ret = daxfs_open(fs, argv[i + 2], O_WRONLY, 0, &f);
	if (!ret) {
		ret = daxfs_ftruncate(f, (off_t)size);
		daxfs_close(f);
	}
	if (ret)
		status = tool_fail("truncate", argv[i + 2], ret);
	return tool_unmount("truncate", argv[i], fs, status);
}

const struct tool_cmd tool_cmd_truncate = {
	.name = "truncate",
	.run = truncate_run,
	.synopsis = "truncate REGION SIZE PATH",
	.help =
	"Set the size of the existing regular file PATH in the file system\n"
	"on REGION to SIZE bytes: the blocks past it are freed, a file that\n"
	"grows reads zeros there (a hole, no block allocated).  SIZE takes a\n"
	"K, M, G or T suffix (powers of 1024).\n"
	"\n"
	"Options:\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs truncate /dev/dax0.0 1M /data/current.log\n",
};
