/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icache_bench.c -- the inode cache's DRAM budget at scale (issue 15):
 * N empty files in D directories, then every one of them opened, fstat'ed
 * and closed from a fresh mount (each open caches its inode; a bare
 * daxfs_stat of a file the cache does not hold caches nothing), twice,
 * with the cache unbounded and with a budget; the time of each pass, the
 * process's anonymous memory (RssAnon: the region on /dev/shm is not
 * counted) before the mount, after the passes and after the unmount, and
 * the DRAM per cached and per uncached file.
 *
 *   daxfs_icache_bench [FILES [DIRS [BUDGET_MIB [IMAGE]]]]
 *   (defaults: 1000000 1000 64 /dev/shm/daxfs-icache-bench)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxfs.h"

#define MIB (1024.0 * 1024.0)

static unsigned nfiles = 1000000, ndirs = 1000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RssAnon of this process, bytes. */
static double rss_anon(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024.0;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "icache_bench: %s: %s (%s)\n", what, strerror(-rc),
		daxfs_errormsg());
	exit(1);
}

/* Make the file system and its N files in D directories. */
static void populate(const char *img)
{
	struct daxfs_mkfs_opts o = { 0 };
	daxfs_file *f;
	char p[64];
	daxfs *fs;
	unsigned i;
	int rc;

	o.inodes = nfiles + nfiles / 8 + 4096;
	o.size = ((uint64_t)o.inodes / 32768 + 2) * 128 * 1024 * 1024;
	if ((rc = daxfs_mkfs(img, &o)) || (rc = daxfs_mount(img, 0, &fs)))
		die("mkfs/mount", rc);
	double t = now();
	for (i = 0; i < ndirs; i++) {
		snprintf(p, sizeof(p), "/d%u", i);
		if ((rc = daxfs_mkdir(fs, p, 0755)))
			die(p, rc);
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(p, sizeof(p), "/d%u/f%u", i % ndirs, i);
		if ((rc = daxfs_open(fs, p, O_CREAT | O_WRONLY, 0644, &f)))
			die(p, rc);
		daxfs_close(f);
	}
	printf("create  %u files in %u dirs: %.2f s\n", nfiles, ndirs,
	       now() - t);
	if ((rc = daxfs_unmount(fs)))
		die("unmount", rc);
}

/* Open, fstat and close every file; seconds. */
static double use_all(daxfs *fs)
{
	double t = now();
	struct stat st;
	daxfs_file *f;
	char p[64];
	unsigned i;
	int rc;

	for (i = 0; i < nfiles; i++) {
		snprintf(p, sizeof(p), "/d%u/f%u", i % ndirs, i);
		if ((rc = daxfs_open(fs, p, O_RDONLY, 0, &f)) ||
		    (rc = daxfs_fstat(f, &st)) || (rc = daxfs_close(f)))
			die(p, rc);
	}
	return now() - t;
}

/* One fresh mount with limit bytes, two passes; the report line. */
static double run(const char *img, size_t limit, const char *name)
{
	struct daxfs_cache_stats cs;
	double before = rss_anon(), cold, warm, used, after, mounted;
	daxfs *fs;
	int rc;

	if ((rc = daxfs_mount(img, 0, &fs)) ||
	    (rc = daxfs_set_cache_limit(fs, limit)))
		die("mount", rc);
	mounted = rss_anon() - before;
	cold = use_all(fs);
	warm = use_all(fs);
	used = rss_anon() - before;
	daxfs_cache_stats(fs, &cs);
	if ((rc = daxfs_unmount(fs)))
		die("unmount", rc);
	after = rss_anon() - before;
	printf("%-9s open+fstat+close cold %.2f s (%.0f ns/file), warm %.2f s; "
	       "RssAnon +%.1f MiB (%.0f B/file), after unmount %+.2f MiB; "
	       "cache %.1f MiB, %llu inodes (%.0f B each), %llu evictions\n",
	       name, cold, cold * 1e9 / nfiles, warm, used / MIB,
	       used / nfiles, after / MIB, cs.bytes / MIB,
	       (unsigned long long)cs.inodes,
	       cs.inodes ? (double)cs.bytes / cs.inodes : 0.0,
	       (unsigned long long)cs.evictions);
	if (cs.inodes < nfiles && limit != SIZE_MAX) /* the files not cached */
		printf("%-9s DRAM per uncached file: %.1f B (RssAnon less the "
		       "cache, over the files not in it); RssAnon beyond the "
		       "budget: %+.2f MiB (the cache's table %.2f MiB is in "
		       "it; after the mount, before any lookup: %+.2f MiB)\n",
		       name, (used - cs.bytes) / (nfiles - cs.inodes),
		       (used - (double)limit) / MIB, cs.table / MIB,
		       mounted / MIB);
	return warm;
}

int main(int argc, char **argv)
{
	const char *img = argc > 4 ? argv[4] : "/dev/shm/daxfs-icache-bench";
	size_t budget = (size_t)(argc > 3 ? atof(argv[3]) : 64) * 1024 * 1024;
	double unb, bud;

	if (argc > 1)
		nfiles = (unsigned)atoi(argv[1]);
	if (argc > 2)
		ndirs = (unsigned)atoi(argv[2]);
	if (!nfiles || !ndirs) {
		fprintf(stderr, "usage: %s [FILES [DIRS [BUDGET_MIB [IMAGE]]]]\n",
			argv[0]);
		return 2;
	}
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	populate(img);
	unb = run(img, SIZE_MAX, "unbounded");
	bud = run(img, budget, "budget");
	printf("budget %.0f MiB: warm pass %.2fx the unbounded time\n",
	       budget / MIB, bud / unb);
	unlink(img);
	return 0;
}
