/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nosyscall.c -- once a region is mounted, the data path (open/close of
 * existing files, pread, pwrite overwrite and append, stat, readdir, fsync)
 * makes no system call in the uncontended case; only futex is tolerated.
 *
 * The work is done by the helper program tests/progs/nosyscall_probe.c (see
 * its header), found in $DAXFS_TEST_BIN, which ctest sets.  It is checked two
 * independent ways:
 *   - under a seccomp filter that kills the process on any system call but
 *     futex/exit/exit_group: the probe must exit 0, not die of SIGSYS;
 *   - under "strace -f": between the probe's two marker calls its thread must
 *     make nothing but futex calls.
 * Each check has a self-test proving it can fail: with --self-test-syscall
 * the probe calls getpid() in the middle of the loop, and the check must
 * catch it.
 *
 * PMEM2_FORCE_GRANULARITY=CACHE_LINE is set for the probe: the regions are
 * files on /dev/shm, where libpmem2 would otherwise persist with msync.
 *
 * Under AddressSanitizer or ThreadSanitizer the syscall checks are skipped:
 * their runtimes make system calls of their own (the ASan allocator maps
 * memory for its quarantine, LeakSanitizer refuses to run under ptrace).
 * The self-test of seccomp and the workload/e2fsck test still run there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define PROBE_TIMEOUT 300 /* seconds; the probe takes well under one */
#define STRACE "/usr/bin/strace"

static char probe[4096];
static char region[256];
static char trace[sizeof(region) + 16];

static void setup(void)
{
	cr_assert(test_prog_path(probe, sizeof(probe), "nosyscall_probe"),
		  "DAXFS_TEST_BIN is not set: run this test through ctest");
	cr_assert(access(probe, X_OK) == 0, "no probe program at %s: %s",
		  probe, strerror(errno));
	test_shm_path(region, sizeof(region), "nosyscall");
	snprintf(trace, sizeof(trace), "%s.strace", region);
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
}

static void teardown(void)
{
	unlink(region);
	unlink(trace);
}

TestSuite(nosyscall, .init = setup, .fini = teardown, .timeout = 600);

/* Run argv (argv[0] is a path); return its wait status.  Kills it and fails
 * the test after PROBE_TIMEOUT seconds. */
static int run(char *const argv[])
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (int ms = 0;; ms += 20) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		cr_assert(r >= 0, "waitpid: %s", strerror(errno));
		if (r == pid)
			return status;
		if (ms >= PROBE_TIMEOUT * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			cr_assert_fail("%s did not finish in %d s (hang or "
				       "deadlock?)", argv[0], PROBE_TIMEOUT);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 },
			  NULL);
	}
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		int c = WEXITSTATUS(status);
		snprintf(buf, len, "exited %d%s", c,
			 c >= 10 ? " (loop step failed: 10 + step, see "
				   "step_names in tests/progs/nosyscall_probe.c)"
			 : c == 3 ? " (setup failed)" : "");
	} else if (WIFSIGNALED(status)) {
		int s = WTERMSIG(status);
		snprintf(buf, len, "killed by signal %d (%s)%s", s, strsignal(s),
			 s == SIGSYS ? ": a system call was made in the loop" : "");
	} else {
		snprintf(buf, len, "wait status %#x", status);
	}
}

/* ------------------------------------------------------------------ */
/* seccomp                                                             */
/* ------------------------------------------------------------------ */

Test(nosyscall, seccomp_loop_makes_no_syscall)
{
	if (UNDER_SANITIZER)
		cr_skip_test("sanitizer runtimes make system calls of their own");

	char *argv[] = { probe, region, NULL };
	char how[256];
	int status = run(argv);

	describe(status, how, sizeof(how));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "nosyscall_probe under seccomp %s; rerun it by hand without "
		  "the filter to see: strace -f %s --no-seccomp REGION",
		  how, probe);
}

/* The harness must be able to fail: a getpid() in the loop kills it. */
Test(nosyscall, seccomp_kills_a_syscall_in_loop)
{
	char *argv[] = { probe, "--self-test-syscall", "--iters", "200",
			 region, NULL };
	char how[256];
	int status = run(argv);

	describe(status, how, sizeof(how));
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "with --self-test-syscall the probe should die of SIGSYS, "
		  "but it %s", how);
}

/*
 * Reader threads beside the loop: they read /dir/data while the loop
 * overwrites it, so the inode lock goes reader-biased and the writer
 * revokes the bias again and again.  Under a filter that covers every
 * thread, that too may take nothing but futex.
 */
Test(nosyscall, seccomp_readers_beside_writer_make_no_syscall)
{
	if (UNDER_SANITIZER)
		cr_skip_test("sanitizer runtimes make system calls of their own");

	char *argv[] = { probe, "--readers", "2", region, NULL };
	char how[256];
	int status = run(argv);

	describe(status, how, sizeof(how));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "nosyscall_probe --readers 2 under seccomp %s (9: a reader "
		  "thread failed or read nothing)", how);
}

/* ------------------------------------------------------------------ */
/* strace                                                              */
/* ------------------------------------------------------------------ */

