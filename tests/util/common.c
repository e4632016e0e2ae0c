/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.c -- test helpers that need no Criterion (see common.h).
 */
#define _GNU_SOURCE
#include "common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"
#define SHM_NAME "daxfs-test-"

/* ------------------------------------------------------------------ */
/* Errors and time                                                     */
/* ------------------------------------------------------------------ */

const char *test_errname(long long rc)
{
	static __thread char buf[32];
	const char *name;

	if (rc >= 0)
		return "OK";
	name = -rc < 4096 ? strerrorname_np((int)-rc) : NULL;
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %lld", -rc);
	return buf;
}

double test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* nanosleep() again after a signal, until the whole time has passed. */
void test_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Milliseconds through test_sleep_us(). */
void test_sleep_ms(long ms)
{
	test_sleep_us(ms * 1000L);
}

/* Count what is not "." or "..": the readdir callback of common.h. */
int test_count_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	(void)ino;
	(void)type;
	if (strcmp(name, ".") && strcmp(name, ".."))
		++*(int *)arg;
	return 0;
}

void test_fail(struct test_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (atomic_fetch_add(&e->count, 1) != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, " [\"%s\"]",
			 daxfs_errormsg());
}

/* Pass a thread's first failure on to the scenario's recorder. */
bool test_fail_pass(struct test_err *to, const char *who,
		    const struct test_err *from)
{
	if (!atomic_load(&from->count))
		return false;
	if (atomic_fetch_add(&to->count, 1) == 0)
		snprintf(to->msg, sizeof(to->msg), "%.100s: %.900s", who,
			 from->msg);
	return true;
}

/* ------------------------------------------------------------------ */
/* Temporary paths                                                     */
/* ------------------------------------------------------------------ */

char *test_shm_path(char *buf, size_t len, const char *tag)
{
	static atomic_uint counter;
	unsigned n = atomic_fetch_add(&counter, 1);

	snprintf(buf, len, SHM_DIR "/" SHM_NAME "%s-%ld-%u",
		 tag ? tag : "img", (long)getpid(), n);
	unlink(buf);
	return buf;
}

/* The PID in a name "daxfs-test-TAG-PID-N", or -1. */
static long shm_name_pid(const char *name)
{
	const char *last = strrchr(name, '-'), *p;

	if (strncmp(name, SHM_NAME, strlen(SHM_NAME)) || !last || !last[1])
		return -1;
	for (p = last + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	p = last - 1;
	while (p > name && isdigit((unsigned char)*p))
		p--;
	if (*p != '-' || p + 1 == last)
		return -1;
	return strtol(p + 1, NULL, 10);
}

bool test_shm_path_stale(const char *path)
{
	const char *base = strrchr(path, '/');
	long pid;

	if (strncmp(path, SHM_DIR "/", strlen(SHM_DIR) + 1) || base != path +
	    strlen(SHM_DIR))
		return false;
	pid = shm_name_pid(base + 1);
	if (pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) != 0 && errno != EPERM;
}

static int rm_cb(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) ? -1 : 0;
	return unlink(path) ? -1 : 0;
}

int test_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_cb, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void test_remove_stale(void)
{
	DIR *d = opendir(SHM_DIR);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), SHM_DIR "/%s", e->d_name);
		if (test_shm_path_stale(path))
			test_rm_rf(path);
	}
	closedir(d);
}

/* The paths to remove, each with the process that made it (a forked child
 * that exits must not remove its parent's files). */
static struct tmp_path {
	char *path;
	pid_t owner;
} *tmp_paths;
static size_t tmp_npaths;
static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;

/* Make a unique path for tag and remember it; the first call of a process
 * also removes stale entries and arranges test_cleanup() at exit. */
static const char *tmp_register(const char *tag)
{
	static pid_t setup_pid;
	struct tmp_path *n;
	char buf[256];
	char *p;

	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	test_shm_path(buf, sizeof(buf), tag);
	p = strdup(buf);
	if (!p)
		abort();
	pthread_mutex_lock(&tmp_lock);
	if (setup_pid != getpid()) {
		if (!setup_pid)
			atexit(test_cleanup);
		setup_pid = getpid();
		test_remove_stale();
	}
	n = realloc(tmp_paths, (tmp_npaths + 1) * sizeof(*tmp_paths));
	if (!n)
		abort();
	tmp_paths = n;
	tmp_paths[tmp_npaths].path = p;
	tmp_paths[tmp_npaths].owner = getpid();
	tmp_npaths++;
	pthread_mutex_unlock(&tmp_lock);
	return p;
}

