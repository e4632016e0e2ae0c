/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_util.h -- helpers of the ThreadSanitizer stress programs in
 * tests/tsan/ (standalone: no Criterion, which cannot run under TSan, see
 * https://github.com/Snaipe/Criterion/issues/274).
 *
 * A program records checks with TU_CHECK (printed as they run, failures
 * counted), arms a watchdog thread that _exit(3)s after a deadline, and
 * ends with tu_finish(), whose return value is main()'s exit status: 0 only
 * if every check passed.
 */
#ifndef TSAN_UTIL_H
#define TSAN_UTIL_H 1

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daxfs.h"

#define TU_PAGE 4096u
#define TU_MIB (1024u * 1024u)

/* Monotonic seconds. */
double tu_now(void);

/* Start the watchdog: after seconds, print what and _exit(3). */
void tu_watchdog(const char *what, double seconds);

/* Record one check; prints "ok"/"FAIL" with the message. */
__attribute__((format(printf, 2, 3))) bool tu_check(bool ok,
						    const char *fmt, ...);
#define TU_CHECK(cond, ...) tu_check((cond), __VA_ARGS__)

/* Exit status: 0 if every check passed (and at least one ran). */
int tu_finish(const char *prog);

/* A name of a negative errno. */
const char *tu_errname(long long rc);

/* A fresh image path on /dev/shm, removed by tu_cleanup (atexit). */
const char *tu_image_path(const char *tag);

/* mkfs (4 KiB blocks, size bytes, inodes or 0) and mount; NULL on error. */
daxfs *tu_new_fs(const char *path, uint64_t size, uint32_t inodes);

/* Run /sbin/e2fsck -fn path (fork/exec); its exit status, output printed
 * on failure. */
int tu_e2fsck(const char *path);

/* Unmount, then e2fsck -fn must exit 0; both recorded as checks. */
void tu_unmount_fsck(daxfs *fs, const char *path);

/* splitmix64 */
uint64_t tu_rand(uint64_t *s);

/* Deterministic non-zero pattern bytes for (seed, file offset). */
void tu_pattern(void *buf, size_t len, uint64_t seed, uint64_t off);
/* First mismatching index or -1. */
long tu_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			 uint64_t off);

/* First-error recorder shared by threads. */
struct tu_err {
	atomic_int count;
	char msg[512];
};
__attribute__((format(printf, 2, 3))) void tu_fail(struct tu_err *e,
						   const char *fmt, ...);

/* Accesses that may raise SIGBUS: -1 if one did (per-thread sigsetjmp /
 * siglongjmp from a SIGBUS handler installed by tu_install_sigbus).  A
 * SIGBUS anywhere else ends the program with status 99. */
void tu_install_sigbus(void);
int tu_try_read(const volatile unsigned char *p, unsigned char *out);
int tu_try_fill(volatile unsigned char *dst, unsigned char v, size_t len);
int tu_try_copy_out(void *dst, const volatile unsigned char *src, size_t len);
unsigned long tu_sigbus_count(void);
/* What this thread is doing, named by an unexpected SIGBUS (NULL: none). */
void tu_sigbus_context(const char *what);

#endif
