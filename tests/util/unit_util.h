/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unit_util.h -- helpers of the white-box unit tests (tests/unit/test_*.c):
 * temporary images on /dev/shm, mkfs + mount asserted, the real e2fsprogs
 * as oracles, raw access to an image file, exact error-code assertions.
 *
 * Everything is prefixed uu_/UU_ so that it cannot clash with the other
 * helpers linked into the same static test library.  This header does not
 * include the library's private headers: the unit tests do that themselves.
 */
#ifndef DAXFS_TEST_UNIT_UTIL_H
#define DAXFS_TEST_UNIT_UTIL_H 1

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "daxfs.h"

#define UU_KIB (1024ULL)
#define UU_MIB (1024ULL * 1024ULL)

/* "ENOENT" for -ENOENT, "OK" for values >= 0, the number otherwise. */
const char *uu_errname(long long rc);

/* expr must return exactly 0 (or, for UU_OKN, any value >= 0). */
#define UU_OK(expr)                                                          \
	do {                                                                 \
		long long uu_r_ = (long long)(expr);                         \
		cr_assert_eq(uu_r_, 0, "%s = %lld (%s): \"%s\"", #expr,      \
			     uu_r_, uu_errname(uu_r_), daxfs_errormsg());    \
	} while (0)

/* expr must return exactly want (want is a negative errno or a count). */
#define UU_EQ(expr, want)                                                    \
	do {                                                                 \
		long long uu_r_ = (long long)(expr);                         \
		long long uu_w_ = (long long)(want);                         \
		cr_assert_eq(uu_r_, uu_w_,                                   \
			     "%s = %lld (%s), expected %lld (%s): \"%s\"",   \
			     #expr, uu_r_, uu_errname(uu_r_), uu_w_,         \
			     uu_errname(uu_w_), daxfs_errormsg());           \
	} while (0)

/* expr must fail with exactly -err and leave a non-empty errormsg that
 * contains the substring sub (case-insensitive; NULL: any sentence). */
#define UU_ERR(expr, err, sub)                                               \
	do {                                                                 \
		long long uu_r_ = (long long)(expr);                         \
		cr_assert_eq(uu_r_, -(long long)(err),                       \
			     "%s = %lld (%s), expected -%s: \"%s\"", #expr,  \
			     uu_r_, uu_errname(uu_r_), #err,                 \
			     daxfs_errormsg());                              \
		uu_assert_errormsg(#expr, (sub));                            \
	} while (0)

/* Assert daxfs_errormsg() is non-empty and contains sub (if not NULL). */
void uu_assert_errormsg(const char *what, const char *sub);

/* ---- temporary images ---------------------------------------------- */

/* A unique path /dev/shm/daxfs-unit-TAG-PID-N.img (not created); removed
 * by uu_cleanup().  The string lives until then. */
const char *uu_image_path(const char *tag);

/* Remove every image made by uu_image_path(); use as a suite's .fini. */
void uu_cleanup(void);

/* daxfs_mkfs asserted to succeed. */
void uu_mkfs(const char *path, uint64_t size, uint32_t block_size,
	     uint32_t inodes);

/* daxfs_mount asserted to succeed. */
daxfs *uu_mount(const char *path, unsigned flags);

/* uu_image_path + uu_mkfs + uu_mount. */
daxfs *uu_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		 uint32_t inodes, const char **path_out);

/* daxfs_unmount asserted to return 0. */
void uu_unmount(daxfs *fs);

/* daxfs_unmount asserted, then "e2fsck -fn path" asserted to exit 0. */
void uu_unmount_fsck(daxfs *fs, const char *path);

/* ---- e2fsprogs ----------------------------------------------------- */

/* Run argv (argv[0] looked up in PATH, /sbin, /usr/sbin) with stdout and
 * stderr captured into *out (malloc'd, NUL-terminated) if out != NULL.
 * Returns the exit status, 128+signal, or -1. */
int uu_run(const char *const argv[], char **out);

/* "e2fsck -fn path": the exit status; the output is printed if not 0. */
int uu_e2fsck(const char *path);

/* "debugfs -R cmd path": its stdout+stderr (malloc'd). */
char *uu_debugfs(const char *path, const char *cmd);

/* ---- raw image access ---------------------------------------------- */

/* The whole file, malloc'd, its size in *len. */
unsigned char *uu_read_file(const char *path, size_t *len);
/* Assert the file's contents are exactly buf[0..len). */
void uu_assert_file_is(const char *path, const unsigned char *buf,
		       size_t len);
/* pread/pwrite on the image file (asserted complete). */
void uu_raw_read(const char *path, uint64_t off, void *buf, size_t len);
void uu_raw_write(const char *path, uint64_t off, const void *buf,
		  size_t len);
/* Little-endian fields of the image file. */
uint32_t uu_raw_le32(const char *path, uint64_t off);
uint16_t uu_raw_le16(const char *path, uint64_t off);
void uu_raw_put_le32(const char *path, uint64_t off, uint32_t v);
void uu_raw_put_le16(const char *path, uint64_t off, uint16_t v);
/* Copy a file (asserted). */
void uu_copy_file(const char *from, const char *to);

/* ---- data ---------------------------------------------------------- */

/* splitmix64 step. */
uint64_t uu_rand(uint64_t *state);
/* Fill buf with bytes depending on (seed, off + i) only. */
void uu_pattern(void *buf, size_t len, uint64_t seed, uint64_t off);

#endif
