/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fences.c -- the fences (drains) and flushed cache lines of each kind of
 * libdaxfs operation, beside the times of daxfs_bench (bench/run.sh runs
 * both and appends this table to table.txt).
 *
 * The released library counts nothing: this program is linked with the
 * library's objects compiled with the test hooks (daxfs_bench_hook_obj,
 * DAXFS_TEST_HOOKS=1), whose persistence recorder (core/region_rec.h)
 * wraps the region's libpmem2 functions and calls back at every fence.
 * On a small region file (on /dev/shm, PMEM2_FORCE_GRANULARITY=CACHE_LINE
 * as the bench), each kind of operation runs N times (100 by default) and
 * the recorder's counters are read around each call only, so what the
 * preparation does (creating the files an unlink removes...) is not
 * counted.  Per operation:
 *   fences            drains (libpmem2's drain, the memcpy/memset that
 *                     drain, persist = flush + drain): each an sfence;
 *   lines flushed     64-byte lines that a flush (or a persisting
 *                     memcpy/memset: clwb or non-temporal stores) covered,
 *                     a line flushed twice counted twice;
 *   lines persisted   distinct lines in flight at the fences (what the
 *                     fences made durable).
 * Single-threaded, as the recorder wants.  Output: the table on stdout,
 * fences.csv in --out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <daxfs.h>

#include "core/region_rec.h"

#define KIB 1024ul
#define MIB (1024ul * KIB)
#define MAXN 10000
#define WFILE (2 * MIB) /* the overwritten file */

static daxfs *fs;
static daxfs_file *fw, *fa;   /* the overwritten and the appended file */
static daxfs_file **fh;       /* the truncated files, one per operation */
static char *buf;             /* 16 KiB of pattern */
static int nops = 100;
static char region[1024];     /* the region file, removed at the end */

/* ------------------------------------------------------------------ */
/* Counting                                                            */
/* ------------------------------------------------------------------ */

/* What the fence callback saw since the recorder started. */
static struct {
	unsigned long fences;
	unsigned long persisted;  /* lines in flight at the fences */
} seen;

/* region_rec_fence_fn: count the fence and the lines it makes durable. */
static void on_fence(void *arg, const unsigned char *shadow, size_t size,
		     const struct region_rec_line *lines, size_t n)
{
	(void)arg;
	(void)shadow;
	(void)size;
	(void)lines;
	seen.fences++;
	seen.persisted += n;
}

/* The counters at one moment. */
struct snap {
	unsigned long fences, lines, persisted;
};

/* Read the counters now. */
static struct snap snap_now(void)
{
	struct region_rec_stats st = region_rec_get_stats();

	return (struct snap){ seen.fences, st.lines, seen.persisted };
}

/* One row's totals over its operations. */
struct result {
	int n;
	unsigned long fences, lines, persisted;
	unsigned long fmin, fmax;  /* fences of one operation */
};

/* Add what happened between a and b, one operation, to r. */
static void result_add(struct result *r, struct snap a, struct snap b)
{
	unsigned long f = b.fences - a.fences;

	if (!r->n || f < r->fmin)
		r->fmin = f;
	if (!r->n || f > r->fmax)
		r->fmax = f;
	r->n++;
	r->fences += f;
	r->lines += b.lines - a.lines;
	r->persisted += b.persisted - a.persisted;
}

/* ------------------------------------------------------------------ */
/* The operations                                                      */
/* ------------------------------------------------------------------ */

/* A name in the directory /d: prefix and number. */
static const char *nm(const char *prefix, int i)
{
	static char p[2][64];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "/d/%s%05d", prefix, i);
	return p[k];
}

/* Create an empty file and close it. */
static int make_file(const char *path)
{
	daxfs_file *f;
	int ret = daxfs_open(fs, path, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);

	return ret ? ret : daxfs_close(f);
}

/* create: open O_CREAT|O_EXCL + close. */
static int op_create(int i)
{
	return make_file(nm("c", i));
}

/* mkdir of a new name. */
static int op_mkdir(int i)
{
	return daxfs_mkdir(fs, nm("m", i), 0755);
}

/* A file that unlink removes. */
static int prep_unlink(int i)
{
	return make_file(nm("u", i));
}

/* unlink of an empty file. */
static int op_unlink(int i)
{
	return daxfs_unlink(fs, nm("u", i));
}

/* A directory that rmdir removes. */
static int prep_rmdir(int i)
{
	return daxfs_mkdir(fs, nm("r", i), 0755);
}

