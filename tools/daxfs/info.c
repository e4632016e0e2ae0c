/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info.c -- daxfs info: the superblock, geometry, region and state of a
 * file system, in the manner of dumpe2fs -h, from a read-only mount.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* A feature bit and the name e2fsprogs gives it. */
struct feature {
	int word; /* 0 compat, 1 incompat, 2 ro_compat */
	uint32_t bit;
	const char *name;
};

static const struct feature features[] = {
	{ 0, 0x0001, "dir_prealloc" },  { 0, 0x0002, "imagic_inodes" },
	{ 0, 0x0004, "has_journal" },   { 0, 0x0008, "ext_attr" },
	{ 0, 0x0010, "resize_inode" },  { 0, 0x0020, "dir_index" },
	{ 1, 0x0001, "compression" },   { 1, 0x0002, "filetype" },
	{ 1, 0x0004, "needs_recovery" }, { 1, 0x0008, "journal_dev" },
	{ 1, 0x0010, "meta_bg" },       { 1, 0x0040, "extent" },
	{ 1, 0x0080, "64bit" },         { 1, 0x0200, "flex_bg" },
	{ 2, 0x0001, "sparse_super" },  { 2, 0x0002, "large_file" },
	{ 2, 0x0004, "btree_dir" },     { 2, 0x0008, "huge_file" },
	{ 2, 0x0010, "uninit_bg" },     { 2, 0x0020, "dir_nlink" },
	{ 2, 0x0040, "extra_isize" },   { 2, 0x0400, "metadata_csum" },
};

/* The name of feature bit b of word w ("FEATURE_C12" if unknown, as
 * e2fsprogs writes it). */
static const char *feature_name(int w, uint32_t b, char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (features[i].word == w && features[i].bit == b)
			return features[i].name;
	snprintf(buf, n, "FEATURE_%c%d", "CIR"[w], __builtin_ctz(b));
	return buf;
}

/* "Filesystem features:" line, compat then incompat then ro_compat. */
static void print_features(const struct daxfs_info *in)
{
	const uint32_t words[3] = { in->feature_compat, in->feature_incompat,
				    in->feature_ro_compat };
	char buf[32];
	int w, bit, any = 0;

	printf("%-25s", "Filesystem features:");
	for (w = 0; w < 3; w++)
		for (bit = 0; bit < 32; bit++)
			if (words[w] & (1u << bit))
				any = printf(" %s", feature_name(w, 1u << bit,
								  buf,
								  sizeof(buf)));
	printf("%s\n", any ? "" : " (none)");
}

/* The UUID as 8-4-4-4-12 hex digits. */
static void print_uuid(const uint8_t u[16])
{
	int i;

	printf("%-26s", "Filesystem UUID:");
	for (i = 0; i < 16; i++)
		printf("%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-"
								       : "",
		       u[i]);
	printf("\n");
}

/* What persisting costs on the region, in words. */
static const char *granularity_name(uint32_t g)
{
	switch (g) {
	case DAXFS_GRANULARITY_BYTE:
		return "byte (eADR: no flush needed)";
	case DAXFS_GRANULARITY_CACHE_LINE:
		return "cache line (flushes)";
	case DAXFS_GRANULARITY_PAGE:
		return "page (msync)";
	default:
		return "unknown";
	}
}

/* Superblock and geometry lines. */
static void print_super(const struct daxfs_info *in, const struct statvfs *st)
{
	printf("%-26s%.16s\n", "Filesystem volume name:",
	       in->label[0] ? in->label : "<none>");
	print_uuid(in->uuid);
	print_features(in);
	printf("%-26s%u\n", "Block size:", in->block_size);
	printf("%-26s%" PRIu64 "\n", "Block count:", in->blocks);
	printf("%-26s%" PRIu64 "\n", "Free blocks:", (uint64_t)st->f_bfree);
	printf("%-26s%" PRIu64 "\n", "Inode count:", (uint64_t)st->f_files);
	printf("%-26s%" PRIu64 "\n", "Free inodes:", (uint64_t)st->f_ffree);
	printf("%-26s%u\n", "Block groups:", in->groups);
	printf("%-26s%u\n", "Blocks per group:", in->blocks_per_group);
	printf("%-26s%u\n", "Inodes per group:", in->inodes_per_group);
}

