/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_badinput.c -- damaged images and bad arguments.  Every case must end
 * in a negative error code: never a crash, a hang or a sanitizer report
 * (the suite also runs under ASan+UBSan).  A failing mount, and every
 * failing call on a read-only mount, must leave the image byte-identical.
 *
 * Images are made with daxfs_mkfs; structures are found from the ext2
 * layout (superblock at byte 1024, group descriptors in the block after
 * it) and with "debugfs -R blocks", and patched with pwrite.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"

static void bi_fini(void);
TestSuite(badinput, .fini = bi_fini, .timeout = 240);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Superblock field offsets (within the 1024-byte superblock). */
#define SB_INODES_COUNT 0
#define SB_BLOCKS_COUNT 4
#define SB_FIRST_DATA_BLOCK 20
#define SB_LOG_BLOCK_SIZE 24
#define SB_BLOCKS_PER_GROUP 32
#define SB_INODES_PER_GROUP 40
#define SB_MAGIC 56
#define SB_REV_LEVEL 76
#define SB_INODE_SIZE 88
#define SB_FEATURE_INCOMPAT 96
#define SB_FEATURE_RO_COMPAT 100

struct image {
	const char *path;
	unsigned char *data; /* pristine contents */
	size_t len;
	struct check_geom g;
};

/*
 * Image copies are tracked so that a failed assertion does not leave them
 * to LeakSanitizer: release() frees one, bi_fini() the rest.
 */
#define MAX_COPIES 16
static unsigned char *copies[MAX_COPIES];

static unsigned char *track(unsigned char *buf)
{
	for (int i = 0; i < MAX_COPIES; i++)
		if (!copies[i]) {
			copies[i] = buf;
			return buf;
		}
	cr_assert_fail("too many image copies");
	return buf;
}

static void release(unsigned char *buf)
{
	for (int i = 0; i < MAX_COPIES; i++)
		if (copies[i] == buf)
			copies[i] = NULL;
	free(buf);
}

static void bi_fini(void)
{
	for (int i = 0; i < MAX_COPIES; i++) {
		free(copies[i]);
		copies[i] = NULL;
	}
	test_cleanup();
}

static unsigned char *slurp(const char *p, size_t *len)
{
	return track(check_read_file(p, len));
}

/* Replace the whole file with len bytes of data. */
static void put_file(const char *p, const void *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "open %s: %s", p, strerror(errno));
	const unsigned char *d = data;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, d + done, len - done);
		cr_assert(n > 0, "write %s: %s", p, strerror(errno));
		done += (size_t)n;
	}
	close(fd);
}

static void restore(const struct image *im)
{
	put_file(im->path, im->data, im->len);
}

/* Is the file at p exactly data[0..len) from offset from on?  The
 * journal's slots are left out: a failed call may have logged the old
 * bytes it was about to change (and then committed nothing). */
static int same_as(const char *p, const unsigned char *data, size_t len,
		   size_t from)
{
	uint64_t lo = 0, ll = 0;
	size_t n;
	unsigned char *now = slurp(p, &n);
	int same = n == len;

	if (same && test_log_extent(p, &lo, &ll) == 0 && lo >= from &&
	    lo + ll <= len)
		same = !memcmp(now + from, data + from, lo - from) &&
		       !memcmp(now + lo + ll, data + lo + ll, len - lo - ll);
	else if (same)
		same = !memcmp(now + from, data + from, len - from);
	release(now);
	return same;
}

/*
 * A fresh image of size bytes, with /d holding file1..file5 (some data), a
 * subdirectory and a symlink, and /top with 40 KiB of data.
 */
static void make_image(struct image *im, uint64_t size, uint32_t bs)
{
	memset(im, 0, sizeof(*im));
	im->path = test_image_path("bad");
	check_mkfs(im->path, size, bs, 0);
	daxfs *fs = check_mount(im->path, 0);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	for (int i = 1; i <= 5; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/d/file%d", i);
		daxfs_file *f = NULL;
		CHECK_EQ(daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f), 0);
		check_pwrite_pattern(f, (uint64_t)i, 0, (size_t)i * 3000);
		CHECK_EQ(daxfs_close(f), 0);
	}
	CHECK_EQ(daxfs_mkdir(fs, "/d/sub", 0755), 0);
	CHECK_EQ(daxfs_symlink(fs, "file1", "/d/link"), 0);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/top", O_CREAT | O_WRONLY, 0644, &f), 0);
	check_pwrite_pattern(f, 99, 0, 40000);
	CHECK_EQ(daxfs_close(f), 0);
	check_unmount_fsck(fs, im->path);
	im->data = slurp(im->path, &im->len);
	check_geom(im->path, &im->g);
}

static void free_image(struct image *im)
{
	release(im->data);
	im->data = NULL;
}

static void patch32(const char *p, uint64_t off, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
			      (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	check_raw_write(p, off, b, 4);
}

static void patch16(const char *p, uint64_t off, uint16_t v)
{
	unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	check_raw_write(p, off, b, 2);
}

static void patch8(const char *p, uint64_t off, uint8_t v)
{
	check_raw_write(p, off, &v, 1);
}

static uint32_t read32(const char *p, uint64_t off)
{
	unsigned char b[4];
	check_raw_read(p, off, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static int in_set(int r, const int *set, int n)
{
	for (int i = 0; i < n; i++)
		if (r == -set[i])
			return 1;
	return 0;
}

static const char *set_str(const int *set, int n, char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s-%s", i ? " or " : "",
			 test_errname(-set[i]));
	}
	return buf;
}

/*
 * daxfs_mount(p, flags) must fail with one of the errnos in set (any
 * negative value if n == 0), give an error message and leave the file
 * byte-identical.
 */
static void mount_must_fail(const char *p, unsigned flags, const char *what,
			    const int *set, int n)
{
	size_t len0 = 0;
	unsigned char *before = NULL;
	struct stat hst;
	int existed = stat(p, &hst) == 0;
	if (existed && S_ISREG(hst.st_mode))
		before = slurp(p, &len0);
	daxfs *fs = NULL;
	int r = daxfs_mount(p, flags, &fs);
	if (r == 0) {
		daxfs_unmount(fs);
		cr_assert_fail("%s: daxfs_mount(flags %#x) succeeded", what,
			       flags);
	}
	char sbuf[128];
	cr_assert(r < 0, "%s: daxfs_mount returned %d", what, r);
	cr_assert(n == 0 || in_set(r, set, n),
		  "%s: daxfs_mount(flags %#x) = %d (%s), expected %s: \"%s\"",
		  what, flags, r, test_errname(r), set_str(set, n, sbuf, 128),
		  daxfs_errormsg());
	check_errormsg(what, NULL);
	if (before) {
		cr_assert(same_as(p, before, len0, 0),
			  "%s: a failed mount changed the image", what);
		release(before);
	} else if (!existed) {
		cr_assert(test_file_size(p) < 0,
			  "%s: a failed mount created %s",
			  what, p);
	}
}

#define MOUNT_FAILS(p, flags, what, ...)                                    \
	do {                                                                \
		const int set_[] = {__VA_ARGS__};                           \
		mount_must_fail(p, flags, what, set_,                       \
				(int)(sizeof(set_) / sizeof(set_[0])));     \
	} while (0)

#define MOUNT_FAILS_ANY(p, flags, what) mount_must_fail(p, flags, what, NULL, 0)

/* ------------------------------------------------------------------ */
/* Files that are not images                                           */
/* ------------------------------------------------------------------ */

Test(badinput, mount_missing_file)
{
	const char *p = test_image_path("bad");
	MOUNT_FAILS(p, 0, "missing file", ENOENT);
	MOUNT_FAILS(p, DAXFS_MOUNT_RDONLY, "missing file", ENOENT);
	MOUNT_FAILS("/dev/shm/daxfs-no-such-dir/x.img", 0, "missing dir",
		    ENOENT);
}

Test(badinput, mount_empty_file)
{
	const char *p = test_image_path("bad");
	put_file(p, "", 0);
	MOUNT_FAILS(p, 0, "empty file", EUCLEAN, EIO, EINVAL);
	MOUNT_FAILS(p, DAXFS_MOUNT_RDONLY, "empty file", EUCLEAN, EIO, EINVAL);
	cr_assert_eq(test_file_size(p), 0, "the empty file grew");
}

Test(badinput, mount_things_that_are_not_regions)
{
	MOUNT_FAILS_ANY("/dev/shm", 0, "a directory");
	MOUNT_FAILS_ANY("/dev/shm", DAXFS_MOUNT_RDONLY, "a directory");
	MOUNT_FAILS_ANY("/dev/null", DAXFS_MOUNT_RDONLY, "/dev/null");
	MOUNT_FAILS_ANY("/dev/zero", DAXFS_MOUNT_RDONLY, "/dev/zero");
	/* a file of zeros, and one of 0xff */
	const char *p = test_image_path("bad");
	size_t n = 4 * TEST_MIB;
	unsigned char *buf = calloc(1, n);
	put_file(p, buf, n);
	MOUNT_FAILS(p, 0, "zeros", EUCLEAN, EIO, EINVAL);
	memset(buf, 0xff, n);
	put_file(p, buf, n);
	MOUNT_FAILS(p, 0, "0xff bytes", EUCLEAN, EIO, EINVAL);
	free(buf);
}

Test(badinput, mount_truncated_images)
{
	struct image im;
	make_image(&im, 16 * TEST_MIB, 0);
	const size_t sizes[] = {1,    512,  1023, 1024, 1500, 2047, 2048,
				4095, 4096, 8192, 65536, im.len / 2,
				im.len - 4096};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "image truncated to %zu bytes",
			 sizes[i]);
		put_file(im.path, im.data, sizes[i]);
		MOUNT_FAILS(im.path, 0, what, EUCLEAN, EIO, EINVAL);
		MOUNT_FAILS(im.path, DAXFS_MOUNT_RDONLY, what, EUCLEAN, EIO,
			    EINVAL);
		cr_assert_eq(test_file_size(im.path), (long long)sizes[i],
			     "%s: the file grew", what);
	}
	/* the full image still mounts */
	restore(&im);
	daxfs *fs = check_mount(im.path, DAXFS_MOUNT_RDONLY);
	CHECK_EQ(daxfs_unmount(fs), 0);
	free_image(&im);
}

