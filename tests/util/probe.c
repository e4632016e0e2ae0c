/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c -- SIGBUS probes, watchdog and forked scenarios (see probe.h).
 */
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* Probing accesses                                                    */
/* ------------------------------------------------------------------ */

/*
 * The probes load and store view memory, which ThreadSanitizer is not
 * told about: a view's pages alias the region, and libdaxfs changes which
 * block a page shows with mmap(MAP_FIXED) -- from the faulting thread's
 * SIGSEGV handler, or from the thread that truncates or extends the file --
 * while other threads keep touching the view, as the kernel changes page
 * tables under a MAP_SHARED mapping.  TSan models each such mmap as a plain
 * write of the whole range, so every load or store of a page that another
 * thread (re)installed would be reported as racing with "mmap" without a
 * real data race on the memory.  The programs check what these probes read
 * themselves (each page of a view holds 0 or its own value, written only
 * by the thread that owns the page), so the probes are left
 * uninstrumented.  Everything else -- libdaxfs's own state, and the copies
 * libdaxfs makes from and to views -- stays instrumented.  Without TSan the
 * attribute does nothing.
 */
#define NO_TSAN __attribute__((no_sanitize_thread, noinline))

static __thread sigjmp_buf *volatile probe_jb;
static __thread unsigned long probe_nbus;
static __thread const char *probe_ctx;

void test_probe_context(const char *what)
{
	probe_ctx = what;
}

static void probe_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = probe_jb;
	char msg[256];
	int n;

	(void)sig;
	(void)uc;
	if (jb) {
		probe_jb = NULL;
		probe_nbus++;
		siglongjmp(*jb, 1);
	}
	/* snprintf of integers and a pointer only: good enough for a
	 * message before _exit. */
	n = snprintf(msg, sizeof(msg), "probe: unexpected SIGBUS at %p "
		     "(si_code %d, thread %ld) in %s\n", si->si_addr,
		     si->si_code, (long)gettid(), probe_ctx ? probe_ctx : "?");
	if (write(2, msg, n > 0 ? (size_t)n : 0) < 0)
		_exit(TEST_SIGBUS_EXIT);
	_exit(TEST_SIGBUS_EXIT);
}

static void probe_install_once(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void test_probe_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, probe_install_once);
}

NO_TSAN int test_probe_read(const volatile unsigned char *p,
			    unsigned char *out)
{
	sigjmp_buf jb;
	unsigned char v;

	if (sigsetjmp(jb, 1))
		return -1;
	probe_jb = &jb;
	v = *p;
	probe_jb = NULL;
	*out = v;
	return 0;
}

NO_TSAN int test_probe_write(volatile unsigned char *p, unsigned char v)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1))
		return -1;
	probe_jb = &jb;
	*p = v;
	probe_jb = NULL;
	return 0;
}

NO_TSAN int test_probe_copy_out(void *dst, const volatile unsigned char *src,
				size_t len)
{
	sigjmp_buf jb;
	unsigned char *d = dst;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	probe_jb = &jb;
	for (i = 0; i < len; i++)
		d[i] = src[i];
	probe_jb = NULL;
	return 0;
}

NO_TSAN int test_probe_fill(volatile unsigned char *dst, unsigned char v,
			    size_t len)
{
	sigjmp_buf jb;
	volatile size_t i;

	if (sigsetjmp(jb, 1))
		return -1;
	probe_jb = &jb;
	for (i = 0; i < len; i++)
		dst[i] = v;
	probe_jb = NULL;
	return 0;
}

unsigned long test_probe_sigbus_count(void)
{
	return probe_nbus;
}

/* ------------------------------------------------------------------ */
/* Watchdog                                                            */
/* ------------------------------------------------------------------ */

struct test_watchdog {
	pthread_t thr;
	atomic_bool stop;
	const char *what;
	double deadline_s, stall_s;
	atomic_ulong *progress;
};

static void *watchdog_main(void *arg)
{
	struct test_watchdog *w = arg;
	double start = test_now(), last_move = start, now;
	unsigned long last = w->progress ? atomic_load(w->progress) : 0, p;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char msg[512];
	int n;

	while (!atomic_load(&w->stop)) {
		now = test_now();
		if (w->progress) {
			p = atomic_load(w->progress);
			if (p != last) {
				last = p;
				last_move = now;
			}
		}
		if (now - start > w->deadline_s ||
		    (w->stall_s > 0 && w->progress &&
		     now - last_move > w->stall_s)) {
			n = snprintf(msg, sizeof(msg), "\nwatchdog: %s: %s "
				     "after %.1f s (progress %lu): deadlock "
				     "or livelock?\n", w->what,
				     now - start > w->deadline_s
					     ? "deadline passed"
					     : "no progress",
				     now - start, last);
			if (write(2, msg, n > 0 ? (size_t)n : 0) < 0)
				_exit(TEST_WATCHDOG_EXIT);
			_exit(TEST_WATCHDOG_EXIT);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct test_watchdog *test_watchdog_start(const char *what, double deadline_s,
					  double stall_s,
					  atomic_ulong *progress)
{
	struct test_watchdog *w = calloc(1, sizeof(*w));

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

void test_watchdog_stop(struct test_watchdog *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thr, NULL);
	free(w);
}

/* ------------------------------------------------------------------ */
/* Forked scenarios                                                    */
/* ------------------------------------------------------------------ */

int test_fork_run(int (*fn)(void *), void *arg, double hard_s)
{
	double start = test_now();
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
		if (test_now() - start > hard_s) {
			fprintf(stderr, "test_fork_run: child %ld still "
				"running after %.0f s: killed\n", (long)pid,
				hard_s);
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
