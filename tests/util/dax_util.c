/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax_util.c -- helpers of the DAX mapping tests (see dax_util.h).
 */
#define _GNU_SOURCE
#include "dax_util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *du_errname(long long rc)
{
	static __thread char buf[32];

	if (rc >= 0)
		return "OK";
	switch (-rc) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EIO); E(ENXIO); E(EBADF); E(ENOMEM);
	E(EACCES); E(EBUSY); E(EEXIST); E(EFAULT); E(ENODEV); E(EISDIR);
	E(EINVAL); E(EFBIG); E(ENOSPC); E(EROFS); E(EOPNOTSUPP);
	E(EUCLEAN); E(EOVERFLOW);
#undef E
	}
	snprintf(buf, sizeof(buf), "errno %lld", -rc);
	return buf;
}

double du_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- images -------------------------------------------------------- */

static char **images;
static size_t nimages;
static pthread_mutex_t images_lock = PTHREAD_MUTEX_INITIALIZER;

const char *du_image_path(const char *tag)
{
	static unsigned counter;
	char buf[256];
	char *p;

	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	pthread_mutex_lock(&images_lock);
	snprintf(buf, sizeof(buf), "/dev/shm/daxfs-dax-%s-%ld-%u.img",
		 tag ? tag : "img", (long)getpid(), counter++);
	unlink(buf);
	p = strdup(buf);
	images = realloc(images, (nimages + 1) * sizeof(*images));
	if (p && images)
		images[nimages++] = p;
	pthread_mutex_unlock(&images_lock);
	return p;
}

void du_cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&images_lock);
	for (i = 0; i < nimages; i++) {
		unlink(images[i]);
		free(images[i]);
	}
	free(images);
	images = NULL;
	nimages = 0;
	pthread_mutex_unlock(&images_lock);
}

int du_mkfs_mount_nocr(const char *path, uint64_t size, daxfs **fs)
{
	struct daxfs_mkfs_opts o = { .size = size, .block_size = 4096 };
	int ret;

	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	ret = daxfs_mkfs(path, &o);
	if (ret)
		return ret;
	return daxfs_mount(path, 0, fs);
}

daxfs *du_new_fs(const char *tag, uint64_t size, uint32_t inodes,
		 const char **path_out)
{
	struct daxfs_mkfs_opts o = { .size = size, .block_size = 4096,
				     .inodes = inodes };
	const char *path = du_image_path(tag);
	daxfs *fs = NULL;

	cr_assert(path);
	DU_OK(daxfs_mkfs(path, &o));
	DU_OK(daxfs_mount(path, 0, &fs));
	if (path_out)
		*path_out = path;
	return fs;
}

daxfs *du_mount(const char *path, unsigned flags)
{
	daxfs *fs = NULL;

	DU_OK(daxfs_mount(path, flags, &fs));
	return fs;
}

void du_unmount_fsck(daxfs *fs, const char *path)
{
	DU_OK(daxfs_unmount(fs));
	cr_assert_eq(du_e2fsck(path), 0, "e2fsck -fn %s is not clean", path);
}

/* ---- e2fsprogs ----------------------------------------------------- */

static char *read_all_fd(int fd, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

int du_run(const char *const argv[], char **out, size_t *outlen, bool merge)
{
	int pfd[2], status;
	pid_t pid;
	char *text;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		const char *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
		char path[512];
		size_t i;
		int nul = open("/dev/null", O_WRONLY);

		dup2(pfd[1], 1);
		dup2(merge ? pfd[1] : nul, 2);
		close(pfd[0]);
		close(pfd[1]);
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], argv[0]);
			execv(path, (char *const *)argv);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	text = read_all_fd(pfd[0], outlen);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (out)
		*out = text;
	else
		free(text);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int du_e2fsck(const char *path)
{
	const char *argv[] = { "e2fsck", "-fn", path, NULL };
	char *out = NULL;
	int st = du_run(argv, &out, NULL, true);

	if (st != 0)
		fprintf(stderr, "e2fsck -fn %s exited %d:\n%s\n", path, st,
			out ? out : "");
	free(out);
	return st;
}

