/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.c -- small helpers shared by the tests.
 */
#include "common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char *test_shm_path(char *buf, size_t len, const char *tag)
{
	static atomic_uint counter;
	unsigned n = atomic_fetch_add(&counter, 1);

	snprintf(buf, len, "/dev/shm/daxfs-test-%s-%ld-%u", tag ? tag : "img",
		 (long)getpid(), n);
	unlink(buf);
	return buf;
}

char *test_prog_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("DAXFS_TEST_BIN");

	if (!dir || !*dir)
		return NULL;
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}
