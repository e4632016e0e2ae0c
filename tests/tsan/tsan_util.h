/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_util.h -- how the ThreadSanitizer stress programs of tests/tsan/
 * report (tests/tsan/tsan_util.c).  They are standalone programs, not
 * Criterion tests (Criterion cannot run under TSan, see
 * https://github.com/Snaipe/Criterion/issues/274), and share the helpers
 * that need no Criterion with the other tests: tests/util/common.h (paths,
 * e2fsck, patterns, first-error recorder) and tests/util/probe.h (SIGBUS
 * probes, watchdog).
 *
 * A program records checks with TU_CHECK (printed as they run, failures
 * counted), arms a watchdog (test_watchdog_start, which _exit()s with
 * TEST_WATCHDOG_EXIT after a deadline), and ends with tu_finish(), whose
 * return value is main()'s exit status: 0 only if every check passed.
 */
#ifndef TSAN_UTIL_H
#define TSAN_UTIL_H 1

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "daxfs.h"
#include "probe.h"

/* Record one check; prints "ok"/"FAIL" with the message.  Returns ok. */
__attribute__((format(printf, 2, 3))) bool tu_check(bool ok,
						    const char *fmt, ...);
#define TU_CHECK(cond, ...) tu_check((cond), __VA_ARGS__)

/* Exit status: 0 if every check passed (and at least one ran). */
int tu_finish(const char *prog);

/* Whether the command line asks for the scenario name: it names it, or
 * names none (then every scenario runs). */
bool tu_wanted(int argc, char **argv, const char *name);

/* mkfs (4 KiB blocks, size bytes, inodes or 0) and mount, both recorded as
 * checks; NULL on error. */
daxfs *tu_new_fs(const char *path, uint64_t size, uint32_t inodes);

/* Unmount, then e2fsck -fn must exit 0; both recorded as checks. */
void tu_unmount_fsck(daxfs *fs, const char *path);

#endif
