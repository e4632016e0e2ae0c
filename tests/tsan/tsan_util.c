/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_util.c -- helpers of the ThreadSanitizer stress programs (see
 * tsan_util.h).
 */
#define _GNU_SOURCE
#include "tsan_util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * e2fsck is run by fork/exec while the watchdog thread is alive; the child
 * only calls exec, so ThreadSanitizer's die_after_fork is not wanted.
 * (TSAN_OPTIONS from the environment still apply on top of this.)
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "die_after_fork=0";
}

double tu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- watchdog ------------------------------------------------------ */

static const char *wd_what;
static double wd_seconds;

static void *watchdog_main(void *arg)
{
	double end = tu_now() + wd_seconds;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	(void)arg;
	while (tu_now() < end)
		nanosleep(&ts, NULL);
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "\nWATCHDOG: %s did not finish in "
			 "%.0f s (deadlock or livelock?)\n", wd_what,
			 wd_seconds);
	if (write(2, msg, n > 0 ? (size_t)n : 0) < 0)
		_exit(3);
	_exit(3);
}

void tu_watchdog(const char *what, double seconds)
{
	pthread_t th;

	wd_what = what;
	wd_seconds = seconds;
	if (pthread_create(&th, NULL, watchdog_main, NULL)) {
		fprintf(stderr, "cannot start the watchdog\n");
		_exit(3);
	}
	pthread_detach(th);
}

/* ---- checks -------------------------------------------------------- */

static atomic_int n_ok, n_fail;

bool tu_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(ok ? &n_ok : &n_fail, 1);
	flockfile(stdout);
	printf("  %s  ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
	return ok;
}

int tu_finish(const char *prog)
{
	int ok = atomic_load(&n_ok), fail = atomic_load(&n_fail);

	printf("%s: %d checks passed, %d failed\n", prog, ok, fail);
	fflush(stdout);
	return fail == 0 && ok > 0 ? 0 : 1;
}

void tu_fail(struct tu_err *e, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&e->count, 1) != 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, " [\"%s\"]",
			 daxfs_errormsg());
}

const char *tu_errname(long long rc)
{
	static __thread char buf[32];

	if (rc >= 0)
		return "OK";
	switch (-rc) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EIO); E(ENXIO); E(EBADF); E(ENOMEM);
	E(EACCES); E(EBUSY); E(EEXIST); E(EFAULT); E(ENODEV); E(EISDIR);
	E(EINVAL); E(EFBIG); E(ENOSPC); E(EROFS); E(EOPNOTSUPP);
	E(EUCLEAN); E(EOVERFLOW); E(ENOTDIR); E(ENOTEMPTY); E(EXDEV);
#undef E
	}
	snprintf(buf, sizeof(buf), "errno %lld", -rc);
	return buf;
}

/* ---- images -------------------------------------------------------- */

#define MAX_IMAGES 16
static char images[MAX_IMAGES][128];
static int nimages;

static void tu_cleanup(void)
{
	for (int i = 0; i < nimages; i++)
		unlink(images[i]);
}

const char *tu_image_path(const char *tag)
{
	if (nimages == MAX_IMAGES)
		return NULL;
	if (nimages == 0)
		atexit(tu_cleanup);
	snprintf(images[nimages], sizeof(images[0]),
		 "/dev/shm/daxfs-tsan-%s-%ld-%d.img", tag, (long)getpid(),
		 nimages);
	unlink(images[nimages]);
	return images[nimages++];
}

daxfs *tu_new_fs(const char *path, uint64_t size, uint32_t inodes)
{
	struct daxfs_mkfs_opts o = { .size = size, .block_size = 4096,
				     .inodes = inodes };
	daxfs *fs = NULL;
	int r;

	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	r = daxfs_mkfs(path, &o);
	if (!TU_CHECK(r == 0, "mkfs %s: %s", path, tu_errname(r)))
		return NULL;
	r = daxfs_mount(path, 0, &fs);
	if (!TU_CHECK(r == 0, "mount %s: %s", path, tu_errname(r)))
		return NULL;
	return fs;
}

