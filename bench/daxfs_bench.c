/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daxfs_bench.c -- one program that times the same operations, in one run
 * on one machine, through
 *   libdaxfs   (daxfs_pread/pwrite/open/map... on the region),
 *   tmpfs      (system calls on a tmpfs directory),
 *   kext2      (system calls on the same ext2 image, loop-mounted with the
 *               Linux ext2 driver; skipped with a reason when impossible),
 *   libext2fs  (e2fsprogs' library on the same, unmounted, image),
 *   memcpy and pmem2 (the limits: memcpy and libpmem2's persisting memcpy
 *               on a pmem2 mapping of a file of the same size),
 * and prints medians with [min..max] over repetitions, the ratio of
 * libdaxfs to every peer, and PASS/MISS lines for the targets; results go
 * to CSV files and a gnuplot data file as well (bench/run.sh draws it).
 *
 * Phases (the region is mounted by one of them at a time):
 *   A  libdaxfs, tmpfs, memcpy, pmem2 -- samples interleaved per repetition
 *   B  kext2 (mount -o loop)
 *   C  libext2fs (ext2fs_open with unix_io_manager)
 * Phase A also lays out the files and 100,000-entry directories that B and
 * C use (under /B and /C of the image), so all three work on one image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <daxfs.h>

#include "bench.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define MAXREP 256
#define MAXT 64
#define HOT_MIB 1u /* each thread's part in the hot-set read scaling */

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

static struct cfg {
	bool quick;
	int reps;           /* samples of the short operations */
	int reps_long;      /* samples of the long ones (map of 1 GiB...) */
	int reps_mt;        /* samples of the 1..N thread runs */
	int threads;        /* N of the scaling runs */
	size_t image_size;
	uint32_t inodes;
	size_t data_size;   /* random 4 KiB and sequential I/O file */
	size_t fault_size;  /* per-4 KiB fault file */
	size_t map_size;    /* per-2 MiB faults and map+touch throughput */
	int ndir;           /* entries in the big directory */
	int k_rand;         /* random 4 KiB ops per sample */
	int k_app;          /* appends per sample */
	int k_mt;           /* ops per thread per sample of the 1..N runs */
	int k_create;       /* creates (and unlinks) per sample */
	int k_stat;         /* stats per sample */
	const char *workdir;
	const char *outdir;
	const char *dax;    /* devdax path, or NULL */
	bool keep;
} cfg;

static char region[512], limitfile[512], tmpfsdir[512], mntdir[512];
static bool kmounted, created_workdir;
static char bskip[NB][256]; /* why a whole backend did not run */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void logp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logp(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* Metrics and results                                                 */
/* ------------------------------------------------------------------ */

enum {
	M_READ4K, M_WRITE4K, M_APPEND4K, M_ATOMIC16K, M_SEQREAD, M_SEQWRITE,
	M_CREATE, M_STAT, M_RENAME, M_UNLINK,
	M_F4K_LAZY_RD, M_F4K_LAZY_WR, M_F4K_POP, M_F2M_LAZY, M_F2M_POP,
	M_MAP_LAZY, M_MAP_POP,
	M_RD_T1, M_RD_TN, M_RD_SCAL,
	M_RH_T1, M_RH_TN, M_RH_SCAL,
	M_AP_T1, M_AP_TN, M_AP_SCAL,
	M_FD_T1, M_FD_TN, M_FD_SCAL,
	M_FS_T1, M_FS_TN, M_FS_SCAL,
	M_RD_CPU, M_RH_CPU, M_AP_CPU, M_FD_CPU, M_FS_CPU,
	NM
};

struct metric {
	const char *key;
	char label[96];
	char shortl[32];  /* chart label */
	const char *unit;
	bool higher_better;
	bool scaling;     /* a 1 -> N factor */
	double v[NB][MAXREP];
	int n[NB];
	int npre[NB];     /* samples kept although preempted */
	char fail[NB][256];
};

static struct metric M[NM];

static void mdef(int id, const char *key, const char *unit, bool hb,
		 const char *shortl, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void mdef(int id, const char *key, const char *unit, bool hb,
		 const char *shortl, const char *fmt, ...)
{
	va_list ap;

	M[id].key = key;
	M[id].unit = unit;
	M[id].higher_better = hb;
	M[id].scaling = !strcmp(unit, "x");
	snprintf(M[id].shortl, sizeof(M[id].shortl), "%s", shortl);
	va_start(ap, fmt);
	vsnprintf(M[id].label, sizeof(M[id].label), fmt, ap);
	va_end(ap);
}

static void define_metrics(void)
{
	int N = cfg.threads;
	unsigned fm = cfg.fault_size / MIB, mm = cfg.map_size / MIB;
	const char *mu = "MiB";
	unsigned mt_mib = (cfg.map_size < 64 * MIB ? cfg.map_size : 64 * MIB) / MIB;

	if (cfg.map_size >= GIB && cfg.map_size % GIB == 0) {
		mm = cfg.map_size / GIB;
		mu = "GiB";
	}
	mdef(M_READ4K, "read4k", "ns/op", false, "read 4K",
	     "4 KiB random read");
	mdef(M_WRITE4K, "overwrite4k", "ns/op", false, "overwrite 4K",
	     "4 KiB random overwrite, persisted");
	mdef(M_APPEND4K, "append4k", "ns/op", false, "append 4K",
	     "4 KiB append (allocating), persisted");
	mdef(M_ATOMIC16K, "atomic16k", "ns/op", false, "atomic 16K",
	     "16 KiB rand overwrite, DAXFS_WRITE_ATOMIC (peers: plain)");
	mdef(M_SEQREAD, "seqread", "GiB/s", true, "seq read",
	     "1 MiB sequential read");
	mdef(M_SEQWRITE, "seqwrite", "GiB/s", true, "seq write",
	     "1 MiB sequential overwrite, persisted");
	mdef(M_CREATE, "create", "ns/op", false, "create",
	     "create+close, dir of %d", cfg.ndir);
	mdef(M_STAT, "stat", "ns/op", false, "stat", "stat (lookup), dir of %d",
	     cfg.ndir);
	mdef(M_RENAME, "rename", "ns/op", false, "rename",
	     "rename to a new name, dir of %d", cfg.ndir);
	mdef(M_UNLINK, "unlink", "ns/op", false, "unlink",
	     "unlink, dir of %d", cfg.ndir);
	mdef(M_F4K_LAZY_RD, "fault4k_lazy_read", "ns/4KiB", false,
	     "fault 4K rd", "map %u MiB, load 1 B/4 KiB, unmap", fm);
	mdef(M_F4K_LAZY_WR, "fault4k_lazy_write", "ns/4KiB", false,
	     "fault 4K wr", "map %u MiB, store 1 B/4 KiB, unmap", fm);
	mdef(M_F4K_POP, "fault4k_populate", "ns/4KiB", false, "populate 4K",
	     "map+POPULATE %u MiB, load 1 B/4 KiB, unmap", fm);
	mdef(M_F2M_LAZY, "fault2m_lazy", "ns/2MiB", false, "fault 2M",
	     "map %u %s, load 1 B/2 MiB, unmap", mm, mu);
	mdef(M_F2M_POP, "fault2m_populate", "ns/2MiB", false, "populate 2M",
	     "map+POPULATE %u %s, load 1 B/2 MiB, unmap", mm, mu);
	mdef(M_MAP_LAZY, "maptouch_lazy", "GiB/s", true, "map+touch",
	     "map+touch %u %s file (lazy)", mm, mu);
	mdef(M_MAP_POP, "maptouch_populate", "GiB/s", true, "map+touch pop",
	     "map+touch %u %s file (POPULATE)", mm, mu);
	mdef(M_RD_T1, "mt_read_1", "Mops/s", true, "",
	     "4 KiB rand read, %zu MiB file, 1 thread",
	     (size_t)(cfg.data_size / MIB));
	mdef(M_RD_TN, "mt_read_n", "Mops/s", true, "",
	     "  same, %d threads, disjoint parts", N);
	mdef(M_RD_SCAL, "mt_read_scaling", "x", true, "read",
	     "  read scaling 1->%d", N);
	mdef(M_RH_T1, "mt_read_hot_1", "Mops/s", true, "",
	     "4 KiB rand read, %u MiB hot set, 1 thread", HOT_MIB);
	mdef(M_RH_TN, "mt_read_hot_n", "Mops/s", true, "",
	     "  same, %d threads, a hot set each", N);
	mdef(M_RH_SCAL, "mt_read_hot_scaling", "x", true, "read hot",
	     "  read (hot) scaling 1->%d", N);
	mdef(M_AP_T1, "mt_append_1", "Mops/s", true, "",
	     "4 KiB append, own file, 1 thread");
	mdef(M_AP_TN, "mt_append_n", "Mops/s", true, "",
	     "4 KiB append, own files, %d threads", N);
	mdef(M_AP_SCAL, "mt_append_scaling", "x", true, "append",
	     "  append scaling 1->%d", N);
	mdef(M_FD_T1, "mt_fault_disjoint_1", "Mpage/s", true, "",
	     "load 1 B/4 KiB of a %u MiB view, 1 thread", mt_mib);
	mdef(M_FD_TN, "mt_fault_disjoint_n", "Mpage/s", true, "",
	     "  same, %d threads, disjoint halves", N);
	mdef(M_FD_SCAL, "mt_fault_disjoint_scaling", "x", true,
	     "fault disjoint", "  fault (disjoint) scaling 1->%d", N);
	mdef(M_FS_T1, "mt_fault_shared_1", "Mpage/s", true, "",
	     "  same, shared pages, 1 thread");
	mdef(M_FS_TN, "mt_fault_shared_n", "Mpage/s", true, "",
	     "  same, %d threads, each all pages", N);
	mdef(M_FS_SCAL, "mt_fault_shared_scaling", "x", true, "fault shared",
	     "  fault (shared) scaling 1->%d", N);
	mdef(M_RD_CPU, "mt_read_cpu_scaling", "x", true, "read (CPU est.)",
	     "  read scaling, CPU-time estimate");
	mdef(M_RH_CPU, "mt_read_hot_cpu_scaling", "x", true,
	     "read hot (CPU est.)", "  read (hot) scaling, CPU-time est.");
	mdef(M_AP_CPU, "mt_append_cpu_scaling", "x", true,
	     "append (CPU est.)",
	     "  append scaling, CPU-time estimate");
	mdef(M_FD_CPU, "mt_fault_disjoint_cpu_scaling", "x", true,
	     "fault disj. (CPU est.)",
	     "  fault (disj.) scaling, CPU-time est.");
	mdef(M_FS_CPU, "mt_fault_shared_cpu_scaling", "x", true, "",
	     "  fault (shared) scaling, CPU-time est.");
}

/* The order of the rows. */
static const int order[NM] = {
	M_READ4K, M_WRITE4K, M_APPEND4K, M_ATOMIC16K, M_SEQREAD, M_SEQWRITE,
	M_CREATE, M_STAT, M_RENAME, M_UNLINK,
	M_F4K_LAZY_RD, M_F4K_LAZY_WR, M_F4K_POP, M_F2M_LAZY, M_F2M_POP,
	M_MAP_LAZY, M_MAP_POP,
	M_RD_T1, M_RD_TN, M_RD_SCAL, M_RD_CPU,
	M_RH_T1, M_RH_TN, M_RH_SCAL, M_RH_CPU,
	M_AP_T1, M_AP_TN, M_AP_SCAL, M_AP_CPU,
	M_FD_T1, M_FD_TN, M_FD_SCAL, M_FD_CPU,
	M_FS_T1, M_FS_TN, M_FS_SCAL, M_FS_CPU,
};

/* A sample's values wait here until the harness keeps or retries it. */
static struct {
	int m, b;
	double v;
} pend[8];
static int npend;
static bool sample_preempted; /* set by multi-threaded samples */

static void rec(int m, int b, int rep, double v)
{
	if (rep < 0 || npend == 8)
		return;
	pend[npend].m = m;
	pend[npend].b = b;
	pend[npend++].v = v;
}

static void commit(bool preempted)
{
	for (int i = 0; i < npend; i++) {
		struct metric *x = &M[pend[i].m];
		int b = pend[i].b;

		if (x->n[b] < MAXREP) {
			x->v[b][x->n[b]++] = pend[i].v;
			x->npre[b] += preempted;
		}
	}
	npend = 0;
}

/* Involuntary context switches of the calling thread so far. */
static long nivcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nivcsw;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min, max of metric m for backend b; false without data. */
static bool stats(int m, int b, double *med, double *mn, double *mx)
{
	double s[MAXREP];
	int n = M[m].n[b];

	if (n == 0 || M[m].fail[b][0])
		return false;
	memcpy(s, M[m].v[b], n * sizeof(double));
	qsort(s, n, sizeof(double), cmpd);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*mn = s[0];
	*mx = s[n - 1];
	return true;
}

static double median(int m, int b)
{
	double med, mn, mx;

	return stats(m, b, &med, &mn, &mx) ? med : NAN;
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

static char failbuf[512];

#define FAIL(be, ret, ...)                                                     \
	do {                                                                   \
		int _l = snprintf(failbuf, sizeof(failbuf), __VA_ARGS__);      \
		snprintf(failbuf + _l, sizeof(failbuf) - _l, ": %s",           \
			 (be)->errstr((be), (int)(ret)));                     \
		return (ret) < 0 ? (int)(ret) : -EIO;                          \
	} while (0)

#define NOFF (1u << 20)
static off_t *offs;       /* random 4 KiB-aligned offsets in the data file */
static char *pattern;     /* 1 MiB of random bytes */
static volatile unsigned long sink;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void path(char *buf, size_t len, struct backend *be, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
static void path(char *buf, size_t len, struct backend *be, const char *fmt,
		 ...)
{
	va_list ap;
	int l = snprintf(buf, len, "%s", be->root);

	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

/* Operations per sample: fewer for slow backends, same per-op time. */
static int kdiv(struct backend *be, int k, bool sync, bool dir)
{
	int d = 1;

	if (be->id == B_E2FS)
		d = dir ? 64 : (sync ? 8 : 4);
	else if (be->id == B_KEXT2)
		d = dir ? 16 : (sync ? 8 : 1);
	k /= d;
	return k < 8 ? 8 : k;
}

struct fstate {
	void *fh;
	size_t cur;    /* sequential cursor */
	char **names;  /* create/stat paths */
	char **snames;
	char **rnames; /* what names[i] is renamed to */
	int nnames, nsnames;
};

static int open_file(struct backend *be, const char *name, int flags,
		     struct fstate **out)
{
	struct fstate *s = calloc(1, sizeof(*s));
	char p[512];
	int ret;

	path(p, sizeof(p), be, "%s", name);
	ret = be->open(be, p, flags, &s->fh);
	if (ret) {
		free(s);
		FAIL(be, ret, "open %s", p);
	}
	*out = s;
	return 0;
}

static void close_state(struct backend *be, void *st)
{
	struct fstate *s = st;

	if (!s)
		return;
	if (s->fh)
		be->close(be, s->fh);
	for (int i = 0; i < s->nnames; i++) {
		free(s->names[i]);
		if (s->rnames)
			free(s->rnames[i]);
	}
	for (int i = 0; i < s->nsnames; i++)
		free(s->snames[i]);
	free(s->names);
	free(s->snames);
	free(s->rnames);
	free(s);
}

/* --- 4 KiB random read / overwrite --- */

static bool sup_read(struct backend *be) { return be->pread; }
static bool sup_write(struct backend *be) { return be->pwrite; }
static bool sup_append(struct backend *be) { return be->append; }

static int setup_data_rd(struct backend *be, void **st)
{
	return open_file(be, "/data", 0, (struct fstate **)st);
}

static int setup_data_rw(struct backend *be, void **st)
{
	return open_file(be, "/data", BF_RDWR, (struct fstate **)st);
}

static int sample_read4k(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	int k = kdiv(be, cfg.k_rand, false, false);
	unsigned base = (unsigned)(rep + 1) * 7919u * 131u;
	char buf[4096] __attribute__((aligned(64)));
	uint64_t t0, t1;

	t0 = now_ns();
	for (int i = 0; i < k; i++) {
		off_t off = offs[(base + i) & (NOFF - 1)];
		ssize_t n = be->pread(s->fh, buf, 4096, off);

		if (n != 4096)
			FAIL(be, n, "pread 4096 at %lld returned %zd",
			     (long long)off, n);
	}
	t1 = now_ns();
	sink += buf[0];
	rec(M_READ4K, be->id, rep, (double)(t1 - t0) / k);
	return 0;
}

static int sample_write4k(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	int k = kdiv(be, cfg.k_rand, true, false);
	unsigned base = (unsigned)(rep + 1) * 104729u;
	uint64_t t0, t1;

	t0 = now_ns();
	for (int i = 0; i < k; i++) {
		off_t off = offs[(base + i) & (NOFF - 1)];
		ssize_t n = be->pwrite(s->fh, pattern + (i & 255) * 4096, 4096,
				       off);

		if (n != 4096)
			FAIL(be, n, "pwrite 4096 at %lld returned %zd",
			     (long long)off, n);
		if (be->persist && (n = be->persist(s->fh)))
			FAIL(be, n, "persist");
	}
	t1 = now_ns();
	rec(M_WRITE4K, be->id, rep, (double)(t1 - t0) / k);
	return 0;
}

/* --- 4 KiB append --- */

static int setup_none(struct backend *be, void **st)
{
	(void)be;
	*st = NULL;
	return 0;
}

static int sample_append4k(struct backend *be, void *st, int rep)
{
	int k = kdiv(be, cfg.k_app, true, false);
	uint64_t t0, t1;
	void *fh;
	char p[512];
	int ret;

	(void)st;
	path(p, sizeof(p), be, "/append");
	ret = be->open(be, p, BF_RDWR | BF_CREAT | BF_TRUNC | BF_APPEND, &fh);
	if (ret)
		FAIL(be, ret, "open %s", p);
	t0 = now_ns();
	for (int i = 0; i < k; i++) {
		ssize_t n = be->append(fh, pattern + (i & 255) * 4096, 4096);

		if (n == 4096 && be->persist)
			n = be->persist(fh) ?: 4096;
		if (n != 4096) {
			int l = snprintf(failbuf, sizeof(failbuf),
					 "append 4096 (#%d) returned %zd: %s",
					 i, n, be->errstr(be, (int)n));

			be->close(be, fh);
			if (be->unlink)
				be->unlink(be, p);
			(void)l;
			return -EIO;
		}
	}
	t1 = now_ns();
	be->close(be, fh);
	if (be->unlink && (ret = be->unlink(be, p)))
		FAIL(be, ret, "unlink %s", p);
	rec(M_APPEND4K, be->id, rep, (double)(t1 - t0) / k);
	return 0;
}

/* --- 16 KiB random overwrite, atomic --- */

/*
 * 16 KiB at random 16 KiB-aligned offsets of the data file, persisted:
 * libdaxfs all or nothing (DAXFS_WRITE_ATOMIC: copy-on-write, one journal
 * commit); the others, which have no such write, their plain pwrite (+
 * persist), pmem2's being the persisting memcpy of 16 KiB the target
 * compares with.  The copy-on-write moves the data file's blocks, so this
 * op runs after every other op on the data file.
 */
static int sample_atomic16k(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	int k = kdiv(be, cfg.k_rand / 2, true, false);
	unsigned base = (unsigned)(rep + 1) * 15485863u;
	ssize_t (*wr)(void *, const void *, size_t, off_t) =
		be->pwrite_atomic ? be->pwrite_atomic : be->pwrite;
	uint64_t t0, t1;

	t0 = now_ns();
	for (int i = 0; i < k; i++) {
		off_t off = offs[(base + i) & (NOFF - 1)] &
			    ~(off_t)(16 * KIB - 1);
		ssize_t n = wr(s->fh, pattern + (i & 63) * 16 * KIB, 16 * KIB,
			       off);

		if (n != (ssize_t)(16 * KIB))
			FAIL(be, n, "%spwrite 16384 at %lld returned %zd",
			     be->pwrite_atomic ? "atomic " : "",
			     (long long)off, n);
		if (be->persist && (n = be->persist(s->fh)))
			FAIL(be, n, "persist");
	}
	t1 = now_ns();
	rec(M_ATOMIC16K, be->id, rep, (double)(t1 - t0) / k);
	return 0;
}

/* --- 1 MiB sequential read / write --- */

static char *buf1m;

#define SEQ_CHUNK (4 * MIB) /* per sample, at a cursor that wraps */

static int sample_seqread(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	uint64_t t0, t1;

	if (s->cur + SEQ_CHUNK > cfg.data_size)
		s->cur = 0;
	t0 = now_ns();
	for (size_t off = s->cur; off < s->cur + SEQ_CHUNK; off += MIB) {
		ssize_t n = be->pread(s->fh, buf1m, MIB, off);

		if (n != (ssize_t)MIB)
			FAIL(be, n, "pread 1 MiB at %zu returned %zd", off, n);
	}
	t1 = now_ns();
	s->cur += SEQ_CHUNK;
	sink += buf1m[0];
	rec(M_SEQREAD, be->id, rep, (double)SEQ_CHUNK / GIB /
	    ((t1 - t0) / 1e9));
	return 0;
}

static int sample_seqwrite(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	uint64_t t0, t1;
	ssize_t n;

	if (s->cur + SEQ_CHUNK > cfg.data_size)
		s->cur = 0;
	t0 = now_ns();
	for (size_t off = s->cur; off < s->cur + SEQ_CHUNK; off += MIB) {
		n = be->pwrite(s->fh, pattern, MIB, off);
		if (n != (ssize_t)MIB)
			FAIL(be, n, "pwrite 1 MiB at %zu returned %zd", off, n);
	}
	if (be->persist && (n = be->persist(s->fh)))
		FAIL(be, n, "persist");
	t1 = now_ns();
	s->cur += SEQ_CHUNK;
	rec(M_SEQWRITE, be->id, rep, (double)SEQ_CHUNK / GIB /
	    ((t1 - t0) / 1e9));
	return 0;
}

/* --- directory of ndir entries: create, stat, rename, unlink --- */

static bool sup_dir(struct backend *be) { return be->create && be->stat; }

static int setup_dir(struct backend *be, void **st)
{
	struct fstate *s = calloc(1, sizeof(*s));
	int kc = kdiv(be, cfg.k_create, true, true);
	int ks = kdiv(be, cfg.k_stat, false, true);
	char p[512];

	s->names = calloc(kc, sizeof(char *));
	s->rnames = calloc(kc, sizeof(char *));
	s->snames = calloc(ks, sizeof(char *));
	s->nnames = kc;
	s->nsnames = ks;
	for (int i = 0; i < kc; i++) {
		path(p, sizeof(p), be, "/big/new%07d", i);
		s->names[i] = strdup(p);
		path(p, sizeof(p), be, "/big/ren%07d", i);
		s->rnames[i] = strdup(p);
	}
	for (int i = 0; i < ks; i++) {
		path(p, sizeof(p), be, "/big/f%07d",
		     (int)(rnd() % (uint64_t)cfg.ndir));
		s->snames[i] = strdup(p);
	}
	*st = s;
	return 0;
}

/* Create k new names, stat random old ones, rename each new one to
 * another new name (where the backend can), unlink them: each timed. */
static int sample_dir(struct backend *be, void *st, int rep)
{
	struct fstate *s = st;
	char **gone = be->rename ? s->rnames : s->names;
	uint64_t t0, t1, t2, t3, t4;
	int ret;

	t0 = now_ns();
	for (int i = 0; i < s->nnames; i++)
		if ((ret = be->create(be, s->names[i])))
			FAIL(be, ret, "create %s", s->names[i]);
	t1 = now_ns();
	for (int i = 0; i < s->nsnames; i++)
		if ((ret = be->stat(be, s->snames[i])))
			FAIL(be, ret, "stat %s", s->snames[i]);
	t2 = now_ns();
	for (int i = 0; be->rename && i < s->nnames; i++)
		if ((ret = be->rename(be, s->names[i], s->rnames[i])))
			FAIL(be, ret, "rename %s to %s", s->names[i],
			     s->rnames[i]);
	t3 = now_ns();
	for (int i = 0; i < s->nnames; i++)
		if ((ret = be->unlink(be, gone[i])))
			FAIL(be, ret, "unlink %s", gone[i]);
	t4 = now_ns();
	rec(M_CREATE, be->id, rep, (double)(t1 - t0) / s->nnames);
	rec(M_STAT, be->id, rep, (double)(t2 - t1) / s->nsnames);
	if (be->rename)
		rec(M_RENAME, be->id, rep, (double)(t3 - t2) / s->nnames);
	rec(M_UNLINK, be->id, rep, (double)(t4 - t3) / s->nnames);
	return 0;
}

/* --- faults of a view / of the kernel's mmap --- */

static bool sup_map(struct backend *be) { return be->map; }

static int setup_fault(struct backend *be, void **st)
{
	return open_file(be, "/fault", BF_RDWR, (struct fstate **)st);
}

static int setup_mapf(struct backend *be, void **st)
{
	return open_file(be, "/map", BF_RDWR, (struct fstate **)st);
}

/* Map len bytes, touch one byte per stride, unmap: the time. */
static int map_touch(struct backend *be, void *fh, size_t len, size_t stride,
		     bool populate, bool write, uint64_t *ns)
{
	uint64_t t0 = now_ns();
	unsigned long sum = 0;
	void *a;
	int ret;

	ret = be->map(fh, len, populate, &a);
	if (ret)
		FAIL(be, ret, "map %zu bytes%s", len,
		     populate ? " (populate)" : "");
	if (write) {
		for (size_t off = 0; off < len; off += stride)
			((volatile char *)a)[off] = (char)off;
	} else {
		for (size_t off = 0; off < len; off += stride)
			sum += ((volatile char *)a)[off];
	}
	ret = be->unmap(a, len);
	if (ret)
		FAIL(be, ret, "unmap");
	*ns = now_ns() - t0;
	sink += sum;
	return 0;
}

#define FAULT_SAMPLE(fn, metric, lenexpr, stride, pop, wr, bw)                 \
	static int fn(struct backend *be, void *st, int rep)                   \
	{                                                                      \
		struct fstate *s = st;                                         \
		size_t len = (lenexpr);                                        \
		uint64_t ns;                                                   \
		int ret = map_touch(be, s->fh, len, (stride), (pop), (wr),    \
				    &ns);                                      \
		if (ret)                                                       \
			return ret;                                            \
		if (bw)                                                        \
			rec((metric), be->id, rep,                             \
			    (double)len / GIB / (ns / 1e9));                   \
		else                                                           \
			rec((metric), be->id, rep,                             \
			    (double)ns / (len / (stride)));                    \
		return 0;                                                      \
	}

FAULT_SAMPLE(sample_f4k_lazy_rd, M_F4K_LAZY_RD, cfg.fault_size, 4096, false,
	     false, false)
FAULT_SAMPLE(sample_f4k_lazy_wr, M_F4K_LAZY_WR, cfg.fault_size, 4096, false,
	     true, false)
FAULT_SAMPLE(sample_f4k_pop, M_F4K_POP, cfg.fault_size, 4096, true, false,
	     false)
FAULT_SAMPLE(sample_f2m_lazy, M_F2M_LAZY, cfg.map_size, 2 * MIB, false, false,
	     false)
FAULT_SAMPLE(sample_f2m_pop, M_F2M_POP, cfg.map_size, 2 * MIB, true, false,
	     false)
FAULT_SAMPLE(sample_map_lazy, M_MAP_LAZY, cfg.map_size, 4096, false, false,
	     true)
FAULT_SAMPLE(sample_map_pop, M_MAP_POP, cfg.map_size, 4096, true, false, true)

/* --- 1..N threads --- */

struct worker {
	pthread_t th;
	int t, T;
	struct backend *be;
	void *fh;
	char *view;
	size_t len;      /* view bytes; for reads, the bytes of each part */
	int k;
	unsigned base;
	int ret;
	long nivcsw;     /* involuntary switches from ready to done */
	uint64_t cpu_ns; /* this thread's CPU time in fn */
	char err[256];
	int (*fn)(struct worker *w);
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static atomic_int w_ready, w_go;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	/* Thread t on CPU t: N threads on N CPUs from the first moment,
	 * the same placement for every backend. */
	CPU_ZERO(&set);
	CPU_SET(w->t % (ncpu > 0 ? ncpu : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	w->nivcsw = nivcsw();
	atomic_fetch_add(&w_ready, 1);
	while (!atomic_load_explicit(&w_go, memory_order_acquire))
		_mm_pause();
	w->cpu_ns = thread_cpu_ns();
	w->ret = w->fn(w);
	w->cpu_ns = thread_cpu_ns() - w->cpu_ns;
	w->nivcsw = nivcsw() - w->nivcsw;
	return NULL;
}

/* Run T workers from one start signal; the wall time, or 0 on failure;
 * the CPU time of all of them in *cpu. */
static uint64_t run_workers(struct worker *w, int T, uint64_t *cpu)
{
	uint64_t t0, t1;

	atomic_store(&w_ready, 0);
	atomic_store(&w_go, 0);
	for (int i = 0; i < T; i++) {
		w[i].t = i;
		w[i].T = T;
		w[i].ret = 0;
		w[i].err[0] = 0;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
			atomic_store(&w_go, 1);
			for (int j = 0; j < i; j++)
				pthread_join(w[j].th, NULL);
			snprintf(failbuf, sizeof(failbuf), "pthread_create");
			return 0;
		}
	}
	while (atomic_load(&w_ready) < T)
		sched_yield();
	t0 = now_ns();
	atomic_store_explicit(&w_go, 1, memory_order_release);
	for (int i = 0; i < T; i++)
		pthread_join(w[i].th, NULL);
	t1 = now_ns();
	*cpu = 0;
	for (int i = 0; i < T; i++) {
		*cpu += w[i].cpu_ns;
		if (w[i].nivcsw)
			sample_preempted = true;
	}
	for (int i = 0; i < T; i++)
		if (w[i].ret) {
			snprintf(failbuf, sizeof(failbuf), "thread %d: %s", i,
				 w[i].err);
			return 0;
		}
	return t1 - t0;
}

/* 4 KiB reads at random pages of the thread's own part of the file. */
static int w_read(struct worker *w)
{
	char buf[4096] __attribute__((aligned(64)));
	off_t start = (off_t)w->len * w->t;

	for (int i = 0; i < w->k; i++) {
		off_t off = start + offs[(w->base + (unsigned)w->t * 65537u +
					  i) & (NOFF - 1)] % (off_t)w->len;
		ssize_t n = w->be->pread(w->fh, buf, 4096, off);

		if (n != 4096) {
			snprintf(w->err, sizeof(w->err), "pread: %s",
				 w->be->errstr(w->be, (int)n));
			return -EIO;
		}
	}
	sink += buf[0];
	return 0;
}

static int w_append(struct worker *w)
{
	for (int i = 0; i < w->k; i++) {
		ssize_t n = w->be->append(w->fh, pattern + (i & 255) * 4096,
					  4096);

		if (n == 4096 && w->be->persist)
			n = w->be->persist(w->fh) ? -EIO : 4096;
		if (n != 4096) {
			snprintf(w->err, sizeof(w->err), "append: %s",
				 w->be->errstr(w->be, (int)n));
			return -EIO;
		}
	}
	return 0;
}

static int w_touch_disjoint(struct worker *w)
{
	size_t part = w->len / w->T;
	unsigned long sum = 0;

	for (size_t off = part * w->t; off < part * (w->t + 1); off += 4096)
		sum += ((volatile char *)w->view)[off];
	sink += sum;
	return 0;
}

static int w_touch_shared(struct worker *w)
{
	unsigned long sum = 0;

	for (size_t off = 0; off < w->len; off += 4096)
		sum += ((volatile char *)w->view)[off];
	sink += sum;
	return 0;
}

static bool sup_mt_read(struct backend *be) { return be->mt && be->pread; }
static bool sup_mt_append(struct backend *be)
{
	return be->mt && be->append;
}
static bool sup_mt_map(struct backend *be) { return be->mt && be->map; }

/*
 * Reads from 1 and from N threads, each at its own pages: with hot, each
 * thread has a HOT_MIB part, which stays in its CPU's caches, so a read
 * is short and what the file system makes threads share shows most;
 * else the threads share out the whole data file, and every read also
 * misses the caches and the TLB (memcpy's factor in the same run is the
 * machine's).
 */
static int mt_read(struct backend *be, void *st, int rep, bool hot)
{
	struct fstate *s = st;
	struct worker w[MAXT];
	int Ts[2] = {1, cfg.threads};
	double thr[2], cpw[2];

	for (int j = 0; j < 2; j++) {
		int T = Ts[j];
		uint64_t ns, cpu;

		for (int i = 0; i < T; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].be = be;
			w[i].fh = s->fh;
			w[i].len = cfg.data_size / T / 4096 * 4096;
			if (hot && w[i].len > HOT_MIB * MIB)
				w[i].len = HOT_MIB * MIB;
			w[i].k = cfg.k_mt;
			w[i].base = (unsigned)(rep + 3) * 7877u;
			w[i].fn = w_read;
		}
		ns = run_workers(w, T, &cpu);
		if (!ns)
			return -EIO;
		thr[j] = (double)T * cfg.k_mt / (ns / 1e3);
		cpw[j] = (double)cpu / ((double)T * cfg.k_mt);
	}
	rec(hot ? M_RH_CPU : M_RD_CPU, be->id, rep,
	    cfg.threads * cpw[0] / cpw[1]);
	rec(hot ? M_RH_T1 : M_RD_T1, be->id, rep, thr[0]);
	rec(hot ? M_RH_TN : M_RD_TN, be->id, rep, thr[1]);
	rec(hot ? M_RH_SCAL : M_RD_SCAL, be->id, rep, thr[1] / thr[0]);
	return 0;
}

static int sample_mt_read(struct backend *be, void *st, int rep)
{
	return mt_read(be, st, rep, false);
}

static int sample_mt_read_hot(struct backend *be, void *st, int rep)
{
	return mt_read(be, st, rep, true);
}

static int sample_mt_append(struct backend *be, void *st, int rep)
{
	struct worker w[MAXT];
	int Ts[2] = {1, cfg.threads};
	double thr[2], cpw[2];
	char p[MAXT][512];
	int ret;

	(void)st;
	for (int j = 0; j < 2; j++) {
		int T = Ts[j];
		uint64_t ns, cpu;

		for (int i = 0; i < T; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].be = be;
			w[i].k = cfg.k_mt / 16;
			w[i].fn = w_append;
			path(p[i], sizeof(p[i]), be, "/mtappend%d", i);
			ret = be->open(be, p[i],
				       BF_RDWR | BF_CREAT | BF_TRUNC | BF_APPEND,
				       &w[i].fh);
			if (ret) {
				snprintf(failbuf, sizeof(failbuf),
					 "open %s: %s", p[i],
					 be->errstr(be, ret));
				for (int q = 0; q < i; q++) {
					be->close(be, w[q].fh);
					be->unlink(be, p[q]);
				}
				return -EIO;
			}
		}
		ns = run_workers(w, T, &cpu);
		for (int i = 0; i < T; i++) {
			be->close(be, w[i].fh);
			if (be->unlink)
				be->unlink(be, p[i]);
		}
		if (!ns)
			return -EIO;
		thr[j] = (double)T * (cfg.k_mt / 16) / (ns / 1e3);
		cpw[j] = (double)cpu / ((double)T * (cfg.k_mt / 16));
	}
	rec(M_AP_CPU, be->id, rep, cfg.threads * cpw[0] / cpw[1]);
	rec(M_AP_T1, be->id, rep, thr[0]);
	rec(M_AP_TN, be->id, rep, thr[1]);
	rec(M_AP_SCAL, be->id, rep, thr[1] / thr[0]);
	return 0;
}

static int mt_fault(struct backend *be, void *st, int rep, bool shared)
{
	struct fstate *s = st;
	struct worker w[MAXT];
	int Ts[2] = {1, cfg.threads};
	/* 64 MiB of the map file: 2 MiB units enough for each thread to
	 * fault its own (libdaxfs maps a read fault's whole 2 MiB unit). */
	size_t len = cfg.map_size < 64 * MIB ? cfg.map_size : 64 * MIB;
	double thr[2], cpw[2];
	int ret;

	for (int j = 0; j < 2; j++) {
		int T = Ts[j];
		uint64_t ns, cpu;
		void *a;

		ret = be->map(s->fh, len, false, &a);
		if (ret)
			FAIL(be, ret, "map");
		for (int i = 0; i < T; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].be = be;
			w[i].view = a;
			w[i].len = len;
			w[i].fn = shared ? w_touch_shared : w_touch_disjoint;
		}
		ns = run_workers(w, T, &cpu);
		ret = be->unmap(a, len);
		if (!ns)
			return -EIO;
		if (ret)
			FAIL(be, ret, "unmap");
		thr[j] = (double)(len / 4096) / (ns / 1e3);
		cpw[j] = (double)cpu / (len / 4096);
	}
	rec(shared ? M_FS_CPU : M_FD_CPU, be->id, rep,
	    cfg.threads * cpw[0] / cpw[1]);
	if (shared) {
		rec(M_FS_T1, be->id, rep, thr[0]);
		rec(M_FS_TN, be->id, rep, thr[1]);
		rec(M_FS_SCAL, be->id, rep, thr[1] / thr[0]);
	} else {
		rec(M_FD_T1, be->id, rep, thr[0]);
		rec(M_FD_TN, be->id, rep, thr[1]);
		rec(M_FD_SCAL, be->id, rep, thr[1] / thr[0]);
	}
	return 0;
}

static int sample_mt_fdis(struct backend *be, void *st, int rep)
{
	return mt_fault(be, st, rep, false);
}

static int sample_mt_fsh(struct backend *be, void *st, int rep)
{
	return mt_fault(be, st, rep, true);
}

/* --- the list --- */

struct op {
	const char *name;
	bool long_op; /* cfg.reps_long samples, fewer retries */
	int metrics[4];
	int nmetrics;
	bool (*supports)(struct backend *be);
	int (*setup)(struct backend *be, void **st);
	int (*sample)(struct backend *be, void *st, int rep);
};

static const struct op ops[] = {
	{"read4k", false, {M_READ4K}, 1, sup_read, setup_data_rd,
	 sample_read4k},
	{"overwrite4k", false, {M_WRITE4K}, 1, sup_write, setup_data_rw,
	 sample_write4k},
	{"append4k", false, {M_APPEND4K}, 1, sup_append, setup_none,
	 sample_append4k},
	{"seqread", false, {M_SEQREAD}, 1, sup_read, setup_data_rd,
	 sample_seqread},
	{"seqwrite", false, {M_SEQWRITE}, 1, sup_write, setup_data_rw,
	 sample_seqwrite},
	{"dir", false, {M_CREATE, M_STAT, M_RENAME, M_UNLINK}, 4, sup_dir,
	 setup_dir, sample_dir},
	{"fault4k-read", false, {M_F4K_LAZY_RD}, 1, sup_map, setup_fault,
	 sample_f4k_lazy_rd},
	{"fault4k-write", false, {M_F4K_LAZY_WR}, 1, sup_map, setup_fault,
	 sample_f4k_lazy_wr},
	{"populate4k", false, {M_F4K_POP}, 1, sup_map, setup_fault,
	 sample_f4k_pop},
	{"fault2m", true, {M_F2M_LAZY}, 1, sup_map, setup_mapf,
	 sample_f2m_lazy},
	{"populate2m", true, {M_F2M_POP}, 1, sup_map, setup_mapf,
	 sample_f2m_pop},
	{"maptouch", true, {M_MAP_LAZY}, 1, sup_map, setup_mapf,
	 sample_map_lazy},
	{"maptouch-populate", true, {M_MAP_POP}, 1, sup_map, setup_mapf,
	 sample_map_pop},
	{"mt-read", false, {M_RD_T1, M_RD_TN, M_RD_SCAL, M_RD_CPU}, 4,
	 sup_mt_read, setup_data_rd, sample_mt_read},
	{"mt-read-hot", false, {M_RH_T1, M_RH_TN, M_RH_SCAL, M_RH_CPU}, 4,
	 sup_mt_read, setup_data_rd, sample_mt_read_hot},
	{"mt-append", false, {M_AP_T1, M_AP_TN, M_AP_SCAL, M_AP_CPU}, 4,
	 sup_mt_append, setup_none, sample_mt_append},
	{"mt-fault-disjoint", false, {M_FD_T1, M_FD_TN, M_FD_SCAL, M_FD_CPU},
	 4, sup_mt_map, setup_mapf, sample_mt_fdis},
	{"mt-fault-shared", false, {M_FS_T1, M_FS_TN, M_FS_SCAL, M_FS_CPU}, 4,
	 sup_mt_map, setup_mapf, sample_mt_fsh},
	/* Last: libdaxfs's copy-on-write moves the data file's blocks. */
	{"atomic16k", false, {M_ATOMIC16K}, 1, sup_write, setup_data_rw,
	 sample_atomic16k},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static const char *only_ops; /* --ops a,b,c: run only these */
static const char *only_bes; /* --backends a,b: run only these */

static bool in_list(const char *list, const char *name)
{
	const char *p = list;
	size_t l = strlen(name);

	if (!p)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[l] == 0 || p[l] == ','))
			return true;
		p += l;
	}
	return false;
}
static long nretries;         /* samples redone after a preemption */

static bool op_selected(const struct op *op)
{
	return in_list(only_ops, op->name);
}

static void op_fail(const struct op *op, struct backend *be, const char *msg)
{
	for (int i = 0; i < op->nmetrics; i++)
		snprintf(M[op->metrics[i]].fail[be->id], 256, "%s", msg);
	logp("  FAILED %s on %s: %s\n", op->name, be->name, msg);
}

/* Run every op on the backends of one phase, samples interleaved. */
static void run_phase(const char *phase, struct backend **bes, int nbe)
{
	for (size_t o = 0; o < NOPS; o++) {
		const struct op *op = &ops[o];
		bool mt = !strncmp(op->name, "mt-", 3);
		void *st[NB] = {0};
		bool on[NB] = {0};
		int reps[NB] = {0}, maxreps = 0;
		uint64_t t0 = now_ns();

		if (!op_selected(op))
			continue;
		logp("[%s] %-18s", phase, op->name);
		for (int b = 0; b < nbe; b++) {
			if (!op->supports(bes[b]) ||
			    !in_list(only_bes, bes[b]->name))
				continue;
			failbuf[0] = 0;
			if (op->setup(bes[b], &st[b])) {
				op_fail(op, bes[b], failbuf);
				continue;
			}
			on[b] = true;
		}
		for (int rep = -1; rep < maxreps || rep < 0; rep++) {
			for (int b = 0; b < nbe; b++) {
				if (!on[b] || (rep >= 0 && rep >= reps[b]))
					continue;
				/* A sample during which this thread (or a
				 * worker) was preempted is done again, up to
				 * a point; long samples are nearly always
				 * preempted on a busy machine. */
				for (int t = 0;; t++) {
					long c0 = nivcsw();
					uint64_t s0 = now_ns(), sns;
					bool pre;

					failbuf[0] = 0;
					npend = 0;
					sample_preempted = false;
					if (op->sample(bes[b], st[b], rep)) {
						op_fail(op, bes[b], failbuf);
						on[b] = false;
						break;
					}
					sns = now_ns() - s0;
					pre = sample_preempted ||
					      (!mt && nivcsw() != c0);
					if (rep < 0) { /* warm-up: sets reps */
						bool slow = op->long_op ||
							    sns > 20000000;

						reps[b] = slow ? cfg.reps_long
							: mt ? cfg.reps_mt
							     : cfg.reps;
						if (reps[b] > maxreps)
							maxreps = reps[b];
						break;
					}
					if (!pre || t + 1 >= (sns > 20000000 ? 1
							      : op->long_op ? 3
							      : mt ? 5 : 30)) {
						commit(pre);
						break;
					}
					nretries++;
				}
			}
		}
		for (int b = 0; b < nbe; b++)
			if (st[b])
				close_state(bes[b], st[b]);
		logp(" %.1f s\n", (now_ns() - t0) / 1e9);
	}
}

/* ------------------------------------------------------------------ */
/* Preparing files (untimed)                                           */
/* ------------------------------------------------------------------ */

static int ensure_dir(struct backend *be, const char *rel)
{
	char p[512];
	int ret;

	if (!be->mkdir)
		return 0;
	path(p, sizeof(p), be, "%s", rel);
	if (!p[0])
		return 0;
	ret = be->mkdir(be, p);
	if (ret && ret != -EEXIST)
		FAIL(be, ret, "mkdir %s", p);
	return 0;
}

/* Write the file name with size bytes of pattern, unless it is there. */
static int ensure_file(struct backend *be, const char *name, size_t size)
{
	char p[512], c;
	void *fh;
	int ret;

	path(p, sizeof(p), be, "%s", name);
	if (be->open(be, p, 0, &fh) == 0) {
		bool ok = be->pread && be->pread(fh, &c, 1, size - 1) == 1 &&
			  be->pread(fh, &c, 1, size) == 0;

		be->close(be, fh);
		if (ok)
			return 0;
	}
	ret = be->open(be, p, BF_RDWR | BF_CREAT | BF_TRUNC, &fh);
	if (ret)
		FAIL(be, ret, "create %s", p);
	for (size_t off = 0; off < size; off += MIB) {
		size_t n = size - off < MIB ? size - off : MIB;
		ssize_t w = be->pwrite(fh, pattern, n, off);

		if (w != (ssize_t)n) {
			snprintf(failbuf, sizeof(failbuf), "write %s: %s", p,
				 w < 0 ? be->errstr(be, (int)w) : "short write");
			be->close(be, fh);
			return -EIO;
		}
	}
	if (be->persist)
		be->persist(fh);
	be->close(be, fh);
	return 0;
}

static int ensure_bigdir(struct backend *be)
{
	char p[512];
	int ret;

	if ((ret = ensure_dir(be, "/big")))
		return ret;
	path(p, sizeof(p), be, "/big/f%07d", cfg.ndir - 1);
	if (be->stat(be, p) == 0)
		return 0;
	for (int i = 0; i < cfg.ndir; i++) {
		path(p, sizeof(p), be, "/big/f%07d", i);
		ret = be->create(be, p);
		if (ret && ret != -EEXIST)
			FAIL(be, ret, "create %s", p);
	}
	return 0;
}

/* Files the ops of backend be need; false (and why) on failure. */
static bool prepare(struct backend *be, bool for_phase_a)
{
	uint64_t t0 = now_ns();
	int ret = 0;

	logp("prepare %s (%s)...", be->name, be->root[0] ? be->root : "/");
	failbuf[0] = 0;
	if (be->mkdir && be->root[0] && for_phase_a)
		ret = ensure_dir(be, "");
	if (!ret && be->pwrite)
		ret = ensure_file(be, "/data", cfg.data_size);
	if (!ret && be->map) {
		ret = ensure_file(be, "/fault", cfg.fault_size);
		if (!ret)
			ret = ensure_file(be, "/map", cfg.map_size);
	}
	if (!ret && be->create)
		ret = ensure_bigdir(be);
	logp(" %.1f s\n", (now_ns() - t0) / 1e9);
	if (ret) {
		logp("prepare %s failed: %s\n", be->name, failbuf);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Kernel mount, cleanup                                               */
/* ------------------------------------------------------------------ */

static int run_cmd(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run_cmd(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outlen)
		out[0] = 0;
	while (out && n + 1 < outlen && fgets(out + n, outlen - n, p))
		n = strlen(out);
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (out) { /* one line */
		for (char *c = out; *c; c++)
			if (*c == '\n')
				*c = *(c + 1) ? ' ' : 0;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int rm_cb(const char *p, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) && errno != ENOENT ? -1 : 0;
}

static void cleanup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (kmounted) {
		run_cmd(NULL, 0, "umount '%s' 2>&1", mntdir);
		kmounted = false;
	}
	if (cfg.keep)
		return;
	if (tmpfsdir[0])
		nftw(tmpfsdir, rm_cb, 64, FTW_DEPTH | FTW_PHYS);
	if (limitfile[0])
		unlink(limitfile);
	if (region[0] && !cfg.dax)
		unlink(region);
	if (mntdir[0])
		rmdir(mntdir);
	if (created_workdir)
		rmdir(cfg.workdir);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* e2fsck -fn the image; a one-line verdict in out. */
static char fsck_res[3][600];

static void fsck_image(int slot, const char *when)
{
	char cmd[1200], line[512], probs[400] = "";
	int rc = -1, np = 0;
	FILE *p;

	if (cfg.dax)
		return;
	snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' 2>&1; echo rc=$?", region);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "rc=", 3)) {
			rc = atoi(line + 3);
			continue;
		}
		if (!line[0] || !strncmp(line, "Pass ", 5) ||
		    !strncmp(line, "e2fsck ", 7) || strstr(line, "files (") ||
		    strstr(line, "WARNING: Filesystem still has errors"))
			continue;
		if (np++ < 3 && strlen(probs) + strlen(line) + 4 < sizeof(probs)) {
			strcat(probs, probs[0] ? " | " : "");
			strcat(probs, line);
		}
	}
	pclose(p);
	snprintf(fsck_res[slot], sizeof(fsck_res[slot]), "e2fsck -fn after %s: %s%s%s",
		 when, rc == 0 ? "clean" : "ERRORS (exit ",
		 rc == 0 ? "" : (rc == 4 ? "4): " : "!=0): "), rc == 0 ? "" : probs);
	logp("%s\n", fsck_res[slot]);
}

/* ------------------------------------------------------------------ */
/* Report                                                              */
/* ------------------------------------------------------------------ */

static const int cols[NB] = {B_DAXFS, B_TMPFS, B_KEXT2, B_E2FS, B_MEMCPY,
			     B_PMEM2};
static const char *bnames[NB] = {"libdaxfs", "tmpfs", "kext2", "libext2fs",
				 "memcpy", "pmem2"};

static void fmtv(char *b, size_t l, double v)
{
	if (isnan(v))
		snprintf(b, l, "-");
	else if (fabs(v) >= 1000)
		snprintf(b, l, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(b, l, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(b, l, "%.1f", v);
	else
		snprintf(b, l, "%.2f", v);
}

static void cell(char *b, size_t l, int m, int bi)
{
	double med, mn, mx;
	char s1[32], s2[32], s3[32];

	if (M[m].fail[bi][0]) {
		snprintf(b, l, "FAILED");
		return;
	}
	if (!stats(m, bi, &med, &mn, &mx)) {
		snprintf(b, l, "-");
		return;
	}
	fmtv(s1, sizeof(s1), med);
	fmtv(s2, sizeof(s2), mn);
	fmtv(s3, sizeof(s3), mx);
	snprintf(b, l, "%s [%s..%s]%s", s1, s2, s3,
		 2 * M[m].npre[bi] > M[m].n[bi] ? "*" : "");
}

/* libdaxfs / peer: time ratio for time units, rate ratio otherwise. */
static double ratio(int m, int peer)
{
	return median(m, B_DAXFS) / median(m, peer);
}

struct target {
	const char *text;
	const char *chart; /* its label in the chart */
	int m;
	int peer;      /* -1: absolute (scaling) */
	int cpu;       /* scaling: the CPU-time estimate beside it */
	double limit;  /* ratio (or factor) allowed */
	bool at_least; /* PASS when value >= limit */
};

static const struct target targets[] = {
	{"4 KiB read <= 1.25x memcpy", "read vs memcpy", M_READ4K, B_MEMCPY,
	 0, 1.25, false},
	{"4 KiB read <= 0.4x tmpfs pread", "read vs tmpfs", M_READ4K, B_TMPFS,
	 0, 0.4, false},
	{"4 KiB overwrite <= 1.5x pmem2 persist memcpy", "overwrite vs pmem2",
	 M_WRITE4K, B_PMEM2, 0, 1.5, false},
	{"4 KiB append <= 2x pmem2 persist memcpy of 4 KiB",
	 "append vs pmem2", M_APPEND4K, B_PMEM2, 0, 2.0, false},
	{"atomic 16 KiB overwrite <= 3x pmem2 persist memcpy of 16 KiB",
	 "atomic 16K vs pmem2", M_ATOMIC16K, B_PMEM2, 0, 3.0, false},
	{"create <= 0.5x tmpfs", "create vs tmpfs", M_CREATE, B_TMPFS, 0, 0.5,
	 false},
	{"unlink <= 0.6x tmpfs", "unlink vs tmpfs", M_UNLINK, B_TMPFS, 0, 0.6,
	 false},
	{"rename <= 0.6x tmpfs", "rename vs tmpfs", M_RENAME, B_TMPFS, 0, 0.6,
	 false},
	{"sequential read >= 0.9x memcpy bandwidth", "seq read vs memcpy",
	 M_SEQREAD, B_MEMCPY, 0, 0.9, true},
	{"sequential write >= 0.8x memcpy bandwidth", "seq write vs memcpy",
	 M_SEQWRITE, B_MEMCPY, 0, 0.8, true},
	{"reads of disjoint pages (hot sets) scale >= 1.8x from 1 to N "
	 "threads", "read scaling", M_RH_SCAL, -1, M_RH_CPU, 1.8, true},
	{"faults on disjoint pages scale >= 1.8x from 1 to N threads",
	 "fault scaling", M_FD_SCAL, -1, M_FD_CPU, 1.8, true},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static double target_value(const struct target *t)
{
	return t->peer < 0 ? median(t->m, B_DAXFS) : ratio(t->m, t->peer);
}

/* Why a target's operation failed (libdaxfs's or its peer's error), or
 * NULL when nothing failed: with no value either, it was not run. */
static const char *target_failure(const struct target *t)
{
	if (M[t->m].fail[B_DAXFS][0])
		return M[t->m].fail[B_DAXFS];
	if (t->peer >= 0 && M[t->m].fail[t->peer][0])
		return M[t->m].fail[t->peer];
	return NULL;
}

static char *loadavg(void)
{
	static char b[64];
	FILE *f = fopen("/proc/loadavg", "r");

	b[0] = 0;
	if (f) {
		if (fgets(b, sizeof(b), f)) {
			char *p = b;

			for (int i = 0; i < 3 && p; i++)
				p = strchr(p + 1, ' ');
			if (p)
				*p = 0;
		}
		fclose(f);
	}
	return b;
}

static void print_header(FILE *f)
{
	struct utsname u;
	char cpu[256] = "?";
	FILE *ci = fopen("/proc/cpuinfo", "r");
	char line[512];
	time_t now = time(NULL);

	uname(&u);
	while (ci && fgets(line, sizeof(line), ci))
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');

			snprintf(cpu, sizeof(cpu), "%s", c ? c + 2 : line);
			cpu[strcspn(cpu, "\n")] = 0;
			break;
		}
	if (ci)
		fclose(ci);
	fprintf(f, "libdaxfs %s benchmark, %s", daxfs_version(), ctime(&now));
	fprintf(f, "machine: %s, %ld CPUs, Linux %s, load average %s\n",
		cpu, sysconf(_SC_NPROCESSORS_ONLN), u.release, loadavg());
}

static void print_report(FILE *f, const char *gran)
{
	char b[64];
	int w = 9, cw[NB];

	for (int m = 0; m < NM; m++)
		if ((int)strlen(M[m].label) > w)
			w = strlen(M[m].label);
	for (int c = 0; c < NB; c++) {
		cw[c] = strlen(bnames[cols[c]]);
		for (int m = 0; m < NM; m++) {
			cell(b, sizeof(b), m, cols[c]);
			if ((int)strlen(b) > cw[c])
				cw[c] = strlen(b);
		}
	}
	fprintf(f, "\nmedian [min..max] over %d samples (%d for the thread "
		"runs, %d for the map+touch of the large file and\nsamples over "
		"20 ms), each a batch of "
		"operations; ns = per operation, lower is better; GiB/s, "
		"Mops/s, Mpage/s and x (1->N\nscaling factor): higher is "
		"better. A sample during which the thread was preempted is "
		"redone (%ld were);\n* = most samples kept were preempted "
		"anyway (long ones, or two threads on a busy machine).\n\n",
		cfg.reps, cfg.reps_mt, cfg.reps_long, nretries);
	fprintf(f, "%-*s %-8s", w, "operation", "unit");
	for (int c = 0; c < NB; c++)
		fprintf(f, "  %-*s", cw[c], bnames[cols[c]]);
	fprintf(f, "\n");
	for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++) {
		fprintf(f, "%-*s %-8s", w, M[m].label, M[m].unit);
		for (int c = 0; c < NB; c++) {
			cell(b, sizeof(b), m, cols[c]);
			fprintf(f, "  %-*s", cw[c], b);
		}
		fprintf(f, "\n");
	}

	fprintf(f, "\nratio libdaxfs / peer (of medians; ns rows: < 1 means "
		"libdaxfs is faster; rate and x rows: > 1 means libdaxfs is "
		"faster)\n\n");
	fprintf(f, "%-*s %-8s", w, "operation", "unit");
	for (int c = 1; c < NB; c++)
		fprintf(f, " %-10s", bnames[cols[c]]);
	fprintf(f, "\n");
	for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++) {
		fprintf(f, "%-*s %-8s", w, M[m].label, M[m].unit);
		for (int c = 1; c < NB; c++) {
			double r = ratio(m, cols[c]);

			if (isnan(r))
				snprintf(b, sizeof(b), "-");
			else
				snprintf(b, sizeof(b), "%.2fx", r);
			fprintf(f, " %-10s", b);
		}
		fprintf(f, "\n");
	}

	{
		double l1 = atof(loadavg());
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		fprintf(f, "\nload average at the end: %s", loadavg());
		if (l1 > 0.5 * ncpu)
			fprintf(f, " -- WARNING: the machine is busy (%ld "
				"CPUs): ratios are noisy, and thread scaling "
				"is bounded by the CPUs left to this process; "
				"the CPU-time estimates (CPU time per "
				"operation at 1 vs N threads) are less "
				"sensitive to that", ncpu);
		fprintf(f, "\n");
	}
	fprintf(f, "\ntargets (same machine, same run):\n");
	for (size_t i = 0; i < NTARGETS; i++) {
		const struct target *t = &targets[i];
		double v = target_value(t);
		bool pass = !isnan(v) &&
			    (t->at_least ? v >= t->limit : v <= t->limit);

		if (isnan(v)) {
			const char *why = target_failure(t);

			/* Left out by --ops/--backends: not a miss. */
			if (why)
				fprintf(f, "MISS  %s: not measured (%s)\n",
					t->text, why);
			else
				fprintf(f, "SKIP  %s: not run (--ops or "
					"--backends left it out)\n", t->text);
			continue;
		}
		if (t->peer < 0) {
			double mc = median(t->m, B_MEMCPY);
			char extra[64] = "";

			if (!isnan(mc))
				snprintf(extra, sizeof(extra), ", memcpy %.2fx",
					 mc);
			fprintf(f, "%s  %s: %.2fx (N = %d; same run: tmpfs "
				"%.2fx%s; libdaxfs CPU-time estimate %.2fx)\n",
				pass ? "PASS" : "MISS", t->text, v,
				cfg.threads, median(t->m, B_TMPFS), extra,
				median(t->cpu, B_DAXFS));
		}
		else
			fprintf(f, "%s  %s: %.2fx (libdaxfs %.4g %s, %s %.4g "
				"%s)\n", pass ? "PASS" : "MISS", t->text, v,
				median(t->m, B_DAXFS), M[t->m].unit,
				bnames[t->peer], median(t->m, t->peer),
				M[t->m].unit);
	}
	(void)gran;
}

static void write_outputs(const char *gran)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/results.csv", cfg.outdir);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "metric,operation,unit,backend,median,min,max,samples,"
			"preempted_samples,status\n");
		for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++)
			for (int c = 0; c < NB; c++) {
				int bi = cols[c];
				double med, mn, mx;

				if (M[m].fail[bi][0]) {
					fprintf(f, "%s,\"%s\",%s,%s,,,,0,0,"
						"\"failed: %s\"\n", M[m].key,
						M[m].label, M[m].unit,
						bnames[bi], M[m].fail[bi]);
					continue;
				}
				if (!stats(m, bi, &med, &mn, &mx))
					continue;
				fprintf(f, "%s,\"%s\",%s,%s,%.6g,%.6g,%.6g,%d,"
					"%d,ok\n", M[m].key, M[m].label,
					M[m].unit, bnames[bi], med, mn, mx,
					M[m].n[bi], M[m].npre[bi]);
			}
		fclose(f);
	}

	snprintf(p, sizeof(p), "%s/ratios.csv", cfg.outdir);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "metric,operation,unit,peer,libdaxfs_over_peer\n");
		for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++)
			for (int c = 1; c < NB; c++) {
				double r = ratio(m, cols[c]);

				if (!isnan(r))
					fprintf(f, "%s,\"%s\",%s,%s,%.6g\n",
						M[m].key, M[m].label,
						M[m].unit, bnames[cols[c]], r);
			}
		fclose(f);
	}

	snprintf(p, sizeof(p), "%s/targets.csv", cfg.outdir);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "target,value,limit,kind,status\n");
		for (size_t i = 0; i < NTARGETS; i++) {
			const struct target *t = &targets[i];
			double v = target_value(t);
			bool pass = !isnan(v) && (t->at_least ? v >= t->limit
							      : v <= t->limit);

			bool failed = target_failure(t) != NULL;

			fprintf(f, "\"%s\",%.6g,%g,%s,%s\n", t->text, v,
				t->limit, t->at_least ? "at_least" : "at_most",
				pass ? "PASS" : !isnan(v) || failed ? "MISS"
				: "SKIP");
		}
		fclose(f);
	}

	/* gnuplot data: (1) libdaxfs cost / peer cost per operation;
	 * (2) target value / limit, oriented so that <= 1 passes;
	 * (3) scaling factors per backend. '?' = missing. */
	snprintf(p, sizeof(p), "%s/plot.dat", cfg.outdir);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "# libdaxfs cost relative to each peer "
			"(time ratio; 1/rate ratio)\n");
		fprintf(f, "op tmpfs kext2 libext2fs memcpy pmem2\n");
		for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++) {
			if (!M[m].shortl[0] || M[m].scaling)
				continue;
			fprintf(f, "\"%s\"", M[m].shortl);
			for (int c = 1; c < NB; c++) {
				double r = ratio(m, cols[c]);

				if (M[m].higher_better)
					r = 1 / r;
				if (isnan(r) || isinf(r))
					fprintf(f, " ?");
				else
					fprintf(f, " %.4g", r);
			}
			fprintf(f, "\n");
		}
		fprintf(f, "\n\n# target: measured / allowed, <= 1 passes\n");
		fprintf(f, "target value measured limit\n");
		for (size_t i = 0; i < NTARGETS; i++) {
			const struct target *t = &targets[i];
			double v = target_value(t);
			double q = t->at_least ? t->limit / v : v / t->limit;

			if (isnan(q) || isinf(q))
				fprintf(f, "\"%s\" ? ? %g\n", t->chart,
					t->limit);
			else
				fprintf(f, "\"%s\" %.4g %.4g %g\n", t->chart, q,
					v, t->limit);
		}
		fprintf(f, "\n\n# scaling 1->%d threads\n", cfg.threads);
		fprintf(f, "op libdaxfs tmpfs kext2 memcpy pmem2\n");
		for (int oi = 0, m; oi < NM && (m = order[oi], 1); oi++) {
			static const int sc[] = {B_DAXFS, B_TMPFS, B_KEXT2,
						 B_MEMCPY, B_PMEM2};

			if (!M[m].scaling || !M[m].shortl[0])
				continue;
			fprintf(f, "\"%s\"", M[m].shortl);
			for (int c = 0; c < 5; c++) {
				double v = median(m, sc[c]);

				if (isnan(v))
					fprintf(f, " ?");
				else
					fprintf(f, " %.4g", v);
			}
			fprintf(f, "\n");
		}
		fclose(f);
	}
	(void)gran;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: daxfs_bench [--quick] [--reps N] [--threads N]\n"
		"                   [--workdir DIR] [--out DIR] [--dax /dev/daxX.Y]\n"
		"                   [--ops read4k,dir,...] [--backends libdaxfs,...]\n"
		"                   [--keep] [--data-size S] [--map-size S] [--ndir N]\n"
		"                   [--kscale X (operations per sample x X)]\n"
		"  --workdir  directory on tmpfs for the region, the tmpfs peer,\n"
		"             the limit mapping and the loop mount point\n"
		"             (default: a new /dev/shm/daxfs-bench.XXXXXX)\n"
		"  --dax      use this devdax device as the region (ERASES IT)\n"
		"  --out      where results.csv, ratios.csv, targets.csv and\n"
		"             plot.dat go (default: .)\n");
}