const char *test_image_path(const char *tag)
{
	return tmp_register(tag);
}

const char *test_tmp_file(const char *tag)
{
	const char *p = tmp_register(tag);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		perror(p);
		return NULL;
	}
	close(fd);
	return p;
}

const char *test_tmp_dir(const char *tag)
{
	const char *p = tmp_register(tag);

	if (mkdir(p, 0755) != 0) {
		perror(p);
		return NULL;
	}
	return p;
}

void test_cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&tmp_lock);
	for (i = tmp_npaths; i-- > 0;) {
		if (tmp_paths[i].owner == getpid())
			test_rm_rf(tmp_paths[i].path);
		free(tmp_paths[i].path);
	}
	free(tmp_paths);
	tmp_paths = NULL;
	tmp_npaths = 0;
	pthread_mutex_unlock(&tmp_lock);
}

char *test_prog_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("DAXFS_TEST_BIN");

	if (!dir || !*dir)
		return NULL;
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Running programs                                                    */
/* ------------------------------------------------------------------ */

/* A growing NUL-terminated byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

extern char **environ;

/* The environment of the tools we run: ours, without pagers, in the C
 * locale (so that their output can be parsed).  Free the array only. */
static char **child_env(void)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof(char *));
	if (!env)
		abort();
	for (i = 0; i < n; i++) {
		if (!strncmp(environ[i], "DEBUGFS_PAGER=", 14) ||
		    !strncmp(environ[i], "PAGER=", 6) ||
		    !strncmp(environ[i], "LC_ALL=", 7))
			continue;
		env[k++] = environ[i];
	}
	env[k++] = "DEBUGFS_PAGER=__none__";
	env[k++] = "PAGER=__none__";
	env[k++] = "LC_ALL=C";
	env[k] = NULL;
	return env;
}

/* The executable for name: itself if it has a '/', else the first match in
 * PATH, /usr/sbin, /sbin (e2fsprogs live there, and PATH may lack them). */
static bool find_program(const char *name, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *dir, *save = NULL;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return true;
	}
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin",
		 env ? env : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", dir, name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* Read the child's pipes (nfd of them: stdout, then stderr) until both
 * are closed. */
