/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ext2_fs.h -- the on-media layout of ext2 revision 1, as libdaxfs reads
 * and writes it.
 *
 * Every field is little-endian and fixed-width; offsets are pinned by the
 * static assertions at the end of the file.  Field names follow e2fsprogs'
 * lib/ext2fs/ext2_fs.h so that the two can be read side by side.
 */
#ifndef DAXFS_EXT2_FS_H
#define DAXFS_EXT2_FS_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t le16;
typedef uint32_t le32;

#define EXT2_SUPER_MAGIC 0xEF53
#define EXT2_SUPERBLOCK_OFFSET 1024 /* bytes from the start of the region */
#define EXT2_SUPERBLOCK_SIZE 1024

#define EXT2_MIN_BLOCK_LOG_SIZE 10
#define EXT2_MAX_BLOCK_LOG_SIZE 12 /* libdaxfs serves 1 KiB .. 4 KiB blocks */

#define EXT2_GOOD_OLD_REV 0
#define EXT2_DYNAMIC_REV 1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO 11

/* Special inode numbers. */
#define EXT2_BAD_INO 1
#define EXT2_ROOT_INO 2
#define EXT2_RESIZE_INO 7

/* s_state */
#define EXT2_VALID_FS 0x0001 /* cleanly unmounted */
#define EXT2_ERROR_FS 0x0002 /* errors detected */

/* s_errors */
#define EXT2_ERRORS_CONTINUE 1

/* Compatible features: unknown ones are harmless. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC 0x0001
#define EXT2_FEATURE_COMPAT_EXT_ATTR 0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE 0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX 0x0020

/* Read-only compatible features: unknown ones allow a read-only mount. */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR 0x0004
#define EXT2_FEATURE_RO_COMPAT_SUPP                                            \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |                                 \
	 EXT2_FEATURE_RO_COMPAT_LARGE_FILE | EXT2_FEATURE_RO_COMPAT_BTREE_DIR)

/* Incompatible features: unknown ones forbid any mount. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
/* 0x80000000: libdaxfs's log may need replaying (ext2/journal.h) */
#define EXT2_FEATURE_INCOMPAT_SUPP (EXT2_FEATURE_INCOMPAT_FILETYPE | 0x80000000u)

/* The superblock, at byte 1024 of the region. */
struct ext2_super_block {
	le32 s_inodes_count;         /* 0x00 inodes in the fs */
	le32 s_blocks_count;         /* 0x04 blocks in the fs */
	le32 s_r_blocks_count;       /* 0x08 blocks reserved for root */
	le32 s_free_blocks_count;    /* 0x0c free blocks */
	le32 s_free_inodes_count;    /* 0x10 free inodes */
	le32 s_first_data_block;     /* 0x14 block of the superblock: 1 or 0 */
	le32 s_log_block_size;       /* 0x18 block size = 1024 << this */
	le32 s_log_frag_size;        /* 0x1c obsolete, = s_log_block_size */
	le32 s_blocks_per_group;     /* 0x20 */
	le32 s_frags_per_group;      /* 0x24 obsolete, = s_blocks_per_group */
	le32 s_inodes_per_group;     /* 0x28 */
	le32 s_mtime;                /* 0x2c last mount time */
	le32 s_wtime;                /* 0x30 last write time */
	le16 s_mnt_count;            /* 0x34 mounts since the last fsck */
	le16 s_max_mnt_count;        /* 0x36 mounts allowed before a fsck */
	le16 s_magic;                /* 0x38 EXT2_SUPER_MAGIC */
	le16 s_state;                /* 0x3a EXT2_VALID_FS, EXT2_ERROR_FS */
	le16 s_errors;               /* 0x3c behaviour on errors */
	le16 s_minor_rev_level;      /* 0x3e */
	le32 s_lastcheck;            /* 0x40 time of the last fsck */
	le32 s_checkinterval;        /* 0x44 max time between checks */
	le32 s_creator_os;           /* 0x48 0 = Linux */
	le32 s_rev_level;            /* 0x4c EXT2_GOOD_OLD_REV or DYNAMIC_REV */
	le16 s_def_resuid;           /* 0x50 */
	le16 s_def_resgid;           /* 0x52 */
	/* EXT2_DYNAMIC_REV only */
	le32 s_first_ino;            /* 0x54 first non-reserved inode */
	le16 s_inode_size;           /* 0x58 bytes per on-media inode */
	le16 s_block_group_nr;       /* 0x5a group holding this copy */
	le32 s_feature_compat;       /* 0x5c */
	le32 s_feature_incompat;     /* 0x60 */
	le32 s_feature_ro_compat;    /* 0x64 */
	uint8_t s_uuid[16];          /* 0x68 */
	char s_volume_name[16];      /* 0x78 */
	char s_last_mounted[64];     /* 0x88 */
	le32 s_algorithm_usage_bitmap; /* 0xc8 */
	uint8_t s_prealloc_blocks;   /* 0xcc */
	uint8_t s_prealloc_dir_blocks; /* 0xcd */
	le16 s_reserved_gdt_blocks;  /* 0xce blocks kept for online resize */
	uint8_t s_journal_uuid[16];  /* 0xd0 */
	le32 s_journal_inum;         /* 0xe0 */
	le32 s_journal_dev;          /* 0xe4 */
	le32 s_last_orphan;          /* 0xe8 */
	le32 s_hash_seed[4];         /* 0xec htree hash seed */
	uint8_t s_def_hash_version;  /* 0xfc */
	uint8_t s_jnl_backup_type;   /* 0xfd */
	le16 s_desc_size;            /* 0xfe 64bit only */
	le32 s_default_mount_opts;   /* 0x100 */
	le32 s_first_meta_bg;        /* 0x104 */
	le32 s_mkfs_time;            /* 0x108 */
	le32 s_jnl_blocks[17];       /* 0x10c */
	uint8_t s_rest[1024 - 0x150]; /* 0x150 ext4 fields, kept as they are */
};