/* rmdir of an empty directory. */
static int op_rmdir(int i)
{
	return daxfs_rmdir(fs, nm("r", i));
}

/* A file that rename moves. */
static int prep_rename(int i)
{
	return make_file(nm("n", i));
}

/* rename to a new name in the same directory. */
static int op_rename(int i)
{
	return daxfs_rename(fs, nm("n", i), nm("N", i));
}

/* A file that link names again. */
static int prep_link(int i)
{
	return make_file(nm("l", i));
}

/* link: a second name in the same directory. */
static int op_link(int i)
{
	return daxfs_link(fs, nm("l", i), nm("L", i));
}

/* symlink with a short target (kept in the inode). */
static int op_symlink(int i)
{
	return daxfs_symlink(fs, "/d/c00000", nm("s", i));
}

/* The file of the overwrites, written whole. */
static int setup_overwrite(void)
{
	int ret = daxfs_open(fs, "/w", O_RDWR | O_CREAT | O_TRUNC, 0644, &fw);

	for (size_t off = 0; !ret && off < WFILE; off += 16 * KIB)
		if (daxfs_pwrite(fw, buf, 16 * KIB, off) != (ssize_t)(16 * KIB))
			ret = -EIO;
	return ret;
}

/* Close the file of the overwrites. */
static int teardown_overwrite(void)
{
	return daxfs_close(fw);
}