/* ------------------------------------------------------------------ */
/* Superblock                                                          */
/* ------------------------------------------------------------------ */

Test(badinput, superblock_zeroed_or_bad_magic)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	unsigned char zero[1024] = {0};
	check_raw_write(im.path, 1024, zero, sizeof(zero));
	MOUNT_FAILS(im.path, 0, "zeroed superblock", EUCLEAN, EIO, EINVAL);
	MOUNT_FAILS(im.path, DAXFS_MOUNT_RDONLY, "zeroed superblock", EUCLEAN,
		    EIO, EINVAL);

	restore(&im);
	patch16(im.path, 1024 + SB_MAGIC, 0xEF54);
	MOUNT_FAILS(im.path, 0, "bad magic", EUCLEAN, EIO, EINVAL);
	restore(&im);
	patch16(im.path, 1024 + SB_MAGIC, 0x53EF);
	MOUNT_FAILS(im.path, DAXFS_MOUNT_RDONLY, "byte-swapped magic", EUCLEAN,
		    EIO, EINVAL);
	free_image(&im);
}

Test(badinput, superblock_random_bytes, .timeout = 600)
{
	struct image im;
	make_image(&im, 4 * TEST_MIB, 0);
	unsigned char sb[1024];
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint64_t st = seed * 7919;
		for (size_t i = 0; i < sizeof(sb); i += 8) {
			uint64_t w = test_rand(&st);
			memcpy(sb + i, &w, 8);
		}
		char what[64];
		if (seed > 150) {
			/* keep the magic so that the fields get parsed */
			sb[SB_MAGIC] = 0x53;
			sb[SB_MAGIC + 1] = 0xEF;
			snprintf(what, sizeof(what),
				 "random superblock with magic, seed %" PRIu64,
				 seed);
		} else {
			snprintf(what, sizeof(what),
				 "random superblock, seed %" PRIu64, seed);
		}
		check_raw_write(im.path, 1024, sb, sizeof(sb));
		mount_must_fail(im.path, seed % 2 ? DAXFS_MOUNT_RDONLY : 0,
				what, NULL, 0);
	}
	/* single random fields of an otherwise valid superblock */
	for (uint64_t seed = 1; seed <= 200; seed++) {
		restore(&im);
		uint64_t st = seed * 104729;
		/* one of the geometry fields, offsets 0..44 */
		static const int fields[] = {
			SB_INODES_COUNT,     SB_BLOCKS_COUNT,
			SB_FIRST_DATA_BLOCK, SB_LOG_BLOCK_SIZE,
			SB_BLOCKS_PER_GROUP, SB_INODES_PER_GROUP};
		int field = fields[test_rand(&st) % 6];
		uint32_t v = (uint32_t)test_rand(&st);
		uint32_t old = read32(im.path, 1024 + (uint64_t)field);
		if (v == old)
			v ^= 0x80000000u;
		patch32(im.path, 1024 + (uint64_t)field, v);
		size_t blen;
		unsigned char *before = slurp(im.path, &blen);
		daxfs *fs = NULL;
		int r = daxfs_mount(im.path, DAXFS_MOUNT_RDONLY, &fs);
		cr_assert(r <= 0, "daxfs_mount returned %d", r);
		if (r == 0) {
			/* whatever it accepted must be usable without a crash */
			struct statvfs sv;
			daxfs_statfs(fs, &sv);
			struct stat s;
			daxfs_stat(fs, "/d/file3", &s);
			CHECK_EQ(daxfs_unmount(fs), 0);
			/*
			 * A random 32-bit value in any of these fields makes
			 * the geometry inconsistent.
			 */
			cr_assert_fail("superblock field at %d set to %#x "
				       "(was %#x): mount succeeded",
				       field, v, old);
		}
		char what[96];
		snprintf(what, sizeof(what), "field %d = %#x (seed %" PRIu64 ")",
			 field, v, seed);
		check_errormsg(what, NULL);
		cr_assert(same_as(im.path, before, blen, 0),
			  "%s: a failed mount changed the image", what);
		release(before);
	}
	free_image(&im);
}

struct sbcase {
	const char *what;
	int off;
	int width; /* 2 or 4 */
	uint32_t value;
};

