/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax_util.h -- helpers of the DAX mapping tests (test_dax, test_dax_truncate,
 * unit/test_entry, unit/test_dax_seed): images on /dev/shm, e2fsprogs as
 * oracles, probing accesses that may raise SIGBUS (per-thread
 * sigsetjmp/siglongjmp), a watchdog thread, and running a scenario in a
 * forked child with a hard time limit.
 *
 * Public API only (daxfs.h): this file is linked into the black-box tests
 * too.  Everything is prefixed du_/DU_.
 */
#ifndef DAXFS_TEST_DAX_UTIL_H
#define DAXFS_TEST_DAX_UTIL_H 1

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "daxfs.h"

#define DU_KIB (1024ULL)
#define DU_MIB (1024ULL * 1024ULL)
#define DU_PAGE 4096ULL

/* Exit code of a process whose watchdog fired. */
#define DU_WATCHDOG_EXIT 86
/* Exit code of a forked scenario that found wrong data. */
#define DU_BADDATA_EXIT 87
/* Exit code of a forked scenario whose setup failed. */
#define DU_SETUP_EXIT 88

/* "ENOENT" for -ENOENT, "OK" for values >= 0. */
const char *du_errname(long long rc);

/* expr must return exactly want (a count, 0, or a negative errno). */
#define DU_EQ(expr, want)                                                    \
	do {                                                                 \
		long long du_r_ = (long long)(expr);                         \
		long long du_w_ = (long long)(want);                         \
		cr_assert_eq(du_r_, du_w_,                                   \
			     "%s = %lld (%s), expected %lld (%s): \"%s\"",   \
			     #expr, du_r_, du_errname(du_r_), du_w_,         \
			     du_errname(du_w_), daxfs_errormsg());           \
	} while (0)
#define DU_OK(expr) DU_EQ(expr, 0)

/* ---- images -------------------------------------------------------- */

/* A unique path /dev/shm/daxfs-dax-TAG-PID-N.img (not created); removed by
 * du_cleanup().  Also sets PMEM2_FORCE_GRANULARITY=CACHE_LINE if unset. */
const char *du_image_path(const char *tag);
void du_cleanup(void);
/* mkfs (4 KiB blocks, inodes 0 = default) + mount, asserted. */
daxfs *du_new_fs(const char *tag, uint64_t size, uint32_t inodes,
		 const char **path_out);
daxfs *du_mount(const char *path, unsigned flags);
/* daxfs_unmount == 0, then e2fsck -fn exits 0 (asserted). */
void du_unmount_fsck(daxfs *fs, const char *path);
/* Not asserting variants, for forked children: 0 or -1 / the status. */
int du_mkfs_mount_nocr(const char *path, uint64_t size, daxfs **fs);

/* ---- e2fsprogs ----------------------------------------------------- */

/* Run argv; stdout into *out (malloc'd, *outlen bytes) if out; stderr
 * into it too when merge.  Returns the exit status (128+sig, -1). */
int du_run(const char *const argv[], char **out, size_t *outlen, bool merge);
/* "e2fsck -fn path": exit status, output printed when not 0. */
int du_e2fsck(const char *path);
/* stdout of "debugfs -R cmd path" (binary safe), malloc'd. */
char *du_debugfs(const char *path, const char *cmd, size_t *len);

/* ---- data ---------------------------------------------------------- */

uint64_t du_rand(uint64_t *state);
/* Bytes that depend on (seed, off + i) only. */
void du_pattern(void *buf, size_t len, uint64_t seed, uint64_t off);
/* Index of the first byte of buf that differs from the pattern, or -1. */
long du_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			 uint64_t off);
/* Index of the first non-zero byte, or -1. */
long du_nonzero(const void *buf, size_t len);

/* ---- probing accesses (SIGBUS) -------------------------------------- */

/*
 * Install the process's SIGBUS handler (idempotent).  Install it before the
 * first daxfs_map of the process, so that libdaxfs chains to it.  Faults
 * that a du_try_* call does not expect print a message and _exit(99).
 */
void du_install_sigbus(void);
/* One access that may raise SIGBUS: 0 and the byte, or -1 (SIGBUS). */
int du_try_read(const volatile unsigned char *p, unsigned char *out);
int du_try_write(volatile unsigned char *p, unsigned char v);
/* memcpy/memset/memcmp that stop at SIGBUS: 0, or -1 after a SIGBUS. */
int du_try_copy_out(void *dst, const volatile unsigned char *src, size_t len);
int du_try_fill(volatile unsigned char *dst, unsigned char v, size_t len);
/* SIGBUS caught by du_try_* in the calling thread so far. */
unsigned long du_sigbus_count(void);

/* ---- watchdog ------------------------------------------------------ */

/*
 * A monitor thread.  It fires when deadline_s seconds have passed since
 * the start, or (stall_s > 0 and progress != NULL) when *progress did not
 * move for stall_s seconds: it prints "watchdog: <what> ..." to stderr
 * and calls _exit(DU_WATCHDOG_EXIT).  Meant for forked children.
 */
struct du_watchdog;
struct du_watchdog *du_watchdog_start(const char *what, double deadline_s,
				      double stall_s,
				      atomic_ulong *progress);
void du_watchdog_stop(struct du_watchdog *w);

/* ---- forked scenarios ---------------------------------------------- */

/*
 * Run fn(arg) in a forked child; the child's exit code is fn's return
 * value.  The parent kills the child after hard_s seconds.  Returns the
 * exit code, 128+signal if it died, or -1 if it had to be killed.
 */
int du_fork_run(int (*fn)(void *), void *arg, double hard_s);

/* Monotonic seconds. */
double du_now(void);

#endif