/* What happened between the markers in an "strace -f -o" file. */
struct trace_summary {
	int begin, end;        /* markers seen */
	long futex;            /* futex calls of the probe's thread */
	long other_threads;    /* lines of other threads, not judged */
	long bad;              /* anything else of the probe's thread */
	char bad_list[1024];   /* "name name ..." of those, truncated */
	char bad_lines[2048];  /* the first of those lines, verbatim */
};

/* The system call a line of "strace -f" output is about. */
static void syscall_name(const char *p, char *name, size_t len)
{
	size_t n = 0;

	if (strncmp(p, "<... ", 5) == 0)        /* "<... futex resumed>" */
		p += 5;
	else if (strncmp(p, "---", 3) == 0 || strncmp(p, "+++", 3) == 0) {
		snprintf(name, len, "%.40s", p);  /* signal or exit */
		name[strcspn(name, "\n")] = 0;
		return;
	}
	while (p[n] && p[n] != '(' && p[n] != ' ' && p[n] != '\n' &&
	       n + 1 < len) {
		name[n] = p[n];
		n++;
	}
	name[n] = 0;
}

static void parse_trace(const char *path, struct trace_summary *s)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long tid = -1;

	memset(s, 0, sizeof(*s));
	cr_assert(f, "cannot open strace output %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *p = line, name[64];
		long pid = strtol(line, &p, 10);

		if (p == line)
			pid = -1;  /* no pid column: a single process */
		while (*p == ' ')
			p++;
		if (!s->begin) {
			if (strstr(p, "\"daxfs-loop-begin\"")) {
				s->begin = 1;
				tid = pid;
			}
			continue;
		}
		if (pid != tid) {
			s->other_threads++;
			continue;
		}
		if (strstr(p, "\"daxfs-loop-end\"")) {
			s->end = 1;
			break;
		}
		syscall_name(p, name, sizeof(name));
		if (strcmp(name, "futex") == 0) {
			s->futex++;
			continue;
		}
		s->bad++;
		size_t lused = strlen(s->bad_lines);
		if (lused + strlen(line) + 1 < sizeof(s->bad_lines))
			strcat(s->bad_lines, line);
		size_t used = strlen(s->bad_list);
		if (used + strlen(name) + 2 < sizeof(s->bad_list) &&
		    !strstr(s->bad_list, name))
			snprintf(s->bad_list + used, sizeof(s->bad_list) - used,
				 "%s%s", used ? " " : "", name);
	}
	free(line);
	fclose(f);
}

static void run_strace(int self_test, struct trace_summary *s)
{
	char *argv[12];
	int n = 0;
	char how[256];

	argv[n++] = STRACE;
	argv[n++] = "-f";
	argv[n++] = "-o";
	argv[n++] = trace;
	argv[n++] = probe;
	argv[n++] = "--no-seccomp";
	argv[n++] = "--iters";
	argv[n++] = self_test ? "200" : "3000";
	if (self_test)
		argv[n++] = "--self-test-syscall";
	argv[n++] = region;
	argv[n] = NULL;
	cr_assert(access(STRACE, X_OK) == 0, "%s is missing: install strace "
		  "(scripts/setup-deps.sh does)", STRACE);
	int status = run(argv);
	describe(status, how, sizeof(how));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "strace -f %s --no-seccomp: %s", probe, how);
	parse_trace(trace, s);
	cr_assert(s->begin && s->end, "markers not found in %s (begin %d, end "
		  "%d)", trace, s->begin, s->end);
	cr_log_info("between the markers: %ld futex, %ld other calls of the "
		    "probe's thread, %ld lines of other threads", s->futex,
		    s->bad, s->other_threads);
}

Test(nosyscall, strace_loop_only_futex)
{
	if (UNDER_SANITIZER)
		cr_skip_test("sanitizer runtimes make system calls of their own");

	struct trace_summary s;
	run_strace(0, &s);
	cr_assert(s.bad == 0, "the loop made %ld system calls besides futex: "
		  "%s; the first of them:\n%s", s.bad, s.bad_list, s.bad_lines);
}

/* The strace check must be able to fail too. */
Test(nosyscall, strace_catches_a_syscall_in_loop)
{
	if (UNDER_SANITIZER)
		cr_skip_test("LeakSanitizer does not run under ptrace");

	struct trace_summary s;
	run_strace(1, &s);
	cr_assert(s.bad >= 1 && strstr(s.bad_list, "getpid"),
		  "the getpid() of --self-test-syscall was not found between "
		  "the markers (found: \"%s\")", s.bad_list);
}

/* ------------------------------------------------------------------ */
/* The workload leaves a consistent file system                        */
/* ------------------------------------------------------------------ */

Test(nosyscall, workload_leaves_clean_ext2)
{
	char *argv[] = { probe, "--no-seccomp", "--iters", "1000", region,
			 NULL };
	char *fsck[] = { "/sbin/e2fsck", "-fn", region, NULL };
	char how[256];
	int status = run(argv);

	describe(status, how, sizeof(how));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "nosyscall_probe --no-seccomp %s", how);
	status = run(fsck);
	describe(status, how, sizeof(how));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "e2fsck -fn after the probe's workload %s", how);
}