Test(badinput, superblock_fields_out_of_range)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	uint32_t blocks = im.g.blocks_count;
	const struct sbcase cases[] = {
		{"block size 8 KiB", SB_LOG_BLOCK_SIZE, 4, 3},
		{"block size 2^17", SB_LOG_BLOCK_SIZE, 4, 7},
		{"block size shift 32", SB_LOG_BLOCK_SIZE, 4, 32},
		{"block size shift 0xffffffff", SB_LOG_BLOCK_SIZE, 4,
		 0xffffffffu},
		{"block size 1024 on a 4096 image", SB_LOG_BLOCK_SIZE, 4, 0},
		{"blocks count twice the file", SB_BLOCKS_COUNT, 4, blocks * 2},
		{"blocks count one more than the file", SB_BLOCKS_COUNT, 4,
		 blocks + 1},
		{"blocks count 0xffffffff", SB_BLOCKS_COUNT, 4, 0xffffffffu},
		{"blocks count 0", SB_BLOCKS_COUNT, 4, 0},
		{"blocks per group 0", SB_BLOCKS_PER_GROUP, 4, 0},
		{"blocks per group > 8 * block size", SB_BLOCKS_PER_GROUP, 4,
		 8 * 4096 + 8},
		{"blocks per group 0xffffffff", SB_BLOCKS_PER_GROUP, 4,
		 0xffffffffu},
		{"inodes per group 0", SB_INODES_PER_GROUP, 4, 0},
		{"inodes per group 0xffffffff", SB_INODES_PER_GROUP, 4,
		 0xffffffffu},
		{"inodes count 0", SB_INODES_COUNT, 4, 0},
		{"first data block past the end", SB_FIRST_DATA_BLOCK, 4,
		 0xfffffff0u},
		{"inode size 0", SB_INODE_SIZE, 2, 0},
		{"inode size 1", SB_INODE_SIZE, 2, 1},
		{"inode size 100", SB_INODE_SIZE, 2, 100},
		{"inode size 129", SB_INODE_SIZE, 2, 129},
		{"inode size larger than a block", SB_INODE_SIZE, 2, 8192},
		{"inode size 0xffff", SB_INODE_SIZE, 2, 0xffff},
		{"revision 7", SB_REV_LEVEL, 4, 7},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sbcase *c = &cases[i];
		for (int ro = 0; ro < 2; ro++) {
			restore(&im);
			if (c->width == 4)
				patch32(im.path, 1024 + (uint64_t)c->off,
					c->value);
			else
				patch16(im.path, 1024 + (uint64_t)c->off,
					(uint16_t)c->value);
			MOUNT_FAILS(im.path, ro ? DAXFS_MOUNT_RDONLY : 0,
				    c->what, EUCLEAN, EIO, EINVAL, EOPNOTSUPP);
		}
	}
	free_image(&im);
}

Test(badinput, unknown_incompat_feature)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	const uint32_t bits[] = {0x40000000u, 0x00000001u /* compression */,
				 0x00000040u /* extents */,
				 0x00000080u /* 64bit */,
				 0x00000004u /* needs journal recovery */};
	uint32_t incompat = read32(im.path, 1024 + SB_FEATURE_INCOMPAT);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "INCOMPAT bit %#x", bits[i]);
		restore(&im);
		patch32(im.path, 1024 + SB_FEATURE_INCOMPAT, incompat | bits[i]);
		MOUNT_FAILS(im.path, 0, what, EOPNOTSUPP);
		MOUNT_FAILS(im.path, DAXFS_MOUNT_RDONLY, what, EOPNOTSUPP);
	}
	free_image(&im);
}

Test(badinput, unknown_ro_compat_feature)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	uint32_t ro = read32(im.path, 1024 + SB_FEATURE_RO_COMPAT);
	patch32(im.path, 1024 + SB_FEATURE_RO_COMPAT, ro | 0x40000000u);
	MOUNT_FAILS(im.path, 0, "unknown RO_COMPAT bit", EROFS);

	/* read-only it mounts, reads, and changes nothing */
	size_t len;
	unsigned char *before = slurp(im.path, &len);
	daxfs *fs = check_mount(im.path, DAXFS_MOUNT_RDONLY);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/d/file3", O_RDONLY, 0, &f), 0);
	check_pread_pattern(f, 3, 0, 9000);
	CHECK_EQ(daxfs_close(f), 0);
	CHECK_ERR(daxfs_mkdir(fs, "/x", 0755), EROFS);
	CHECK_EQ(daxfs_unmount(fs), 0);
	cr_assert(same_as(im.path, before, len, 0),
		  "a read-only mount changed the image");
	release(before);
	free_image(&im);
}

/* ------------------------------------------------------------------ */
/* Group descriptors                                                   */
/* ------------------------------------------------------------------ */

struct gdcase {
	const char *what;
	int off;      /* 0 block bitmap, 4 inode bitmap, 8 inode table */
	uint32_t v;
};

static void gdt_cases(uint32_t bs, uint32_t group, const struct gdcase *cases,
		      size_t n)
{
	struct image im;
	make_image(&im, 16 * TEST_MIB, bs);
	cr_assert(group < im.g.groups, "image has %u groups", im.g.groups);
	uint64_t gd = im.g.gdt_off + 32ULL * group;
	for (size_t i = 0; i < n; i++) {
		char what[128];
		snprintf(what, sizeof(what), "bs %u group %u: %s = %u", bs,
			 group, cases[i].what, cases[i].v);
		for (int ro = 0; ro < 2; ro++) {
			restore(&im);
			patch32(im.path, gd + (uint64_t)cases[i].off,
				cases[i].v);
			MOUNT_FAILS(im.path, ro ? DAXFS_MOUNT_RDONLY : 0, what,
				    EUCLEAN, EIO);
		}
	}
	free_image(&im);
}

/* Block numbers at or past the end of the file system. */
static void gdt_past_end(uint32_t bs, uint32_t group)
{
	uint32_t blocks = (uint32_t)(16 * TEST_MIB / bs);
	const struct gdcase cases[] = {
		{"block bitmap past the end", 0, blocks + 10},
		{"block bitmap at the block count", 0, blocks},
		{"block bitmap 0xffffffff", 0, 0xffffffffu},
		{"inode bitmap at the block count", 4, blocks},
		{"inode bitmap 0xffffffff", 4, 0xffffffffu},
		{"inode table running past the end", 8, blocks - 1},
		{"inode table past the end", 8, blocks + 1000},
		{"inode table 0xfffffff0", 8, 0xfffffff0u},
	};
	gdt_cases(bs, group, cases, sizeof(cases) / sizeof(cases[0]));
}

Test(badinput, group_descriptors_out_of_range)
{
	gdt_past_end(4096, 0);
}

Test(badinput, group_descriptors_out_of_range_second_group)
{
	gdt_past_end(1024, 1);
	/* block 0 and 1 are outside group 1 */
	const struct gdcase cases[] = {
		{"block bitmap", 0, 0}, {"inode bitmap", 4, 1},
		{"inode table", 8, 0},
	};
	gdt_cases(1024, 1, cases, 3);
}

/*
 * Group 0 of a 4 KiB-block fs: block 0 holds the superblock and block 1 the
 * group descriptors.  A bitmap or inode table there is as invalid as one
 * past the end (e2fsck rejects it; the first allocation would overwrite the
 * superblock).
 */
Test(badinput, group_descriptors_pointing_at_superblock_or_gdt)
{
	const struct gdcase cases[] = {
		{"block bitmap", 0, 0}, {"block bitmap", 0, 1},
		{"inode bitmap", 4, 0}, {"inode bitmap", 4, 1},
		{"inode table", 8, 0},  {"inode table", 8, 1},
	};
	gdt_cases(4096, 0, cases, sizeof(cases) / sizeof(cases[0]));
}

/* ------------------------------------------------------------------ */
/* Inodes                                                              */
/* ------------------------------------------------------------------ */

/*
 * Use a possibly damaged mount as a user would: list, stat, read every
 * entry of / and /d.  Results are not checked, only that every call returns
 * 0 or a negative errno (and that nothing crashes).
 */
struct walk {
	daxfs *fs;
	char names[64][300];
	int n;
};

static int walk_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	(void)ino;
	(void)type;
	struct walk *w = arg;
	if (w->n < 64)
		snprintf(w->names[w->n++], 300, "%s", name);
	return 0;
}

