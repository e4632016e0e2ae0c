/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.h -- Criterion-asserting helpers of the tests (tests/util/check.c),
 * built on common.h.  Every CHECK_ macro and check_ function fails the
 * running Criterion test when what it checks does not hold, with a message
 * that names the call, the value, its errno name and daxfs_errormsg().
 * The TSan programs cannot use this file (Criterion cannot run under TSan):
 * they have tests/tsan/tsan_util.h.
 *
 * Public API only (daxfs.h): the white-box unit tests include the private
 * headers they need themselves.
 */
#ifndef DAXFS_TEST_CHECK_H
#define DAXFS_TEST_CHECK_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "common.h"
#include "daxfs.h"

/* ---- return values -------------------------------------------------- */

/* expr must return exactly want (a count, 0, or a negative errno). */
#define CHECK_EQ(expr, want)                                                 \
	do {                                                                 \
		long long ck_r_ = (long long)(expr);                         \
		long long ck_w_ = (long long)(want);                         \
		cr_assert_eq(ck_r_, ck_w_,                                   \
			     "%s = %lld (%s), expected %lld (%s): \"%s\"",   \
			     #expr, ck_r_, test_errname(ck_r_), ck_w_,       \
			     test_errname(ck_w_),                            \
			     ck_r_ < 0 ? daxfs_errormsg() : "");             \
	} while (0)

/* expr must return exactly 0. */
#define CHECK_OK(expr) CHECK_EQ(expr, 0)

/*
 * expr must fail with exactly -err, and daxfs_errormsg() must then be a
 * sentence that contains sub (case-insensitive; NULL: any sentence).
 */
