/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devices.c -- discover the devdax devices of this machine and choose a
 * region for libdaxfs.
 *
 *   devices [FALLBACK]
 *
 * What it shows:
 *   - daxfs_devices lists the devdax devices (/dev/daxX.Y, made with
 *     ndctl/daxctl from persistent memory): path, size, mapping alignment
 *     and NUMA node;
 *   - choosing one: the largest device with 4 KiB alignment, where views
 *     (daxfs_map) may cover any page-aligned range.  A device aligned to
 *     2 MiB (ndctl's default) works too, but its views must cover whole
 *     2 MiB units, so it is passed over here, and the output says why;
 *   - falling back, when no device fits, to a regular file: FALLBACK, or
 *     /dev/shm/daxfs-example.img.  A file on /dev/shm is RAM, not
 *     persistent memory: set PMEM2_FORCE_GRANULARITY=CACHE_LINE to make
 *     libpmem2 flush cache lines there as it would on pmem.
 * It prints the devices, then one line "region: PATH" and why.  It only
 * chooses: give that path to the other examples (or daxfs_mkfs).
 *
 *   devices                        # on a machine without pmem:
 *                                  # region: /dev/shm/daxfs-example.img
 *   devices /dev/shm/mine.img
 */
#include <inttypes.h>

#include "example.h"

#define MAX_DEVICES 64
#define DEFAULT_REGION "/dev/shm/daxfs-example.img"

/* Print a byte count with a binary unit (KiB, MiB, GiB...). */
static void print_size(uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (bytes >= 1024 && bytes % 1024 == 0 && u < 4) {
		bytes /= 1024;
		u++;
	}
	printf("%" PRIu64 " %s", bytes, unit[u]);
}

/* Print one device, and whether it can be chosen. */
static void print_device(const struct daxfs_device *d)
{
	printf("  %-14s size ", d->path);
	print_size(d->size);
	printf(", alignment ");
	print_size(d->align);
	if (d->numa_node >= 0)
		printf(", NUMA node %d", d->numa_node);
	else
		printf(", NUMA node unknown");
	if (d->align != 4096)
		printf(" -- passed over: views on it must cover whole "
		       "%" PRIu64 " KiB units", d->align >> 10);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct daxfs_device devs[MAX_DEVICES];
	const struct daxfs_device *best = NULL;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: devices [FALLBACK]\n");
		return 1;
	}
	int n = daxfs_devices(devs, MAX_DEVICES);
	if (n < 0)
		die("devices", n);
	printf("%d devdax device%s found\n", n, n == 1 ? "" : "s");
	if (n > MAX_DEVICES)
		n = MAX_DEVICES; /* more than fit in devs[]: look at those */
	for (int i = 0; i < n; i++) {
		print_device(&devs[i]);
		if (devs[i].align == 4096 && (!best || devs[i].size > best->size))
			best = &devs[i];
	}
	if (best) {
		printf("region: %s (the largest devdax device with 4 KiB "
		       "alignment)\n", best->path);
	} else {
		printf("region: %s (%s; a regular file, %s)\n",
		       argc == 2 ? argv[1] : DEFAULT_REGION,
		       n ? "no devdax device has 4 KiB alignment"
			 : "no devdax device on this machine",
		       argc == 2 ? "given on the command line"
				 : "the default under /dev/shm");
	}
	return 0;
}
