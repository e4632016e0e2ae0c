/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_util.h -- helpers of the black-box API tests (test_api, test_badinput,
 * test_enospc, test_concurrency): temporary images on /dev/shm, mkfs+mount,
 * running e2fsprogs as oracles, hashing whole images, deterministic data.
 *
 * Everything here is prefixed au_/AU_ so that it cannot clash with the other
 * helpers linked into the same static test library.
 */
#ifndef DAXFS_TEST_API_UTIL_H
#define DAXFS_TEST_API_UTIL_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "daxfs.h"

#define AU_KIB (1024ULL)
#define AU_MIB (1024ULL * 1024ULL)

/* "ENOENT" for -ENOENT (or ENOENT), "OK" for values >= 0. */
const char *au_errname(long long rc);

/*
 * Assertions on daxfs return values.  Messages carry the call, the value,
 * its errno name and daxfs_errormsg() of the failure.
 */
#define AU_OK(expr)                                                          \
	do {                                                                 \
		long long au_r_ = (long long)(expr);                         \
		cr_assert(au_r_ >= 0, "%s failed: %lld (%s): \"%s\"", #expr, \
			  au_r_, au_errname(au_r_), daxfs_errormsg());       \
	} while (0)

/* expr must fail with -err, and daxfs_errormsg() must then be a sentence. */
#define AU_ERR(expr, err)                                                    \
	do {                                                                 \
		long long au_r_ = (long long)(expr);                         \
		cr_assert_eq(au_r_, -(long long)(err),                       \
			     "%s returned %lld (%s), expected -%s: \"%s\"",  \
			     #expr, au_r_, au_errname(au_r_), #err,          \
			     au_r_ < 0 ? daxfs_errormsg() : "");             \
		au_assert_errormsg(#expr);                                   \
	} while (0)

/* expr must fail with -e1 or -e2 (the errnos may come from one macro). */
#define AU_ERR2(expr, ...) AU_ERR2_(expr, __VA_ARGS__)
#define AU_ERR2_(expr, e1, e2)                                               \
	do {                                                                 \
		long long au_r_ = (long long)(expr);                         \
		cr_assert(au_r_ == -(long long)(e1) ||                       \
				  au_r_ == -(long long)(e2),                 \
			  "%s returned %lld (%s), expected -%s or -%s: "     \
			  "\"%s\"",                                          \
			  #expr, au_r_, au_errname(au_r_), #e1, #e2,         \
			  au_r_ < 0 ? daxfs_errormsg() : "");                \
		au_assert_errormsg(#expr);                                   \
	} while (0)

/* expr must fail with -e1, -e2 or -e3. */
#define AU_ERR3(expr, ...) AU_ERR3_(expr, __VA_ARGS__)
#define AU_ERR3_(expr, e1, e2, e3)                                           \
	do {                                                                 \
		long long au_r_ = (long long)(expr);                         \
		cr_assert(au_r_ == -(long long)(e1) ||                       \
				  au_r_ == -(long long)(e2) ||               \
				  au_r_ == -(long long)(e3),                 \
			  "%s returned %lld (%s), expected -%s, -%s or -%s: " \
			  "\"%s\"",                                          \
			  #expr, au_r_, au_errname(au_r_), #e1, #e2, #e3,    \
			  au_r_ < 0 ? daxfs_errormsg() : "");                \
		au_assert_errormsg(#expr);                                   \
	} while (0)

/* expr must return exactly want (a byte count). */
#define AU_EQ(expr, want)                                                    \
	do {                                                                 \
		long long au_r_ = (long long)(expr);                         \
		long long au_w_ = (long long)(want);                         \
		cr_assert_eq(au_r_, au_w_,                                   \
			     "%s returned %lld (%s), expected %lld: \"%s\"", \
			     #expr, au_r_, au_errname(au_r_), au_w_,         \
			     au_r_ < 0 ? daxfs_errormsg() : "");             \
	} while (0)

/* Asserts daxfs_errormsg() is a non-empty sentence (after a failure). */
void au_assert_errormsg(const char *what);

/* ---- temporary images ---------------------------------------------- */

/*
 * A unique path /dev/shm/daxfs-<tag>-<pid>-<n>.img (the file is not
 * created).  It is removed by au_cleanup().  The string lives until then.
 */
const char *au_image_path(const char *tag);

/* Remove every image made by au_image_path(); use as a suite's .fini. */
void au_cleanup(void);

/* daxfs_mkfs with the given options (0 = default); returns its result. */
int au_mkfs(const char *path, uint64_t size, uint32_t block_size,
	    uint32_t inodes);

/* A fresh image: au_image_path + daxfs_mkfs + daxfs_mount (asserted). */
daxfs *au_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		 uint32_t inodes, const char **path_out);

/* daxfs_mount asserted to succeed. */
daxfs *au_mount(const char *path, unsigned flags);

/* Assert daxfs_unmount() == 0 and "e2fsck -fn path" exits 0. */
void au_unmount_fsck(daxfs *fs, const char *path);

/* ---- running programs ---------------------------------------------- */

/*
 * Run argv (argv[0] looked up in PATH, /sbin and /usr/sbin), stdout and
 * stderr captured together into *out (malloc'd, NUL-terminated; may be NULL
 * if out is NULL).  Returns the exit status, or 128+signal, or -1.
 */
int au_run(const char *const argv[], char **out);

/* "e2fsck -fn path": exit status; the output is printed when non-zero. */
int au_e2fsck(const char *path);

/* "debugfs -R cmd path": output (malloc'd) and exit status in *status. */
char *au_debugfs(const char *path, const char *cmd, int *status);

/*
 * "dumpe2fs -h path" and the number after field (e.g. "Free blocks:");
 * -1 if not found.
 */
long long au_dumpe2fs_num(const char *path, const char *field);

/* ---- raw image access ---------------------------------------------- */

/* A 64-bit hash of the whole file's contents and size. */
uint64_t au_hash_file(const char *path);
/* Size of a file, -1 if missing. */
long long au_file_size(const char *path);
/* pread/pwrite on the image file itself (asserted to be complete). */
void au_raw_read(const char *path, uint64_t off, void *buf, size_t len);
void au_raw_write(const char *path, uint64_t off, const void *buf, size_t len);

/* Geometry of an ext2 image read from its superblock. */
struct au_geom {
	uint32_t block_size;
	uint32_t blocks_count;
	uint32_t inodes_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inode_size;
	uint32_t groups;
	uint64_t gdt_off;         /* byte offset of the group descriptors */
	uint32_t inode_table0;    /* inode table block of group 0 */
	uint32_t block_bitmap0;
	uint32_t inode_bitmap0;
};
void au_geom(const char *path, struct au_geom *g);
/* Byte offset of inode ino (1-based) in the image. */
uint64_t au_inode_off(const char *path, const struct au_geom *g, uint32_t ino);
/* First data block of path inside the image (via debugfs "blocks"). */
uint32_t au_first_block(const char *image, const char *path);

/* ---- data ---------------------------------------------------------- */

/* Fill buf with the bytes at file offsets [off, off+len) of pattern seed. */
void au_pattern(void *buf, size_t len, uint64_t seed, uint64_t off);
/* Index of the first byte differing from the pattern, or -1 if all match. */
long long au_pattern_check(const void *buf, size_t len, uint64_t seed,
			   uint64_t off);
/* True if all len bytes are zero. */
int au_all_zero(const void *buf, size_t len);

/* Write len pattern bytes at off into f (asserted complete). */
void au_write_pattern(daxfs_file *f, uint64_t seed, off_t off, size_t len);
/* Read [off, off+len) of f and assert it is the pattern. */
void au_check_file_pattern(daxfs_file *f, uint64_t seed, off_t off,
			   size_t len);

/* splitmix64 step: a small deterministic PRNG. */
uint64_t au_rand(uint64_t *state);

#endif
