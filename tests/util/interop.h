/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * interop.h -- helpers of the interoperability tests (test_interop,
 * test_kernel, test_workload; tests/util/interop.c): mounting images with
 * the kernel's ext2 driver, whole libdaxfs files and directories, and
 * comparing a libdaxfs tree with a host tree.  Nothing here asserts: the
 * functions return a status and the tests assert on it.  Temporary paths,
 * e2fsprogs and data patterns are in common.h.
 */
#ifndef DAXFS_TEST_INTEROP_H
#define DAXFS_TEST_INTEROP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "daxfs.h"

/* ---- the kernel ----------------------------------------------------- */

/* Whether we are root and "mount -t ext2 -o loop" works here; when it
 * does not, *why gets a reason (a static string).  Also unmounts what
 * crashed test processes left mounted. */
bool test_kernel_mount_works(const char **why);

/* mount -t ext2 -o loop[,ro] IMG MNT: the exit status.  Remembered for
 * test_kernel_cleanup(). */
int test_kmount(const char *img, const char *mnt, bool ro);

/* test_kmount with another driver: "ext4" reads ext2 images and uses
 * their htree indexes (the ext2 driver reads directories linearly). */
int test_kmount_type(const char *img, const char *mnt, const char *type,
		     bool ro);

/* umount MNT (and forget it): the exit status. */
int test_kumount(const char *mnt);

/* Unmount everything test_kmount() mounted, detach their loop devices,
 * then test_cleanup().  Use it as a suite's .fini. */
void test_kernel_cleanup(void);

/* ---- libdaxfs files ------------------------------------------------- */

/* Read a whole libdaxfs file (at most max bytes) into *buf (malloc'd,
 * NUL-terminated).  Returns the number of bytes read or a negative errno. */
ssize_t test_dax_read_all(daxfs *fs, const char *path, char **buf,
			  size_t max);

/* Create or replace a libdaxfs file with len bytes of buf.  0 or a
 * negative errno. */
int test_dax_write_file(daxfs *fs, const char *path, const void *buf,
			size_t len, mode_t mode);

/* Names of a libdaxfs directory ("." and ".." excluded), sorted,
 * malloc'd array of malloc'd strings; returns the count or a negative
 * errno.  types[i] / inos[i] get the readdir type / inode if not NULL. */
int test_dax_list(daxfs *fs, const char *dir, char ***names,
		  unsigned **types, uint64_t **inos);

/* Free what test_dax_list() returned in names. */
void test_free_list(char **names, int n);

/* ---- comparing trees ------------------------------------------------ */

#define TEST_CMP_MODE 0x1    /* compare permission bits */
#define TEST_CMP_NLINK 0x2   /* compare link counts */
#define TEST_CMP_SKIP_LF 0x4 /* ignore lost+found in the top directory */

/*
 * Compare the libdaxfs tree at fsdir with the host tree at hostdir:
 * the same names in every directory, the same types, the same sizes and
 * bytes of regular files, the same symlink targets (and modes/link counts
 * per flags).  Returns 0 if equal; otherwise -1 with a description of the
 * first difference in msg.  *nfiles (if not NULL) counts compared entries.
 */
int test_compare_tree(daxfs *fs, const char *fsdir, const char *hostdir,
		      unsigned flags, char *msg, size_t msglen,
		      size_t *nfiles);

/*
 * Compare two host trees (e.g. the expected staging directory and a kernel
 * mount of the image) the same way: names, types, sizes, bytes, symlink
 * targets, and modes/link counts per flags.  TEST_CMP_SKIP_LF ignores
 * lost+found at the top of either.  0 if equal, else -1 and msg.
 */
int test_compare_host_trees(const char *want, const char *got,
			    unsigned flags, char *msg, size_t msglen,
			    size_t *nfiles);

#endif /* DAXFS_TEST_INTEROP_H */
