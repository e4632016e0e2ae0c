/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.h -- running code that may fault or hang (tests/util/probe.c):
 * accesses to DAX mappings that may raise SIGBUS (per-thread sigsetjmp /
 * siglongjmp), a watchdog thread, and a scenario run in a forked child with
 * a hard time limit.  No Criterion: the TSan programs link it too.
 */
#ifndef DAXFS_TEST_PROBE_H
#define DAXFS_TEST_PROBE_H 1

#include <stdatomic.h>
#include <stddef.h>

/* Exit code of a process whose watchdog fired. */
#define TEST_WATCHDOG_EXIT 86
/* Exit code of a forked scenario that found wrong data. */
#define TEST_BADDATA_EXIT 87
/* Exit code of a forked scenario whose setup failed. */
#define TEST_SETUP_EXIT 88
/* Exit code of a process that took a SIGBUS no probe expected. */
#define TEST_SIGBUS_EXIT 99

/* ---- probing accesses (SIGBUS) -------------------------------------- */

/*
 * Install the process's SIGBUS handler (idempotent).  Install it before the
 * first daxfs_map of the process, so that libdaxfs chains to it.  A SIGBUS
 * that no test_probe_* call expects prints where it hit and
 * _exit(TEST_SIGBUS_EXIT)s.
 */
void test_probe_install(void);

/* What this thread is doing, named by an unexpected SIGBUS (NULL: none). */
void test_probe_context(const char *what);

/* One access that may raise SIGBUS: 0 (and the byte), or -1 (SIGBUS). */
int test_probe_read(const volatile unsigned char *p, unsigned char *out);
int test_probe_write(volatile unsigned char *p, unsigned char v);

/* memcpy/memset that stop at a SIGBUS: 0, or -1 after a SIGBUS. */
int test_probe_copy_out(void *dst, const volatile unsigned char *src,
			size_t len);
int test_probe_fill(volatile unsigned char *dst, unsigned char v, size_t len);

/* SIGBUS caught by test_probe_* in the calling thread so far. */
unsigned long test_probe_sigbus_count(void);

/* ---- watchdog ------------------------------------------------------- */

/*
 * A monitor thread.  It fires when deadline_s seconds have passed since
 * the start, or (stall_s > 0 and progress != NULL) when *progress did not
 * move for stall_s seconds: it prints "watchdog: <what> ..." to stderr
 * and calls _exit(TEST_WATCHDOG_EXIT).  NULL if it could not start.
 */
struct test_watchdog;
struct test_watchdog *test_watchdog_start(const char *what, double deadline_s,
					  double stall_s,
					  atomic_ulong *progress);

/* Stop and free a watchdog (NULL is fine). */
void test_watchdog_stop(struct test_watchdog *w);

/* ---- forked scenarios ----------------------------------------------- */

/*
 * Run fn(arg) in a forked child; the child's exit code is fn's return
 * value.  The parent kills the child after hard_s seconds.  Returns the
 * exit code, 128+signal if it died, or -1 if it had to be killed.
 */
int test_fork_run(int (*fn)(void *), void *arg, double hard_s);

#endif /* DAXFS_TEST_PROBE_H */
