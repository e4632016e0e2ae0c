/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal_fmt.h -- private to the journal's files: the log's layout on
 * the media (header, slot state words, records), its checksums, and the
 * calls between journal.c (operations), journal_log.c (the log at mount
 * and unmount) and journal_recover.c (undo at mount).  The design is
 * written at the top of journal.c.
 */
#ifndef DAXFS_EXT2_JOURNAL_FMT_H
#define DAXFS_EXT2_JOURNAL_FMT_H

#include <endian.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "ext2/ext2.h"

typedef uint64_t le64;
#define le64_get(x) le64toh(x)
#define le64_put(v) htole64(v)

#define JHDR_MAGIC 0x474f4c5346584144ull  /* "DAXFSLOG" */
#define JHDR_SIZE 4096u
#define JLOG_BYTES (JHDR_SIZE + EXT2_JSLOTS * EXT2_JSLOT_SIZE)
#define JSTATE_ACTIVE 0xa5c1u
#define JREC_BYTES 1u                     /* old bytes follow */
#define JREC_BITS_SET 2u                  /* bits were set: undo clears */
#define JREC_BITS_CLR 3u                  /* bits were cleared: undo sets */
#define JREC_ZERO 4u                      /* undo zeroes len bytes */
#define JREC_IBLOCKS 5u                   /* undo recounts an i_blocks */
#define JREC_MAX 256                      /* records per slot, at most */
#define JHDR_UNCLEAN 1u                   /* not clean before that mount */

/* The log header, block 0 of inode 5. */
struct jhdr {
	le64 magic;
	le32 version;
	le32 nslots;
	le32 slot_size;
	le32 mnt_count;                  /* the superblock's, at mount */
	le32 mtime;                      /* s_mtime: the mount's time */
	le32 flags;                      /* JHDR_UNCLEAN */
	le32 check;                      /* of the fields above */
};

/* One record's header; bytes records are followed by len old bytes. */
struct jrec {
	le64 off;                        /* region offset (bitmap: of bit 0) */
	le32 len;                        /* bytes, or the first bit */
	le32 count;                      /* bits; 0 for bytes */
	le32 kind;                       /* JREC_* */
	le32 gen;                        /* the slot's generation */
	le32 csum;                       /* of this header and the bytes */
	le32 pad;
};
_Static_assert(sizeof(struct jrec) == 32, "jrec is 32 bytes");

/* The mounted log. */
struct ext2_journal {
	unsigned char *log;              /* the header, on media */
	uint32_t first_blk;              /* first data block of the log */
	_Atomic uint64_t free_slots;     /* bit i: slot i is free */
	uint32_t gen[EXT2_JSLOTS];       /* next generation, by slot owner */
};


/* A check of [p, p+n), continued from h: FNV-1a over 8-byte words (a
 * tail of bytes), folded to 32 bits.  Not cryptographic: it tells a
 * record written whole from a torn or stale one. */
static inline uint32_t jsum(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t x = h ^ 0xcbf29ce484222325ull, w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		x = (x ^ w) * 0x100000001b3ull;
	}
	while (n--)
		x = (x ^ *b++) * 0x100000001b3ull;
	return (uint32_t)(x ^ (x >> 32));
}

/* The state word of a slot: generation, ACTIVE or 0, and their check. */
static inline uint64_t jstate_word(uint32_t gen, bool active)
{
	uint64_t st = active ? JSTATE_ACTIVE : 0;
	uint64_t w = gen | st << 32;
	uint32_t c = jsum(2166136261u, &w, 6);

	return w | (uint64_t)(c & 0xffff) << 48;
}

/* Decode a state word: 1 active, 0 idle, -1 damaged. */
static inline int jstate_parse(uint64_t w, uint32_t *gen)
{
	uint64_t st = (w >> 32) & 0xffff;

	*gen = (uint32_t)w;
	if (w == 0)
		return 0; /* never used since the log was made */
	if (st != 0 && st != JSTATE_ACTIVE)
		return -1;
	if (w != jstate_word((uint32_t)w, st != 0))
		return -1;
	return st != 0;
}

static inline unsigned char *jslot(struct ext2_journal *j, unsigned i)
{
	return j->log + JHDR_SIZE + (size_t)i * EXT2_JSLOT_SIZE;
}

/* The checksum of record r (csum field excluded) and its bytes. */
static inline uint32_t jrec_sum(const struct jrec *r, const void *bytes)
{
	uint32_t h = jsum(2166136261u, r, offsetof(struct jrec, csum));

	return jsum(h, bytes, le32_get(r->kind) == JREC_BYTES ?
			       le32_get(r->len) : 0);
}

/* The records of one slot: their addresses, oldest first. */
struct jlist {
	const struct jrec *rec[JREC_MAX];
	unsigned n;
};

/* journal_recover.c */
/* Collect slot i's records into l: 1 active, 0 idle, or -EUCLEAN. */
int ext2_jslot_scan(struct ext2_sb_info *fs, struct ext2_journal *j,
		    unsigned i, struct jlist *l);
/* Undo every active slot, recount, clear: slots undone, or -EUCLEAN. */
int ext2_jrecover(struct ext2_sb_info *fs, struct ext2_journal *j);
/* Recompute every free counter from the bitmaps, persisted. */
void ext2_jrecount(struct ext2_sb_info *fs);
/* Set every slot idle, persisted. */
void ext2_jslots_clear(struct ext2_sb_info *fs, struct ext2_journal *j);

#endif
