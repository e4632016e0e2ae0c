/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir_bench.c -- directories at scale (issue 15 item 4): create, stat and
 * unlink of N empty files in one directory (or spread over directories
 * of 1,000 with -s) through libdaxfs, with directories indexed on the
 * media (dir_index, htree.c, the default) and linear (dir_index cleared:
 * the in-DRAM index of dir.c), against the same calls on tmpfs and, with
 * -k, on the kernel's ext2 (ext4's driver) over a loop mount of an image
 * daxfs_mkfs made; the first lookup after a fresh mount (the first call,
 * everything cold; and the first in the big directory, after a lookup
 * of /e/f warmed the code and the root: the directory's own cost), the
 * second in the directory, and a new name (the median of NEW_NAMES
 * lookups of names not looked up before, after those two: any other
 * lookup in the mount), medians of 5 mounts, against a warm one (a name
 * looked up twice before: every line it reads in the CPU's caches); and
 * the DRAM the inode cache holds per file after the stat pass
 * (daxfs_cache_stats: inodes, extent and directory caches).  With both
 * the indexed run and tmpfs, the ratio of their stats is also taken with
 * the two trees side by side, in chunks of names taken in turn: a
 * virtual machine's speed moves during a run, and the passes one after
 * the other compare minutes apart.
 *
 *   dir_bench [-n N[,N...]] [-d DIR] [-p] [-s] [-b BACKENDS] [-k MNT]
 *             [-c CSV]
 *
 * N defaults to 10000,100000 (1000000 is the longer run: a few minutes
 * and a region of 4.3 GiB); DIR (default /dev/shm) holds the region
 * files and the tmpfs peer's directory; -p mounts with
 * DAXFS_MOUNT_POPULATE (no page fault on first touch, as on devdax), so
 * the first lookup measures the library, not the page faults of a fresh
 * mapping; -b runs only the backends named (htree, linear, tmpfs,
 * kext2); -k MNT (as root) loop-mounts the kernel's image at MNT; -c
 * appends one CSV row per N and backend.  Prints one table row per N
 * and backend: ns per create, stat, unlink, the first lookup after a
 * fresh mount, the first and second in the directory, a new name and a
 * warm lookup (ns) and the cache's bytes per file; under the indexed
 * row, the alternating stat ratio.
 * Single-threaded; one run each, so run it on an idle machine.
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

static int spread; /* -s: files in directories of SPREAD_DIR */
#define SPREAD_DIR 1000

/* The name of file i (varied lengths, as real names are), in dir or, with
 * -s, in its subdirectory s<i / SPREAD_DIR>. */
static void name_of(char *buf, size_t len, const char *dir, long i)
{
	if (spread)
		snprintf(buf, len, "%s/s%ld/file_%ld_%.*s", dir,
			 i / SPREAD_DIR, i, (int)(i % 17), "abcdefghijklmnopq");
	else
		snprintf(buf, len, "%s/file_%ld_%.*s", dir, i, (int)(i % 17),
			 "abcdefghijklmnopq");
}

/* The subdirectory of -s that file i goes in (i a multiple of
 * SPREAD_DIR), or 0 without -s. */
static int subdir_of(char *buf, size_t len, const char *dir, long i)
{
	if (!spread || i % SPREAD_DIR)
		return 0;
	snprintf(buf, len, "%s/s%ld", dir, i / SPREAD_DIR);
	return 1;
}

/* What one run measured, ns per call; bytes: the inode cache's DRAM per
 * file after the stat pass (libdaxfs only). */
struct row {
	double create, stat, unlink, first, first_dir, second_dir, new_name;
	double warm, bytes;
	double alt[3]; /* stat against tmpfs's, alternating: median, p10, p90 */
};

#define REMOUNTS 5 /* the first lookups: median of as many mounts */
#define NEW_NAMES 101 /* lookups of new names after a mount: their median */
#define ALT_ROUNDS 21 /* stat alternating with tmpfs: rounds of */
#define ALT_CHUNK 10000L /* names each (n / 10 if fewer) */

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Stat file i of dir: daxfs_stat in fs or, fs NULL, stat(2) (dying on
 * an error). */
static void stat_one(daxfs *fs, const char *dir, long i)
{
	char name[400];
	struct stat st;
	int ret;

	name_of(name, sizeof(name), dir, i);
	ret = fs ? daxfs_stat(fs, name, &st) : stat(name, &st) ? -errno : 0;
	if (ret)
		die("stat", ret);
}

/* The ns of stat_one. */
static double timed_stat(daxfs *fs, const char *dir, long i)
{
	double t = now_ns();

	stat_one(fs, dir, i);
	return now_ns() - t;
}

/* ns per stat (stat_one) of the names c to c + len of the stat pass's
 * scattered order (of n files) in dir. */
static double stat_chunk(daxfs *fs, const char *dir, long c, long len,
			 long n)
{
	double t = now_ns();
	long i;

	for (i = c; i < c + len; i++)
		stat_one(fs, dir, (i * 7919) % n);
	return (now_ns() - t) / len;
}

/* The median of the v[0..n) (sorted in place). */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* The median ns of NEW_NAMES stats (stat_one) in dir of names not
 * looked up since the mount (i: one that was, of n files). */
static double new_names(daxfs *fs, const char *dir, long i, long n)
{
	double t[NEW_NAMES];
	int j;

	for (j = 0; j < NEW_NAMES; j++)
		t[j] = timed_stat(fs, dir, (i + n / 7 + j * 104729L) % n);
	return median(t, NEW_NAMES);
}

/* Remount *fs (region path) REMOUNTS times: the first daxfs_stat after
 * the mount (code, root and all cold), the first lookup in the big
 * directory after one in another (/e/f: the code and the root warm), the
 * second, new names after them, a warm one (a name looked up twice
 * before: its inode and its leaf's table cached); medians into r. */
static void first_lookups(daxfs **fs, const char *path, long n, struct row *r)
{
	double first[REMOUNTS], dir[REMOUNTS], second[REMOUNTS];
	double fresh[REMOUNTS], warm[REMOUNTS];
	struct stat st;
	int k, ret;

	for (k = 0; k < 2 * REMOUNTS; k++) {
		long i = (n / 2 + k * 7919L) % n;

		if ((ret = daxfs_unmount(*fs)) ||
		    (ret = daxfs_mount(path, mount_flags, fs)))
			die("remount", ret);
		if (k % 2 == 0) {
			first[k / 2] = timed_stat(*fs, "/d", i);
			continue;
		}
		if ((ret = daxfs_stat(*fs, "/e/f", &st)))
			die("stat /e/f", ret);
		dir[k / 2] = timed_stat(*fs, "/d", i);
		second[k / 2] = timed_stat(*fs, "/d", (i + n / 5) % n);
		fresh[k / 2] = new_names(*fs, "/d", i, n);
		stat_one(*fs, "/d", (i + n / 3) % n);
		stat_one(*fs, "/d", (i + n / 3) % n);
		warm[k / 2] = timed_stat(*fs, "/d", (i + n / 3) % n);
	}
	r->first = median(first, REMOUNTS);
	r->first_dir = median(dir, REMOUNTS);
	r->second_dir = median(second, REMOUNTS);
	r->new_name = median(fresh, REMOUNTS);
	r->warm = median(warm, REMOUNTS);
}

/* Make /e/f, the file a lookup warms the code and the root with. */
static void make_other(daxfs *fs)
{
	daxfs_file *f;
	int ret;

	if ((ret = daxfs_mkdir(fs, "/e", 0755)) ||
	    (ret = daxfs_open(fs, "/e/f", O_CREAT | O_RDWR, 0644, &f)) ||
	    (ret = daxfs_close(f)))
		die("/e/f", ret);
}

/* The ratio of daxfs_stat in /d of fs to stat(2) in peer (tmpfs, the
 * same n names), in chunks taken in turn, so that the machine's speed,
 * which moves during a run on a virtual machine, weighs on both alike:
 * median, 10th and 90th percentile of ALT_ROUNDS rounds into r->alt. */
static void stat_alternating(daxfs *fs, const char *peer, long n,
			     struct row *r)
{
	long len = n < 10 * ALT_CHUNK ? (n + 9) / 10 : ALT_CHUNK, c = 0;
	double ratio[ALT_ROUNDS];
	int k;

	for (k = 0; k < ALT_ROUNDS; k++, c += len)
		ratio[k] = stat_chunk(fs, "/d", c % n, len, n) /
			   stat_chunk(NULL, peer, c % n, len, n);
	r->alt[0] = median(ratio, ALT_ROUNDS);
	r->alt[1] = ratio[ALT_ROUNDS / 10];
	r->alt[2] = ratio[ALT_ROUNDS - 1 - ALT_ROUNDS / 10];
}

/* Create, stat, unlink n files in /d of a libdaxfs region at path; with
 * peer (a tmpfs directory holding the same n files), stat alternating
 * with it too. */
static struct row run_daxfs(const char *path, long n, int linear,
			    const char *peer)
{
	struct daxfs_cache_stats cs;
	struct row r;
	daxfs *fs;
	char name[128];
	double t;
	long i;
	int ret;

	make_region(path, n, linear);
	if ((ret = daxfs_mount(path, mount_flags, &fs)) ||
	    (ret = daxfs_mkdir(fs, "/d", 0755)))
		die("mount/mkdir", ret);
	make_other(fs);
	for (i = 0; i < n; i++)
		if (subdir_of(name, sizeof(name), "/d", i) &&
		    (ret = daxfs_mkdir(fs, name, 0755)))
			die("mkdir", ret);
	t = now_ns();
	for (i = 0; i < n; i++) {
		daxfs_file *f;

		name_of(name, sizeof(name), "/d", i);
		if ((ret = daxfs_open(fs, name, O_CREAT | O_EXCL | O_RDWR,
				      0644, &f)) || (ret = daxfs_close(f)))
			die("create", ret);
	}
	r.create = (now_ns() - t) / n;
	r.stat = stat_chunk(fs, "/d", 0, n, n);
	if ((ret = daxfs_cache_stats(fs, &cs)))
		die("cache stats", ret);
	r.bytes = (double)cs.bytes / n;
	memset(r.alt, 0, sizeof(r.alt));
	if (peer)
		stat_alternating(fs, peer, n, &r);
	first_lookups(&fs, path, n, &r);
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

/* Create (with the directories of -s) and stat n files in dir. */
static void posix_fill(struct row *r, const char *dir, long n)
{
	char name[300];
	double t;
	long i;

	for (i = 0; i < n; i++)
		if (subdir_of(name, sizeof(name), dir, i) &&
		    mkdir(name, 0755) != 0)
			die("mkdir", -errno);
	t = now_ns();
	for (i = 0; i < n; i++) {
		int fd;

		name_of(name, sizeof(name), dir, i);
		fd = open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0)
			die("create", -errno);
		close(fd);
	}
	r->create = (now_ns() - t) / n;
	r->stat = stat_chunk(NULL, dir, 0, n, n);
}

/* Unlink the n files of dir (and the directories of -s). */
static void posix_empty(struct row *r, const char *dir, long n)
{
	char name[300];
	double t = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), dir, i);
		if (unlink(name) != 0)
			die("unlink", -errno);
	}
	r->unlink = (now_ns() - t) / n;
	for (i = 0; i < n; i++)
		if (subdir_of(name, sizeof(name), dir, i))
			rmdir(name);
	rmdir(dir);
}

