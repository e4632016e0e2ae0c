/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bitmap.c -- white-box tests of ext2/bitmap.c and the inline bit
 * operations of ext2/bitmap.h: ext2_bitmap_test/set/clear/set_range in
 * ext2's bit order (bit i is bit i & 7 of byte i >> 3) on crafted bitmaps,
 * ranges across bytes and words, and ext2_bitmap_find_zero on crafted
 * bitmaps (word boundaries, from inside a word, from at or beyond nbits,
 * all ones, the last bit, nbits not a multiple of 64, a random reference)
 * and on a real block bitmap made by mke2fs and debugfs, whose free
 * ranges must be the ones dumpe2fs prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ext2/bitmap.h"
#include "check.h"

TestSuite(bitmap, .fini = test_cleanup, .timeout = 60);

/* ---- ext2_bitmap_find_zero ----------------------------------------- */

/* A bitmap of exactly (nbits + 7) / 8 bytes (so ASan sees over-reads),
 * 8-byte aligned as bitmaps in the region are, filled with ones. */
static uint8_t *ones(uint32_t nbits)
{
	size_t n = (nbits + 7) / 8;
	uint8_t *bm = malloc(n ? n : 1);

	cr_assert(bm);
	cr_assert_eq((uintptr_t)bm % 8, 0);
	memset(bm, 0xff, n);
	return bm;
}

static void clr(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] &= ~(1u << (i & 7));
}

static uint32_t ref_find_zero(const uint8_t *bm, uint32_t from,
			      uint32_t nbits)
{
	uint32_t i;

	for (i = from; i < nbits; i++)
		if (!(bm[i >> 3] & (1u << (i & 7))))
			return i;
	return nbits;
}

Test(bitmap, find_zero_all_ones)
{
	uint8_t *bm = ones(8192);

	cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 8192), 8192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 1, 8192), 8192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 8191, 8192), 8192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 8192, 8192), 8192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 0), 0);
	free(bm);
}

Test(bitmap, find_zero_single_bits)
{
	const uint32_t pos[] = { 0, 1, 7, 8, 62, 63, 64, 65, 127, 128, 4095,
				 8190, 8191 };
	size_t i;

	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		uint8_t *bm = ones(8192);

		clr(bm, pos[i]);
		cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 8192), pos[i],
			     "zero at %u", pos[i]);
		cr_assert_eq(ext2_bitmap_find_zero(bm, pos[i], 8192), pos[i]);
		if (pos[i] > 0)
			cr_assert_eq(ext2_bitmap_find_zero(bm, pos[i] - 1,
							    8192), pos[i]);
		cr_assert_eq(ext2_bitmap_find_zero(bm, pos[i] + 1, 8192),
			     8192, "zero at %u, from %u", pos[i], pos[i] + 1);
		/* nbits stops the search before the zero. */
		cr_assert_eq(ext2_bitmap_find_zero(bm, 0, pos[i]), pos[i]);
		free(bm);
	}
}

Test(bitmap, find_zero_from_middle_of_word)
{
	uint8_t *bm = ones(256);

	clr(bm, 5);
	clr(bm, 70);
	clr(bm, 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 256), 5);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 5, 256), 5);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 6, 256), 70);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 33, 256), 70);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 70, 256), 70);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 71, 256), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 199, 256), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 201, 256), 256);
	/* A zero before from in the same word is not returned. */
	cr_assert_eq(ext2_bitmap_find_zero(bm, 66, 200), 70);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 71, 200), 200);
	free(bm);
}

Test(bitmap, find_zero_nbits_not_multiple_of_64)
{
	const uint32_t sizes[] = { 1, 7, 9, 63, 65, 100, 127, 129, 8191 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];
		uint8_t *bm = ones(n);
		size_t bytes = (n + 7) / 8;

		/* Bits past nbits in the last byte are zero: not found. */
		if (n % 8)
			bm[bytes - 1] = (1u << (n % 8)) - 1;
		cr_assert_eq(ext2_bitmap_find_zero(bm, 0, n), n, "nbits %u", n);
		clr(bm, n - 1);
		cr_assert_eq(ext2_bitmap_find_zero(bm, 0, n), n - 1,
			     "nbits %u", n);
		cr_assert_eq(ext2_bitmap_find_zero(bm, n - 1, n), n - 1);
		free(bm);
	}
}

