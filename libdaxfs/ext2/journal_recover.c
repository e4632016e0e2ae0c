/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal_recover.c -- recovery of the undo journal at mount: every
 * slot checked, the active ones undone newest record first, i_blocks
 * recounted, the counters recomputed, the slots cleared; after the
 * orphans (orphan.c), stray deletion times fixed.  Every step is
 * idempotent.  The design is written at the top of journal.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "ext2/journal.h"
#include "ext2/journal_fmt.h"

/* ---- recovery ------------------------------------------------------- */


/* The bitmap at region offset off: its bit count, or 0 if off is no
 * group's block or inode bitmap. */
static uint32_t jbitmap_bits(struct ext2_sb_info *fs, uint64_t off)
{
	uint32_t g;

	for (g = 0; g < fs->groups_count; g++) {
		uint64_t bb = (uint64_t)fs->groups[g].block_bitmap
			      << fs->blocksize_bits;
		uint64_t ib = (uint64_t)fs->groups[g].inode_bitmap
			      << fs->blocksize_bits;

		if (off == bb)
			return ext2_group_nblocks(fs, g);
		if (off == ib)
			return fs->inodes_per_group;
	}
	return 0;
}

/* The inode whose i_blocks is at region offset off, or NULL. */
static struct ext2_inode *jinode_at(struct ext2_sb_info *fs, uint64_t off)
{
	uint64_t at = off - offsetof(struct ext2_inode, i_blocks), rel;
	uint32_t g;

	for (g = 0; g < fs->groups_count; g++) {
		uint64_t it = (uint64_t)fs->groups[g].inode_table
			      << fs->blocksize_bits;

		if (at < it)
			continue;
		rel = at - it;
		if (rel < (uint64_t)fs->inodes_per_group * fs->inode_size &&
		    rel % fs->inode_size == 0)
			return (struct ext2_inode *)(fs->base + at);
	}
	return NULL;
}

/* Is record r one recovery may apply (inside the file system, outside
 * the log, a real bitmap)? */
static bool jrec_sane(struct ext2_sb_info *fs, struct ext2_journal *j,
		      const struct jrec *r)
{
	uint64_t off = le64_get(r->off), end = (uint64_t)fs->blocks_count
					       << fs->blocksize_bits;
	uint64_t lo = (uint64_t)j->first_blk << fs->blocksize_bits;
	uint32_t kind = le32_get(r->kind), len = le32_get(r->len);
	uint32_t nbits;

	if (kind == JREC_IBLOCKS)
		return len == 4 && jinode_at(fs, off) != NULL;
	if (kind == JREC_BYTES || kind == JREC_ZERO)
		return len && (kind != JREC_BYTES || len <= EXT2_JSLOT_SIZE) &&
		       len <= (1u << 20) && off >= 1024 && off + len <= end &&
		       (off + len <= lo || off >= lo + JLOG_BYTES);
	if (kind != JREC_BITS_SET && kind != JREC_BITS_CLR)
		return false;
	nbits = jbitmap_bits(fs, off);
	return nbits && le32_get(r->count) &&
	       (uint64_t)len + le32_get(r->count) <= nbits;
}

/* Collect slot i's records into l; 1 if it is active, 0 if idle, or
 * -EUCLEAN (nothing changed) if it is damaged. */
int ext2_jslot_scan(struct ext2_sb_info *fs, struct ext2_journal *j,
		      unsigned i, struct jlist *l)
{
	unsigned char *s = jslot(j, i);
	uint32_t gen, used = 64;
	int st = jstate_parse(le64_get(*(le64 *)s), &gen);

	l->n = 0;
	if (st < 0)
		return err_set(-EUCLEAN, "the journal is damaged: slot %u has "
			       "a bad state word", i);
	if (st == 0)
		return 0;
	while (used + sizeof(struct jrec) <= EXT2_JSLOT_SIZE &&
	       l->n < JREC_MAX) {
		const struct jrec *r = (const struct jrec *)(s + used);
		uint32_t dlen = le32_get(r->kind) == JREC_BYTES ?
				le32_get(r->len) : 0;

		if (le32_get(r->gen) != gen || dlen > EXT2_JSLOT_SIZE ||
		    used + sizeof(*r) + dlen > EXT2_JSLOT_SIZE ||
		    le32_get(r->csum) != jrec_sum(r, r + 1))
			break; /* the end of the list */
		if (!jrec_sane(fs, j, r))
			return err_set(-EUCLEAN, "the journal is damaged: "
				       "slot %u, record %u is outside the "
				       "file system", i, l->n);
		l->rec[l->n++] = r;
		used += sizeof(*r) + ((dlen + 7) & ~7u);
	}
	return 1;
}

/* Undo record r (flushed, not drained). */
static void jrec_undo(struct ext2_sb_info *fs, const struct jrec *r)
{
	uint64_t off = le64_get(r->off);
	uint32_t kind = le32_get(r->kind), len = le32_get(r->len), k;
	uint8_t *bm = fs->base + off;

	if (kind == JREC_BYTES || kind == JREC_ZERO) {
		if (kind == JREC_BYTES)
			memcpy(fs->base + off, r + 1, len);
		else
			memset(fs->base + off, 0, len);
		region_flush(fs->rgn, fs->base + off, len);
		return;
	}
	if (kind == JREC_IBLOCKS)
		return; /* recounted after every undo (jrecover) */
	for (k = len; k < len + le32_get(r->count); k++) {
		if (kind == JREC_BITS_SET)
			ext2_bitmap_clear(bm, k);
		else
			ext2_bitmap_set(bm, k);
	}
	region_flush(fs->rgn, bm + (len >> 3),
		     ((len + le32_get(r->count) - 1) >> 3) - (len >> 3) + 1);
}