/* tmpfs's tree while it outlives its own run (run_all), to remove if
 * the program dies meanwhile. */
static char peer_left[256];

static void peer_remove(void)
{
	char cmd[300];

	if (!peer_left[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", peer_left);
	if (system(cmd) != 0)
		fprintf(stderr, "dir_bench: could not remove %s\n", peer_left);
}

/* The same creates and stats on the kernel's tmpfs (or whatever holds
 * base), in dir (len bytes), made for them; posix_empty ends the run. */
static void posix_start(const char *base, long n, char *dir, size_t len,
			struct row *r)
{
	snprintf(dir, len, "%s/dir_bench.%d", base, (int)getpid());
	if (mkdir(dir, 0755) != 0)
		die("mkdir tmpfs", -errno);
	snprintf(peer_left, sizeof(peer_left), "%s", dir);
	posix_fill(r, dir, n);
}

/* Run a shell command; die if it fails. */
static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "dir_bench: failed: %s\n", cmd);
		exit(1);
	}
}

/* After the first lookup in dir (of n files) of the kernel's mount: the
 * second, new names, a warm one, as first_lookups takes them. */
static void kext2_after_first(struct row *r, const char *dir, long n)
{
	r->second_dir = timed_stat(NULL, dir, n / 2 + 1 + n / 5);
	r->new_name = new_names(NULL, dir, n / 2, n);
	stat_one(NULL, dir, n / 3);
	r->warm = timed_stat(NULL, dir, n / 3);
}