#define CHECK_ERR_MSG(expr, err, sub)                                        \
	do {                                                                 \
		long long ck_r_ = (long long)(expr);                         \
		cr_assert_eq(ck_r_, -(long long)(err),                       \
			     "%s = %lld (%s), expected -%s: \"%s\"", #expr,  \
			     ck_r_, test_errname(ck_r_), #err,               \
			     ck_r_ < 0 ? daxfs_errormsg() : "");             \
		check_errormsg(#expr, (sub));                                \
	} while (0)

/* expr must fail with exactly -err and leave a sentence in errormsg. */
#define CHECK_ERR(expr, err) CHECK_ERR_MSG(expr, err, NULL)

/* expr must fail with -e1 or -e2 (the errnos may come from one macro). */
#define CHECK_ERR2(expr, ...) CHECK_ERR2_(expr, __VA_ARGS__)
#define CHECK_ERR2_(expr, e1, e2)                                            \
	do {                                                                 \
		long long ck_r_ = (long long)(expr);                         \
		cr_assert(ck_r_ == -(long long)(e1) ||                       \
				  ck_r_ == -(long long)(e2),                 \
			  "%s = %lld (%s), expected -%s or -%s: \"%s\"",     \
			  #expr, ck_r_, test_errname(ck_r_), #e1, #e2,       \
			  ck_r_ < 0 ? daxfs_errormsg() : "");                \
		check_errormsg(#expr, NULL);                                 \
	} while (0)

/* expr must fail with -e1, -e2 or -e3. */
#define CHECK_ERR3(expr, ...) CHECK_ERR3_(expr, __VA_ARGS__)
#define CHECK_ERR3_(expr, e1, e2, e3)                                        \
	do {                                                                 \
		long long ck_r_ = (long long)(expr);                         \
		cr_assert(ck_r_ == -(long long)(e1) ||                       \
				  ck_r_ == -(long long)(e2) ||               \
				  ck_r_ == -(long long)(e3),                 \
			  "%s = %lld (%s), expected -%s, -%s or -%s: "       \
			  "\"%s\"",                                          \
			  #expr, ck_r_, test_errname(ck_r_), #e1, #e2, #e3,  \
			  ck_r_ < 0 ? daxfs_errormsg() : "");                \
		check_errormsg(#expr, NULL);                                 \
	} while (0)

/*
 * After a failure of what: daxfs_errormsg() is a sentence (8 characters or
 * more, 5 letters or more) and contains sub (case-insensitive) if not NULL.
 */
void check_errormsg(const char *what, const char *sub);

/* ---- file systems --------------------------------------------------- */

/* daxfs_mkfs with these options (0 = default) succeeds. */
void check_mkfs(const char *path, uint64_t size, uint32_t block_size,
		uint32_t inodes);

/* daxfs_mount succeeds: the handle. */
daxfs *check_mount(const char *path, unsigned flags);

/* A fresh file system: test_image_path(tag) + check_mkfs + check_mount;
 * the image's path in *path_out if path_out. */
daxfs *check_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		    uint32_t inodes, const char **path_out);

/* Copy the region file src to dst byte for byte: the image a crash at
 * this instant leaves (on /dev/shm a crash of the process loses nothing
 * written to the mapping). */
void check_copy_image(const char *src, const char *dst);

/* daxfs_unmount returns 0. */
void check_unmount(daxfs *fs);

/* check_unmount, then "e2fsck -fn path" exits 0. */
void check_unmount_fsck(daxfs *fs, const char *path);

/* daxfs_open succeeds: the handle. */
daxfs_file *check_open(daxfs *fs, const char *path, int flags, mode_t mode);

/* daxfs_close returns 0. */
void check_close(daxfs_file *f);

/* daxfs_statfs succeeds: what it says. */
struct statvfs check_statfs(daxfs *fs);

/* daxfs_map succeeds with a non-NULL address: the view. */
void *check_map(daxfs_file *f, off_t off, size_t len, int prot,
		unsigned flags);

/* The number a "dumpe2fs -h" field (no colon) starts with; the field
 * exists. */
uint64_t check_dumpe2fs_num(const char *img, const char *field);

/* ---- pattern data in libdaxfs files --------------------------------- */

/* Write len bytes of test_pattern(seed) at off into f (complete writes). */
void check_pwrite_pattern(daxfs_file *f, uint64_t seed, off_t off,
			  size_t len);

/* Read [off, off+len) of f: complete reads of test_pattern(seed). */
void check_pread_pattern(daxfs_file *f, uint64_t seed, off_t off,
			 size_t len);

/* Read [off, off+len) of f: a complete read of zeros (the first other
 * byte named in the failure). */
void check_pread_zeros(daxfs_file *f, uint64_t off, uint64_t len);

/* Create (or truncate) path and fill it with len bytes of pattern seed. */
void check_create_pattern_file(daxfs *fs, const char *path, uint64_t seed,
			       size_t len);

/* path is exactly len bytes of pattern seed: size, contents, and a read at
 * the end returns 0. */
void check_pattern_file(daxfs *fs, const char *path, uint64_t seed,
			size_t len);

/* The libdaxfs tree at "/" equals the host tree hostdir: names, types,
 * sizes, bytes, link targets, modes and link counts (lost+found left
 * out); when names the moment in the failure message. */
void check_same_tree(daxfs *fs, const char *hostdir, const char *when);

/* ---- raw image access ----------------------------------------------- */

/* The whole file (malloc'd), its size in *len. */
unsigned char *check_read_file(const char *path, size_t *len);

/* The file's contents are exactly buf[0..len). */
void check_file_is(const char *path, const unsigned char *buf, size_t len);

/* Complete pread/pwrite on the image file itself. */
void check_raw_read(const char *path, uint64_t off, void *buf, size_t len);
void check_raw_write(const char *path, uint64_t off, const void *buf,
		     size_t len);

/* Little-endian fields of the image file. */
uint32_t check_raw_le32(const char *path, uint64_t off);
uint16_t check_raw_le16(const char *path, uint64_t off);
void check_raw_put_le32(const char *path, uint64_t off, uint32_t v);
void check_raw_put_le16(const char *path, uint64_t off, uint16_t v);

/* A 64-bit hash of the whole file's contents and size. */
uint64_t check_hash_file(const char *path);

/* Geometry of an ext2 image read from its superblock. */
struct check_geom {
	uint32_t block_size;
	uint32_t blocks_count;
	uint32_t inodes_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inode_size;
	uint32_t groups;
	uint64_t gdt_off;      /* byte offset of the group descriptors */
	uint32_t inode_table0; /* inode table block of group 0 */
	uint32_t block_bitmap0;
	uint32_t inode_bitmap0;
};

/* Read the geometry of the ext2 image path (it has the ext2 magic). */
void check_geom(const char *path, struct check_geom *g);

/* Byte offset of inode ino (1-based) in the image. */
uint64_t check_inode_off(const char *path, const struct check_geom *g,
			 uint32_t ino);

/* First data block of path inside the image (via debugfs "blocks"). */
uint32_t check_first_block(const char *image, const char *path);

#endif /* DAXFS_TEST_CHECK_H */
