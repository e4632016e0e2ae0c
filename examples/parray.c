/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parray.c -- a persistent array of 64-bit counters, updated in place
 * through a direct mapping of a libdaxfs file.
 *
 *   parray REGION incr I N    add N to counter I (0 <= I < 262144)
 *   parray REGION show        print the counters that are not 0
 *
 * What it shows:
 *   - creating a file and giving it its size with daxfs_ftruncate: the file
 *     is sparse, its blocks are allocated by the first store into them;
 *   - daxfs_map: a view of the file, through which the program loads and
 *     stores the region's blocks themselves (no copy, no system call);
 *   - daxfs_persist: after a store through a view, persisting its range
 *     makes it durable (an aligned 8-byte store is also atomic: after a
 *     crash a counter has its old or its new value, never a mix);
 *   - the counters keep their values across runs, as in a file.
 * The file is 2 MiB long so that the view is valid on every region,
 * including devdax devices that map only in 2 MiB units (there, views
 * must cover whole 2 MiB units).  A region without a file system gets
 * one (see example.h).
 *
 * Run it on a region file in /dev/shm:
 *
 *   export PMEM2_FORCE_GRANULARITY=CACHE_LINE
 *   parray /dev/shm/pa.img incr 7 5
 *   parray /dev/shm/pa.img incr 7 1
 *   parray /dev/shm/pa.img show          # counter[7] = 6
 */
#include <inttypes.h>
#include <sys/mman.h>

#include "example.h"

#define ARRAY_PATH "/parray"
#define ARRAY_BYTES (2u << 20)
#define ARRAY_COUNT (ARRAY_BYTES / sizeof(uint64_t))

/* Open the array file (creating it, and sizing it on first use) and map
 * it: writable for incr, read-only for show. */
static uint64_t *array_map(daxfs *fs, int writable, daxfs_file **f)
{
	struct stat st;
	void *addr;
	int ret;

	ret = daxfs_open(fs, ARRAY_PATH, O_RDWR | O_CREAT, 0644, f);
	if (ret < 0 || (ret = daxfs_fstat(*f, &st)) < 0)
		die("parray", ret);
	if (st.st_size != ARRAY_BYTES &&
	    (ret = daxfs_ftruncate(*f, ARRAY_BYTES)) < 0)
		die("parray", ret);
	ret = daxfs_map(*f, 0, ARRAY_BYTES,
			writable ? PROT_READ | PROT_WRITE : PROT_READ, 0, &addr);
	if (ret < 0)
		die("parray", ret);
	return addr;
}

/* Add n to counter i in place and make the store durable. */
static void cmd_incr(uint64_t *a, size_t i, uint64_t n)
{
	a[i] += n;                     /* a store into the region itself */
	int ret = daxfs_persist(&a[i], sizeof(a[i]));
	if (ret < 0)
		die("parray", ret);
	printf("counter[%zu] = %" PRIu64 "\n", i, a[i]);
}

/* Print every counter that is not 0, and their sum. */
static void cmd_show(const uint64_t *a)
{
	uint64_t sum = 0;
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_COUNT; i++) {
		if (!a[i])
			continue;
		printf("counter[%zu] = %" PRIu64 "\n", i, a[i]);
		sum += a[i];
		used++;
	}
	printf("%zu counters in use, sum %" PRIu64 "\n", used, sum);
}

/* Parse a decimal number of at most max; -1 if it is not one. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return (s[0] >= '0' && s[0] <= '9' && !*end && !errno &&
		*out <= max) ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t i = 0, n = 0;
	int incr = argc == 5 && strcmp(argv[2], "incr") == 0;

	if (!(incr || (argc == 3 && strcmp(argv[2], "show") == 0)) ||
	    (incr && (parse_num(argv[3], ARRAY_COUNT - 1, &i) < 0 ||
		      parse_num(argv[4], UINT64_MAX, &n) < 0))) {
		fprintf(stderr, "usage: parray REGION incr I N   "
			"(0 <= I < %zu)\n       parray REGION show\n",
			(size_t)ARRAY_COUNT);
		return 1;
	}
	daxfs *fs = example_mount("parray", argv[1], 0);
	daxfs_file *f;
	uint64_t *a = array_map(fs, incr, &f);
	if (incr)
		cmd_incr(a, i, n);
	else
		cmd_show(a);
	/* Views outlive their file handle; unmount needs them gone. */
	int ret = daxfs_unmap(a, ARRAY_BYTES);
	if (ret < 0 || (ret = daxfs_close(f)) < 0)
		die("parray", ret);
	example_unmount("parray");
	return 0;
}