/* The same calls on the kernel's ext2 (ext4's driver) over a loop mount
 * at mnt of an image daxfs_mkfs made at path; the first lookup after a
 * fresh mount (the kernel's caches of the file system are dropped at
 * its unmount) against a warm one. */
static struct row run_kext2(const char *path, const char *mnt, long n)
{
	char cmd[1024], dir[300];
	struct row r = { 0 };
	struct stat st;

	make_region(path, n, 0);
	snprintf(cmd, sizeof(cmd), "mount -t ext2 -o loop %s %s", path, mnt);
	sh(cmd);
	snprintf(dir, sizeof(dir), "%s/e", mnt);
	if (mkdir(dir, 0755) != 0 || mknod(strcat(dir, "/f"), S_IFREG | 0644,
					     0) != 0)
		die("mkdir kext2", -errno);
	snprintf(dir, sizeof(dir), "%s/d", mnt);
	if (mkdir(dir, 0755) != 0)
		die("mkdir kext2", -errno);
	posix_fill(&r, dir, n);
	snprintf(cmd, sizeof(cmd), "umount %s && mount -t ext2 -o loop %s %s",
		 mnt, path, mnt);
	sh(cmd);
	r.first = timed_stat(NULL, dir, n / 2);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s/e/f", mnt);
	stat(cmd, &st);
	r.first_dir = timed_stat(NULL, dir, n / 2 + 1);
	kext2_after_first(&r, dir, n);
	posix_empty(&r, dir, n);
	snprintf(cmd, sizeof(cmd), "umount %s", mnt);
	sh(cmd);
	unlink(path);
	return r;
}