static void use_fs(daxfs *fs, int write)
{
	static const char *dirs[] = {"/", "/d", "/d/sub"};
	char *buf = malloc(TEST_MIB);
	for (int d = 0; d < 3; d++) {
		struct walk w;
		memset(&w, 0, sizeof(w));
		w.fs = fs;
		int r = daxfs_readdir(fs, dirs[d], walk_cb, &w);
		cr_assert(r <= 0, "readdir returned %d", r);
		for (int i = 0; i < w.n; i++) {
			char p[700];
			snprintf(p, sizeof(p), "%s/%s", dirs[d], w.names[i]);
			struct stat st;
			r = daxfs_stat(fs, p, &st);
			cr_assert(r <= 0);
			char lb[256];
			ssize_t lr = daxfs_readlink(fs, p, lb, sizeof(lb));
			cr_assert(lr <= (ssize_t)sizeof(lb));
			daxfs_file *f = NULL;
			r = daxfs_open(fs, p, write ? O_RDWR : O_RDONLY, 0, &f);
			cr_assert(r <= 0);
			if (r == 0) {
				ssize_t n = daxfs_pread(f, buf, TEST_MIB, 0);
				cr_assert(n <= (ssize_t)TEST_MIB);
				n = daxfs_pread(f, buf, 4096,
						(off_t)100 * (off_t)TEST_MIB);
				cr_assert(n <= 4096);
				if (write) {
					daxfs_pwrite(f, "x", 1, 5000);
					daxfs_ftruncate(f, 100);
				}
				struct stat st2;
				daxfs_fstat(f, &st2);
				cr_assert_eq(daxfs_close(f), 0);
			}
		}
	}
	if (write) {
		daxfs_file *f = NULL;
		if (daxfs_open(fs, "/newfile", O_CREAT | O_RDWR, 0644, &f) == 0) {
			daxfs_pwrite(f, buf, 100000, 0);
			daxfs_close(f);
		}
		daxfs_mkdir(fs, "/d/newdir", 0755);
		daxfs_unlink(fs, "/d/file2");
		daxfs_rename(fs, "/d/file4", "/d/sub/moved");
		daxfs_rmdir(fs, "/d/sub");
		daxfs_unlink(fs, "/top");
	}
	struct statvfs sv;
	daxfs_statfs(fs, &sv);
	free(buf);
}

static int noop_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	(void)arg;
	(void)name;
	(void)ino;
	(void)type;
	return 0;
}

/* Mount read-only, use, unmount, image unchanged; then read-write. */
static void try_damaged(const struct image *im, const char *what)
{
	size_t len;
	unsigned char *before = slurp(im->path, &len);
	daxfs *fs = NULL;
	int r = daxfs_mount(im->path, DAXFS_MOUNT_RDONLY, &fs);
	cr_assert(r <= 0, "%s: mount returned %d", what, r);
	if (r == 0) {
		use_fs(fs, 0);
		CHECK_EQ(daxfs_unmount(fs), 0);
	} else {
		cr_assert(r == -EUCLEAN || r == -EIO,
			  "%s: mount = %d (%s): \"%s\"", what, r, test_errname(r),
			  daxfs_errormsg());
		check_errormsg(what, NULL);
	}
	cr_assert(same_as(im->path, before, len, 0),
		  "%s: a read-only mount changed the image", what);
	release(before);

	fs = NULL;
	r = daxfs_mount(im->path, 0, &fs);
	cr_assert(r <= 0, "%s: mount returned %d", what, r);
	if (r == 0) {
		use_fs(fs, 1);
		r = daxfs_unmount(fs);
		cr_assert_eq(r, 0, "%s: unmount = %d (%s)", what, r,
			     test_errname(r));
	} else {
		cr_assert(r == -EUCLEAN || r == -EIO,
			  "%s: mount = %d (%s): \"%s\"", what, r, test_errname(r),
			  daxfs_errormsg());
	}
}

Test(badinput, root_inode_damaged)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	uint64_t root = check_inode_off(im.path, &im.g, 2);

	/* root is not a directory */
	const uint16_t modes[] = {0x81a4 /* regular */, 0,
				  0xa1ff /* symlink */, 0xf000};
	for (int i = 0; i < 4; i++) {
		restore(&im);
		patch16(im.path, root, modes[i]);
		char what[64];
		snprintf(what, sizeof(what), "root mode %#x", modes[i]);
		size_t len;
		unsigned char *before = slurp(im.path, &len);
		daxfs *fs = NULL;
		int r = daxfs_mount(im.path, DAXFS_MOUNT_RDONLY, &fs);
		if (r == 0) {
			struct stat st;
			CHECK_ERR3(daxfs_readdir(fs, "/", noop_cb, NULL),
				   EUCLEAN, EIO, ENOTDIR);
			CHECK_ERR3(daxfs_stat(fs, "/d", &st), EUCLEAN, EIO,
				   ENOTDIR);
			CHECK_EQ(daxfs_unmount(fs), 0);
		} else {
			cr_assert(r == -EUCLEAN || r == -EIO,
				  "%s: mount = %d (%s): \"%s\"", what, r,
				  test_errname(r), daxfs_errormsg());
			check_errormsg(what, NULL);
		}
		cr_assert(same_as(im.path, before, len, 0),
			  "%s: the image changed", what);
		release(before);
		try_damaged(&im, what);
	}

	/* root's first block pointer out of range */
	restore(&im);
	patch32(im.path, root + 40, im.g.blocks_count + 5);
	{
		daxfs *fs = NULL;
		int r = daxfs_mount(im.path, DAXFS_MOUNT_RDONLY, &fs);
		if (r == 0) {
			struct stat st;
			CHECK_ERR2(daxfs_readdir(fs, "/", noop_cb, NULL),
				   EUCLEAN, EIO);
			CHECK_ERR2(daxfs_stat(fs, "/d", &st), EUCLEAN, EIO);
			CHECK_EQ(daxfs_unmount(fs), 0);
		} else {
			cr_assert(r == -EUCLEAN || r == -EIO,
				  "root block out of range: mount = %d (%s)", r,
				  test_errname(r));
		}
		try_damaged(&im, "root block out of range");
	}

	/* random bytes over the root inode */
	for (uint64_t seed = 1; seed <= 40; seed++) {
		restore(&im);
		unsigned char ino[128];
		uint64_t st = seed * 31337;
		for (size_t i = 0; i < sizeof(ino); i += 8) {
			uint64_t w = test_rand(&st);
			memcpy(ino + i, &w, 8);
		}
		check_raw_write(im.path, root, ino, sizeof(ino));
		char what[64];
		snprintf(what, sizeof(what), "random root inode, seed %" PRIu64,
			 seed);
		try_damaged(&im, what);
	}
	free_image(&im);
}

Test(badinput, inode_table_random_bytes, .timeout = 600)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	uint64_t table = (uint64_t)im.g.inode_table0 * im.g.block_size;
	size_t span = 2 * im.g.block_size; /* the first 32 inodes */
	unsigned char *junk = malloc(span);
	for (uint64_t seed = 1; seed <= 40; seed++) {
		restore(&im);
		uint64_t st = seed * 65537;
		for (size_t i = 0; i < span; i += 8) {
			uint64_t w = test_rand(&st);
			memcpy(junk + i, &w, 8);
		}
		if (seed % 2) {
			/* keep plausible modes so that more code runs */
			for (size_t i = 0; i < span; i += im.g.inode_size) {
				junk[i + 1] = (unsigned char)((junk[i + 1] & 0x0f) |
							      (seed % 4 ? 0x40 : 0x80));
			}
		}
		check_raw_write(im.path, table, junk, span);
		char what[64];
		snprintf(what, sizeof(what), "random inode table, seed %" PRIu64,
			 seed);
		try_damaged(&im, what);
	}
	free(junk);
	free_image(&im);
}