/* After the undo: recount the i_blocks an IBLOCKS record names from
 * the block map as it is now (idempotent, unlike a subtraction). */
static void jrec_recount(struct ext2_sb_info *fs, const struct jrec *r)
{
	struct ext2_inode *raw;

	if (le32_get(r->kind) != JREC_IBLOCKS)
		return;
	raw = jinode_at(fs, le64_get(r->off));
	raw->i_blocks = le32_put(ext2_bmap_count(fs, raw));
	region_flush(fs->rgn, &raw->i_blocks, 4);
}

/* Count the directories among group g's inodes in use. */
static uint32_t jcount_dirs(struct ext2_sb_info *fs, uint32_t g,
			    const uint8_t *ibm)
{
	const unsigned char *it = ext2_block(fs, fs->groups[g].inode_table);
	uint32_t i, n = 0;

	for (i = 0; i < fs->inodes_per_group; i++) {
		const struct ext2_inode *raw = (const void *)(it +
			(size_t)i * fs->inode_size);

		if (ext2_bitmap_test(ibm, i) && S_ISDIR(le16_get(raw->i_mode)))
			n++;
	}
	return n;
}

/* Recompute every group's counters and the superblock's from the
 * bitmaps and inode tables; persisted, and the DRAM sums set. */
void ext2_jrecount(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;
	uint64_t fb = 0, fi = 0;
	uint32_t g, i;

	for (g = 0; g < fs->groups_count; g++) {
		struct ext2_group_desc *gd = &fs->gdt[g];
		const uint8_t *ibm = ext2_block(fs,
						fs->groups[g].inode_bitmap);
		uint32_t nb, ni = 0;

		ext2_count_free_blocks(fs, g, &nb);
		for (i = 0; i < fs->inodes_per_group; i++)
			ni += !ext2_bitmap_test(ibm, i);
		gd->bg_free_blocks_count = le16_put(nb);
		gd->bg_free_inodes_count = le16_put(ni);
		gd->bg_used_dirs_count = le16_put(jcount_dirs(fs, g, ibm));
		region_flush(fs->rgn, gd, sizeof(*gd));
		fb += nb;
		fi += ni;
	}
	es->s_free_blocks_count = le32_put((uint32_t)fb);
	es->s_free_inodes_count = le32_put((uint32_t)fi);
	ext2_persist(fs, es, 0x40);
	atomic_store(&fs->free_blocks, fb);
	atomic_store(&fs->free_inodes, fi);
}

/* Set every slot idle (persisted). */
void ext2_jslots_clear(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	unsigned i;

	for (i = 0; i < EXT2_JSLOTS; i++) {
		le64 *w = (le64 *)jslot(j, i);
		uint32_t gen;

		if (jstate_parse(le64_get(*w), &gen) != 0) {
			*w = le64_put(jstate_word(gen, false));
			region_flush(fs->rgn, w, 8);
		}
	}
	region_drain(fs->rgn);
}

/*
 * Undo what the log holds (see the top): check every slot first, then
 * undo the active ones newest record first, recompute the counters,
 * clear the slots.  Returns how many slots were active, or -EUCLEAN.
 */
int ext2_jrecover(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	struct jlist *l = mem_zalloc(sizeof(*l) * EXT2_JSLOTS);
	int active = 0, ret = 0;
	unsigned i, k;

	if (!l)
		return err_set(-ENOMEM, "out of memory for recovery");
	for (i = 0; i < EXT2_JSLOTS && ret >= 0; i++) {
		ret = ext2_jslot_scan(fs, j, i, &l[i]);
		active += ret == 1;
	}
	if (ret >= 0 && !fs->vfs.rdonly) {
		for (i = 0; i < EXT2_JSLOTS; i++)
			for (k = l[i].n; k-- > 0;)
				jrec_undo(fs, l[i].rec[k]);
		for (i = 0; i < EXT2_JSLOTS; i++)
			for (k = 0; k < l[i].n; k++)
				jrec_recount(fs, l[i].rec[k]);
		region_drain(fs->rgn);
		ext2_jrecount(fs);
		ext2_jslots_clear(fs, j);
	}
	mem_free(l);
	return ret < 0 ? ret : active;
}

/*
 * Fix the i_dtime a crash left between taking an inode off the orphan
 * chain (one store into the one before it) and its own i_dtime store: a
 * deleted inode gets a deletion time, one in use none.  No inode is on
 * the chain now, so no i_dtime is a chain link.
 */
static void jfix_dtimes(struct ext2_sb_info *fs)
{
	uint32_t g, i, now = ext2_now();

	for (g = 0; g < fs->groups_count; g++) {
		unsigned char *it = ext2_block(fs, fs->groups[g].inode_table);

		for (i = 0; i < fs->inodes_per_group; i++) {
			struct ext2_inode *raw = (void *)(it +
				(size_t)i * fs->inode_size);
			uint32_t dt = le32_get(raw->i_dtime), want = dt;

			if (g * fs->inodes_per_group + i + 1 < fs->first_ino)
				continue; /* reserved: not ours to judge */
			if (le16_get(raw->i_links_count))
				want = 0;
			else if (le16_get(raw->i_mode) && dt < fs->inodes_count)
				want = now;
			if (want != dt) {
				raw->i_dtime = le32_put(want);
				region_flush(fs->rgn, &raw->i_dtime, 4);
			}
		}
	}
}

/* After the orphans are finished (super.c): fix the deletion times and
 * recompute the free counters from the bitmaps. */
void ext2_journal_recount(struct ext2_sb_info *fs)
{
	jfix_dtimes(fs);
	ext2_jrecount(fs);
}
