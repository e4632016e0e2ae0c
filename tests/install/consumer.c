/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * consumer.c -- a program outside the tree that uses an installed libdaxfs
 * (tests/install/run.sh builds it with pkg-config and with find_package):
 * make a file system on the region given, write a file, read it back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <daxfs.h>

int main(int argc, char **argv)
{
	struct daxfs_mkfs_opts o = { .size = 16 << 20 };
	char buf[32] = { 0 };
	daxfs_file *f;
	daxfs *fs;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer REGION\n");
		return 2;
	}
	if (daxfs_mkfs(argv[1], &o) || daxfs_mount(argv[1], 0, &fs) ||
	    daxfs_open(fs, "/hello", O_RDWR | O_CREAT, 0644, &f) ||
	    daxfs_pwrite(f, "installed", 9, 0) != 9 ||
	    daxfs_pread(f, buf, sizeof(buf), 0) != 9 || daxfs_close(f) ||
	    daxfs_unmount(fs)) {
		fprintf(stderr, "consumer: %s\n", daxfs_errormsg());
		return 1;
	}
	printf("libdaxfs %s (header %d.%d.%d): %s\n", daxfs_version(),
	       DAXFS_VERSION_MAJOR, DAXFS_VERSION_MINOR, DAXFS_VERSION_PATCH,
	       buf);
	return strcmp(buf, "installed") != 0;
}