/* A block group descriptor (32 bytes without the 64bit feature). */
struct ext2_group_desc {
	le32 bg_block_bitmap;      /* 0x00 block of the block bitmap */
	le32 bg_inode_bitmap;      /* 0x04 block of the inode bitmap */
	le32 bg_inode_table;       /* 0x08 first block of the inode table */
	le16 bg_free_blocks_count; /* 0x0c */
	le16 bg_free_inodes_count; /* 0x0e */
	le16 bg_used_dirs_count;   /* 0x10 */
	le16 bg_flags;             /* 0x12 ext4 only, 0 here */
	le32 bg_reserved[3];       /* 0x14 */
};

/* Block pointers in i_block. */
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14
#define EXT2_N_BLOCKS 15

/* i_flags */
#define EXT2_INDEX_FL 0x00001000  /* hash-indexed directory */
#define EXT2_IMMUTABLE_FL 0x00000010
#define EXT2_APPEND_FL 0x00000020
#define EXT4_EXTENTS_FL 0x00080000
#define EXT4_INLINE_DATA_FL 0x10000000

/* The on-media inode (first 128 bytes; s_inode_size may be larger). */
struct ext2_inode {
	le16 i_mode;        /* 0x00 type and permissions */
	le16 i_uid;         /* 0x02 low 16 bits of the owner */
	le32 i_size;        /* 0x04 size, low 32 bits */
	le32 i_atime;       /* 0x08 */
	le32 i_ctime;       /* 0x0c */
	le32 i_mtime;       /* 0x10 */
	le32 i_dtime;       /* 0x14 deletion time, 0 while in use */
	le16 i_gid;         /* 0x18 low 16 bits of the group */
	le16 i_links_count; /* 0x1a hard links */
	le32 i_blocks;      /* 0x1c 512-byte sectors held, metadata included */
	le32 i_flags;       /* 0x20 EXT2_*_FL */
	le32 i_version;     /* 0x24 osd1 */
	le32 i_block[EXT2_N_BLOCKS]; /* 0x28 block map, or a fast symlink */
	le32 i_generation;  /* 0x64 */
	le32 i_file_acl;    /* 0x68 extended attribute block */
	le32 i_size_high;   /* 0x6c size, high 32 bits (regular files) */
	le32 i_faddr;       /* 0x70 obsolete */
	uint8_t i_frag;     /* 0x74 */
	uint8_t i_fsize;    /* 0x75 */
	le16 i_pad1;        /* 0x76 */
	le16 i_uid_high;    /* 0x78 */
	le16 i_gid_high;    /* 0x7a */
	le32 i_reserved2;   /* 0x7c */
};

/* A directory entry with the filetype feature. */
#define EXT2_NAME_LEN 255
struct ext2_dir_entry_2 {
	le32 inode;       /* 0x0 inode number, 0 for an unused entry */
	le16 rec_len;     /* 0x4 bytes to the next entry */
	uint8_t name_len; /* 0x6 */
	uint8_t file_type; /* 0x7 EXT2_FT_*, 0 without the filetype feature */
	char name[];      /* 0x8 not NUL-terminated */
};