Test(badinput, file_inode_block_pointers_out_of_range)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	struct stat st;
	daxfs *fs = check_mount(im.path, DAXFS_MOUNT_RDONLY);
	CHECK_EQ(daxfs_stat(fs, "/d/file5", &st), 0);
	CHECK_EQ(daxfs_unmount(fs), 0);
	uint64_t ino = check_inode_off(im.path, &im.g, (uint32_t)st.st_ino);
	const struct {
		int slot;
		uint32_t v;
	} cases[] = {{0, 0xffffffffu}, {1, im.g.blocks_count},
		     {3, im.g.blocks_count + 77}, {12, 0xfffffff0u},
		     {13, im.g.blocks_count + 1}};
	char buf[16000];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		restore(&im);
		patch32(im.path, ino + 40 + 4ULL * (uint64_t)cases[i].slot,
			cases[i].v);
		if (cases[i].slot >= 12) /* make the size reach that slot */
			patch32(im.path, ino + 4, 5 * TEST_MIB);
		char what[64];
		snprintf(what, sizeof(what), "file block slot %d = %#x",
			 cases[i].slot, cases[i].v);
		size_t len;
		unsigned char *before = slurp(im.path, &len);
		fs = NULL;
		int r = daxfs_mount(im.path, DAXFS_MOUNT_RDONLY, &fs);
		cr_assert_eq(r, 0,
			     "%s: mount failed (%s) although only a file "
			     "is damaged",
			     what, test_errname(r));
		daxfs_file *f = NULL;
		r = daxfs_open(fs, "/d/file5", O_RDONLY, 0, &f);
		cr_assert(r == 0 || r == -EUCLEAN || r == -EIO,
			  "%s: open = %d (%s)", what, r, test_errname(r));
		if (r == 0) {
			/* slot 12: indirect (block 12), 13: double
			 * indirect (block 12 + 1024) */
			off_t at = cases[i].slot == 13
					   ? (off_t)(12 + 1024) * 4096
					   : (off_t)cases[i].slot * 4096;
			ssize_t n = daxfs_pread(f, buf, 4096, at);
			cr_assert(n == -EUCLEAN || n == -EIO,
				  "%s: pread of the bad block = %zd (%s)", what,
				  n, test_errname(n));
			check_errormsg(what, NULL);
			CHECK_EQ(daxfs_close(f), 0);
		}
		/* the rest of the fs is fine */
		CHECK_EQ(daxfs_stat(fs, "/d/file1", &st), 0);
		CHECK_EQ(daxfs_unmount(fs), 0);
		cr_assert(same_as(im.path, before, len, 0),
			  "%s: the image changed", what);
		release(before);
		try_damaged(&im, what);
	}
	free_image(&im);
}

/* ------------------------------------------------------------------ */
/* Directory blocks                                                    */
/* ------------------------------------------------------------------ */

static uint32_t dirent_off(const unsigned char *blk, uint32_t bs,
			   const char *name)
{
	size_t nl = strlen(name);
	for (uint32_t off = 0; off + 8 <= bs;) {
		uint16_t rec = (uint16_t)(blk[off + 4] | blk[off + 5] << 8);
		if (blk[off + 6] == nl && memcmp(blk + off + 8, name, nl) == 0 &&
		    (blk[off] | blk[off + 1] | blk[off + 2] | blk[off + 3]))
			return off;
		if (rec < 8)
			break;
		off += rec;
	}
	cr_assert_fail("entry %s not in the directory block", name);
	return 0;
}

#define DAMAGED EUCLEAN, EIO

Test(badinput, directory_blocks_damaged)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	uint32_t bs = im.g.block_size;
	uint32_t blk = check_first_block(im.path, "/d");
	uint64_t boff = (uint64_t)blk * bs;
	unsigned char *dir = malloc(bs);
	memcpy(dir, im.data + boff, bs);
	uint32_t dot = dirent_off(dir, bs, ".");
	uint32_t dotdot = dirent_off(dir, bs, "..");
	uint32_t f2 = dirent_off(dir, bs, "file2");
	uint32_t f3 = dirent_off(dir, bs, "file3");
	uint16_t f2rec = (uint16_t)(dir[f2 + 4] | dir[f2 + 5] << 8);

	enum { REC16, NAMELEN8, INO32 };
	const struct {
		const char *what;
		uint64_t off;
		int kind;
		uint32_t v;
	} cases[] = {
		{"'.' rec_len 0", dot + 4, REC16, 0},
		{"'.' rec_len 5", dot + 4, REC16, 5},
		{"'.' rec_len 13 (misaligned)", dot + 4, REC16, 13},
		{"'..' rec_len past the block end", dotdot + 4, REC16, 2 * bs},
		{"'..' rec_len 0xfffc", dotdot + 4, REC16, 0xfffc},
		{"file2 rec_len past the block end", f2 + 4, REC16,
		 bs - f2 + 4},
		{"file2 name_len > rec_len", f2 + 6, NAMELEN8,
		 f2rec > 255 ? 255 : f2rec},
		{"file2 name_len 255", f2 + 6, NAMELEN8, 255},
		{"file3 inode past the inode count", f3, INO32,
		 im.g.inodes_count + 5},
		{"file3 inode 0xffffffff", f3, INO32, 0xffffffffu},
	};
	struct stat st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *what = cases[i].what;
		restore(&im);
		uint64_t at = boff + cases[i].off;
		if (cases[i].kind == REC16)
			patch16(im.path, at, (uint16_t)cases[i].v);
		else if (cases[i].kind == NAMELEN8)
			patch8(im.path, at, (uint8_t)cases[i].v);
		else
			patch32(im.path, at, cases[i].v);
		size_t len;
		unsigned char *before = slurp(im.path, &len);

		/* read-only: lookups and listings fail, nothing changes */
		daxfs *fs = NULL;
		int r = daxfs_mount(im.path, DAXFS_MOUNT_RDONLY, &fs);
		cr_assert_eq(r, 0, "%s: mount = %d (%s): \"%s\"", what, r,
			     test_errname(r), daxfs_errormsg());
		cr_log_info("case: %s", what);
		CHECK_ERR2(daxfs_readdir(fs, "/d", noop_cb, NULL), DAMAGED);
		CHECK_ERR2(daxfs_stat(fs, "/d/file3", &st), DAMAGED);
		daxfs_file *f = NULL;
		CHECK_ERR2(daxfs_open(fs, "/d/file3", O_RDONLY, 0, &f),
			   DAMAGED);
		if (cases[i].kind != INO32) {
			/* a full scan of the block meets the damage */
			CHECK_ERR2(daxfs_stat(fs, "/d/no-such-name", &st),
				   DAMAGED);
		}
		/* other directories are fine */
		CHECK_EQ(daxfs_stat(fs, "/top", &st), 0);
		CHECK_EQ(daxfs_unmount(fs), 0);
		cr_assert(same_as(im.path, before, len, 0),
			  "%s: a read-only mount changed the image", what);

		/* read-write: changes in the damaged directory fail */
		fs = check_mount(im.path, 0);
		CHECK_ERR2(daxfs_readdir(fs, "/d", noop_cb, NULL), DAMAGED);
		if (cases[i].kind == INO32) {
			/* only the entry with the bad inode is unusable */
			CHECK_ERR2(daxfs_unlink(fs, "/d/file3"), DAMAGED);
			CHECK_ERR2(daxfs_open(fs, "/d/file3", O_RDWR, 0, &f),
				   DAMAGED);
			CHECK_ERR2(daxfs_rename(fs, "/d/file3", "/x"), DAMAGED);
			CHECK_EQ(daxfs_stat(fs, "/top", &st), 0);
			CHECK_EQ(daxfs_unmount(fs), 0);
			release(before);
			continue;
		}
		CHECK_ERR2(daxfs_open(fs, "/d/new", O_CREAT | O_WRONLY, 0644,
				      &f),
			   DAMAGED);
		CHECK_ERR2(daxfs_mkdir(fs, "/d/newdir", 0755), DAMAGED);
		CHECK_ERR2(daxfs_symlink(fs, "x", "/d/newlink"), DAMAGED);
		CHECK_ERR2(daxfs_link(fs, "/top", "/d/newlink"), DAMAGED);
		CHECK_ERR2(daxfs_rename(fs, "/top", "/d/newname"), DAMAGED);
		CHECK_ERR2(daxfs_unlink(fs, "/d/file3"), DAMAGED);
		r = daxfs_rmdir(fs, "/d");
		cr_assert(r == -EUCLEAN || r == -EIO || r == -ENOTEMPTY,
			  "%s: rmdir of the damaged dir = %d (%s)", what, r,
			  test_errname(r));
		CHECK_EQ(daxfs_stat(fs, "/top", &st), 0);
		CHECK_EQ(daxfs_unmount(fs), 0);
		/*
		 * Failed calls change nothing: only the superblock (mount
		 * state, times, maybe an error flag) may differ.
		 */
		cr_assert(same_as(im.path, before, len, 2 * bs),
			  "%s: failed calls changed the image beyond the "
			  "superblock",
			  what);
		release(before);
	}
	free(dir);
	free_image(&im);
}