/* Region lines: mapping, persistence, bad blocks. */
static void print_region(const char *region, const struct daxfs_info *in)
{
	printf("%-26s%s\n", "Region:", region);
	printf("%-26s%" PRIu64 "\n", "Mapping alignment:", in->align);
	printf("%-26s%s\n", "Persistence granularity:",
	       granularity_name(in->granularity));
	printf("%-26s%" PRIu64 " (%" PRIu64 " bad bytes)\n", "Bad blocks:",
	       in->bad_blocks, in->bad_bytes);
	printf("%-26s%s\n", "Journal:",
	       in->flags & DAXFS_INFO_NEEDS_RECOVERY
		       ? "libdaxfs undo journal, left in use by a crash"
	       : in->flags & DAXFS_INFO_JOURNAL
		       ? "libdaxfs undo journal (calls are atomic across a "
			 "crash)"
		       : "none (a read-write mount makes one where there is "
			 "room)");
}

/* What a read-write mount would do to the file system, in words. */
static const char *recovery_text(const struct daxfs_info *in)
{
	if (in->flags & DAXFS_INFO_NEEDS_RECOVERY)
		return "a libdaxfs mount crashed: the next read-write mount "
		       "undoes what was in flight and frees what deleted "
		       "files held, by itself; no e2fsck needed";
	if (in->flags & DAXFS_INFO_ORPHANS)
		return "files deleted or truncated at a crash still hold "
		       "blocks: the next read-write mount frees them";
	if (in->flags & DAXFS_INFO_NOT_CLEAN)
		return "libdaxfs cannot repair it: run e2fsck -p on the "
		       "region (it stays marked until then)";
	return "none needed";
}

/* State lines: clean or not, why, and what recovery would do. */
static void print_state(daxfs *fs, const struct daxfs_info *in)
{
	const char *state = "clean";

	if (in->flags & DAXFS_INFO_NEEDS_RECOVERY)
		state = "not clean (a libdaxfs mount crashed)";
	else if (in->flags & DAXFS_INFO_NOT_CLEAN)
		state = "not clean (errors, or not cleanly unmounted)";
	printf("%-26s%s\n", "Filesystem state:", state);
	if (in->flags & DAXFS_INFO_BAD_METADATA)
		printf("%-26s%s\n", "Bad metadata:",
		       "metadata lies in bad blocks: mounts are read-only");
	printf("%-26s%s\n", "Recovery:", recovery_text(in));
	/* After a crash of a libdaxfs mount, the warning's advice (e2fsck)
	 * is not what is needed: Recovery says what is. */
	if (*daxfs_mount_warning(fs) &&
	    !(in->flags & DAXFS_INFO_NEEDS_RECOVERY))
		printf("%-26s%s\n", "Mount warning:", daxfs_mount_warning(fs));
}

/* Mount read-only, print, unmount. */
static int info_run(int argc, char **argv)
{
	struct daxfs_info in = { .size = sizeof(in) };
	struct statvfs st;
	int status, i, ret;
	daxfs *fs;

	i = tool_options(argc, argv, "", NULL, 1, 1, NULL, NULL, &status);
	if (i < 0)
		return status;
	ret = daxfs_mount(argv[i], DAXFS_MOUNT_RDONLY, &fs);
	if (ret)
		return tool_fail("info", argv[i], ret);
	ret = daxfs_info(fs, &in) ?: daxfs_statfs(fs, &st);
	if (ret) {
		tool_fail("info", argv[i], ret);
		return tool_unmount("info", argv[i], fs, TOOL_ERR);
	}
	print_region(argv[i], &in);
	print_super(&in, &st);
	print_state(fs, &in);
	return tool_unmount("info", argv[i], fs, TOOL_OK);
}

const struct tool_cmd tool_cmd_info = {
	.name = "info",
	.run = info_run,
	.synopsis = "info REGION",
	.help =
	"Print what REGION holds, as dumpe2fs -h does: the region (mapping\n"
	"alignment, persistence granularity, known bad blocks), the\n"
	"superblock (volume name, UUID, features, block size, block and inode\n"
	"counts and what is free, block groups), the state (clean or not)\n"
	"and what recovery would do: a read-write mount undoes the operations\n"
	"a crash of a libdaxfs mount left in flight by itself; a file system\n"
	"left not clean by something else needs e2fsck -p.  The mount is\n"
	"read-only: info runs beside other read-only mounts of REGION.\n"
	"A region whose crash left operations in flight cannot be mounted\n"
	"read-only: info then fails and says so (mount it read-write once,\n"
	"e.g. with daxfs ls after daxfs mkdir, or any writing command).\n"
	"\n"
	"Options:\n"
	"  -h, --help   this text\n"
	"\n"
	"Example:\n"
	"  daxfs info /dev/dax0.0\n",
};
