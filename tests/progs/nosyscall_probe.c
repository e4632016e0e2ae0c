/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nosyscall_probe.c -- checks libdaxfs's promise that, once a region is
 * mounted, the data path makes no system call in the uncontended case:
 * daxfs_open/daxfs_close of existing files, daxfs_pwrite (overwrite, O_APPEND
 * append and extending writes at an explicit offset), daxfs_pread,
 * daxfs_stat, daxfs_readdir and daxfs_fsync.  Only futex is tolerated (a
 * contended lock); with PMEM2_FORCE_GRANULARITY=CACHE_LINE persisting is
 * done with cache flushes, so no msync either.
 *
 *   nosyscall_probe [--no-seccomp] [--self-test-syscall] [--iters N]
 *                   [--readers N] REGION
 *
 * The probe formats REGION (64 MiB), mounts it, creates its files, and runs
 * the loop body WARMUP times so that lazily initialised state (allocator
 * caches, thread-local storage, first block allocations) is in place.  Then:
 *
 *   default        installs a seccomp filter that allows only futex, exit
 *                  and exit_group and kills the process (SIGSYS) on any other
 *                  system call, runs the loop, and ends with exit_group(0).
 *                  Any system call in the loop kills the probe.
 *   --no-seccomp   no filter; instead the loop is bracketed by two marker
 *                  calls, write(-1, "daxfs-loop-begin", 16) and
 *                  write(-1, "daxfs-loop-end", 14), which fail with EBADF and
 *                  are easy to find in "strace -f -o FILE" output: between
 *                  them the probe's thread must make nothing but futex calls.
 *                  Afterwards the probe checks the file sizes, unmounts and
 *                  exits 0, leaving an image that e2fsck must find clean.
 *   --self-test-syscall
 *                  calls getpid() once in the middle of the loop, to prove
 *                  that the harness catches a system call.
 *   --readers N    N more threads, started before the warm-up, read
 *                  /dir/data over and over while the loop overwrites it:
 *                  readers meet (the inode lock turns reader-biased) and
 *                  the writer revokes the bias; futex is all that may
 *                  take.  The seccomp filter covers every thread (TSYNC).
 *
 * Exit status: 0 success; 2 usage; 3 setup failed (message on stderr);
 * 10 + step when loop step "step" failed under seccomp (nothing can be
 * printed there; see step_names[] below); 9 when a reader thread failed
 * or read nothing; 1 on a loop failure with --no-seccomp (message on
 * stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <daxfs.h>

#if defined(__x86_64__)
#define PROBE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PROBE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "nosyscall_probe: add this architecture's AUDIT_ARCH_* value"
#endif

#define REGION_SIZE (64u << 20)
#define WARMUP 300
#define DEFAULT_ITERS 3000
#define DATA_SIZE (128 * 1024) /* /dir/data, overwritten in place */
#define OVER_SIZE 4096         /* bytes per overwrite (crosses blocks) */
#define LOG_REC 500            /* bytes per O_APPEND append to /dir/log */
#define GROW_REC 3000          /* bytes per extending write to /dir/grow */
#define NEXTRA 5               /* /dir/f0 .. /dir/f4, for readdir */
#define NENTRIES (2 + 3 + NEXTRA) /* ".", "..", data, log, grow, extras */
#define MAX_READERS 8
#define READER_EXIT 9          /* exit status: a reader failed */

/* Loop steps; under seccomp a failure at step s exits with 10 + s. */
enum step {
	S_OPEN_DATA, S_OPEN_LOG, S_OPEN_GROW, S_OVERWRITE, S_APPEND,
	S_EXTEND, S_READ_DATA, S_CMP_DATA, S_READ_LOG, S_CMP_LOG, S_STAT,
	S_STAT_SIZE, S_READDIR, S_READDIR_COUNT, S_FSYNC, S_CLOSE, S_SELFTEST,
	S_COUNT
};
static const char *const step_names[S_COUNT] = {
	"open /dir/data", "open /dir/log (O_APPEND)", "open /dir/grow",
	"pwrite overwrite /dir/data", "pwrite append /dir/log",
	"pwrite extend /dir/grow", "pread /dir/data",
	"compare /dir/data", "pread /dir/log", "compare /dir/log",
	"stat /dir/log", "stat size of /dir/log", "readdir /dir",
	"readdir /dir entry count", "fsync", "close", "self-test syscall",
};

static daxfs *fs;
static off_t log_size, grow_size;
static atomic_bool readers_stop;
static atomic_long reader_reads, reader_fails;
static atomic_int readers_warm; /* readers past their first read */
static long last_ret; /* return value of the failed call, for messages */

/* Buffers are static: the loop itself allocates nothing. */
static unsigned char wbuf[OVER_SIZE], rbuf[OVER_SIZE];
static unsigned char rec[GROW_REC];

static int count_entry(void *arg, const char *name, uint64_t ino,
		       unsigned type)
{
	(void)name; (void)ino; (void)type;
	(*(int *)arg)++;
	return 0;
}

static void fill(unsigned char *p, size_t n, unsigned i, unsigned salt)
{
	memset(p, 'a' + (i + salt) % 26, n);
	memcpy(p, &i, sizeof(i));
}

/*
 * One iteration.  Returns -1 on success, or the step that failed (with
 * last_ret set).  Makes no system call of its own.
 */
static int body(unsigned i)
{
	daxfs_file *d, *l, *g;
	struct stat st;
	long r;
	int n;

#define TRY(step, call)                                  \
	do {                                             \
		r = (long)(call);                        \
		if (r < 0) {                             \
			last_ret = r;                    \
			return step;                     \
		}                                        \
	} while (0)

	TRY(S_OPEN_DATA, daxfs_open(fs, "/dir/data", O_RDWR, 0, &d));
	TRY(S_OPEN_LOG, daxfs_open(fs, "/dir/log", O_RDWR | O_APPEND, 0, &l));
	TRY(S_OPEN_GROW, daxfs_open(fs, "/dir/grow", O_RDWR, 0, &g));

	/* Overwrite, unaligned, usually spanning two blocks. */
	off_t off = (off_t)(i % 30) * 4096 + (i % 7) * 13;
	fill(wbuf, sizeof(wbuf), i, 0);
	TRY(S_OVERWRITE, daxfs_pwrite(d, wbuf, sizeof(wbuf), off));

	/* Append with O_APPEND (the offset is ignored). */
	fill(rec, LOG_REC, i, 1);
	TRY(S_APPEND, daxfs_pwrite(l, rec, LOG_REC, 12345));
	log_size += LOG_REC;

	/* Append at an explicit offset: allocates blocks, and indirect
	 * blocks as the file grows. */
	fill(rec, GROW_REC, i, 2);
	TRY(S_EXTEND, daxfs_pwrite(g, rec, GROW_REC, grow_size));
	grow_size += GROW_REC;

	TRY(S_READ_DATA, daxfs_pread(d, rbuf, sizeof(rbuf), off));
	if (r != (long)sizeof(rbuf) || memcmp(rbuf, wbuf, sizeof(rbuf))) {
		last_ret = r;
		return S_CMP_DATA;
	}
	fill(rec, LOG_REC, i, 1);
	TRY(S_READ_LOG, daxfs_pread(l, rbuf, LOG_REC, log_size - LOG_REC));
	if (r != LOG_REC || memcmp(rbuf, rec, LOG_REC)) {
		last_ret = r;
		return S_CMP_LOG;
	}

	TRY(S_STAT, daxfs_stat(fs, "/dir/log", &st));
	if (st.st_size != log_size) {
		last_ret = (long)st.st_size;
		return S_STAT_SIZE;
	}

	n = 0;
	TRY(S_READDIR, daxfs_readdir(fs, "/dir", count_entry, &n));
	if (n != NENTRIES) {
		last_ret = n;
		return S_READDIR_COUNT;
	}

	TRY(S_FSYNC, daxfs_fsync(d));
	TRY(S_FSYNC, daxfs_fsync(l));
	TRY(S_FSYNC, daxfs_fsync(g));
	TRY(S_CLOSE, daxfs_close(g));
	TRY(S_CLOSE, daxfs_close(l));
	TRY(S_CLOSE, daxfs_close(d));
#undef TRY
	return -1;
}

/* A reader thread: 4 KiB reads of /dir/data until told to stop. */
static void *reader_main(void *arg)
{
	unsigned char buf[OVER_SIZE];
	daxfs_file *f;

	(void)arg;
	if (daxfs_open(fs, "/dir/data", O_RDONLY, 0, &f) < 0) {
		atomic_fetch_add(&reader_fails, 1);
		return NULL;
	}
	for (unsigned i = 0; !atomic_load_explicit(&readers_stop,
						  memory_order_relaxed); i++) {
		if (daxfs_pread(f, buf, sizeof(buf), (off_t)(i % 30) * 4096) !=
		    (ssize_t)sizeof(buf)) {
			atomic_fetch_add(&reader_fails, 1);
			break;
		}
		atomic_fetch_add_explicit(&reader_reads, 1,
					  memory_order_relaxed);
		if (i == 0)
			atomic_fetch_add(&readers_warm, 1);
	}
	daxfs_close(f);
	return NULL;
}

static int create_file(const char *path, size_t size)
{
	static unsigned char zero[4096];
	daxfs_file *f;
	int ret = daxfs_open(fs, path, O_RDWR | O_CREAT | O_EXCL, 0644, &f);

	for (size_t off = 0; ret >= 0 && off < size; off += sizeof(zero)) {
		ssize_t n = daxfs_pwrite(f, zero, sizeof(zero), (off_t)off);
		ret = n < 0 ? (int)n : 0;
	}
	if (ret < 0) {
		fprintf(stderr, "nosyscall_probe: creating %s: %s\n", path,
			daxfs_errormsg());
		return ret;
	}
	return daxfs_close(f);
}

static int setup(const char *region)
{
	struct daxfs_mkfs_opts opts = { .size = REGION_SIZE };
	char path[32];
	int ret;

	if ((ret = daxfs_mkfs(region, &opts)) < 0) {
		fprintf(stderr, "nosyscall_probe: daxfs_mkfs %s: %s\n", region,
			daxfs_errormsg());
		return ret;
	}
	if ((ret = daxfs_mount(region, 0, &fs)) < 0) {
		fprintf(stderr, "nosyscall_probe: daxfs_mount %s: %s\n", region,
			daxfs_errormsg());
		return ret;
	}
	if ((ret = daxfs_mkdir(fs, "/dir", 0755)) < 0) {
		fprintf(stderr, "nosyscall_probe: mkdir /dir: %s\n",
			daxfs_errormsg());
		return ret;
	}
	if ((ret = create_file("/dir/data", DATA_SIZE)) < 0 ||
	    (ret = create_file("/dir/log", 0)) < 0 ||
	    (ret = create_file("/dir/grow", 0)) < 0)
		return ret;
	for (int k = 0; k < NEXTRA; k++) {
		snprintf(path, sizeof(path), "/dir/f%d", k);
		if ((ret = create_file(path, 100)) < 0)
			return ret;
	}
	return 0;
}

/* Allow futex, exit and exit_group; kill the process on anything else.
 * With tsync, in every thread of the process. */
static int install_seccomp(bool tsync)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROBE_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_futex, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("nosyscall_probe: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0, &prog) != 0) {
		perror("nosyscall_probe: seccomp");
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: nosyscall_probe [--no-seccomp] "
		"[--self-test-syscall] [--iters N] [--readers N] REGION\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int use_seccomp = 1, self_test = 0;
	unsigned iters = DEFAULT_ITERS, nreaders = 0;
	pthread_t readers[MAX_READERS];
	const char *region = NULL;
	long reads_before;
	bool readers_bad;
	int step;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-seccomp") == 0)
			use_seccomp = 0;
		else if (strcmp(argv[i], "--self-test-syscall") == 0)
			self_test = 1;
		else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--readers") == 0 && i + 1 < argc)
			nreaders = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] == '-' || region)
			usage();
		else
			region = argv[i];
	}
	if (!region || iters < 2 || nreaders > MAX_READERS)
		usage();

	if (setup(region) < 0)
		return 3;
	for (unsigned k = 0; k < nreaders; k++) {
		if (pthread_create(&readers[k], NULL, reader_main, NULL)) {
			fprintf(stderr, "nosyscall_probe: pthread_create "
				"failed\n");
			return 3;
		}
	}

	for (unsigned i = 0; i < WARMUP; i++) {
		if ((step = body(i)) >= 0) {
			fprintf(stderr, "nosyscall_probe: warm-up %u: %s: %ld "
				"(%s)\n", i, step_names[step], last_ret,
				daxfs_errormsg());
			return 3;
		}
	}

	printf("nosyscall_probe: %u iterations %s%s\n", iters,
	       use_seccomp ? "under seccomp" : "between the marker calls",
	       self_test ? ", with a getpid() in the middle (self-test)" : "");
	fflush(stdout);
	fflush(stderr);

	/* Every reader has started and read once (its thread start-up and
	 * first allocations make system calls): on a loaded machine a
	 * reader may not have run at all by the end of the warm-up. */
	while (atomic_load(&readers_warm) + atomic_load(&reader_fails) <
	       (long)nreaders)
		sched_yield();
	reads_before = atomic_load(&reader_reads);
	if (use_seccomp) {
		if (install_seccomp(nreaders > 0) < 0)
			return 3;
	} else {
		syscall(SYS_write, -1, "daxfs-loop-begin", 16);
	}

	/* ---- the measured loop: no system call from here ---- */
	step = -1;
	for (unsigned i = WARMUP; i < WARMUP + iters && step < 0; i++) {
		if (self_test && i == WARMUP + iters / 2)
			syscall(SYS_getpid);
		step = body(i);
	}
	/* ---- end of the measured loop ---- */

	/* The readers must have read during the loop, and without error. */
	readers_bad = nreaders && (atomic_load(&reader_fails) ||
				   atomic_load(&reader_reads) == reads_before);
	if (use_seccomp)
		syscall(SYS_exit_group, step >= 0 ? 10 + step :
					readers_bad ? READER_EXIT : 0);

	syscall(SYS_write, -1, "daxfs-loop-end", 14);
	atomic_store(&readers_stop, true);
	for (unsigned k = 0; k < nreaders; k++)
		pthread_join(readers[k], NULL);
	if (step >= 0) {
		fprintf(stderr, "nosyscall_probe: %s failed: %ld (%s)\n",
			step_names[step], last_ret, daxfs_errormsg());
		return 1;
	}
	if (readers_bad) {
		fprintf(stderr, "nosyscall_probe: reader threads: %ld failed "
			"reads, %ld reads during the loop\n",
			atomic_load(&reader_fails),
			atomic_load(&reader_reads) - reads_before);
		return 1;
	}

	struct stat st = {0};
	if (daxfs_stat(fs, "/dir/grow", &st) < 0 || st.st_size != grow_size) {
		fprintf(stderr, "nosyscall_probe: /dir/grow has %jd bytes, "
			"expected %jd (%s)\n", (intmax_t)st.st_size,
			(intmax_t)grow_size, daxfs_errormsg());
		return 1;
	}
	if (daxfs_unmount(fs) < 0) {
		fprintf(stderr, "nosyscall_probe: daxfs_unmount: %s\n",
			daxfs_errormsg());
		return 1;
	}
	printf("nosyscall_probe: done, /dir/log %jd bytes, /dir/grow %jd "
	       "bytes\n", (intmax_t)log_size, (intmax_t)grow_size);
	return 0;
}
