/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkfs.c -- daxfs mkfs: write a fresh ext2 file system over a region.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* What the options ask for. */
struct mkfs_args {
	struct daxfs_mkfs_opts opts;
};

/* One option of mkfs into a. */
static int mkfs_opt(void *arg, int opt, const char *val)
{
	struct mkfs_args *a = arg;
	uint64_t v = 0;
	int ret = 0;

	switch (opt) {
	case 's':
		ret = tool_parse_size(val, &a->opts.size);
		break;
	case 'b':
		ret = tool_parse_size(val, &v) ?: (v > UINT32_MAX ? -1 : 0);
		a->opts.block_size = (uint32_t)v;
		break;
	case 'N':
		ret = tool_parse_count(val, UINT32_MAX, &v);
		a->opts.inodes = (uint32_t)v;
		break;
	case 'L':
		a->opts.label = val;
		break;
	}
	if (ret)
		fprintf(stderr, "daxfs mkfs: %s: not a %s\n", val,
			opt == 'N' ? "number" : "size (e.g. 4096, 64M, 2G)");
	return ret ? TOOL_ERR : TOOL_OK;
}

/* After mkfs: one line, as mke2fs says what it made. */
static void mkfs_summary(const char *region)
{
	struct daxfs_info in = { .size = sizeof(in) };
	struct statvfs st;
	daxfs *fs;

	if (daxfs_mount(region, DAXFS_MOUNT_RDONLY, &fs))
		return;
	if (!daxfs_info(fs, &in) && !daxfs_statfs(fs, &st))
		printf("%s: ext2, %" PRIu64 " blocks of %u bytes, %" PRIu64
		       " inodes, %u group%s, label \"%.16s\"\n", region,
		       in.blocks, in.block_size, (uint64_t)st.f_files,
		       in.groups, in.groups == 1 ? "" : "s", in.label);
	daxfs_unmount(fs);
}

/* daxfs mkfs [options] REGION. */
static int mkfs_run(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "inodes", required_argument, NULL, 'N' },
		{ "label", required_argument, NULL, 'L' },
		{ 0 },
	};
	struct mkfs_args a;
	int status, i, ret;

	memset(&a, 0, sizeof(a));
	i = tool_options(argc, argv, "s:b:N:L:", lopts, 1, 1, mkfs_opt, &a,
			 &status);
	if (i < 0)
		return status;
	ret = daxfs_mkfs(argv[i], &a.opts);
	if (ret)
		return tool_fail("mkfs", argv[i], ret);
	mkfs_summary(argv[i]);
	return TOOL_OK;
}

const struct tool_cmd tool_cmd_mkfs = {
	.name = "mkfs",
	.run = mkfs_run,
	.synopsis = "mkfs [--size N] [--block-size N] [--inodes N] "
		    "[--label L] REGION",
	.help =
	"Write a fresh, empty ext2 file system (revision 1, with libdaxfs's\n"
	"undo journal in reserved inode 5) over REGION, a devdax device or a\n"
	"regular file, and say what it made.  Everything on REGION is lost.\n"
	"A regular file that is missing or smaller than --size is created or\n"
	"grown.\n"
	"\n"
	"Options:\n"
	"  -s, --size N        bytes of REGION to use (default: all of it;\n"
	"                      needed for a file that does not exist yet)\n"
	"  -b, --block-size N  1024, 2048 or 4096 (default 4096, which\n"
	"                      direct mappings need)\n"
	"  -N, --inodes N      number of inodes (default: one per 16 KiB)\n"
	"  -L, --label L       volume label, at most 16 bytes\n"
	"  -h, --help          this text\n"
	"\n"
	"N takes a K, M, G or T suffix (powers of 1024).\n"
	"\n"
	"Example:\n"
	"  daxfs mkfs --size 256M --label data /dev/shm/region.img\n"
	"  daxfs mkfs /dev/dax0.0\n",
};
