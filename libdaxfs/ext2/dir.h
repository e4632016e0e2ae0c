/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir.h -- private to the directory files (dir.c, dir_block.c): the
 * records of a directory block.
 */
#ifndef DAXFS_EXT2_DIR_H
#define DAXFS_EXT2_DIR_H

#include "ext2/ext2.h"

#define DIR_MIN_REC EXT2_DIR_REC_LEN(1)

/* Bytes of a live entry's record that its name needs. */
static inline uint32_t de_need(const struct ext2_dir_entry_2 *de)
{
	return EXT2_DIR_REC_LEN(de->name_len);
}

/* Free bytes in a record (all of it when unused). */
static inline uint32_t de_avail(const struct ext2_dir_entry_2 *de)
{
	uint32_t rl = le16_get(de->rec_len);

	return de->inode ? rl - de_need(de) : rl;
}

/* The record at byte off of a directory block. */
static inline struct ext2_dir_entry_2 *de_at(unsigned char *blk, uint32_t off)
{
	return (struct ext2_dir_entry_2 *)(blk + off);
}

#endif
