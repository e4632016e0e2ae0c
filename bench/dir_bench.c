/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir_bench.c -- one big directory (issue 15 item 4): create, stat and
 * unlink of N empty files in one directory through libdaxfs, with the
 * directory indexed on the media (dir_index, htree.c) and linear
 * (dir_index cleared: the in-DRAM index of dir.c), against the same
 * calls on tmpfs; and the first lookup after a mount against a warm
 * one.
 *
 *   dir_bench [-n N[,N...]] [-d DIR] [-p] [-b htree,linear,tmpfs]
 *
 * N defaults to 10000,100000 (1000000 is the longer run: -n 1000000, a
 * few minutes and a region of 4.3 GiB); DIR (default /dev/shm) holds
 * the region file and the tmpfs peer's directory; -p mounts with
 * DAXFS_MOUNT_POPULATE (no page fault on first touch, as on devdax), so
 * the first lookup measures the library, not the page faults of a
 * fresh mapping; -b runs only the backends named.  Prints one table row
 * per N and backend: ns per create, stat, unlink, and the first and a
 * warm lookup after a fresh mount (ns).  Single-threaded; medians of one
 * run each, so run it on an idle machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daxfs.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The name of file i (varied lengths, as real names are). */
static void name_of(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/file_%ld_%.*s", dir, i, (int)(i % 17),
		 "abcdefghijklmnopq");
}

/* What one run measured, ns per call. */
struct row {
	double create, stat, unlink, first, warm;
};

static unsigned mount_flags; /* -p: DAXFS_MOUNT_POPULATE */

static void die(const char *what, long rc)
{
	fprintf(stderr, "dir_bench: %s: %ld (%s) %s\n", what, rc,
		strerror((int)-rc), daxfs_errormsg());
	exit(1);
}

/* Make the region file path for n files: dir_index set (indexed) or
 * cleared (linear), whatever daxfs_mkfs chose. */
static void make_region(const char *path, long n, int linear)
{
	struct daxfs_mkfs_opts o = { 0 };
	uint64_t size = (uint64_t)n * 4096 + (256ull << 20);
	uint32_t compat;
	int fd, ret;

	unlink(path);
	o.inodes = (uint32_t)(n + 1000);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		die("region file", -errno);
	close(fd);
	ret = daxfs_mkfs(path, &o);
	if (ret)
		die("daxfs_mkfs", ret);
	/* s_feature_compat at 1024 + 0x5c; dir_index is 0x20 */
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &compat, 4, 1024 + 0x5c) != 4)
		die("reading the features", -errno);
	compat = linear ? compat & ~0x20u : compat | 0x20u;
	if (pwrite(fd, &compat, 4, 1024 + 0x5c) != 4)
		die("setting dir_index", -errno);
	close(fd);
}

/* Create, stat, unlink n files in /d of a libdaxfs region at path. */
static struct row run_daxfs(const char *path, long n, int linear)
{
	struct row r;
	struct stat st;
	daxfs *fs;
	char name[128];
	double t;
	long i;
	int ret;

	make_region(path, n, linear);
	if ((ret = daxfs_mount(path, mount_flags, &fs)) ||
	    (ret = daxfs_mkdir(fs, "/d", 0755)))
		die("mount/mkdir", ret);
	t = now_ns();
	for (i = 0; i < n; i++) {
		daxfs_file *f;

		name_of(name, sizeof(name), "/d", i);
		if ((ret = daxfs_open(fs, name, O_CREAT | O_EXCL | O_RDWR,
				      0644, &f)) || (ret = daxfs_close(f)))
			die("create", ret);
	}
	r.create = (now_ns() - t) / n;
	t = now_ns();
	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), "/d", (i * 7919) % n);
		if ((ret = daxfs_stat(fs, name, &st)))
			die("stat", ret);
	}
	r.stat = (now_ns() - t) / n;
	if ((ret = daxfs_unmount(fs)) || (ret = daxfs_mount(path, mount_flags, &fs)))
		die("remount", ret);
	name_of(name, sizeof(name), "/d", n / 2);
	t = now_ns();
	if ((ret = daxfs_stat(fs, name, &st)))
		die("first stat", ret);
	r.first = now_ns() - t;
	name_of(name, sizeof(name), "/d", n / 3);
	daxfs_stat(fs, name, &st); /* its inode cached, as the first's is */
	t = now_ns();
	if ((ret = daxfs_stat(fs, name, &st)))
		die("warm stat", ret);
	r.warm = now_ns() - t;
	t = now_ns();
	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), "/d", i);
		if ((ret = daxfs_unlink(fs, name)))
			die("unlink", ret);
	}
	r.unlink = (now_ns() - t) / n;
	if ((ret = daxfs_unmount(fs)))
		die("unmount", ret);
	unlink(path);
	return r;
}