/* ------------------------------------------------------------------ */
/* Bad arguments                                                       */
/* ------------------------------------------------------------------ */

#define BADARG EINVAL, EFAULT

Test(badinput, mount_bad_arguments)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	daxfs *fs = NULL;
	CHECK_ERR2(daxfs_mount(NULL, 0, &fs), BADARG);
	CHECK_ERR2(daxfs_mount(im.path, 0, NULL), BADARG);
	CHECK_ERR2(daxfs_mount("", 0, &fs), ENOENT, EINVAL);
	MOUNT_FAILS(im.path, 0x80, "unknown mount flag 0x80", EINVAL);
	MOUNT_FAILS(im.path, 0xffffffffu, "mount flags 0xffffffff", EINVAL);
	CHECK_ERR2(daxfs_unmount(NULL), BADARG);
	struct statvfs sv;
	CHECK_ERR2(daxfs_statfs(NULL, &sv), BADARG);
	fs = check_mount(im.path, 0);
	CHECK_ERR2(daxfs_statfs(fs, NULL), BADARG);
	check_unmount_fsck(fs, im.path);
	free_image(&im);
}

Test(badinput, namespace_bad_arguments)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	daxfs *fs = check_mount(im.path, 0);
	struct stat st;
	char buf[64];
	daxfs_file *f = NULL;

	CHECK_ERR2(daxfs_mkdir(NULL, "/x", 0755), BADARG);
	CHECK_ERR2(daxfs_mkdir(fs, NULL, 0755), BADARG);
	CHECK_ERR2(daxfs_rmdir(NULL, "/d/sub"), BADARG);
	CHECK_ERR2(daxfs_rmdir(fs, NULL), BADARG);
	CHECK_ERR2(daxfs_unlink(NULL, "/top"), BADARG);
	CHECK_ERR2(daxfs_unlink(fs, NULL), BADARG);
	CHECK_ERR2(daxfs_rename(NULL, "/top", "/x"), BADARG);
	CHECK_ERR2(daxfs_rename(fs, NULL, "/x"), BADARG);
	CHECK_ERR2(daxfs_rename(fs, "/top", NULL), BADARG);
	CHECK_ERR2(daxfs_link(NULL, "/top", "/x"), BADARG);
	CHECK_ERR2(daxfs_link(fs, NULL, "/x"), BADARG);
	CHECK_ERR2(daxfs_link(fs, "/top", NULL), BADARG);
	CHECK_ERR2(daxfs_symlink(NULL, "t", "/x"), BADARG);
	CHECK_ERR2(daxfs_symlink(fs, NULL, "/x"), BADARG);
	CHECK_ERR2(daxfs_symlink(fs, "t", NULL), BADARG);
	CHECK_ERR2(daxfs_symlink(fs, "", "/x"), ENOENT, EINVAL);
	CHECK_ERR2(daxfs_readlink(NULL, "/d/link", buf, sizeof(buf)), BADARG);
	CHECK_ERR2(daxfs_readlink(fs, NULL, buf, sizeof(buf)), BADARG);
	CHECK_ERR2(daxfs_readlink(fs, "/d/link", NULL, sizeof(buf)), BADARG);
	ssize_t rl = daxfs_readlink(fs, "/d/link", buf, 0);
	cr_assert(rl == 0 || rl == -EINVAL, "readlink len 0 = %zd", rl);
	CHECK_ERR2(daxfs_stat(NULL, "/top", &st), BADARG);
	CHECK_ERR2(daxfs_stat(fs, NULL, &st), BADARG);
	CHECK_ERR2(daxfs_stat(fs, "/top", NULL), BADARG);
	CHECK_ERR2(daxfs_readdir(NULL, "/", noop_cb, NULL), BADARG);
	CHECK_ERR2(daxfs_readdir(fs, NULL, noop_cb, NULL), BADARG);
	CHECK_ERR2(daxfs_readdir(fs, "/", NULL, NULL), BADARG);
	CHECK_ERR2(daxfs_open(NULL, "/top", O_RDONLY, 0, &f), BADARG);
	CHECK_ERR2(daxfs_open(fs, NULL, O_RDONLY, 0, &f), BADARG);
	CHECK_ERR2(daxfs_open(fs, "/top", O_RDONLY, 0, NULL), BADARG);
	CHECK_ERR(daxfs_open(fs, "/top", O_ACCMODE, 0, &f), EINVAL);
	CHECK_ERR(daxfs_open(fs, "/top", O_RDONLY | 0x10000000, 0, &f), EINVAL);
	CHECK_ERR(daxfs_open(fs, "/new", O_CREAT | O_RDWR | 0x10000000, 0644,
			     &f),
		  EINVAL);
	CHECK_ERR(daxfs_stat(fs, "/new", &st), ENOENT);

	/* paths that stress the parser */
	size_t big = 100000;
	char *path = malloc(big + 1);
	memset(path, 'a', big);
	path[0] = '/';
	path[big] = 0;
	CHECK_ERR(daxfs_stat(fs, path, &st), ENAMETOOLONG);
	CHECK_ERR(daxfs_mkdir(fs, path, 0755), ENAMETOOLONG);
	for (size_t i = 0; i < big; i += 2) {
		path[i] = '/';
		path[i + 1] = 'a';
	}
	path[big] = 0;
	long long r = daxfs_stat(fs, path, &st);
	cr_assert(r == -ENOENT || r == -ENAMETOOLONG,
		  "stat of 50000 components = %lld (%s)", r, test_errname(r));
	r = daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &f);
	cr_assert(r == -ENOENT || r == -ENAMETOOLONG,
		  "create with 50000 components = %lld (%s)", r, test_errname(r));
	memset(path, '/', big);
	r = daxfs_stat(fs, path, &st);
	cr_assert(r == 0 || r == -ENAMETOOLONG, "stat of 100000 slashes = %lld",
		  r);
	for (size_t i = 0; i + 3 <= big; i += 3)
		memcpy(path + i, "/..", 3);
	path[big - big % 3] = 0;
	r = daxfs_stat(fs, path, &st);
	cr_assert(r == 0 || r == -ENAMETOOLONG, "stat of /../../.. = %lld", r);
	free(path);
	CHECK_EQ(daxfs_stat(fs, "/d/file1", &st), 0);
	check_unmount_fsck(fs, im.path);
	free_image(&im);
}

