/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bitmap.h -- the bit operations on ext2 block and inode bitmaps, used by
 * the allocators (balloc.c, ialloc.c) and mkfs.c.
 *
 * On media, bit i of a bitmap is bit (i & 7) of byte i >> 3 (ext2's
 * little-endian bit order, the kernel's ext2_test_bit/ext2_set_bit).  The
 * callers serialise changes with the group lock (ext2.h); nothing here
 * persists.
 */
#ifndef DAXFS_EXT2_BITMAP_H
#define DAXFS_EXT2_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Is bit i of bm set? */
static inline bool ext2_bitmap_test(const uint8_t *bm, uint32_t i)
{
	return bm[i >> 3] & (1u << (i & 7));
}

/* Set bit i of bm. */
static inline void ext2_bitmap_set(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] |= 1u << (i & 7);
}

/* Clear bit i of bm. */
static inline void ext2_bitmap_clear(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] &= ~(1u << (i & 7));
}

/* Set bits [from, to) of bm. */
static inline void ext2_bitmap_set_range(uint8_t *bm, uint32_t from,
					 uint32_t to)
{
	for (; from < to; from++)
		ext2_bitmap_set(bm, from);
}

/* bitmap.c */
/* First clear bit of bm in [from, nbits), or nbits.  bm must be 8-byte
 * aligned (bitmaps are block aligned): whole words are scanned 64 bits at
 * a time. */
uint32_t ext2_bitmap_find_zero(const uint8_t *bm, uint32_t from,
			       uint32_t nbits);

#endif