char *du_debugfs(const char *path, const char *cmd, size_t *len)
{
	const char *argv[] = { "debugfs", "-R", cmd, path, NULL };
	char *out = NULL;

	du_run(argv, &out, len, false);
	return out;
}

/* ---- data ---------------------------------------------------------- */

uint64_t du_rand(uint64_t *s)
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

void du_pattern(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, off + i);
}

long du_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			 uint64_t off)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, off + i))
			return (long)i;
	return -1;
}

long du_nonzero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

/* ---- probing accesses ---------------------------------------------- */

static __thread sigjmp_buf *volatile du_jb;
static __thread unsigned long du_nbus;

static void du_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = du_jb;
	static const char msg[] = "dax_util: unexpected SIGBUS\n";

	(void)sig;
	(void)si;
	(void)uc;
	if (jb) {
		du_jb = NULL;
		du_nbus++;
		siglongjmp(*jb, 1);
	}
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(99);
	_exit(99);
}

static void du_install_once(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = du_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void du_install_sigbus(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, du_install_once);
}

int du_try_read(const volatile unsigned char *p, unsigned char *out)
{
	sigjmp_buf jb;
	unsigned char v;

	if (sigsetjmp(jb, 1))
		return -1;
	du_jb = &jb;
	v = *p;
	du_jb = NULL;
	*out = v;
	return 0;
}

int du_try_write(volatile unsigned char *p, unsigned char v)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1))
		return -1;
	du_jb = &jb;
	*p = v;
	du_jb = NULL;
	return 0;
}

int du_try_copy_out(void *dst, const volatile unsigned char *src, size_t len)
{
	sigjmp_buf jb;
	unsigned char *d = dst;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	du_jb = &jb;
	for (i = 0; i < len; i++)
		d[i] = src[i];
	du_jb = NULL;
	return 0;
}

int du_try_fill(volatile unsigned char *dst, unsigned char v, size_t len)
{
	sigjmp_buf jb;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	du_jb = &jb;
	for (i = 0; i < len; i++)
		dst[i] = v;
	du_jb = NULL;
	return 0;
}

unsigned long du_sigbus_count(void)
{
	return du_nbus;
}

/* ---- watchdog ------------------------------------------------------ */

struct du_watchdog {
	pthread_t thr;
	atomic_bool stop;
	const char *what;
	double deadline_s, stall_s;
	atomic_ulong *progress;
};

static void *watchdog_main(void *arg)
{
	struct du_watchdog *w = arg;
	double start = du_now(), last_move = start;
	unsigned long last = w->progress ? atomic_load(w->progress) : 0;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	while (!atomic_load(&w->stop)) {
		double now = du_now();

		if (w->progress) {
			unsigned long p = atomic_load(w->progress);

			if (p != last) {
				last = p;
				last_move = now;
			}
		}
		if (now - start > w->deadline_s ||
		    (w->stall_s > 0 && w->progress &&
		     now - last_move > w->stall_s)) {
			fprintf(stderr, "watchdog: %s: %s after %.1f s "
				"(progress %lu)\n", w->what,
				now - start > w->deadline_s ? "deadline passed"
							    : "no progress",
				now - start, last);
			fflush(stderr);
			_exit(DU_WATCHDOG_EXIT);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct du_watchdog *du_watchdog_start(const char *what, double deadline_s,
				      double stall_s, atomic_ulong *progress)
{
	struct du_watchdog *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->what = what;
	w->deadline_s = deadline_s;
	w->stall_s = stall_s;
	w->progress = progress;
	if (pthread_create(&w->thr, NULL, watchdog_main, w)) {
		free(w);
		return NULL;
	}
	return w;
}

void du_watchdog_stop(struct du_watchdog *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thr, NULL);
	free(w);
}

/* ---- forked scenarios ---------------------------------------------- */

int du_fork_run(int (*fn)(void *), void *arg, double hard_s)
{
	double start = du_now();
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status;
	pid_t pid, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (du_now() - start > hard_s) {
			fprintf(stderr, "du_fork_run: child %ld still running "
				"after %.0f s: killed\n", (long)pid, hard_s);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}