/* The same calls on the kernel's tmpfs (or whatever holds dir). */
static struct row run_posix(const char *base, long n)
{
	char dir[256], name[300];
	struct stat st;
	struct row r = { 0 };
	double t;
	long i;

	snprintf(dir, sizeof(dir), "%s/dir_bench.%d", base, (int)getpid());
	if (mkdir(dir, 0755) != 0)
		die("mkdir tmpfs", -errno);
	t = now_ns();
	for (i = 0; i < n; i++) {
		int fd;

		name_of(name, sizeof(name), dir, i);
		fd = open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0)
			die("create tmpfs", -errno);
		close(fd);
	}
	r.create = (now_ns() - t) / n;
	t = now_ns();
	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), dir, (i * 7919) % n);
		if (stat(name, &st) != 0)
			die("stat tmpfs", -errno);
	}
	r.stat = (now_ns() - t) / n;
	t = now_ns();
	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), dir, i);
		if (unlink(name) != 0)
			die("unlink tmpfs", -errno);
	}
	r.unlink = (now_ns() - t) / n;
	rmdir(dir);
	return r;
}

static void print_row(long n, const char *who, const struct row *r)
{
	printf("%9ld  %-16s %9.0f %9.0f %9.0f", n, who, r->create, r->stat,
	       r->unlink);
	if (r->first > 0)
		printf(" %11.0f %9.0f\n", r->first, r->warm);
	else
		printf(" %11s %9s\n", "-", "-");
}

int main(int argc, char **argv)
{
	const char *list = "10000,100000", *base = "/dev/shm", *only = NULL;
	char path[300], buf[256], *tok, *save = NULL;
	int c;

	while ((c = getopt(argc, argv, "n:d:pb:")) != -1) {
		if (c == 'b')
			only = optarg;
		else if (c == 'p')
			mount_flags = DAXFS_MOUNT_POPULATE;
		else if (c == 'n')
			list = optarg;
		else if (c == 'd')
			base = optarg;
		else {
			fprintf(stderr, "usage: dir_bench [-n N,...] "
					"[-d DIR] [-p] [-b BACKENDS]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/dir_bench.%d.region", base,
		 (int)getpid());
	snprintf(buf, sizeof(buf), "%s", list);
	printf("%9s  %-16s %9s %9s %9s %11s %9s\n", "entries", "backend",
	       "create", "stat", "unlink", "1st lookup", "warm");
	printf("%9s  %-16s %9s %9s %9s %11s %9s\n", "", "", "ns/op", "ns/op",
	       "ns/op", "ns", "ns");
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		long n = atol(tok);
		struct row r;

		if (!only || strstr(only, "htree")) {
			r = run_daxfs(path, n, 0);
			print_row(n, "libdaxfs htree", &r);
		}
		if (!only || strstr(only, "linear")) {
			r = run_daxfs(path, n, 1);
			print_row(n, "libdaxfs linear", &r);
		}
		if (!only || strstr(only, "tmpfs")) {
			r = run_posix(base, n);
			print_row(n, "tmpfs", &r);
		}
		fflush(stdout);
	}
	return 0;
}