static void read_pipes(int fds[2], int nfd, struct buf *ob, struct buf *eb)
{
	struct pollfd pf[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	int open_fds = nfd, i;
	char tmp[65536];
	ssize_t n;

	while (open_fds > 0) {
		if (poll(pf, nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < nfd; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			n = read(pf[i].fd, tmp, sizeof(tmp));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			buf_add(i == 0 ? ob : eb, tmp, (size_t)n);
		}
	}
	for (i = 0; i < nfd; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
}

int test_run(const char *const argv[], unsigned flags, char **out,
	     size_t *outlen, char **err)
{
	bool merge = flags & TEST_RUN_MERGE;
	int nfd = merge ? 1 : 2, pipes[2][2], rd[2], status, src, i;
	struct buf ob = { 0 }, eb = { 0 };
	posix_spawn_file_actions_t fa;
	char path[4096];
	char **env;
	pid_t pid;

	if (!find_program(argv[0], path, sizeof(path)))
		return -1;
	for (i = 0; i < nfd; i++) {
		if (pipe2(pipes[i], O_CLOEXEC)) {
			while (i-- > 0) {
				close(pipes[i][0]);
				close(pipes[i][1]);
			}
			return -1;
		}
		rd[i] = pipes[i][0];
	}
	fflush(stdout);
	fflush(stderr);
	/* posix_spawn (vfork-like) rather than fork: forking a big (e.g.
	 * ASan) process copies its page tables and is slow, and TSan does
	 * not like a fork while threads run. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipes[0][1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipes[nfd - 1][1], 2);
	env = child_env();
	src = posix_spawn(&pid, path, &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	for (i = 0; i < nfd; i++)
		close(pipes[i][1]);
	if (src != 0) {
		for (i = 0; i < nfd; i++)
			close(pipes[i][0]);
		return -1;
	}
	buf_add(&ob, "", 0);
	buf_add(&eb, "", 0);
	read_pipes(rd, nfd, &ob, &eb);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			free(ob.p);
			free(eb.p);
			return -1;
		}
	}
	if (out) {
		*out = ob.p;
		if (outlen)
			*outlen = ob.len;
	} else {
		free(ob.p);
	}
	if (err && !merge)
		*err = eb.p;
	else
		free(eb.p);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Run "/bin/sh -c CMD" for the printf format fmt: the exit status; *out
 * (if out) gets its stdout.  What it printed is shown on failure. */
__attribute__((format(printf, 3, 0))) static int run_sh(char **out,
							 size_t *len,
							 const char *fmt,
							 va_list ap)
{
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char *cmd, *o = NULL, *err = NULL;
	int rc;

	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	argv[2] = cmd;
	rc = test_run(argv, 0, &o, len, &err);
	if (rc != 0)
		fprintf(stderr, "command failed (status %d): %s\n%s%s\n", rc,
			cmd, o ? o : "", err ? err : "");
	if (out)
		*out = o;
	else
		free(o);
	free(err);
	free(cmd);
	return rc;
}

int test_sh(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = run_sh(NULL, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

char *test_sh_capture(size_t *len, const char *fmt, ...)
{
	char *out = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = run_sh(&out, len, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* e2fsprogs                                                           */
/* ------------------------------------------------------------------ */

int test_mke2fs(const char *img, unsigned bs, uint64_t size_bytes,
		const char *const extra[])
{
	const char *argv[64];
	char bsz[32], sz[32], *out = NULL;
	int n = 0, i, rc;

	snprintf(bsz, sizeof(bsz), "%u", bs);
	snprintf(sz, sizeof(sz), "%lluk",
		 (unsigned long long)(size_bytes / 1024));
	argv[n++] = "mke2fs";
	argv[n++] = "-q";
	argv[n++] = "-F";
	argv[n++] = "-t";
	argv[n++] = "ext2";
	argv[n++] = "-b";
	argv[n++] = bsz;
	for (i = 0; extra && extra[i] && n < 58; i++)
		argv[n++] = extra[i];
	argv[n++] = img;
	argv[n++] = sz;
	argv[n] = NULL;
	rc = test_run(argv, TEST_RUN_MERGE, &out, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "mke2fs %s failed (status %d):\n%s\n", img, rc,
			out ? out : "");
	free(out);
	return rc;
}

int test_e2fsck(const char *img, char **outp)
{
	const char *argv[] = { "e2fsck", "-fn", img, NULL };
	char *out = NULL;
	int rc = test_run(argv, TEST_RUN_MERGE, &out, NULL, NULL);

	if (outp) {
		*outp = out;
		return rc;
	}
	if (rc != 0)
		fprintf(stderr, "e2fsck -fn %s exited %d:\n%s\n", img, rc,
			out ? out : "");
	free(out);
	return rc;
}

/* Drop the "debugfs 1.47.0 (5-Feb-2023)" banner line(s) from stderr. */
static void strip_banner(char *s)
{
	char *dst = s, *src = s, *nl;
	size_t n;

	while (*src) {
		nl = strchr(src, '\n');
		n = nl ? (size_t)(nl - src + 1) : strlen(src);
		if (!(strncmp(src, "debugfs ", 8) == 0 &&
		      isdigit((unsigned char)src[8]))) {
			memmove(dst, src, n);
			dst += n;
		}
		src += n;
	}
	*dst = '\0';
}

/* Run debugfs with argv: stdout, or NULL if it could not run; *err (if
 * err) gets stderr without the banner.  *status gets the exit status. */
static char *run_debugfs(const char *const argv[], size_t *len, char **err,
			 int *status)
{
	char *out = NULL, *e = NULL;
	int rc = test_run(argv, 0, &out, len, &e);

	if (rc < 0) {
		free(out);
		free(e);
		return NULL;
	}
	strip_banner(e);
	if (err)
		*err = e;
	else
		free(e);
	if (status)
		*status = rc;
	return out;
}

char *test_debugfs(const char *img, const char *cmd, size_t *len, char **err)
{
	const char *argv[] = { "debugfs", "-R", cmd, img, NULL };

	return run_debugfs(argv, len, err, NULL);
}

/* A temporary file holding cmds (malloc'd path), or NULL. */
static char *cmdfile(const char *cmds)
{
	char path[256];
	size_t len = strlen(cmds), done = 0;
	ssize_t n;
	int fd;

	test_shm_path(path, sizeof(path), "dfscmd");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	while (done < len) {
		n = write(fd, cmds + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return strdup(path);
}

char *test_debugfs_batch(const char *img, const char *cmds, char **err)
{
	char *cf = cmdfile(cmds), *out;

	if (!cf)
		return NULL;
	const char *argv[] = { "debugfs", "-f", cf, img, NULL };

	if (!img)
		argv[3] = NULL; /* the commands open it */
	out = run_debugfs(argv, NULL, err, NULL);
	unlink(cf);
	free(cf);
	return out;
}

char *test_debugfs_live(const char *img, const char *cmd, char **err)
{
	char *cmds, *out;

	if (asprintf(&cmds, "open -f %s\n%s\n", img, cmd) < 0)
		abort();
	out = test_debugfs_batch(NULL, cmds, err);
	free(cmds);
	return out;
}

int test_log_extent(const char *img, uint64_t *off, uint64_t *len)
{
	char *err = NULL, *out = test_debugfs(img, "blocks <5>", NULL, &err);
	char *bs = test_dumpe2fs_field(img, "Block size");
	unsigned long first = 0, last = 0, b;
	char *p, *end;

	*off = *len = 0;
	for (p = out; p && *p; p = end) {
		b = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (!first)
			first = b;
		last = b;
	}
	if (first && bs) {
		*off = (uint64_t)first * strtoul(bs, NULL, 10);
		*len = (uint64_t)(last - first + 1) * strtoul(bs, NULL, 10);
	}
	free(out);
	free(err);
	free(bs);
	return first && bs ? 0 : -1;
}

int test_debugfs_w(const char *img, const char *cmds)
{
	char *cf = cmdfile(cmds), *out, *err = NULL;
	int rc = -1;

	if (!cf)
		return -1;
	const char *argv[] = { "debugfs", "-w", "-f", cf, img, NULL };

	out = run_debugfs(argv, NULL, &err, &rc);
	unlink(cf);
	free(cf);
	if (rc == 0 && err && err[0])
		rc = 1000;
	if (rc != 0)
		fprintf(stderr,
			"debugfs -w %s failed (status %d):\n--- stderr\n%s\n"
			"--- stdout (tail)\n%s\n",
			img, rc, err ? err : "",
			out ? (strlen(out) > 4000 ? out + strlen(out) - 4000
						  : out)
			    : "");
	free(out);
	free(err);
	return rc;
}

/* Where the value after key starts in text, or NULL. */
static const char *find_key(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? p + strlen(key) : NULL;
}

int test_parse_dstat(const char *text, struct test_dstat *st)
{
	const char *p;

	memset(st, 0, sizeof(*st));
	if (!(p = find_key(text, "Inode: ")))
		return -1;
	st->ino = strtoull(p, NULL, 10);
	if ((p = find_key(text, "Type: ")))
		sscanf(p, "%15s", st->type);
	if ((p = find_key(text, "Mode: ")))
		st->mode = (unsigned)strtoul(p, NULL, 8);
	if ((p = find_key(text, "Flags: ")))
		st->flags = (unsigned)strtoul(p, NULL, 16);
	if ((p = find_key(text, "Links: ")))
		st->links = (unsigned)strtoul(p, NULL, 10);
	if ((p = find_key(text, "Blockcount: ")))
		st->blockcount = strtoull(p, NULL, 10);
	/* "Size: " also occurs in "Fragment: Address: 0 Number: 0 Size: 0"
	 * which comes later; the first one is the file size. */
	if ((p = find_key(text, "Size: ")))
		st->size = strtoull(p, NULL, 10);
	if ((p = find_key(text, "User: ")))
		st->uid = (unsigned)strtoul(p, NULL, 10);
	if ((p = find_key(text, "Group: ")))
		st->gid = (unsigned)strtoul(p, NULL, 10);
	if ((p = find_key(text, "atime: 0x")))
		st->atime = (int64_t)strtoull(p, NULL, 16);
	if ((p = find_key(text, "mtime: 0x")))
		st->mtime = (int64_t)strtoull(p, NULL, 16);
	if ((p = find_key(text, "ctime: 0x")))
		st->ctime = (int64_t)strtoull(p, NULL, 16);
	if ((p = find_key(text, "Fast link dest: \""))) {
		const char *end = strrchr(p, '"');
		size_t n = end && end >= p ? (size_t)(end - p) : 0;

		if (n >= sizeof(st->fastlink))
			n = sizeof(st->fastlink) - 1;
		memcpy(st->fastlink, p, n);
		st->fastlink[n] = '\0';
		st->has_fastlink = true;
	}
	return 0;
}

/* debugfs -R "stat PATH": its output (malloc'd), or NULL. */
static char *debugfs_stat_text(const char *img, const char *path)
{
	char *cmd, *out;

	if (asprintf(&cmd, "stat \"%s\"", path) < 0)
		abort();
	out = test_debugfs(img, cmd, NULL, NULL);
	free(cmd);
	return out;
}

int test_debugfs_stat(const char *img, const char *path,
		      struct test_dstat *st)
{
	char *out = debugfs_stat_text(img, path);
	int rc = out ? test_parse_dstat(out, st) : -1;

	free(out);
	return rc;
}

char *test_debugfs_cat(const char *img, const char *path, size_t *len)
{
	char *cmd, *err = NULL, *out;

	if (asprintf(&cmd, "cat \"%s\"", path) < 0)
		abort();
	out = test_debugfs(img, cmd, len, &err);
	free(cmd);
	if (err && err[0]) {
		fprintf(stderr, "debugfs cat %s: %s\n", path, err);
		free(out);
		out = NULL;
	}
	free(err);
	return out;
}

char *test_debugfs_readlink(const char *img, const char *path)
{
	char *out = debugfs_stat_text(img, path), *res;
	struct test_dstat st;
	const char *p;
	size_t len = 0;

	if (!out)
		return NULL;
	if (test_parse_dstat(out, &st) != 0 || strcmp(st.type, "symlink")) {
		free(out);
		return NULL;
	}
	/* A fast link's target is printed by stat; a slow one's is the
	 * content of its data block, which "cat" prints. */
	p = find_key(out, "Fast link dest: \"");
	if (p) {
		const char *end = strrchr(p, '"');

		res = strndup(p, end && end >= p ? (size_t)(end - p) : 0);
	} else {
		res = test_debugfs_cat(img, path, &len);
	}
	free(out);
	return res;
}

int test_parse_ls(const char *text, struct test_dent **ents)
{
	size_t cap = 64, n = 0;
	struct test_dent *a = calloc(cap, sizeof(*a));
	char *copy = strdup(text), *save = NULL, *l;

	if (!a || !copy)
		abort();
	for (l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		/* /ino/mode/uid/gid/name/size/ -- name has no '/' */
		char *f[7], *q = l + 1, *s;
		int nf = 0;

		if (l[0] != '/')
			continue;
		while (nf < 7) {
			f[nf++] = q;
			s = strchr(q, '/');
			if (!s)
				break;
			*s = '\0';
			q = s + 1;
		}
		/* Empty slots (inode 0, e.g. the fake entries covering htree
		 * nodes or freed space) are not entries. */
		if (nf < 6 || strtoull(f[0], NULL, 10) == 0)
			continue;
		if (n == cap) {
			cap *= 2;
			a = realloc(a, cap * sizeof(*a));
			if (!a)
				abort();
		}
		memset(&a[n], 0, sizeof(a[n]));
		a[n].ino = strtoull(f[0], NULL, 10);
		a[n].mode = (unsigned)strtoul(f[1], NULL, 8);
		snprintf(a[n].name, sizeof(a[n].name), "%s", f[4]);
		a[n].size = strtoull(f[5], NULL, 10);
		n++;
	}
	free(copy);
	*ents = a;
	return (int)n;
}

int test_debugfs_ls(const char *img, const char *dir,
		    struct test_dent **ents)
{
	char *cmd, *err = NULL, *out;
	int n = -1;

	if (asprintf(&cmd, "ls -p \"%s\"", dir) < 0)
		abort();
	out = test_debugfs(img, cmd, NULL, &err);
	free(cmd);
	if (err && err[0])
		fprintf(stderr, "debugfs ls -p %s: %s\n", dir, err);
	else if (out)
		n = test_parse_ls(out, ents);
	free(out);
	free(err);
	return n;
}

long long test_debugfs_bmap(const char *img, const char *path, uint64_t lblk)
{
	char *cmd, *err = NULL, *out;
	long long r = -1;

	if (asprintf(&cmd, "bmap \"%s\" %llu", path,
		     (unsigned long long)lblk) < 0)
		abort();
	out = test_debugfs(img, cmd, NULL, &err);
	free(cmd);
	if (out && (!err || !err[0]) && isdigit((unsigned char)out[0]))
		r = strtoll(out, NULL, 10);
	else if (err && err[0])
		fprintf(stderr, "debugfs bmap %s %llu: %s\n", path,
			(unsigned long long)lblk, err);
	free(out);
	free(err);
	return r;
}

char *test_dumpe2fs_field(const char *img, const char *field)
{
	/* -f: also while libdaxfs has it mounted (its in-use INCOMPAT bit,
	 * ext2/journal.h, stops every e2fsprogs tool without it). */
	const char *argv[] = { "dumpe2fs", "-f", "-h", img, NULL };
	char *out = NULL, *res = NULL, *save = NULL, *l, *v;
	size_t fl = strlen(field), vl;

	if (test_run(argv, 0, &out, NULL, NULL) != 0 || !out) {
		free(out);
		return NULL;
	}
	for (l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, field, fl) != 0 || l[fl] != ':')
			continue;
		v = l + fl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		res = strdup(v);
		break;
	}
	free(out);
	return res;
}

/* ------------------------------------------------------------------ */
/* Deterministic data                                                  */
/* ------------------------------------------------------------------ */

uint64_t test_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

const uint8_t test_acl_xattr[44] = {
	2, 0, 0, 0,
	0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
	0x02, 0, 4, 0, 0xe8, 0x03, 0, 0,
	0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
	0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
	0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
};

/* Byte pos of pattern seed: one mixed 64-bit word per 8 bytes, never 0. */
static unsigned char pattern_byte(uint64_t seed, uint64_t pos)
{
	uint64_t z = seed * 0x9E3779B97F4A7C15ULL + (pos >> 3);

	z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ULL;
	z ^= z >> 29;
	return (unsigned char)(z >> ((pos & 7) * 8)) | 1;
}

void test_pattern(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, off + i);
}

long test_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			   uint64_t off)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, off + i))
			return (long)i;
	return -1;
}

long test_first_nonzero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

long test_first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	if (memcmp(x, y, len) == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Host files                                                          */
/* ------------------------------------------------------------------ */

char *test_read_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	struct stat st;
	char *buf, *nb;
	ssize_t n;

	if (fd < 0)
		return NULL;
	/* Images are big: room for the whole file and the read of EOF. */
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		cap = (size_t)st.st_size + 4096;
	buf = malloc(cap);
	if (!buf)
		abort();
	for (;;) {
		if (len + 1 == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				abort();
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

int test_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

int test_write_pattern_file(const char *path, uint64_t size, uint64_t seed)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t chunk = size < (1 << 20) ? (size_t)size + 1 : 1 << 20, n;
	uint64_t off = 0;
	char *buf;
	int rc = 0;

	if (fd < 0)
		return -1;
	buf = malloc(chunk);
	if (!buf)
		abort();
	while (off < size) {
		n = size - off < chunk ? (size_t)(size - off) : chunk;
		test_pattern(buf, n, seed, off);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			rc = -1;
			break;
		}
		off += n;
	}
	free(buf);
	if (close(fd))
		rc = -1;
	return rc;
}

long long test_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return st.st_size;
}

uint64_t test_rss_anon(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* ------------------------------------------------------------------ */
/* libdaxfs without assertions                                         */
/* ------------------------------------------------------------------ */

int test_mkfs(const char *path, uint64_t size, uint32_t block_size,
	      uint32_t inodes)
{
	struct daxfs_mkfs_opts o;

	memset(&o, 0, sizeof(o));
	o.size = size;
	o.block_size = block_size;
	o.inodes = inodes;
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	return daxfs_mkfs(path, &o);
}

int test_mkfs_mount(const char *path, uint64_t size, uint32_t block_size,
		    uint32_t inodes, daxfs **fs)
{
	int ret = test_mkfs(path, size, block_size, inodes);

	if (ret)
		return ret;
	return daxfs_mount(path, 0, fs);
}