Test(bitmap, find_zero_random_against_reference)
{
	uint64_t seed = 12345;
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		uint32_t n = 1 + test_rand(&seed) % 700;
		uint8_t *bm = ones(n);
		uint32_t from = test_rand(&seed) % (n + 2), z, k;
		size_t bytes = (n + 7) / 8, b;

		/* Sparse zeros, dense zeros, or none. */
		z = test_rand(&seed) % 4;
		for (b = 0; b < bytes; b++) {
			uint64_t r = test_rand(&seed);

			if (z == 1)
				bm[b] = (r % 7) ? 0xff : (uint8_t)r;
			else if (z == 2)
				bm[b] = (uint8_t)r;
			else if (z == 3)
				bm[b] = (r % 97) ? 0xff : (uint8_t)~(1u << (r % 8));
		}
		k = ext2_bitmap_find_zero(bm, from, n);
		cr_assert_eq(k, ref_find_zero(bm, from, n),
			     "iteration %d: nbits %u from %u: got %u", iter, n,
			     from, k);
		free(bm);
	}
}

/* ---- bit operations ------------------------------------------------- */

/* A zeroed bitmap of n bytes, 8-byte aligned. */
static uint8_t *zeros(size_t n)
{
	uint8_t *bm = calloc(1, n);

	cr_assert(bm);
	cr_assert_eq((uintptr_t)bm % 8, 0);
	return bm;
}

Test(bitmap, set_clear_test_use_ext2_bit_order)
{
	uint8_t *bm = zeros(16);
	const uint8_t want[16] = { 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
				   0x80, 0x01, 0, 0, 0, 0, 0, 0, 0x80 };
	uint32_t i;

	ext2_bitmap_set(bm, 0);
	ext2_bitmap_set(bm, 9);
	ext2_bitmap_set(bm, 63);  /* last bit of the first word */
	ext2_bitmap_set(bm, 64);  /* first bit of the second */
	ext2_bitmap_set(bm, 127); /* the last bit */
	cr_assert_eq(memcmp(bm, want, 16), 0,
		     "bytes %02x %02x .. %02x %02x .. %02x", bm[0], bm[1],
		     bm[7], bm[8], bm[15]);
	for (i = 0; i < 128; i++)
		cr_assert_eq(ext2_bitmap_test(bm, i),
			     i == 0 || i == 9 || i == 63 || i == 64 || i == 127,
			     "bit %u", i);
	/* Setting a set bit changes nothing. */
	ext2_bitmap_set(bm, 9);
	cr_assert_eq(bm[1], 0x02);
	/* Clearing takes exactly that bit away. */
	bm[1] = 0xff;
	ext2_bitmap_clear(bm, 12);
	cr_assert_eq(bm[1], 0xef);
	ext2_bitmap_clear(bm, 12);
	cr_assert_eq(bm[1], 0xef);
	ext2_bitmap_clear(bm, 127);
	cr_assert_eq(bm[15], 0x00);
	cr_assert(!ext2_bitmap_test(bm, 127));
	cr_assert_eq(bm[14], 0x00);
	free(bm);
}

Test(bitmap, set_range_spans_bytes_and_words)
{
	uint8_t *bm = zeros(24);

	/* [5, 19): the top 3 bits of byte 0, byte 1, the low 3 of byte 2. */
	ext2_bitmap_set_range(bm, 5, 19);
	cr_assert_eq(bm[0], 0xe0);
	cr_assert_eq(bm[1], 0xff);
	cr_assert_eq(bm[2], 0x07);
	cr_assert_eq(bm[3], 0x00);
	/* [60, 132): across two word boundaries. */
	ext2_bitmap_set_range(bm, 60, 132);
	cr_assert_eq(bm[7], 0xf0);
	for (int b = 8; b < 16; b++)
		cr_assert_eq(bm[b], 0xff, "byte %d", b);
	cr_assert_eq(bm[16], 0x0f);
	cr_assert_eq(bm[17], 0x00);
	cr_assert_eq(bm[6], 0x00);
	/* Empty and reversed ranges set nothing. */
	ext2_bitmap_set_range(bm, 150, 150);
	ext2_bitmap_set_range(bm, 170, 160);
	cr_assert_eq(bm[18], 0x00);
	cr_assert_eq(bm[20], 0x00);
	cr_assert_eq(bm[21], 0x00);
	/* Up to the very last bit of the buffer, one bit. */
	ext2_bitmap_set_range(bm, 191, 192);
	cr_assert_eq(bm[23], 0x80);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 5, 192), 19);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 60, 192), 132);
	free(bm);
}

Test(bitmap, find_zero_from_at_or_beyond_nbits)
{
	uint8_t *bm = zeros(32);

	/* All clear, but nothing is searched at or past nbits. */
	cr_assert_eq(ext2_bitmap_find_zero(bm, 200, 200), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 201, 200), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 256, 200), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 199, 200), 199);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 64, 200), 64);
	free(bm);
}