Test(badinput, file_bad_arguments)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	daxfs *fs = check_mount(im.path, 0);
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/top", O_RDWR, 0, &f), 0);
	char buf[256];
	struct stat st;

	CHECK_ERR3(daxfs_pread(NULL, buf, 10, 0), EINVAL, EBADF, EFAULT);
	CHECK_ERR2(daxfs_pread(f, NULL, 10, 0), BADARG);
	CHECK_ERR(daxfs_pread(f, buf, 10, -1), EINVAL);
	CHECK_ERR(daxfs_pread(f, buf, 10, INT64_MIN), EINVAL);
	CHECK_ERR3(daxfs_pwrite(NULL, buf, 10, 0), EINVAL, EBADF, EFAULT);
	CHECK_ERR2(daxfs_pwrite(f, NULL, 10, 0), BADARG);
	CHECK_ERR(daxfs_pwrite(f, buf, 10, -1), EINVAL);
	CHECK_ERR(daxfs_pwrite(f, buf, 10, INT64_MIN), EINVAL);
	CHECK_ERR2(daxfs_pwrite(f, buf, 100, INT64_MAX - 10), EFBIG, EINVAL);
	CHECK_ERR2(daxfs_pwrite(f, buf, 1, INT64_MAX), EFBIG, EINVAL);
	CHECK_ERR2(daxfs_pwrite(f, buf, 1, (off_t)1 << 50), EFBIG, EINVAL);
	ssize_t n = daxfs_pread(f, buf, 100, INT64_MAX - 10);
	cr_assert(n == 0 || n == -EINVAL || n == -EFBIG,
		  "pread near INT64_MAX = %zd", n);
	CHECK_ERR2(daxfs_ftruncate(f, (off_t)1 << 50), EFBIG, EINVAL);
	CHECK_ERR2(daxfs_ftruncate(f, INT64_MAX), EFBIG, EINVAL);
	CHECK_ERR(daxfs_ftruncate(f, INT64_MIN), EINVAL);
	CHECK_ERR3(daxfs_ftruncate(NULL, 0), EINVAL, EBADF, EFAULT);
	CHECK_ERR3(daxfs_fsync(NULL), EINVAL, EBADF, EFAULT);
	CHECK_ERR3(daxfs_fstat(NULL, &st), EINVAL, EBADF, EFAULT);
	CHECK_ERR2(daxfs_fstat(f, NULL), BADARG);
	CHECK_ERR3(daxfs_close(NULL), EINVAL, EBADF, EFAULT);

	/* the file is untouched by all that */
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 40000);
	check_pread_pattern(f, 99, 0, 40000);
	CHECK_EQ(daxfs_close(f), 0);
	check_unmount_fsck(fs, im.path);
	free_image(&im);
}

