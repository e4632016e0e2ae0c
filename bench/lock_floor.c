/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock_floor.c -- what a lock around a durable 4 KiB overwrite costs
 * (daxfs_lock_floor; bench/run.sh runs it after the tables).
 *
 * Three loops over the same random 4 KiB offsets of a 256 MiB file and
 * the same 1 MiB source, in turn, in one process (medians of many
 * samples of 500 writes):
 *   pmem2         libpmem2's persisting memcpy into a mapped file: the
 *                 limit "4 KiB overwrite <= 1.5x" compares with;
 *   pmem2 locked  the same memcpy between two locked read-modify-writes
 *                 of a word, as any write that takes and drops a lock
 *                 around its copy (a pwrite must: POSIX makes a read see
 *                 all of a write or none of it);
 *   libdaxfs      daxfs_pwrite of a file on a region of its own.
 * An x86 locked instruction waits until the non-temporal stores before
 * it have drained, which the bare loop overlaps with its next copy: the
 * second row is the floor of a locked durable write.
 *
 *   daxfs_lock_floor [--workdir DIR] [--reps N]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <libpmem2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "daxfs.h"

#define FILE_SIZE ((size_t)256 << 20)
#define SRC_SIZE ((size_t)1 << 20)
#define K 500                   /* writes per sample */
#define NOFF 65536

enum { R_PMEM2, R_LOCKED, R_DAXFS, NROWS };

static const char *const row_name[NROWS] = {
	"pmem2 persisting memcpy",
	"pmem2 memcpy between locked ops",
	"libdaxfs daxfs_pwrite",
};

static off_t offs[NOFF];
static char *src;
static unsigned lock_word;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "daxfs_lock_floor: %s: %s\n", what, why);
	exit(1);
}

/* A mapped file of FILE_SIZE for the two pmem2 rows. */
static char *map_limit(const char *path, pmem2_memcpy_fn *copy)
{
	struct pmem2_config *cfg;
	struct pmem2_source *s;
	struct pmem2_map *map;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *base;

	if (fd < 0 || posix_fallocate(fd, 0, FILE_SIZE))
		die(path, "cannot make the limit file");
	if (pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(
		    cfg, PMEM2_GRANULARITY_CACHE_LINE) ||
	    pmem2_source_from_fd(&s, fd) || pmem2_map_new(&map, cfg, s))
		die(path, pmem2_errormsg());
	base = pmem2_map_get_address(map);
	madvise(base, FILE_SIZE, MADV_POPULATE_WRITE);
	*copy = pmem2_get_memcpy_fn(map);
	return base;
}

/* A region with /data of FILE_SIZE, written, open for writing. */
static daxfs_file *make_daxfs(const char *path, daxfs **fs)
{
	struct daxfs_mkfs_opts o = { .size = FILE_SIZE * 2 };
	daxfs_file *f;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || posix_fallocate(fd, 0, (off_t)o.size))
		die(path, "cannot make the region");
	close(fd);
	if (daxfs_mkfs(path, &o) ||
	    daxfs_mount(path, DAXFS_MOUNT_POPULATE, fs) ||
	    daxfs_open(*fs, "/data", O_RDWR | O_CREAT, 0644, &f))
		die(path, daxfs_errormsg());
	for (size_t off = 0; off < FILE_SIZE; off += SRC_SIZE)
		if (daxfs_pwrite(f, src, SRC_SIZE, (off_t)off) !=
		    (ssize_t)SRC_SIZE)
			die("filling /data", daxfs_errormsg());
	return f;
}

/* One sample of row r: ns per write. */
static double sample(int r, unsigned base, char *lim, pmem2_memcpy_fn copy,
		     daxfs_file *f)
{
	double t0 = now_ns();

	for (unsigned i = 0; i < K; i++) {
		off_t off = offs[(base + i) & (NOFF - 1)];
		const char *from = src + (i & 255) * 4096;

		if (r == R_DAXFS) {
			if (daxfs_pwrite(f, from, 4096, off) != 4096)
				die("daxfs_pwrite", daxfs_errormsg());
			continue;
		}
		if (r == R_LOCKED)
			__atomic_fetch_add(&lock_word, 1, __ATOMIC_ACQUIRE);
		copy(lim + off, from, 4096, 0);
		if (r == R_LOCKED)
			__atomic_fetch_sub(&lock_word, 1, __ATOMIC_RELEASE);
	}
	return (now_ns() - t0) / K;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Run reps rounds of the three rows (their order turning each round)
 * and print the medians. */
static void run(int reps, char *lim, pmem2_memcpy_fn copy, daxfs_file *f)
{
	double *t[NROWS], med[NROWS];

	for (int r = 0; r < NROWS; r++)
		if (!(t[r] = calloc((size_t)reps, sizeof(double))))
			die("memory", "out of memory");
	for (int i = 0; i < reps; i++)
		for (int j = 0; j < NROWS; j++) {
			int r = (i + j) % NROWS;

			t[r][i] = sample(r, (unsigned)(i + 1) * 104729u, lim,
					 copy, f);
		}
	for (int r = 0; r < NROWS; r++) {
		qsort(t[r], (size_t)reps, sizeof(double), cmp_double);
		med[r] = t[r][reps / 2];
		free(t[r]);
	}
	printf("4 KiB random overwrite, persisted: the floor of a locked write "
	       "(256 MiB file, 1 MiB source; median of %d samples of %d)\n",
	       reps, K);
	for (int r = 0; r < NROWS; r++)
		printf("  %-34s %6.0f ns  %.2fx pmem2  %.2fx pmem2 locked\n",
		       row_name[r], med[r], med[r] / med[R_PMEM2],
		       med[r] / med[R_LOCKED]);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workdir", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = "/dev/shm";
	char lim_path[4096], rgn_path[4096];
	pmem2_memcpy_fn copy;
	daxfs_file *f;
	daxfs *fs;
	int reps = 101, c;
	char *lim;

	while ((c = getopt_long(argc, argv, "w:r:", lo, NULL)) != -1) {
		if (c == 'w')
			dir = optarg;
		else if (c == 'r' && atoi(optarg) > 0)
			reps = atoi(optarg);
		else if (c != 'r')
			return 2;
	}
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	if (!(src = malloc(SRC_SIZE)))
		die("memory", "out of memory");
	for (size_t i = 0; i < SRC_SIZE; i++)
		src[i] = (char)(i * 7 + 3);
	srand(1);
	for (int i = 0; i < NOFF; i++)
		offs[i] = (off_t)(rand() % (int)(FILE_SIZE / 4096)) * 4096;
	snprintf(lim_path, sizeof(lim_path), "%s/lock_floor.limit", dir);
	snprintf(rgn_path, sizeof(rgn_path), "%s/lock_floor.region", dir);
	lim = map_limit(lim_path, &copy);
	f = make_daxfs(rgn_path, &fs);
	run(reps, lim, copy, f);
	daxfs_close(f);
	daxfs_unmount(fs);
	unlink(lim_path);
	unlink(rgn_path);
	return 0;
}