static size_t parse_size(const char *s)
{
	char *e;
	double v = strtod(s, &e);

	switch (*e) {
	case 'k': case 'K': v *= KIB; break;
	case 'm': case 'M': v *= MIB; break;
	case 'g': case 'G': v *= GIB; break;
	default: break;
	}
	return (size_t)v;
}

/* The region file, allocated whole before mkfs (a sparse file would
 * charge the first store into each block a page fault). */
static int region_allocate(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	ret = posix_fallocate(fd, 0, (off_t)size);
	close(fd);
	if (ret)
		fprintf(stderr, "fallocate %s: %s\n", path, strerror(ret));
	return ret ? -1 : 0;
}

/* What the file system of dir is, as far as the measurements care: a
 * tmpfs with huge pages is what comes closest to devdax here. */
static const char *workdir_kind(const char *dir)
{
	char real[PATH_MAX], mnt[PATH_MAX], fstype[64], opts[1024];
	static char kind[160];
	size_t best = 0;
	FILE *f = fopen("/proc/mounts", "r");

	snprintf(kind, sizeof(kind), "%s (file system unknown)", dir);
	if (!f || !realpath(dir, real))
		goto out;
	while (fscanf(f, "%*s %4095s %63s %1023s %*d %*d", mnt, fstype,
		      opts) == 3) {
		size_t n = strlen(mnt);

		if (strncmp(real, mnt, n) || (real[n] && real[n] != '/' &&
					      n > 1) || n < best)
			continue;
		best = n;
		snprintf(kind, sizeof(kind), "%s at %s%s", fstype, mnt,
			 strstr(opts, "huge=always") ? " with huge=always "
			 "(2 MiB pages, as devdax maps)" : " without huge "
			 "pages (4 KiB TLB misses that devdax does not have)");
	}
out:
	if (f)
		fclose(f);
	return kind;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"quick", no_argument, NULL, 'q'},
		{"reps", required_argument, NULL, 'r'},
		{"threads", required_argument, NULL, 't'},
		{"workdir", required_argument, NULL, 'w'},
		{"out", required_argument, NULL, 'o'},
		{"dax", required_argument, NULL, 'd'},
		{"ops", required_argument, NULL, 'O'},
		{"backends", required_argument, NULL, 'B'},
		{"keep", no_argument, NULL, 'k'},
		{"data-size", required_argument, NULL, 'D'},
		{"map-size", required_argument, NULL, 'M'},
		{"ndir", required_argument, NULL, 'n'},
		{"kscale", required_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct backend dx, dxB, dxC, tm, kx, e2, mc, pm;
	struct backend *phase[NB];
	const char *gran = "?";
	char why[1024];
	int c, ret, reps = 0, threads = 0, ndir = 0;
	size_t data_size = 0, map_size = 0;
	double kscale = 0;
	bool have_dx = false;

	while ((c = getopt_long(argc, argv, "qr:t:w:o:d:O:kh", lo, NULL)) != -1) {
		switch (c) {
		case 'q': cfg.quick = true; break;
		case 'r': reps = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'w': cfg.workdir = optarg; break;
		case 'o': cfg.outdir = optarg; break;
		case 'd': cfg.dax = optarg; break;
		case 'O': only_ops = optarg; break;
		case 'B': only_bes = optarg; break;
		case 'k': cfg.keep = true; break;
		case 'D': data_size = parse_size(optarg); break;
		case 'M': map_size = parse_size(optarg); break;
		case 'n': ndir = atoi(optarg); break;
		case 'K': kscale = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* Many short samples: on a shared machine a short batch often runs
	 * without being preempted, and the median keeps those. */
	cfg.fault_size = 2 * MIB;
	cfg.k_rand = 500;
	cfg.k_app = 128;
	cfg.k_create = 64;
	cfg.k_stat = 500;
	/* The 1..N thread samples are longer: starting the threads and
	 * their first scheduling must not be part of what is timed. */
	cfg.k_mt = 16384;
	if (cfg.quick) { /* small sizes, for development */
		cfg.reps = 15;
		cfg.reps_long = 3;
		cfg.reps_mt = 7;
		cfg.image_size = 1 * GIB;
		cfg.inodes = 131072;
		cfg.data_size = 32 * MIB;
		cfg.map_size = 128 * MIB;
		cfg.ndir = 10000;
	} else {
		cfg.reps = 101;
		cfg.reps_long = 7;
		cfg.reps_mt = 31;
		cfg.image_size = 3 * GIB;
		cfg.inodes = 524288;
		cfg.data_size = 256 * MIB;
		cfg.map_size = 1 * GIB;
		cfg.ndir = 100000;
	}
	if (reps > 0) {
		cfg.reps = reps < MAXREP ? reps : MAXREP;
		cfg.reps_long = cfg.reps < cfg.reps_long ? cfg.reps
							  : cfg.reps_long;
		cfg.reps_mt = cfg.reps < cfg.reps_mt ? cfg.reps : cfg.reps_mt;
	}
	if (data_size)
		cfg.data_size = (data_size + MIB - 1) / MIB * MIB;
	if (map_size)
		cfg.map_size = (map_size + 2 * MIB - 1) / (2 * MIB) * (2 * MIB);
	if (ndir > 0)
		cfg.ndir = ndir;
	/* Inodes for three big directories, at most 16384 per 128 MiB group
	 * (the image grows if needed). */
	cfg.inodes = (uint32_t)(3 * (uint64_t)cfg.ndir + 32768 + 16383) / 16384 * 16384;
	if (cfg.image_size < (size_t)(cfg.inodes / 16384) * 128 * MIB)
		cfg.image_size = (size_t)(cfg.inodes / 16384) * 128 * MIB;
	if (kscale > 0) { /* operations per sample, e.g. for profiling */
		cfg.k_rand = cfg.k_rand * kscale;
		cfg.k_app = cfg.k_app * kscale;
		cfg.k_create = cfg.k_create * kscale;
		cfg.k_stat = cfg.k_stat * kscale;
		cfg.k_mt = cfg.k_mt * kscale;
	}
	cfg.threads = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (cfg.threads < 2)
		cfg.threads = 2;
	if (cfg.threads > MAXT)
		cfg.threads = MAXT;
	if (!cfg.outdir)
		cfg.outdir = ".";
	if (mkdir(cfg.outdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "daxfs_bench: cannot make --out %s: %s\n",
			cfg.outdir, strerror(errno));
		return 1;
	}
	define_metrics();

	/* Work directory on tmpfs. */
	if (!cfg.workdir) {
		static char wd[] = "/dev/shm/daxfs-bench.XXXXXX";

		if (!mkdtemp(wd)) {
			perror("mkdtemp /dev/shm/daxfs-bench.XXXXXX");
			return 1;
		}
		cfg.workdir = wd;
		created_workdir = true;
	} else if (mkdir(cfg.workdir, 0755) == 0) {
		created_workdir = true;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(tmpfsdir, sizeof(tmpfsdir), "%s/tmpfs", cfg.workdir);
	snprintf(limitfile, sizeof(limitfile), "%s/limit.pmem", cfg.workdir);
	snprintf(mntdir, sizeof(mntdir), "%s/mnt", cfg.workdir);
	if (cfg.dax)
		snprintf(region, sizeof(region), "%s", cfg.dax);
	else
		snprintf(region, sizeof(region), "%s/region.img", cfg.workdir);
	{
		struct statfs sf;

		if (statfs(cfg.workdir, &sf) || sf.f_type != TMPFS_MAGIC)
			logp("warning: %s is not on tmpfs; the tmpfs column "
			     "and the limit will not be what they say\n",
			     cfg.workdir);
	}
	/* Emulate pmem (ADR) on a regular file: cache-line flushes. */
	if (!cfg.dax && !getenv("PMEM2_FORCE_GRANULARITY"))
		setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);

	offs = malloc(NOFF * sizeof(*offs));
	pattern = aligned_alloc(4096, MIB);
	buf1m = aligned_alloc(4096, MIB);
	for (unsigned i = 0; i < NOFF; i++)
		offs[i] = (off_t)(rnd() % (cfg.data_size / 4096)) * 4096;
	for (size_t i = 0; i < MIB / 8; i++)
		((uint64_t *)pattern)[i] = rnd();
	memset(buf1m, 1, MIB);

	print_header(stdout);
	printf("region: %s (%s)\n", region,
	       cfg.dax ? "devdax device"
		       : "regular file; PMEM2_FORCE_GRANULARITY="
			 "CACHE_LINE emulates pmem with ADR: persist = "
			 "cache-line flush + fence; no devdax given");
	if (!cfg.dax)
		printf("region file: on %s, allocated up front, mapped in "
		       "whole at mount (DAXFS_MOUNT_POPULATE); the limit "
		       "mapping likewise\n", workdir_kind(cfg.workdir));
	if (getenv("PMEM2_FORCE_GRANULARITY") &&
	    strcmp(getenv("PMEM2_FORCE_GRANULARITY"), "CACHE_LINE"))
		printf("note: PMEM2_FORCE_GRANULARITY=%s was set by the "
		       "caller\n", getenv("PMEM2_FORCE_GRANULARITY"));
	printf("sizes: image %zu MiB, data file %zu MiB, fault file %zu MiB, "
	       "map file %zu MiB, directory %d entries, %d threads, %d reps%s\n",
	       (size_t)(cfg.image_size / MIB), (size_t)(cfg.data_size / MIB),
	       (size_t)(cfg.fault_size / MIB), (size_t)(cfg.map_size / MIB), cfg.ndir, cfg.threads, cfg.reps,
	       cfg.quick ? " (--quick)" : "");
	fflush(stdout);

	/* ---- Phase A: libdaxfs, tmpfs, memcpy, pmem2 ---- */
	if (!cfg.dax && region_allocate(region, cfg.image_size))
		return 1;
	{
		struct daxfs_mkfs_opts o = {
			.size = cfg.dax ? 0 : cfg.image_size,
			.block_size = 4096,
			.inodes = cfg.inodes,
			.label = "daxfs-bench",
		};
		uint64_t t0 = now_ns();

		ret = daxfs_mkfs(region, &o);
		if (ret) {
			fprintf(stderr, "daxfs_mkfs %s: %s\n", region,
				daxfs_errormsg());
			return 1;
		}
		logp("daxfs_mkfs %s: %.1f s\n", region, (now_ns() - t0) / 1e9);
	}
	ret = be_daxfs_init(&dx, region, "/A");
	if (ret) {
		fprintf(stderr, "daxfs_mount %s: %s\n", region,
			daxfs_errormsg());
		return 1;
	}
	have_dx = true;
	/* The files of the kext2 and libext2fs phases (no map files: those
	 * compare with tmpfs only). */
	dxB = dx;
	dxB.map = NULL;
	snprintf(dxB.root, sizeof(dxB.root), "/B");
	dxC = dxB;
	snprintf(dxC.root, sizeof(dxC.root), "/C");

	if (mkdir(tmpfsdir, 0755) && errno != EEXIST) {
		perror(tmpfsdir);
		return 1;
	}
	be_posix_init(&tm, B_TMPFS, "tmpfs", tmpfsdir);
	ret = be_mem_init(&mc, &pm, limitfile, cfg.data_size,
			  4 + cfg.threads);
	if (ret) {
		fprintf(stderr, "limit mapping failed\n");
		return 1;
	}
	gran = be_mem_granularity(&mc);
	printf("limit: pmem2 mapping of %s, store granularity %s\n", limitfile,
	       gran);

	{
		int n = 0;
		bool ok = prepare(&dx, true);

		if (ok)
			phase[n++] = &dx;
		else
			snprintf(bskip[B_DAXFS], 256, "prepare: %s", failbuf);
		if (prepare(&tm, false))
			phase[n++] = &tm;
		else
			snprintf(bskip[B_TMPFS], 256, "prepare: %s", failbuf);
		if (prepare(&mc, false)) {
			phase[n++] = &mc;
			phase[n++] = &pm;
		}
		if (ok && !cfg.dax) {
			if (!prepare(&dxB, true))
				logp("kext2 files not prepared by libdaxfs\n");
			if (!prepare(&dxC, true))
				logp("libext2fs files not prepared by "
				     "libdaxfs\n");
		}
		run_phase("A", phase, n);
	}
	ret = be_daxfs_fini(&dx);
	have_dx = false;
	if (ret)
		fprintf(stderr, "daxfs_unmount: %s\n", daxfs_errormsg());
	be_mem_fini(&mc);
	nftw(tmpfsdir, rm_cb, 64, FTW_DEPTH | FTW_PHYS); /* free the RAM */
	fsck_image(0, "libdaxfs (phase A)");

	/* ---- Phase B: the kernel's ext2 on the same image ---- */
	if (!in_list(only_bes, "kext2")) {
		snprintf(bskip[B_KEXT2], 256, "not selected (--backends)");
	} else if (cfg.dax) {
		snprintf(bskip[B_KEXT2], 256, "the region is a devdax "
			 "character device, which cannot be loop-mounted");
	} else if (geteuid() != 0) {
		snprintf(bskip[B_KEXT2], 256, "not root: cannot mount -o loop");
	} else if (mkdir(mntdir, 0755) && errno != EEXIST) {
		snprintf(bskip[B_KEXT2], 256, "mkdir %s: %s", mntdir,
			 strerror(errno));
	} else if ((ret = run_cmd(why, sizeof(why),
				  "mount -t ext2 -o loop '%s' '%s' 2>&1",
				  region, mntdir))) {
		snprintf(bskip[B_KEXT2], 256, "mount -t ext2 -o loop failed "
			 "(%d): %s", ret, why);
	} else {
		char root[600];

		kmounted = true;
		snprintf(root, sizeof(root), "%s/B", mntdir);
		be_posix_init(&kx, B_KEXT2, "kext2", root);
		kx.map = NULL; /* mmap is compared with tmpfs only */
		if (prepare(&kx, true)) {
			phase[0] = &kx;
			run_phase("B", phase, 1);
		} else {
			snprintf(bskip[B_KEXT2], 256, "prepare: %s", failbuf);
		}
		ret = run_cmd(why, sizeof(why), "umount '%s' 2>&1", mntdir);
		if (ret)
			logp("umount %s: %s\n", mntdir, why);
		else
			kmounted = false;
	}
	if (bskip[B_KEXT2][0])
		logp("kext2 skipped: %s\n", bskip[B_KEXT2]);
	else
		fsck_image(1, "kext2 (phase B)");

	/* ---- Phase C: libext2fs on the same image ---- */
	if (!in_list(only_bes, "libext2fs")) {
		snprintf(bskip[B_E2FS], 256, "not selected (--backends)");
	} else if (cfg.dax) {
		snprintf(bskip[B_E2FS], 256, "the region is a devdax device "
			 "(no read/write system calls for unix_io)");
	} else if (kmounted) {
		snprintf(bskip[B_E2FS], 256, "the image is still mounted");
	} else if (be_e2fs_init(&e2, region, "/C", why, sizeof(why))) {
		snprintf(bskip[B_E2FS], 256, "%s", why);
	} else {
		if (prepare(&e2, true)) {
			phase[0] = &e2;
			run_phase("C", phase, 1);
		} else {
			snprintf(bskip[B_E2FS], 256, "prepare: %s", failbuf);
		}
		if ((ret = be_e2fs_fini(&e2)))
			logp("ext2fs_close: %s\n", e2.errstr(&e2, ret));
	}
	if (bskip[B_E2FS][0])
		logp("libext2fs skipped: %s\n", bskip[B_E2FS]);
	else
		fsck_image(2, "libext2fs (phase C)");
	for (int i = 0; i < 3; i++)
		if (fsck_res[i][0])
			printf("%s\n", fsck_res[i]);

	printf("\nbackends:\n"
	       "  libdaxfs   libdaxfs on the region (pwrite/create persisted "
	       "on return; every call atomic across\n"
	       "             a crash through the undo journal, but for the "
	       "bytes of a plain overwrite)\n"
	       "  tmpfs      system calls on %s (persist = fdatasync, a no-op "
	       "there)\n"
	       "  kext2      system calls on the same image, mount -t ext2 -o "
	       "loop (persist = fdatasync)\n"
	       "  libext2fs  e2fsprogs %s on the same image, unix_io_manager "
	       "(persist = ext2fs_file_flush + io_channel_flush;\n"
	       "             bitmaps and counters are only written at "
	       "ext2fs_close; create/rename/unlink not flushed;\n"
	       "             rename = ext2fs_link + ext2fs_unlink, as "
	       "fuse2fs)\n"
	       "  memcpy     glibc memcpy on a pmem2 mapping of a tmpfs file "
	       "(the limit)\n"
	       "  pmem2      pmem2_get_memcpy_fn() memcpy, flags 0 (persisted), "
	       "same mapping\n"
	       "  16 KiB atomic row: libdaxfs daxfs_pwrite2(DAXFS_WRITE_ATOMIC)"
	       " (copy-on-write, one journal commit);\n"
	       "             the others their plain pwrite of 16 KiB (+ "
	       "persist), a reference: pmem2's is the\n"
	       "             persisting memcpy of 16 KiB the target compares "
	       "with\n",
	       cfg.workdir,
#ifdef HAVE_EXT2FS
	       "libext2fs"
#else
	       "libext2fs (not built)"
#endif
	);
	for (int b = 0; b < NB; b++)
		if (bskip[b][0])
			printf("  SKIPPED %s: %s\n", bnames[b], bskip[b]);

	print_report(stdout, gran);
	write_outputs(gran);
	printf("\nCSV: %s/results.csv, ratios.csv, targets.csv; chart data: "
	       "%s/plot.dat\n", cfg.outdir, cfg.outdir);
	if (have_dx)
		be_daxfs_fini(&dx);
	cleanup();
	return 0;
}
