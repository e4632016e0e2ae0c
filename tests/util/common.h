/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.h -- small helpers shared by the tests (tests/util/common.c).
 */
#ifndef DAXFS_TEST_COMMON_H
#define DAXFS_TEST_COMMON_H 1

#include <stddef.h>

/*
 * Write into buf a path under /dev/shm that no other test, process or call
 * uses: "/dev/shm/daxfs-test-TAG-PID-N" (N counts up per process).  The file
 * is not created; any stale file of that name is removed.  Returns buf.
 * Use it for region images (regions on /dev/shm are RAM; run with
 * PMEM2_FORCE_GRANULARITY=CACHE_LINE, which ctest sets, to emulate pmem).
 */
char *test_shm_path(char *buf, size_t len, const char *tag);

/*
 * Write into buf the path of the helper program NAME (tests/progs/NAME.c),
 * built in the tests build directory that ctest passes in the environment
 * variable DAXFS_TEST_BIN.  Returns buf, or NULL if DAXFS_TEST_BIN is unset.
 */
char *test_prog_path(char *buf, size_t len, const char *name);

#endif /* DAXFS_TEST_COMMON_H */
