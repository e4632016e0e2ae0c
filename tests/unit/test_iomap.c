/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_iomap.c -- white-box tests of dax/iomap.c: the apply loop
 * dax_iomap_rw over a region on a host file and a fake iomap_ops table
 * (no ext2) whose file is a fixed list of extents.  Reads of holes and
 * unwritten extents give zeros and mapped extents the region's bytes;
 * writes land at the extents' addresses; begin sees IOMAP_WRITE only for
 * writes and end gets what was used; an error from begin stops the loop
 * (the error, or the bytes done before it), and a broken extent is -EIO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/region.h"
#include "dax/iomap.h"
#include "check.h"

TestSuite(iomap, .fini = test_cleanup, .timeout = 60);

#define KIB TEST_KIB
#define RSEED 9          /* the region's bytes */
#define RSIZE (256 * KIB)

/* The fake file: extents in file order; the last one is an error. */
struct fext {
	uint64_t off, len, addr;
	int type; /* enum iomap_type, or -1: begin fails there */
};

static const struct fext fexts[] = {
	{ 0, 8 * KIB, 0, IOMAP_HOLE },
	{ 8 * KIB, 12 * KIB, 64 * KIB, IOMAP_MAPPED },
	{ 20 * KIB, 4 * KIB, 128 * KIB, IOMAP_MAPPED },
	{ 24 * KIB, 4 * KIB, 192 * KIB, IOMAP_UNWRITTEN },
	{ 28 * KIB, 4 * KIB, 0, -1 },
};
#define NFEXT (sizeof(fexts) / sizeof(fexts[0]))

/* One begin or end call as the fake saw it. */
struct call {
	uint64_t pos, length;
	long long written;
	unsigned flags;
};

/* The "inode" the engine passes through without looking at it. */
struct fakefile {
	int begin_err;    /* what begin returns on the error extent */
	bool broken;      /* begin returns an empty extent */
	int nbegin, nend;
	struct call begin[16], end[16];
};

static struct fakefile *ff_of(struct ext2_inode_info *inode)
{
	return (struct fakefile *)inode;
}

/* The fake ->iomap_begin: the extent holding pos. */
static int fake_begin(struct ext2_inode_info *inode, uint64_t pos,
		      uint64_t length, unsigned flags, struct iomap *iomap)
{
	struct fakefile *ff = ff_of(inode);
	size_t i;

	cr_assert_lt(ff->nbegin, 16);
	ff->begin[ff->nbegin++] = (struct call){ pos, length, 0, flags };
	for (i = 0; i < NFEXT; i++)
		if (pos >= fexts[i].off && pos < fexts[i].off + fexts[i].len)
			break;
	cr_assert_lt(i, NFEXT, "begin past the fake file at %llu",
		     (unsigned long long)pos);
	if (fexts[i].type < 0)
		return ff->begin_err;
	iomap->offset = fexts[i].off;
	iomap->length = ff->broken ? 0 : fexts[i].len;
	iomap->addr = fexts[i].addr;
	iomap->type = (uint16_t)fexts[i].type;
	iomap->flags = 0;
	return 0;
}

/* The fake ->iomap_end: records what the engine says it used. */
static int fake_end(struct ext2_inode_info *inode, uint64_t pos,
		    uint64_t length, ssize_t written, unsigned flags,
		    struct iomap *iomap)
{
	struct fakefile *ff = ff_of(inode);

	(void)iomap;
	cr_assert_lt(ff->nend, 16);
	ff->end[ff->nend++] = (struct call){ pos, length, written, flags };
	return 0;
}

static const struct iomap_ops fake_ops = {
	.iomap_begin = fake_begin,
	.iomap_end = fake_end,
};

static struct region *rgn;
static const char *rpath;

/* A region of RSIZE bytes of pattern RSEED. */
static void open_region(void)
{
	rpath = test_image_path("iomap");
	cr_assert_eq(test_write_pattern_file(rpath, RSIZE, RSEED), 0);
	CHECK_OK(region_open(rpath, false, &rgn));
}

/* dax_iomap_rw on the fake file ff. */
static ssize_t rw(struct fakefile *ff, uint64_t pos, size_t len, void *buf,
		  bool write)
{
	return dax_iomap_rw(rgn, (struct ext2_inode_info *)ff, NULL,
			    &fake_ops, pos, len, buf, write);
}

/* buf holds the region's original bytes at [addr, addr+len). */
static void expect_region(const unsigned char *buf, uint64_t addr,
			  size_t len)
{
	long bad = test_pattern_mismatch(buf, len, RSEED, addr);

	cr_assert_eq(bad, -1, "differs from region offset %llu at %ld",
		     (unsigned long long)addr, bad);
}

