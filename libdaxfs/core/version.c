/* SPDX-License-Identifier: BSD-3-Clause */
/* version.c -- the run-time version of the library. */
#include "daxfs.h"

#define DAXFS_STR2(x) #x
#define DAXFS_STR(x) DAXFS_STR2(x)

DAXFS_API const char *daxfs_version(void)
{
	return DAXFS_STR(DAXFS_VERSION_MAJOR) "." DAXFS_STR(DAXFS_VERSION_MINOR)
		"." DAXFS_STR(DAXFS_VERSION_PATCH);
}
