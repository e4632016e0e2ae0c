/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dirhash.c -- the name hash of ext2's indexed directories: legacy
 * (dx_hack_hash), half MD4 and TEA, each in a signed and an unsigned
 * char variant, seeded by the superblock's s_hash_seed.  Written from the
 * format's description (the kernel's fs/ext4/hash.c, e2fsprogs'
 * lib/ext2fs/dirhash.c compute the same values); checked against
 * debugfs's dx_hash by tests/unit/test_htree.c.
 */
#include <errno.h>
#include <string.h>

#include "daxfs.h"
#include "ext2/htree.h"

#define HASH_EOF32 0x7fffffffu /* a hash that means "end of directory" */

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

/* The legacy hash; signedness of the name's bytes as variant says. */
static uint32_t hash_legacy(const char *name, size_t len, bool uns)
{
	uint32_t hash, h0 = 0x12a3fe2d, h1 = 0x37abe8f9;
	size_t i;

	for (i = 0; i < len; i++) {
		int c = uns ? (int)(unsigned char)name[i]
			    : (int)(signed char)name[i];

		hash = h1 + (h0 ^ (uint32_t)(c * 7152373));
		if (hash & 0x80000000u)
			hash -= 0x7fffffff;
		h1 = h0;
		h0 = hash;
	}
	return h0 << 1;
}

/* Pack up to num*4 bytes of name into num words, padded with the
 * length (str2hashbuf). */
static void hash_buf(const char *msg, size_t len, uint32_t *buf, int num,
		     bool uns)
{
	uint32_t pad = (uint32_t)len | ((uint32_t)len << 8), val;
	size_t i;

	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (i = 0; i < len; i++) {
		int c = uns ? (int)(unsigned char)msg[i]
			    : (int)(signed char)msg[i];

		val = (uint32_t)c + (val << 8);
		if (i % 4 == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

/* One TEA step over 4 words of input. */
static void tea_transform(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
	int n = 16;

	do {
		sum += 0x9E3779B9u;
		b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >> 5) + in[1]);
		b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >> 5) + in[3]);
	} while (--n);
	buf[0] += b0;
	buf[1] += b1;
}

#define MD4_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD4_K2 013240474631u
#define MD4_K3 015666365641u
#define MD4_ROUND(f, a, b, c, d, x, s) \
	((a) += f((b), (c), (d)) + (x), (a) = rol32((a), (s)))

/* Four steps of one MD4 round over the words w0..w3 (plus k), shifts
 * s0..s3: straight-line code, so that the compiler keeps a..d in
 * registers (a loop over index tables cost three times as much). */
#define MD4_ROUND4(f, k, w0, w1, w2, w3, s0, s1, s2, s3) do {	\
		MD4_ROUND(f, a, b, c, d, (w0) + (k), s0);	\
		MD4_ROUND(f, d, a, b, c, (w1) + (k), s1);	\
		MD4_ROUND(f, c, d, a, b, (w2) + (k), s2);	\
		MD4_ROUND(f, b, c, d, a, (w3) + (k), s3);	\
	} while (0)

/* The cut-down MD4 of 8 words of input (half_md4_transform). */
static void half_md4(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	MD4_ROUND4(MD4_F, 0, in[0], in[1], in[2], in[3], 3, 7, 11, 19);
	MD4_ROUND4(MD4_F, 0, in[4], in[5], in[6], in[7], 3, 7, 11, 19);
	MD4_ROUND4(MD4_G, MD4_K2, in[1], in[3], in[5], in[7], 3, 5, 9, 13);
	MD4_ROUND4(MD4_G, MD4_K2, in[0], in[2], in[4], in[6], 3, 5, 9, 13);
	MD4_ROUND4(MD4_H, MD4_K3, in[3], in[7], in[2], in[6], 3, 9, 11, 15);
	MD4_ROUND4(MD4_H, MD4_K3, in[1], in[5], in[0], in[4], 3, 9, 11, 15);
	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

/* Hash of name with one of the block hashes, chunk bytes at a time. */
static void hash_blocks(uint32_t buf[4], const char *p, size_t len,
			bool md4, bool uns)
{
	uint32_t in[8];
	size_t chunk = md4 ? 32 : 16;

	while (len > 0) {
		hash_buf(p, len, in, md4 ? 8 : 4, uns);
		if (md4)
			half_md4(buf, in);
		else
			tea_transform(buf, in);
		len -= len < chunk ? len : chunk;
		p += chunk;
	}
}

/* The hash of name (low bit clear) and its minor hash, by hash version
 * 0..5 and seed (all zero: the default).  -EINVAL for another version. */
int ext2_dirhash(unsigned version, const uint32_t seed[4], const char *name,
		 size_t len, uint32_t *hash, uint32_t *minor)
{
	uint32_t buf[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	bool uns = version >= EXT2_HASH_UNSIGNED;
	unsigned base = version % EXT2_HASH_UNSIGNED;

	if (version > EXT2_HASH_MAX)
		return err_set(-EINVAL, "unknown directory hash version %u",
			       version);
	if (seed && (seed[0] | seed[1] | seed[2] | seed[3]))
		memcpy(buf, seed, sizeof(buf));
	*minor = 0;
	if (base == EXT2_HASH_LEGACY) {
		*hash = hash_legacy(name, len, uns);
	} else {
		hash_blocks(buf, name, len, base == EXT2_HASH_HALF_MD4, uns);
		*hash = base == EXT2_HASH_HALF_MD4 ? buf[1] : buf[0];
		*minor = base == EXT2_HASH_HALF_MD4 ? buf[2] : buf[1];
	}
	*hash &= ~1u;
	if (*hash == HASH_EOF32 << 1)
		*hash = (HASH_EOF32 - 1) << 1;
	return 0;
}

/* The hash version to compute for a tree whose root stores stored: the
 * unsigned variant when the superblock says so. */
unsigned ext2_hash_version(struct ext2_sb_info *fs, unsigned stored)
{
	uint32_t flags;

	memcpy(&flags, fs->es->s_rest + 0x10, 4); /* s_flags, 0x160 */
	flags = le32_get((le32)flags);
	if (stored <= EXT2_HASH_TEA && (flags & EXT2_FLAGS_UNSIGNED_HASH))
		return stored + EXT2_HASH_UNSIGNED;
	return stored;
}

/* The superblock's hash seed, in host order. */
void ext2_hash_seed(struct ext2_sb_info *fs, uint32_t seed[4])
{
	int i;

	for (i = 0; i < 4; i++)
		seed[i] = le32_get(fs->es->s_hash_seed[i]);
}