static FILE *csv; /* -c */

/* One row of the table (and of the CSV). */
static void print_row(long n, const char *who, const struct row *r)
{
	printf("%-6s %9ld  %-16s %9.0f %9.0f %9.0f", spread ? "spread" :
	       "one", n, who, r->create, r->stat, r->unlink);
	if (r->first > 0)
		printf(" %11.0f %10.0f %10.0f %9.0f %9.0f", r->first,
		       r->first_dir, r->second_dir, r->new_name, r->warm);
	else
		printf(" %11s %10s %10s %9s %9s", "-", "-", "-", "-", "-");
	if (r->bytes > 0)
		printf(" %9.1f\n", r->bytes);
	else
		printf(" %9s\n", "-");
	if (r->alt[0] > 0)
		printf("%-6s %9s  %-16s stat alternating with tmpfs's: %.2fx "
		       "(p10 %.2fx, p90 %.2fx; %d rounds)\n", "", "", "",
		       r->alt[0], r->alt[1], r->alt[2], ALT_ROUNDS);
	if (csv)
		fprintf(csv, "%s,%ld,%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,"
			"%.0f,%.1f,%.3f,%.3f,%.3f\n", spread ? "spread" : "one",
			n, who, r->create, r->stat, r->unlink, r->first,
			r->first_dir, r->second_dir, r->new_name, r->warm,
			r->bytes, r->alt[0], r->alt[1], r->alt[2]);
	fflush(stdout);
}

/* The rows of n files for the backends in only (all if NULL); tmpfs's
 * files, made first, stay while the indexed run stats alternating with
 * them. */
static void run_all(long n, const char *path, const char *base,
		    const char *only, const char *kmnt)
{
	int tmpfs = !only || strstr(only, "tmpfs");
	struct row r, t = { 0 };
	char peer[256];

	if (tmpfs)
		posix_start(base, n, peer, sizeof(peer), &t);
	if (!only || strstr(only, "htree")) {
		r = run_daxfs(path, n, 0, tmpfs ? peer : NULL);
		print_row(n, "libdaxfs htree", &r);
	}
	if (!only || strstr(only, "linear")) {
		r = run_daxfs(path, n, 1, NULL);
		print_row(n, "libdaxfs linear", &r);
	}
	if (tmpfs) {
		posix_empty(&t, peer, n);
		peer_left[0] = '\0';
		print_row(n, "tmpfs", &t);
	}
	if (kmnt && (!only || strstr(only, "kext2"))) {
		r = run_kext2(path, kmnt, n);
		print_row(n, "kernel ext2", &r);
	}
}

int main(int argc, char **argv)
{
	const char *list = "10000,100000", *base = "/dev/shm", *only = NULL;
	const char *kmnt = NULL;
	char path[300], buf[256], *tok, *save = NULL;
	int c;

	while ((c = getopt(argc, argv, "n:d:pb:sk:c:")) != -1) {
		if (c == 'b')
			only = optarg;
		else if (c == 'p')
			mount_flags = DAXFS_MOUNT_POPULATE;
		else if (c == 's')
			spread = 1;
		else if (c == 'k')
			kmnt = optarg;
		else if (c == 'c' && !(csv = fopen(optarg, "a")))
			die("CSV file", -errno);
		else if (c == 'n')
			list = optarg;
		else if (c == 'd')
			base = optarg;
		else if (c != 'c') {
			fprintf(stderr, "usage: dir_bench [-n N,...] [-d DIR] "
				"[-p] [-s] [-b BACKENDS] [-k MNT] [-c CSV]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/dir_bench.%d.region", base,
		 (int)getpid());
	atexit(peer_remove);
	snprintf(buf, sizeof(buf), "%s", list);
	printf("%-6s %9s  %-16s %9s %9s %9s %11s %10s %10s %9s %9s %9s\n",
	       "layout", "entries", "backend", "create", "stat", "unlink",
	       "1st lookup", "1st in dir", "2nd in dir", "new name", "warm",
	       "cache");
	printf("%-6s %9s  %-16s %9s %9s %9s %11s %10s %10s %9s %9s %9s\n",
	       "", "", "", "ns/op", "ns/op", "ns/op", "ns", "ns", "ns", "ns",
	       "ns", "B/file");
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		run_all(atol(tok), path, base, only, kmnt);
	if (csv)
		fclose(csv);
	return 0;
}
