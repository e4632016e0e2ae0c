/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_util.c -- how the ThreadSanitizer stress programs report (see
 * tsan_util.h).
 */
#define _GNU_SOURCE
#include "tsan_util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/*
 * The programs run e2fsck while the watchdog thread is alive; the child
 * only calls exec, so ThreadSanitizer's die_after_fork is not wanted.
 * (TSAN_OPTIONS from the environment still apply on top of this.)
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "die_after_fork=0";
}

static atomic_int n_ok, n_fail;

bool tu_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(ok ? &n_ok : &n_fail, 1);
	flockfile(stdout);
	printf("  %s  ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
	return ok;
}

int tu_finish(const char *prog)
{
	int ok = atomic_load(&n_ok), fail = atomic_load(&n_fail);

	printf("%s: %d checks passed, %d failed\n", prog, ok, fail);
	fflush(stdout);
	return fail == 0 && ok > 0 ? 0 : 1;
}

bool tu_wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

daxfs *tu_new_fs(const char *path, uint64_t size, uint32_t inodes)
{
	daxfs *fs = NULL;
	int r;

	r = test_mkfs(path, size, 4096, inodes);
	if (!TU_CHECK(r == 0, "mkfs %s: %s", path, test_errname(r)))
		return NULL;
	r = daxfs_mount(path, 0, &fs);
	if (!TU_CHECK(r == 0, "mount %s: %s", path, test_errname(r)))
		return NULL;
	return fs;
}

void tu_unmount_fsck(daxfs *fs, const char *path)
{
	int r = daxfs_unmount(fs);

	if (!TU_CHECK(r == 0, "unmount: %s", test_errname(r)))
		return;
	r = test_e2fsck(path, NULL);
	TU_CHECK(r == 0, "e2fsck -fn %s exits 0 (%d)", path, r);
}