#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR 2
#define EXT2_FT_CHRDEV 3
#define EXT2_FT_BLKDEV 4
#define EXT2_FT_FIFO 5
#define EXT2_FT_SOCK 6
#define EXT2_FT_SYMLINK 7
#define EXT2_FT_MAX 8

/* Bytes a directory entry with a name of len bytes needs. */
#define EXT2_DIR_REC_LEN(len) (((len) + 8 + 3) & ~3u)

/* Header of an extended attribute block. */
#define EXT2_EXT_ATTR_MAGIC 0xEA020000
struct ext2_ext_attr_header {
	le32 h_magic;    /* 0x00 EXT2_EXT_ATTR_MAGIC */
	le32 h_refcount; /* 0x04 inodes sharing this block */
	le32 h_blocks;   /* 0x08 always 1 */
	le32 h_hash;     /* 0x0c */
	le32 h_reserved[4];
};

/* One entry of an extended attribute block: after the header, sorted
 * by (e_name_index, e_name_len, e_name), ended by a zero word; values
 * are stored from the block's end down, each padded to 4 bytes. */
struct ext2_ext_attr_entry {
	uint8_t e_name_len;   /* 0x00 bytes of e_name */
	uint8_t e_name_index; /* 0x01 the prefix (EXT2_XATTR_INDEX_*) */
	le16 e_value_offs;    /* 0x02 offset of the value in the block */
	le32 e_value_block;   /* 0x04 always 0 (value in this block) */
	le32 e_value_size;    /* 0x08 bytes of the value */
	le32 e_hash;          /* 0x0c hash of name and value */
	char e_name[];        /* 0x10 the name without its prefix */
};

#define EXT2_XATTR_INDEX_USER 1
#define EXT2_XATTR_INDEX_POSIX_ACL_ACCESS 2
#define EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT 3
#define EXT2_XATTR_INDEX_TRUSTED 4
#define EXT2_XATTR_INDEX_SECURITY 6

/* Bytes an entry with a name of len bytes takes, and a padded value. */
#define EXT2_XATTR_ENTRY_LEN(len) (((len) + 16 + 3) & ~3u)
#define EXT2_XATTR_SIZE(size) (((size) + 3) & ~3u)

#define EXT2_LINK_MAX 32000
#define EXT2_FAST_SYMLINK_MAX (EXT2_N_BLOCKS * 4 - 1) /* 59 bytes */

_Static_assert(sizeof(struct ext2_super_block) == 1024, "superblock size");
_Static_assert(offsetof(struct ext2_super_block, s_magic) == 0x38, "s_magic");
_Static_assert(offsetof(struct ext2_super_block, s_first_ino) == 0x54, "s_first_ino");
_Static_assert(offsetof(struct ext2_super_block, s_feature_incompat) == 0x60, "incompat");
_Static_assert(offsetof(struct ext2_super_block, s_uuid) == 0x68, "s_uuid");
_Static_assert(offsetof(struct ext2_super_block, s_reserved_gdt_blocks) == 0xce, "rsv gdt");
_Static_assert(offsetof(struct ext2_super_block, s_hash_seed) == 0xec, "hash seed");
_Static_assert(offsetof(struct ext2_super_block, s_mkfs_time) == 0x108, "mkfs time");
_Static_assert(offsetof(struct ext2_super_block, s_rest) == 0x150, "ext4 tail");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor size");
_Static_assert(offsetof(struct ext2_group_desc, bg_used_dirs_count) == 0x10, "used dirs");
_Static_assert(sizeof(struct ext2_inode) == 128, "inode size");
_Static_assert(offsetof(struct ext2_inode, i_links_count) == 0x1a, "i_links_count");
_Static_assert(offsetof(struct ext2_inode, i_block) == 0x28, "i_block");
_Static_assert(offsetof(struct ext2_inode, i_file_acl) == 0x68, "i_file_acl");
_Static_assert(offsetof(struct ext2_inode, i_size_high) == 0x6c, "i_size_high");
_Static_assert(offsetof(struct ext2_inode, i_uid_high) == 0x78, "i_uid_high");
_Static_assert(sizeof(struct ext2_dir_entry_2) == 8, "dirent header");
_Static_assert(sizeof(struct ext2_ext_attr_header) == 32, "xattr header");
_Static_assert(sizeof(struct ext2_ext_attr_entry) == 16, "xattr entry");

/* Little-endian accessors for on-media fields. */
#define le16_get(x) le16toh(x)
#define le32_get(x) le32toh(x)
#define le16_put(v) htole16(v)
#define le32_put(v) htole32(v)

#endif /* DAXFS_EXT2_FS_H */