Test(badinput, mkfs_bad_arguments)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	struct daxfs_mkfs_opts o;
	const uint32_t bad_bs[] = {3000, 512, 1023, 8192, 65536, 1u << 31};
	for (size_t i = 0; i < sizeof(bad_bs) / sizeof(bad_bs[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.size = 8 * TEST_MIB;
		o.block_size = bad_bs[i];
		CHECK_ERR(daxfs_mkfs(im.path, &o), EINVAL);
		cr_assert(same_as(im.path, im.data, im.len, 0),
			  "failed mkfs (block size %u) changed the image",
			  bad_bs[i]);
	}
	const uint64_t bad_size[] = {1, 4096, 8192, 16384};
	for (size_t i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.size = bad_size[i];
		CHECK_ERR(daxfs_mkfs(im.path, &o), EINVAL);
		cr_assert(same_as(im.path, im.data, im.len, 0),
			  "failed mkfs (size %" PRIu64 ") changed the image",
			  bad_size[i]);
	}
	memset(&o, 0, sizeof(o));
	o.size = 8 * TEST_MIB;
	o.inodes = 0xffffffffu;
	CHECK_ERR(daxfs_mkfs(im.path, &o), EINVAL);
	o.inodes = 0;
	o.label = "seventeen-bytes!!";
	CHECK_ERR(daxfs_mkfs(im.path, &o), EINVAL);
	cr_assert(same_as(im.path, im.data, im.len, 0),
		  "failed mkfs changed the image");
	o.label = NULL;
	CHECK_ERR2(daxfs_mkfs(NULL, &o), BADARG);
	CHECK_ERR(daxfs_mkfs("/dev/shm/daxfs-no-such-dir/x.img", &o), ENOENT);
	CHECK_ERR2(daxfs_mkfs("", &o), ENOENT, EINVAL);

	/* a too small new file is not left behind */
	const char *p = test_image_path("bad");
	o.size = 4096;
	CHECK_ERR(daxfs_mkfs(p, &o), EINVAL);
	cr_assert(test_file_size(p) < 0,
		  "a failed mkfs left %s behind (%lld bytes)",
		  p, test_file_size(p));

	free_image(&im);
}

Test(badinput, mkfs_over_a_mounted_image_is_refused)
{
	struct image im;
	make_image(&im, 8 * TEST_MIB, 0);
	struct daxfs_mkfs_opts o;
	daxfs *fs = check_mount(im.path, DAXFS_MOUNT_RDONLY);
	memset(&o, 0, sizeof(o));
	o.size = 8 * TEST_MIB;
	CHECK_ERR(daxfs_mkfs(im.path, &o), EBUSY);
	CHECK_EQ(daxfs_unmount(fs), 0);
	cr_assert(same_as(im.path, im.data, im.len, 0),
		  "mkfs over a mounted image changed it");
	free_image(&im);
}

/* ------------------------------------------------------------------ */
/* Buffers that cannot be accessed, impossible lengths                 */
/* ------------------------------------------------------------------ */

/* Size of the area guarded_page() reserves: larger than any copy the
 * tests below can make from it before they fault. */
#define GUARD_AREA (16 * TEST_MIB)

/*
 * One readable and writable page followed by inaccessible (PROT_NONE)
 * pages up to GUARD_AREA: reserved by the test, so that no allocator
 * puts its memory right after the page (AddressSanitizer checks a
 * memcpy's whole range against its heap before the copy faults).
 */
static unsigned char *guarded_page(void)
{
	unsigned char *p = mmap(NULL, GUARD_AREA, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);

	cr_assert(p != MAP_FAILED);
	cr_assert_eq(mprotect(p, TEST_PAGE, PROT_READ | PROT_WRITE), 0);
	test_pattern(p, TEST_PAGE, 61, 0);
	return p;
}

static unsigned long long bfree_of(daxfs *fs)
{
	struct statvfs sv;

	CHECK_OK(daxfs_statfs(fs, &sv));
	return sv.f_bfree;
}

/*
 * pwrite of len bytes at off from buf, whose first page only is mapped:
 * -EFAULT with a message naming pwrite, or at most that page written;
 * either way no block is left taken for the part not written.
 */
static void pwrite_overrun(daxfs *fs, daxfs_file *f, const void *buf,
			   size_t len, off_t off)
{
	unsigned long long before = bfree_of(fs);
	struct stat st0, st;
	ssize_t n;

	CHECK_OK(daxfs_fstat(f, &st0));
	n = daxfs_pwrite(f, buf, len, off);
	cr_assert(n == -EFAULT || (n >= 0 && n <= (ssize_t)TEST_PAGE),
		  "pwrite of %zu bytes from a one-page buffer at %lld = %zd: "
		  "\"%s\"", len, (long long)off, n, daxfs_errormsg());
	if (n == -EFAULT)
		check_errormsg("pwrite", "pwrite");
	CHECK_OK(daxfs_fstat(f, &st));
	if (n <= 0) {
		cr_assert_eq(st.st_size, st0.st_size);
		cr_assert_eq(st.st_blocks, st0.st_blocks, "a failed pwrite "
			     "left %lld sectors taken",
			     (long long)(st.st_blocks - st0.st_blocks));
		cr_assert_eq(bfree_of(fs), before, "a failed pwrite left "
			     "%lld blocks taken", (long long)(before -
			     bfree_of(fs)));
	}
}

Test(badinput, pread_pwrite_bad_buffers_and_lengths)
{
	const char *p;
	daxfs *fs = check_new_fs("badbuf", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	unsigned char *g = guarded_page(), *v;
	char *state;
	ssize_t n;

	/* Impossible lengths: nothing happens. */
	CHECK_ERR_MSG(daxfs_pwrite(f, g, SIZE_MAX, 0), EINVAL, "pwrite");
	CHECK_ERR_MSG(daxfs_pread(f, g, SIZE_MAX, 0), EINVAL, "pread");
	CHECK_ERR_MSG(daxfs_pwrite(f, g, (size_t)SSIZE_MAX + 1, 0), EINVAL,
		      "pwrite");
	/* Lengths beyond the buffer: into an empty file, past EOF into the
	 * direct blocks and into the indirect ones. */
	pwrite_overrun(fs, f, g, (size_t)1 << 40, 0);
	pwrite_overrun(fs, f, g, 64 * TEST_KIB, 0);
	check_pwrite_pattern(f, 62, 0, 20000);
	pwrite_overrun(fs, f, g, (size_t)1 << 40, 30000);
	pwrite_overrun(fs, f, g, (size_t)1 << 40, (off_t)(1 * TEST_MIB));
	/* Over existing data: what is not written stays. */
	check_pwrite_pattern(f, 62, 0, 20000);
	n = daxfs_pwrite(f, g, (size_t)1 << 40, 0);
	cr_assert(n == -EFAULT || (n >= 0 && n <= (ssize_t)TEST_PAGE));
	/* pread beyond the buffer. */
	check_pwrite_pattern(f, 62, 0, 200000);
	n = daxfs_pread(f, g, (size_t)1 << 40, 0);
	cr_assert(n == -EFAULT || (n >= 0 && n <= (ssize_t)TEST_PAGE),
		  "pread of 2^40 bytes into one page = %zd", n);
	if (n == -EFAULT)
		check_errormsg("pread", "pread");
	/* pread into a view that daxfs_unmap removed. */
	CHECK_OK(daxfs_map(f, 0, 2 * TEST_PAGE, PROT_READ | PROT_WRITE, 0,
			   (void **)&v));
	CHECK_OK(daxfs_unmap(v, 2 * TEST_PAGE));
	CHECK_ERR_MSG(daxfs_pread(f, v, TEST_PAGE, 0), EFAULT, "pread");
	CHECK_ERR_MSG(daxfs_pwrite(f, v, TEST_PAGE, 0), EFAULT, "pwrite");
	check_pread_pattern(f, 62, 0, 200000);
	check_close(f);
	munmap(g, GUARD_AREA);
	check_unmount_fsck(fs, p);
	state = test_dumpe2fs_field(p, "Filesystem state");
	cr_assert(state && !strcmp(state, "clean"), "state \"%s\" after bad "
		  "buffers", state ? state : "?");
	free(state);
}

/* A pwrite of two pages from g (only its first page readable) at off:
 * -EFAULT naming pwrite, or the first page alone written; the second
 * page of the file is untouched either way. */
static ssize_t pwrite_half_bad(daxfs_file *f, const unsigned char *g,
			       off_t off)
{
	unsigned char buf[TEST_PAGE];
	ssize_t n = daxfs_pwrite(f, g, 2 * TEST_PAGE, off);

	cr_assert(n == -EFAULT || n == TEST_PAGE, "pwrite of two pages from "
		  "a one-page buffer at %lld = %zd: \"%s\"", (long long)off,
		  n, daxfs_errormsg());
	if (n == -EFAULT)
		check_errormsg("pwrite", "pwrite");
	if (n == TEST_PAGE) {
		CHECK_EQ(daxfs_pread(f, buf, TEST_PAGE, off), TEST_PAGE);
		cr_assert(!memcmp(buf, g, TEST_PAGE));
	}
	return n;
}

/*
 * The copies that go straight into blocks a file has (an overwrite
 * within EOF, an append into blocks taken ahead) are guarded by where
 * they fault, not by a setjmp (dax/copy.c): from a buffer whose second
 * page is not mapped they fail as the other copies do, and change
 * nothing past the bytes they could read.
 */
Test(badinput, direct_copies_from_half_bad_buffers)
{
	const char *p;
	daxfs *fs = check_new_fs("baddirect", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	unsigned char *g = guarded_page();
	struct stat st;
	ssize_t n;

	/* Appends take blocks ahead; a read puts the map in the cache. */
	for (int i = 0; i < 16; i++)
		check_pwrite_pattern(f, 62, (off_t)i * 4 * TEST_PAGE,
				     4 * TEST_PAGE);
	check_pread_pattern(f, 62, 0, 64 * TEST_PAGE);
	pwrite_half_bad(f, g, 2 * TEST_PAGE); /* an overwrite */
	check_pread_pattern(f, 62, 0, 2 * TEST_PAGE);
	check_pread_pattern(f, 62, 3 * TEST_PAGE, 61 * TEST_PAGE);
	n = pwrite_half_bad(f, g, 64 * TEST_PAGE); /* an append */
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, (n > 0 ? 65 : 64) * TEST_PAGE);
	check_pread_pattern(f, 62, 3 * TEST_PAGE, 61 * TEST_PAGE);
	check_close(f);
	munmap(g, GUARD_AREA);
	check_unmount_fsck(fs, p);
}

/* A mount of a character device that is no devdax device says why. */
Test(badinput, mount_of_dev_null_and_zero_gives_a_reason)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero" };

	for (size_t i = 0; i < 2; i++) {
		for (unsigned fl = 0; fl <= DAXFS_MOUNT_RDONLY; fl++) {
			daxfs *fs = NULL;
			const char *m, *colon;
			int r = daxfs_mount(devs[i], fl, &fs);

			cr_assert(r < 0, "mount %s = %d", devs[i], r);
			m = daxfs_errormsg();
			cr_assert(strstr(m, devs[i]), "\"%s\"", m);
			/* Something after the last colon, if any. */
			colon = strrchr(m, ':');
			cr_assert(!colon || strlen(colon + 1) > 5,
				  "mount %s: no reason in \"%s\"", devs[i], m);
			cr_assert(strstr(m, "devdax"), "mount %s: \"%s\" does "
				  "not say it is no devdax device", devs[i], m);
		}
	}
}

/*
 * A rename that fails changes nothing: moving a directory whose ".."
 * entry is gone (removed with debugfs) to another parent must fail
 * before the new name is added and the old one removed.
 */
Test(badinput, failed_rename_of_a_damaged_directory_changes_nothing)
{
	const char *p;
	daxfs *fs = check_new_fs("rename", 8 * TEST_MIB, 4096, 0, &p);
	struct stat st;
	int r;

	CHECK_OK(daxfs_mkdir(fs, "/a", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/b", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/a/sub", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/a/sub/keep", 0755));
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_w(p, "unlink /a/sub/..\n"), 0);
	fs = check_mount(p, 0);
	r = daxfs_rename(fs, "/a/sub", "/b/sub");
	cr_assert(r < 0, "rename of a directory without \"..\" = %d", r);
	check_errormsg("rename", "..");
	CHECK_OK(daxfs_stat(fs, "/a/sub/keep", &st));
	CHECK_ERR(daxfs_stat(fs, "/b/sub", &st), ENOENT);
	CHECK_OK(daxfs_stat(fs, "/a", &st));
	cr_assert_eq(st.st_nlink, 3, "/a has %u links", (unsigned)st.st_nlink);
	CHECK_OK(daxfs_stat(fs, "/b", &st));
	cr_assert_eq(st.st_nlink, 2, "/b has %u links", (unsigned)st.st_nlink);
	/* A rename within the same parent needs no "..": it works. */
	CHECK_OK(daxfs_rename(fs, "/a/sub", "/a/sub2"));
	CHECK_OK(daxfs_stat(fs, "/a/sub2/keep", &st));
	CHECK_OK(daxfs_unmount(fs));
}
