/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dlopen_mount.c -- libdaxfs.so loads with dlopen into a process that did
 * not start with it (this program does not link libdaxfs, nor jemalloc):
 * it looks the calls up with dlsym, makes a file system on a region in
 * /dev/shm, writes two files from two new threads (whose thread-local
 * state the library then allocates dynamically), reads them back, mounts
 * again read-only, and checks the region with e2fsck -fn and debugfs.
 *
 *   dlopen_mount /path/to/libdaxfs.so
 *
 * Exits 0 on success, 1 with a message on the first failure.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "daxfs.h"

#define FILE_SIZE (300 * 1000)

/* The calls, as dlsym gives them. */
static struct {
	int (*mkfs)(const char *, const struct daxfs_mkfs_opts *);
	int (*mount)(const char *, unsigned, daxfs **);
	int (*unmount)(daxfs *);
	int (*open)(daxfs *, const char *, int, mode_t, daxfs_file **);
	int (*close)(daxfs_file *);
	ssize_t (*pread)(daxfs_file *, void *, size_t, off_t);
	ssize_t (*pwrite)(daxfs_file *, const void *, size_t, off_t);
	const char *(*errormsg)(void);
} dx;

static char region[] = "/dev/shm/daxfs-test-dlopen.XXXXXX";

/* Print the failure and exit 1, removing the region. */
static void fail(const char *what, long rc)
{
	fprintf(stderr, "dlopen_mount: FAIL: %s (%ld)%s%s\n", what, rc,
		dx.errormsg ? ": " : "", dx.errormsg ? dx.errormsg() : "");
	unlink(region);
	exit(1);
}

/* The byte at offset i of file n. */
static unsigned char pattern(int n, size_t i)
{
	return (unsigned char)(i * 31 + n * 7 + (i >> 9));
}

/* Look name up in lib; exit on failure. */
static void *sym(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "dlopen_mount: FAIL: dlsym %s: %s\n", name,
			dlerror());
		exit(1);
	}
	return p;
}

/* Load the library by path and look every call up. */
static void load(const char *path)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		fprintf(stderr, "dlopen_mount: FAIL: dlopen: %s\n", dlerror());
		exit(1);
	}
	dx.mkfs = sym(lib, "daxfs_mkfs");
	dx.mount = sym(lib, "daxfs_mount");
	dx.unmount = sym(lib, "daxfs_unmount");
	dx.open = sym(lib, "daxfs_open");
	dx.close = sym(lib, "daxfs_close");
	dx.pread = sym(lib, "daxfs_pread");
	dx.pwrite = sym(lib, "daxfs_pwrite");
	dx.errormsg = sym(lib, "daxfs_errormsg");
	/* jemalloc is inside, hidden, and replaced no allocator. */
	if (dlsym(lib, "daxfs_je_mallocx") || dlsym(RTLD_DEFAULT, "mallocx"))
		fail("the library exports jemalloc", 0);
}

/* What a writer thread writes: file /fN of fs. */
struct job {
	daxfs *fs;
	int n;
};

/* Write file /fN of a struct job in 3 unaligned pieces, read it back. */
static void *writer(void *arg)
{
	daxfs *fs = ((struct job *)arg)->fs;
	int n = ((struct job *)arg)->n;
	unsigned char *buf = malloc(FILE_SIZE), *back = malloc(FILE_SIZE);
	char name[16];
	daxfs_file *f;
	long rc;

	snprintf(name, sizeof(name), "/f%d", n);
	for (size_t i = 0; i < FILE_SIZE; i++)
		buf[i] = pattern(n, i);
	rc = dx.open(fs, name, O_RDWR | O_CREAT | O_EXCL, 0644, &f);
	if (rc)
		fail("daxfs_open O_CREAT", rc);
	size_t cut[] = { 0, 4097, 100003, FILE_SIZE };
	for (int i = 0; i < 3; i++) {
		rc = dx.pwrite(f, buf + cut[i], cut[i + 1] - cut[i], cut[i]);
		if (rc != (long)(cut[i + 1] - cut[i]))
			fail("daxfs_pwrite", rc);
	}
	rc = dx.pread(f, back, FILE_SIZE, 0);
	if (rc != FILE_SIZE || memcmp(buf, back, FILE_SIZE))
		fail("daxfs_pread after the write", rc);
	if ((rc = dx.close(f)))
		fail("daxfs_close", rc);
	free(buf);
	free(back);
	return NULL;
}

/* Mount read-write, write /f1 and /f2 from two threads, unmount. */
static void write_files(void)
{
	daxfs *fs;
	pthread_t t[2];
	struct job jobs[2];
	long rc = dx.mount(region, 0, &fs);

	if (rc)
		fail("daxfs_mount", rc);
	for (int i = 0; i < 2; i++) {
		jobs[i] = (struct job){ fs, i + 1 };
		if (pthread_create(&t[i], NULL, writer, &jobs[i]))
			fail("pthread_create", errno);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if ((rc = dx.unmount(fs)))
		fail("daxfs_unmount", rc);
}

/* Mount read-only and check both files' bytes. */
static void read_files(void)
{
	unsigned char *back = malloc(FILE_SIZE + 1);
	daxfs *fs;
	daxfs_file *f;
	long rc = dx.mount(region, DAXFS_MOUNT_RDONLY, &fs);

	if (rc)
		fail("daxfs_mount read-only", rc);
	for (int n = 1; n <= 2; n++) {
		char name[16];

		snprintf(name, sizeof(name), "/f%d", n);
		if ((rc = dx.open(fs, name, O_RDONLY, 0, &f)))
			fail("daxfs_open read-only", rc);
		rc = dx.pread(f, back, FILE_SIZE + 1, 0);
		if (rc != FILE_SIZE)
			fail("daxfs_pread: not the size written", rc);
		for (size_t i = 0; i < FILE_SIZE; i++)
			if (back[i] != pattern(n, i))
				fail("daxfs_pread: a byte differs at", i);
		dx.close(f);
	}
	if ((rc = dx.unmount(fs)))
		fail("daxfs_unmount read-only", rc);
	free(back);
}

/* e2fsck -fn accepts the region, and debugfs sees /f2's size. */
static void check_region(void)
{
	char cmd[256];
	FILE *p;
	char line[256];
	int found = 0;

	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >/dev/null 2>&1", region);
	if (system(cmd) != 0)
		fail("e2fsck -fn found errors in the region", 0);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /f2' %s 2>/dev/null",
		 region);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (strstr(line, "Size: 300000"))
			found = 1;
	if (!p || pclose(p) != 0 || !found)
		fail("debugfs does not show /f2 with 300000 bytes", 0);
}

int main(int argc, char **argv)
{
	struct daxfs_mkfs_opts opts = { .size = 16 << 20 };
	int fd;
	long rc;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_mount /path/to/libdaxfs.so\n");
		return 2;
	}
	load(argv[1]);
	fd = mkstemp(region);
	if (fd < 0)
		fail("mkstemp in /dev/shm", errno);
	close(fd);
	if ((rc = dx.mkfs(region, &opts)))
		fail("daxfs_mkfs", rc);
	write_files();
	read_files();
	check_region();
	unlink(region);
	printf("dlopen_mount: ok: %s\n", argv[1]);
	return 0;
}
