/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quickstart.c -- a tour of the libdaxfs API.
 *
 *   quickstart [--mkfs] REGION
 *
 * REGION is a devdax device (/dev/dax0.0) or a regular file, e.g. a file in
 * /dev/shm.  If REGION does not exist, or --mkfs is given, a fresh 64 MiB
 * ext2 file system is written over it first.  The program then mounts it,
 * makes a directory, writes a file and reads it back, creates a few more
 * files, lists the directory, and unmounts.  The result is a normal ext2
 * image: "e2fsck -fn REGION" checks it and "debugfs REGION" browses it.
 *
 * On a regular file outside a DAX file system, set
 * PMEM2_FORCE_GRANULARITY=CACHE_LINE to emulate persistent memory (otherwise
 * libpmem2 persists with msync, which is correct but slow).
 *
 * Every libdaxfs call returns 0 (or a byte count) on success and a negative
 * errno on failure; daxfs_errormsg() then describes the failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <daxfs.h>

/*
 * Report a failed call and exit.  ret is the negative errno the call
 * returned; daxfs_errormsg() has the details of this thread's last failure.
 */
static void die(const char *what, long ret)
{
	fprintf(stderr, "quickstart: %s failed: %s (%s)\n", what,
		daxfs_errormsg(), strerror((int)-ret));
	exit(1);
}

/* Call fn; on failure, report "what" and exit. */
#define CHECK(what, call)                       \
	do {                                    \
		long ret_ = (long)(call);       \
		if (ret_ < 0)                   \
			die(what, ret_);        \
	} while (0)

static const char *type_name(unsigned type)
{
	switch (type) {
	case DAXFS_DT_DIR: return "dir";
	case DAXFS_DT_REG: return "file";
	case DAXFS_DT_LNK: return "symlink";
	default:           return "other";
	}
}

/*
 * The daxfs_readdir() callback: called once per entry, "." and ".."
 * included, with no lock held.  Returning non-zero would stop the walk.
 */
static int print_entry(void *arg, const char *name, uint64_t ino,
		       unsigned type)
{
	int *count = arg;

	printf("    %-12s inode %-4" PRIu64 " %s\n", name, ino, type_name(type));
	(*count)++;
	return 0;
}

/* Create path and write text to it (a short helper for the extra files). */
static void write_file(daxfs *fs, const char *path, const char *text)
{
	daxfs_file *f;

	CHECK(path, daxfs_open(fs, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f));
	ssize_t n = daxfs_pwrite(f, text, strlen(text), 0);
	if (n < 0)
		die("daxfs_pwrite", n);
	if ((size_t)n != strlen(text)) {
		fprintf(stderr, "quickstart: short write to %s\n", path);
		exit(1);
	}
	CHECK("daxfs_close", daxfs_close(f));
}