/* Write len bytes at the i-th len-aligned offset of /w, with flags. */
static int overwrite(int i, size_t len, unsigned flags)
{
	off_t off = (off_t)((size_t)i * len % WFILE);
	ssize_t n = daxfs_pwrite2(fw, buf, len, off, flags);

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

/* 4 KiB overwrite (daxfs_pwrite). */
static int op_overwrite4k(int i)
{
	return overwrite(i, 4 * KIB, 0);
}

/* 16 KiB overwrite, all or nothing (DAXFS_WRITE_ATOMIC). */
static int op_atomic16k(int i)
{
	return overwrite(i, 16 * KIB, DAXFS_WRITE_ATOMIC);
}

/* 4 KiB overwrite whose fence is left to fsync (DAXFS_WRITE_LAZY). */
static int op_lazy4k(int i)
{
	return overwrite(i, 4 * KIB, DAXFS_WRITE_LAZY);
}

/* The fsync after a lazy overwrite. */
static int op_fsync(int i)
{
	(void)i;
	return daxfs_fsync(fw);
}

/* The file of the appends, empty. */
static int setup_append(void)
{
	return daxfs_open(fs, "/a", O_RDWR | O_CREAT | O_TRUNC | O_APPEND,
			  0644, &fa);
}

/* Close the file of the appends. */
static int teardown_append(void)
{
	return daxfs_close(fa);
}

/* 4 KiB append (allocating). */
static int op_append4k(int i)
{
	ssize_t n = daxfs_pwrite(fa, buf, 4 * KIB, 0);

	(void)i;
	return n == (ssize_t)(4 * KIB) ? 0 : n < 0 ? (int)n : -EIO;
}

/* A file of size bytes of pattern, kept open in fh[i]. */
static int open_sized(int i, const char *prefix, size_t size)
{
	int ret = daxfs_open(fs, nm(prefix, i), O_RDWR | O_CREAT | O_EXCL,
			     0644, &fh[i]);

	if (!ret && size && daxfs_pwrite(fh[i], buf, size, 0) != (ssize_t)size)
		ret = -EIO;
	return ret;
}

/* A 16 KiB file that truncate shortens. */
static int prep_trunc_down(int i)
{
	return open_sized(i, "td", 16 * KIB);
}

/* truncate 16 KiB -> 0 (frees its 4 blocks). */
static int op_trunc_down(int i)
{
	return daxfs_ftruncate(fh[i], 0);
}

/* An empty file that truncate grows. */
static int prep_trunc_up(int i)
{
	return open_sized(i, "tu", 0);
}

/* truncate 0 -> 16 KiB (a hole: no block). */
static int op_trunc_up(int i)
{
	return daxfs_ftruncate(fh[i], 16 * KIB);
}

/* Close the truncated files. */
static int teardown_trunc(void)
{
	int ret = 0;

	for (int i = 0; i < nops; i++)
		if (fh[i] && daxfs_close(fh[i]) && !ret)
			ret = -EIO;
	memset(fh, 0, nops * sizeof(*fh));
	return ret;
}

/* One row of the table; a row with "then" counts that call, made after
 * each op, in the next row (which has no op of its own). */
struct kind {
	const char *key;   /* in fences.csv */
	const char *name;  /* in the table */
	int (*setup)(void);
	int (*prep)(int i);   /* not counted, all before the ops */
	int (*op)(int i);     /* counted */
	int (*then)(int i);   /* counted in the next row */
	int (*teardown)(void);
};

static const struct kind kinds[] = {
	{"create", "create (open O_CREAT|O_EXCL + close)", NULL, NULL,
	 op_create, NULL, NULL},
	{"mkdir", "mkdir", NULL, NULL, op_mkdir, NULL, NULL},
	{"unlink", "unlink (empty file)", NULL, prep_unlink, op_unlink, NULL,
	 NULL},
	{"rmdir", "rmdir (empty directory)", NULL, prep_rmdir, op_rmdir, NULL,
	 NULL},
	{"rename", "rename (file, new name, same directory)", NULL,
	 prep_rename, op_rename, NULL, NULL},
	{"link", "link (same directory)", NULL, prep_link, op_link, NULL,
	 NULL},
	{"symlink", "symlink (short target)", NULL, NULL, op_symlink, NULL,
	 NULL},
	{"overwrite4k", "4 KiB overwrite", setup_overwrite, NULL,
	 op_overwrite4k, NULL, NULL},
	{"append4k", "4 KiB append", setup_append, NULL, op_append4k, NULL,
	 teardown_append},
	{"atomic16k", "16 KiB overwrite, DAXFS_WRITE_ATOMIC", NULL, NULL,
	 op_atomic16k, NULL, NULL},
	{"lazy4k", "4 KiB overwrite, DAXFS_WRITE_LAZY", NULL, NULL, op_lazy4k,
	 op_fsync, NULL},
	/* The last row on /w closes it. */
	{"lazy4k_fsync", "  + the daxfs_fsync after each", NULL, NULL, NULL,
	 NULL, teardown_overwrite},
	{"truncate_down", "truncate down (16 KiB -> 0)", NULL,
	 prep_trunc_down, op_trunc_down, NULL, teardown_trunc},
	{"truncate_up", "truncate up (0 -> 16 KiB)", NULL, prep_trunc_up,
	 op_trunc_up, NULL, teardown_trunc},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static struct result res[NKINDS];

/* Say what failed, remove the region file, and stop. */
static void die(const char *what, int ret)
{
	fprintf(stderr, "daxfs_fences: %s: %s (%s)\n", what, daxfs_errormsg(),
		strerror(-ret));
	if (region[0])
		unlink(region);
	exit(1);
}

/* Run kind k: setup, prep, then each op (and its "then") counted. */
static void run_kind(size_t k)
{
	const struct kind *kd = &kinds[k];
	int ret;

	if (kd->setup && (ret = kd->setup()))
		die(kd->key, ret);
	for (int i = 0; kd->prep && i < nops; i++)
		if ((ret = kd->prep(i)))
			die(kd->key, ret);
	for (int i = 0; kd->op && i < nops; i++) {
		struct snap a = snap_now(), b, c;

		if ((ret = kd->op(i)))
			die(kd->key, ret);
		b = snap_now();
		result_add(&res[k], a, b);
		if (!kd->then)
			continue;
		if ((ret = kd->then(i)))
			die(kinds[k + 1].key, ret);
		c = snap_now();
		result_add(&res[k + 1], b, c);
	}
	if (kd->teardown && (ret = kd->teardown()))
		die(kd->key, ret);
}

/* ------------------------------------------------------------------ */
/* Report                                                              */
/* ------------------------------------------------------------------ */

/* The table. */
static void print_table(size_t size)
{
	struct region_rec_stats st = region_rec_get_stats();

	printf("\nfences per operation (libdaxfs %s, counted by the "
	       "persistence recorder of a test-hook build;\n%d operations "
	       "each on %s, %zu MiB, PMEM2_FORCE_GRANULARITY=%s; lines are "
	       "64 bytes;\nflushed: every line a flush or persisting "
	       "memcpy/memset covered, repeats included; persisted: distinct\n"
	       "lines in flight at the fences)\n\n", daxfs_version(), nops,
	       region, size / MIB, getenv("PMEM2_FORCE_GRANULARITY"));
	printf("%-40s %9s  %-10s %16s %18s\n", "kind", "fences/op",
	       "[min..max]", "lines flushed/op", "lines persisted/op");
	for (size_t k = 0; k < NKINDS; k++) {
		const struct result *r = &res[k];
		char mm[32];

		if (!r->n)
			continue;
		snprintf(mm, sizeof(mm), "[%lu..%lu]", r->fmin, r->fmax);
		printf("%-40s %9.2f  %-10s %16.1f %18.1f\n", kinds[k].name,
		       (double)r->fences / r->n, mm, (double)r->lines / r->n,
		       (double)r->persisted / r->n);
	}
	if (st.overlaps || st.outside || st.dropped)
		printf("WARNING: the recorder saw %lu overlapping calls, %lu "
		       "flushes outside the region, %lu dropped: the counts "
		       "above are short\n", st.overlaps, st.outside,
		       st.dropped);
}

/* fences.csv in dir. */
static void write_csv(const char *dir)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/fences.csv", dir);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		return;
	}
	fprintf(f, "kind,operation,ops,fences_per_op,fences_min,fences_max,"
		"lines_flushed_per_op,lines_persisted_per_op\n");
	for (size_t k = 0; k < NKINDS; k++) {
		const struct result *r = &res[k];

		if (!r->n)
			continue;
		fprintf(f, "%s,\"%s\",%d,%.4g,%lu,%lu,%.4g,%.4g\n",
			kinds[k].key, kinds[k].name, r->n,
			(double)r->fences / r->n, r->fmin, r->fmax,
			(double)r->lines / r->n, (double)r->persisted / r->n);
	}
	fclose(f);
	printf("\nCSV: %s\n", p);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

/* The usage. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: daxfs_fences [--workdir DIR] [--out DIR] [--ops N]\n"
		"                    [--size MiB]\n"
		"  --workdir  where the region file goes (default /dev/shm)\n"
		"  --out      where fences.csv goes (default .)\n"
		"  --ops      operations of each kind (default 100)\n"
		"  --size     region size in MiB (default 128; the recorder\n"
		"             keeps about 2.5x that in memory)\n");
}

/* A region file of size bytes, allocated and made a file system. */
static int make_region(const char *path, size_t size)
{
	struct daxfs_mkfs_opts o = {
		.size = size,
		.block_size = 4096,
		.label = "daxfs-fences",
	};
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -errno;
	ret = posix_fallocate(fd, 0, (off_t)size);
	close(fd);
	if (ret)
		return -ret;
	return daxfs_mkfs(path, &o);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"workdir", required_argument, NULL, 'w'},
		{"out", required_argument, NULL, 'o'},
		{"ops", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *workdir = "/dev/shm", *out = ".";
	size_t size = 128 * MIB;
	int c, ret;

	while ((c = getopt_long(argc, argv, "w:o:n:s:h", lo, NULL)) != -1) {
		switch (c) {
		case 'w': workdir = optarg; break;
		case 'o': out = optarg; break;
		case 'n': nops = atoi(optarg); break;
		case 's': size = (size_t)atoi(optarg) * MIB; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nops < 1 || nops > MAXN || size < 16 * MIB) {
		usage(stderr);
		return 2;
	}
	/* Emulate pmem with ADR on the tmpfs file: cache-line flushes. */
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	snprintf(region, sizeof(region), "%s/daxfs-fences.%d.img", workdir,
		 (int)getpid());
	buf = aligned_alloc(4096, 16 * KIB);
	fh = calloc(nops, sizeof(*fh));
	if (!buf || !fh)
		return 1;
	for (size_t i = 0; i < 16 * KIB; i++)
		buf[i] = (char)(i * 7 + 1);

	if ((ret = make_region(region, size)))
		die("making the region", ret);
	/* Armed after mkfs: the mount's region_open is the one recorded. */
	if ((ret = region_rec_start(on_fence, NULL)) ||
	    (ret = daxfs_mount(region, 0, &fs)) ||
	    (ret = daxfs_mkdir(fs, "/d", 0755)))
		die("mount", ret);
	if (!region_rec_get_stats().recording)
		die("the recorder is not recording the mount", -EIO);
	for (size_t k = 0; k < NKINDS; k++)
		run_kind(k);
	print_table(size);
	ret = daxfs_unmount(fs);
	region_rec_stop();
	unlink(region);
	if (ret)
		die("unmount", ret);
	write_csv(out);
	return 0;
}