/* bitmap.h allows any from: one within 64 of UINT32_MAX must not wrap
 * the word scan's "i + 64 <= nbits" round to word 0x3ffffff. */
Test(bitmap, find_zero_from_near_uint32_max)
{
	uint8_t *bm = zeros(32);

	cr_assert_eq(ext2_bitmap_find_zero(bm, 0xffffffc0u, 200), 200);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 0xffffffffu, 200), 200);
	free(bm);
}

Test(bitmap, find_zero_only_the_last_bit_clear)
{
	uint8_t *bm = zeros(32);

	memset(bm, 0xff, 32);
	ext2_bitmap_clear(bm, 255);
	cr_assert_eq(bm[31], 0x7f);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 256), 255);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 192, 256), 255);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 255, 256), 255);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 0, 255), 255);
	/* A zero as the first bit of a later word, from the previous word. */
	ext2_bitmap_set(bm, 255);
	ext2_bitmap_clear(bm, 192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 1, 256), 192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 191, 256), 192);
	cr_assert_eq(ext2_bitmap_find_zero(bm, 193, 256), 256);
	free(bm);
}

/* ---- a real block bitmap against dumpe2fs --------------------------- */

/*
 * mke2fs makes a 1 KiB-block image of one group (blocks 1..8191); debugfs
 * writes three files and removes the middle one, leaving a gap.  Walking
 * group 0's bitmap with ext2_bitmap_find_zero and ext2_bitmap_test must
 * give exactly the free ranges dumpe2fs prints for group 0.
 */
Test(bitmap, free_ranges_of_a_real_bitmap_match_dumpe2fs)
{
	const char *img = test_image_path("bmreal");
	const char *host = test_tmp_file("bmhost");
	struct check_geom g;
	uint32_t nbits, cur = 0, nfree = 0, i;
	char cmds[512], *ranges, *p;
	uint8_t *bm;

	cr_assert_eq(test_write_pattern_file(host, 20 * TEST_KIB, 3), 0);
	cr_assert_eq(test_mke2fs(img, 1024, 8 * TEST_MIB, NULL), 0);
	snprintf(cmds, sizeof(cmds),
		 "write %s a\nwrite %s b\nwrite %s c\nrm b\n", host, host,
		 host);
	cr_assert_eq(test_debugfs_w(img, cmds), 0);
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	check_geom(img, &g);
	cr_assert_eq(g.groups, 1);
	cr_assert_eq(g.first_data_block, 1);
	nbits = g.blocks_count - g.first_data_block;
	cr_assert_eq(nbits, 8191);
	bm = zeros(1024);
	check_raw_read(img, (uint64_t)g.block_bitmap0 * 1024, bm, 1024);

	ranges = test_sh_capture(NULL, "dumpe2fs %s 2>/dev/null | sed -n "
				 "'s/^  Free blocks: //p' | head -n 1", img);
	cr_assert_not_null(ranges);
	cr_assert(strchr(ranges, ','), "no gap left by \"rm b\": %s", ranges);
	for (p = ranges; *p && *p != '\n';) {
		unsigned long s, e;
		char *end;

		s = strtoul(p, &end, 10);
		e = *end == '-' ? strtoul(end + 1, &end, 10) : s;
		cr_assert(e >= s && s >= 1, "dumpe2fs range at \"%s\"", p);
		/* Everything before the range is in use, the range is free. */
		cr_assert_eq(ext2_bitmap_find_zero(bm, cur, nbits), s - 1,
			     "from bit %u: dumpe2fs says block %lu is the next "
			     "free one", cur, s);
		for (i = cur; i < s - 1; i++)
			cr_assert(ext2_bitmap_test(bm, i), "bit %u", i);
		for (i = s - 1; i <= e - 1; i++)
			cr_assert(!ext2_bitmap_test(bm, i), "bit %u", i);
		nfree += e - s + 1;
		cur = e; /* bit of block e + 1 */
		p = end;
		while (*p == ',' || *p == ' ')
			p++;
	}
	cr_assert_eq(ext2_bitmap_find_zero(bm, cur, nbits), nbits,
		     "a free bit %u past dumpe2fs's last range",
		     ext2_bitmap_find_zero(bm, cur, nbits));
	cr_assert_eq(nfree, check_dumpe2fs_num(img, "Free blocks"));
	free(ranges);
	free(bm);
	cr_assert_eq(test_e2fsck(img, NULL), 0);
}
