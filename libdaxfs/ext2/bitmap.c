/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bitmap.c -- scanning ext2 bitmaps (the operations on single bits are
 * inline in bitmap.h).
 */
#include <endian.h>

#include "ext2/bitmap.h"

/* First clear bit of bm in [from, nbits), or nbits (see bitmap.h). */
uint32_t ext2_bitmap_find_zero(const uint8_t *bm, uint32_t from,
			       uint32_t nbits)
{
	const uint64_t *w = (const uint64_t *)bm;
	uint32_t i = from;

	if (from >= nbits)
		return nbits;
	while (i < nbits && (i & 63)) {
		if (!ext2_bitmap_test(bm, i))
			return i;
		i++;
	}
	for (; i < nbits && nbits - i >= 64; i += 64) {
		uint64_t x = ~le64toh(w[i >> 6]);

		if (x)
			return i + __builtin_ctzll(x);
	}
	for (; i < nbits; i++)
		if (!ext2_bitmap_test(bm, i))
			return i;
	return nbits;
}