int main(int argc, char **argv)
{
	const char *region = NULL;
	int want_mkfs = 0;

	int usage = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mkfs") == 0)
			want_mkfs = 1;
		else if (argv[i][0] == '-' || region)
			usage = 1;
		else
			region = argv[i];
	}
	if (usage || !region) {
		fprintf(stderr, "usage: %s [--mkfs] REGION\n", argv[0]);
		return 2;
	}

	printf("libdaxfs %s\n", daxfs_version());

	/* 1. Format the region if needed: 64 MiB of ext2 with 4 KiB blocks. */
	if (want_mkfs || access(region, F_OK) != 0) {
		struct daxfs_mkfs_opts opts = {
			.size = 64u << 20,  /* grows/creates a regular file */
			.block_size = 4096, /* the default; DAX needs it */
			.label = "quickstart",
		};
		printf("mkfs     %s (64 MiB)\n", region);
		CHECK("daxfs_mkfs", daxfs_mkfs(region, &opts));
	}

	/* 2. Mount it.  This maps the whole region once; from here on, file
	 *    data moves with loads, stores and cache flushes. */
	daxfs *fs;
	printf("mount    %s\n", region);
	CHECK("daxfs_mount", daxfs_mount(region, 0, &fs));
	/* A region a crash left behind mounts, but stays "not clean" for
	 * e2fsck -p; the mount says so. */
	if (*daxfs_mount_warning(fs))
		fprintf(stderr, "warning: %s\n", daxfs_mount_warning(fs));

	/* 3. A directory.  It may exist from an earlier run. */
	int ret = daxfs_mkdir(fs, "/docs", 0755);
	if (ret < 0 && ret != -EEXIST)
		die("daxfs_mkdir", ret);
	printf("mkdir    /docs%s\n", ret == -EEXIST ? " (exists already)" : "");

	/* 4. Write a file.  pwrite carries its own offset; when it returns,
	 *    the data and the metadata it changed are persistent. */
	static const char hello[] =
		"Hello from libdaxfs: this file lives in persistent memory,\n"
		"in an ext2 file system that e2fsck and debugfs can read.\n";
	daxfs_file *f;
	CHECK("daxfs_open", daxfs_open(fs, "/docs/hello.txt",
				       O_RDWR | O_CREAT | O_TRUNC, 0644, &f));
	ssize_t n = daxfs_pwrite(f, hello, sizeof(hello) - 1, 0);
	if (n < 0)
		die("daxfs_pwrite", n);
	printf("write    /docs/hello.txt (%zd bytes)\n", n);

	/* 5. Read it back and compare. */
	char buf[sizeof(hello)] = {0};
	n = daxfs_pread(f, buf, sizeof(buf), 0);
	if (n < 0)
		die("daxfs_pread", n);
	if ((size_t)n != sizeof(hello) - 1 || memcmp(buf, hello, (size_t)n)) {
		fprintf(stderr, "quickstart: read back %zd bytes that differ "
			"from what was written\n", n);
		return 1;
	}
	printf("read     /docs/hello.txt (%zd bytes, identical)\n", n);
	/* pwrite already persisted the data; fsync is shown for completeness. */
	CHECK("daxfs_fsync", daxfs_fsync(f));
	CHECK("daxfs_close", daxfs_close(f));

	/* 6. A few more files, one of them large enough to need an indirect
	 *    block (more than 12 blocks of 4 KiB). */
	write_file(fs, "/docs/notes.txt", "ext2 revision 1, served by libdaxfs\n");
	write_file(fs, "/docs/todo.txt", "1. mount\n2. write\n3. unmount\n");
	{
		static char big[100 * 1024];
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)('a' + i % 26);
		CHECK("daxfs_open", daxfs_open(fs, "/docs/big.bin",
					       O_WRONLY | O_CREAT | O_TRUNC,
					       0644, &f));
		n = daxfs_pwrite(f, big, sizeof(big), 0);
		if (n < 0)
			die("daxfs_pwrite", n);
		CHECK("daxfs_close", daxfs_close(f));
		printf("write    /docs/notes.txt, /docs/todo.txt, "
		       "/docs/big.bin (%zd bytes)\n", n);
	}

	/* 7. List the directory.  The callback gets each entry's name, inode
	 *    number and type. */
	int count = 0;
	printf("readdir  /docs\n");
	CHECK("daxfs_readdir", daxfs_readdir(fs, "/docs", print_entry, &count));
	printf("         %d entries\n", count);

	/* 8. stat: the usual struct stat. */
	struct stat st;
	CHECK("daxfs_stat", daxfs_stat(fs, "/docs/big.bin", &st));
	printf("stat     /docs/big.bin: inode %ju, %jd bytes, %jd blocks of "
	       "512, mode %o\n", (uintmax_t)st.st_ino, (intmax_t)st.st_size,
	       (intmax_t)st.st_blocks, (unsigned)(st.st_mode & 07777));

	/* 9. statfs: sizes and free counts of the whole file system. */
	struct statvfs sv;
	CHECK("daxfs_statfs", daxfs_statfs(fs, &sv));
	printf("statfs   %llu of %llu blocks of %lu bytes free, "
	       "%llu of %llu inodes free\n",
	       (unsigned long long)sv.f_bfree, (unsigned long long)sv.f_blocks,
	       sv.f_bsize, (unsigned long long)sv.f_ffree,
	       (unsigned long long)sv.f_files);

	/* 10. Unmount: marks the file system clean and releases the region.
	 *     All files must be closed first. */
	CHECK("daxfs_unmount", daxfs_unmount(fs));
	printf("unmount  %s\n", region);
	printf("ok: now try \"e2fsck -fn %s\" or \"debugfs -R 'ls -l /docs' %s\"\n",
	       region, region);
	return 0;
}