Test(iomap, read_gives_zeros_for_holes_and_data_for_mapped)
{
	struct fakefile ff = { 0 };
	unsigned char *buf = malloc(28 * KIB);

	open_region();
	memset(buf, 0xEE, 28 * KIB);
	CHECK_EQ(rw(&ff, 4 * KIB, 24 * KIB, buf, false), 24 * KIB);
	cr_assert_eq(test_first_nonzero(buf, 4 * KIB), -1, "hole not zero");
	expect_region(buf + 4 * KIB, 64 * KIB, 12 * KIB);
	expect_region(buf + 16 * KIB, 128 * KIB, 4 * KIB);
	cr_assert_eq(test_first_nonzero(buf + 20 * KIB, 4 * KIB), -1,
		     "unwritten extent not read as zeros");
	cr_assert_eq(buf[24 * KIB], 0xEE, "wrote past the length");
	/* One begin/end per extent; no IOMAP_WRITE; end says all used. */
	cr_assert_eq(ff.nbegin, 4);
	cr_assert_eq(ff.nend, 4);
	cr_assert_eq(ff.begin[0].pos, 4 * KIB);
	cr_assert_eq(ff.begin[0].length, 24 * KIB);
	cr_assert_eq(ff.begin[1].pos, 8 * KIB);
	cr_assert_eq(ff.begin[1].length, 20 * KIB);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(ff.begin[i].flags, 0);
		cr_assert_eq(ff.end[i].pos, ff.begin[i].pos);
		cr_assert_eq(ff.end[i].written, (long long)ff.end[i].length);
	}
	cr_assert_eq(ff.end[0].length, 4 * KIB);
	cr_assert_eq(ff.end[1].length, 12 * KIB);
	free(buf);
	region_close(&rgn);
}

Test(iomap, read_inside_one_extent)
{
	struct fakefile ff = { 0 };
	unsigned char buf[100];

	open_region();
	CHECK_EQ(rw(&ff, 10 * KIB + 5, sizeof(buf), buf, false), sizeof(buf));
	expect_region(buf, 66 * KIB + 5, sizeof(buf));
	cr_assert_eq(ff.nbegin, 1);
	cr_assert_eq(ff.end[0].length, sizeof(buf));
	region_close(&rgn);
}

Test(iomap, write_lands_at_the_extent_addresses)
{
	struct fakefile ff = { 0 };
	unsigned char *data = malloc(12 * KIB), *img;
	size_t len;

	open_region();
	test_pattern(data, 12 * KIB, 555, 0);
	/* [10K, 22K): 10K into extent 1 (addr 64K), 2K into extent 2. */
	CHECK_EQ(rw(&ff, 10 * KIB, 12 * KIB, data, true), 12 * KIB);
	cr_assert_eq(ff.nbegin, 2);
	cr_assert_eq(ff.begin[0].flags, IOMAP_WRITE);
	cr_assert_eq(ff.end[1].flags, IOMAP_WRITE);
	cr_assert_eq(ff.end[0].written, 10 * KIB);
	cr_assert_eq(ff.end[1].written, 2 * KIB);
	region_close(&rgn);

	img = check_read_file(rpath, &len);
	cr_assert_eq(len, RSIZE);
	cr_assert_eq(test_first_diff(img + 66 * KIB, data, 10 * KIB), -1);
	cr_assert_eq(test_first_diff(img + 128 * KIB, data + 10 * KIB, 2 * KIB),
		     -1);
	/* Nothing else moved. */
	expect_region(img, 0, 66 * KIB);
	expect_region(img + 76 * KIB, 76 * KIB, 52 * KIB);
	expect_region(img + 130 * KIB, 130 * KIB, RSIZE - 130 * KIB);
	free(img);
	free(data);
}

Test(iomap, begin_error_stops_the_loop)
{
	struct fakefile ff = { .begin_err = -ENOSPC };
	unsigned char buf[8 * KIB];

	open_region();
	/* At once: the error itself, nothing copied, no end. */
	memset(buf, 0xEE, sizeof(buf));
	CHECK_EQ(rw(&ff, 28 * KIB, 4 * KIB, buf, true), -ENOSPC);
	cr_assert_eq(ff.nend, 0);
	cr_assert_eq(buf[0], 0xEE);
	/* After progress: the bytes done (a short count). */
	memset(&ff, 0, sizeof(ff));
	ff.begin_err = -EUCLEAN;
	CHECK_EQ(rw(&ff, 24 * KIB, 8 * KIB, buf, false), 4 * KIB);
	cr_assert_eq(test_first_nonzero(buf, 4 * KIB), -1);
	cr_assert_eq(buf[4 * KIB], 0xEE, "copied past the error");
	cr_assert_eq(ff.nbegin, 2);
	cr_assert_eq(ff.nend, 1);
	region_close(&rgn);
}

Test(iomap, broken_extent_is_eio_and_ended)
{
	struct fakefile ff = { .broken = true };
	unsigned char buf[64];

	open_region();
	CHECK_EQ(rw(&ff, 9 * KIB, sizeof(buf), buf, false), -EIO);
	cr_assert_eq(ff.nbegin, 1);
	cr_assert_eq(ff.nend, 1, "the extent begun was not ended");
	cr_assert_eq(ff.end[0].length, 0);
	cr_assert_eq(ff.end[0].written, 0);
	region_close(&rgn);
}

Test(iomap, zero_length_calls_nothing)
{
	struct fakefile ff = { 0 };
	unsigned char buf[1];

	open_region();
	CHECK_EQ(rw(&ff, 8 * KIB, 0, buf, false), 0);
	CHECK_EQ(rw(&ff, 8 * KIB, 0, buf, true), 0);
	cr_assert_eq(ff.nbegin, 0);
	region_close(&rgn);
}