int tu_e2fsck(const char *path)
{
	int pfd[2], status;
	char out[8192];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { "e2fsck", "-fn", (char *)path, NULL };

		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execv("/sbin/e2fsck", argv);
		execv("/usr/sbin/e2fsck", argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len < sizeof(out) - 1) {
		n = read(pfd[0], out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	/* Drain anything left so that e2fsck never blocks on the pipe. */
	while ((n = read(pfd[0], (char[512]){ 0 }, 512)) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status != 0)
		fprintf(stderr, "e2fsck -fn %s exited %d:\n%s\n", path, status,
			out);
	return status;
}

void tu_unmount_fsck(daxfs *fs, const char *path)
{
	int r = daxfs_unmount(fs);

	if (!TU_CHECK(r == 0, "unmount: %s", tu_errname(r)))
		return;
	r = tu_e2fsck(path);
	TU_CHECK(r == 0, "e2fsck -fn %s exits 0 (%d)", path, r);
}

/* ---- data ---------------------------------------------------------- */

uint64_t tu_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned char pattern_byte(uint64_t seed, uint64_t pos)
{
	uint64_t z = seed * 0x9E3779B97F4A7C15ULL + (pos >> 3);

	z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ULL;
	z ^= z >> 29;
	return (unsigned char)(z >> ((pos & 7) * 8)) | 1; /* never 0 */
}

void tu_pattern(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = pattern_byte(seed, off + i);
}

long tu_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			 uint64_t off)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, off + i))
			return (long)i;
	return -1;
}

/* ---- probing accesses ---------------------------------------------- */

/*
 * The probes below load and store view memory, which ThreadSanitizer is
 * not told about: a view's pages alias the region, and libdaxfs changes
 * which block a page shows with mmap(MAP_FIXED) -- from the faulting
 * thread's SIGSEGV handler, or from the thread that truncates or extends
 * the file -- while other threads keep touching the view, as the kernel
 * changes page tables under a MAP_SHARED mapping.  TSan models each such
 * mmap as a plain write of the whole range, so every load or store of a
 * page that another thread (re)installed would be reported as racing with
 * "mmap" without a real data race on the memory.  The programs check what
 * these probes read themselves (each page of a view holds 0 or its own
 * value, written only by the thread that owns the page), so the probes are
 * left uninstrumented.  Everything else -- libdaxfs's own state, and the
 * copies libdaxfs makes from and to views -- stays instrumented.
 */
#define TU_NO_TSAN __attribute__((no_sanitize_thread, noinline))

static __thread sigjmp_buf *volatile tu_jb;
static __thread unsigned long tu_nbus;
static __thread const char *tu_ctx;

void tu_sigbus_context(const char *what)
{
	tu_ctx = what;
}

static void tu_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = tu_jb;
	char msg[256];
	int n;

	(void)sig;
	(void)uc;
	if (jb) {
		tu_jb = NULL;
		tu_nbus++;
		siglongjmp(*jb, 1);
	}
	/* snprintf of integers and a pointer only: good enough for a
	 * message before _exit. */
	n = snprintf(msg, sizeof(msg), "tsan_util: unexpected SIGBUS at %p "
		     "(si_code %d, thread %ld) in %s\n", si->si_addr,
		     si->si_code, (long)gettid(), tu_ctx ? tu_ctx : "?");
	if (write(2, msg, n > 0 ? (size_t)n : 0) < 0)
		_exit(99);
	_exit(99);
}

void tu_install_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tu_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

TU_NO_TSAN int tu_try_read(const volatile unsigned char *p, unsigned char *out)
{
	sigjmp_buf jb;
	unsigned char v;

	if (sigsetjmp(jb, 1))
		return -1;
	tu_jb = &jb;
	v = *p;
	tu_jb = NULL;
	*out = v;
	return 0;
}

TU_NO_TSAN int tu_try_fill(volatile unsigned char *dst, unsigned char v, size_t len)
{
	sigjmp_buf jb;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	tu_jb = &jb;
	for (i = 0; i < len; i++)
		dst[i] = v;
	tu_jb = NULL;
	return 0;
}

TU_NO_TSAN int tu_try_copy_out(void *dst, const volatile unsigned char *src, size_t len)
{
	sigjmp_buf jb;
	unsigned char *d = dst;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	tu_jb = &jb;
	for (i = 0; i < len; i++)
		d[i] = src[i];
	tu_jb = NULL;
	return 0;
}

unsigned long tu_sigbus_count(void)
{
	return tu_nbus;
}
