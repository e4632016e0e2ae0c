/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * speedtest1_shim.c -- linked into SQLite's own speedtest1 (test/
 * speedtest1.c of Debian's sqlite3 source, fetched and built at bench
 * time by bench/speedtest1.sh, never committed): it registers the VFS
 * "daxfs" before speedtest1's main runs, so that "speedtest1 --vfs daxfs
 * /dir/db" keeps its database in a libdaxfs region.
 *
 * DAXFS_SPEEDTEST_REGION names the region; it is mounted (with
 * DAXFS_MOUNT_POPULATE, as the other SQLite benchmarks mount it) and made
 * the VFS's default mount, and unmounted after main returns.  Without it
 * the shim does nothing (the unix VFS runs as in a plain speedtest1).
 */
#include <stdio.h>
#include <stdlib.h>

#include "daxfs.h"
#include "daxfs_sqlite.h"

static daxfs *shim_fs;

/* Before main: mount the region and register the VFS with it. */
__attribute__((constructor)) static void shim_init(void)
{
	const char *region = getenv("DAXFS_SPEEDTEST_REGION");

	if (!region)
		return;
	if (daxfs_mount(region, DAXFS_MOUNT_POPULATE, &shim_fs)) {
		fprintf(stderr, "speedtest1: %s\n", daxfs_errormsg());
		exit(1);
	}
	if (daxfs_sqlite_register(shim_fs, 0) != 0) {
		fprintf(stderr, "speedtest1: cannot register the daxfs VFS\n");
		exit(1);
	}
}

/* After main (speedtest1 closed its database): unmount cleanly. */
__attribute__((destructor)) static void shim_fini(void)
{
	if (shim_fs && daxfs_unmount(shim_fs))
		fprintf(stderr, "speedtest1: %s\n", daxfs_errormsg());
}
