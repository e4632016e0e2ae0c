/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * interop_util.c -- helpers for the interoperability tests (see
 * interop_util.h).
 */
#define _GNU_SOURCE
#include "interop_util.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Temporary files                                                     */
/* ------------------------------------------------------------------ */

#define IU_DIR "/dev/shm"
#define IU_NAME "daxfs-iu-"
#define IU_PREFIX IU_DIR "/" IU_NAME

struct iu_tmp {
	char *path;
	bool is_mount;
};

static struct iu_tmp *iu_tmps;
static size_t iu_ntmps, iu_captmps;

static void iu_remember(char *path, bool is_mount)
{
	if (iu_ntmps == iu_captmps) {
		iu_captmps = iu_captmps ? iu_captmps * 2 : 16;
		iu_tmps = realloc(iu_tmps, iu_captmps * sizeof(*iu_tmps));
		if (!iu_tmps)
			abort();
	}
	iu_tmps[iu_ntmps].path = path;
	iu_tmps[iu_ntmps].is_mount = is_mount;
	iu_ntmps++;
}

static bool iu_pid_alive(int pid);
static bool iu_is_mounted(const char *mnt);
static void iu_detach_loops(const char *img);
static void iu_force_umount(const char *mnt);

/* The PID in IU_NAME "TAG-PID-XXXXXX", or -1. */
static int iu_pid_of(const char *name)
{
	const char *last = strrchr(name, '-');
	if (!last || strlen(last + 1) != 6 || last == name)
		return -1;
	const char *p = last - 1;
	while (p > name && isdigit((unsigned char)*p))
		p--;
	if (*p != '-' || p + 1 == last)
		return -1;
	return atoi(p + 1);
}

/* Remove what earlier test processes that crashed (so never ran their
 * cleanup) left in /dev/shm: only our own names, only of dead PIDs. */
static void iu_reap_stale(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	DIR *d = opendir(IU_DIR);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, IU_NAME, strlen(IU_NAME)) != 0)
			continue;
		int pid = iu_pid_of(e->d_name);
		if (pid <= 0 || pid == getpid() || iu_pid_alive(pid))
			continue;
		char path[512];
		snprintf(path, sizeof(path), IU_DIR "/%s", e->d_name);
		if (iu_is_mounted(path))
			iu_force_umount(path);
		iu_detach_loops(path);
		iu_rm_rf(path);
	}
	closedir(d);
}

static char *iu_mktemplate(const char *tag)
{
	iu_reap_stale();
	char *p;
	if (asprintf(&p, IU_PREFIX "%s-%d-XXXXXX", tag ? tag : "tmp",
		     (int)getpid()) < 0)
		abort();
	return p;
}

const char *iu_tmp_image(const char *tag)
{
	char *p = iu_mktemplate(tag);
	int fd = mkstemp(p);
	if (fd < 0) {
		perror("mkstemp");
		free(p);
		return NULL;
	}
	close(fd);
	iu_remember(p, false);
	return p;
}

const char *iu_tmp_missing(const char *tag)
{
	const char *p = iu_tmp_image(tag);
	if (p)
		unlink(p);
	return p;
}

const char *iu_tmp_dir(const char *tag)
{
	char *p = iu_mktemplate(tag);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		free(p);
		return NULL;
	}
	iu_remember(p, false);
	return p;
}

static int iu_rm_cb(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) ? -1 : 0;
	return unlink(path) ? -1 : 0;
}

int iu_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, iu_rm_cb, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool iu_is_mounted(const char *mnt)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[4096];
	bool found = false;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char dev[2048], dir[2048];
		if (sscanf(line, "%2047s %2047s", dev, dir) == 2 &&
		    strcmp(dir, mnt) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

static void iu_force_umount(const char *mnt)
{
	for (int i = 0; i < 50 && iu_is_mounted(mnt); i++) {
		if (umount(mnt) != 0) {
			if (errno == EBUSY) {
				usleep(100 * 1000);
				continue;
			}
			break;
		}
	}
	if (iu_is_mounted(mnt))
		umount2(mnt, MNT_DETACH);
}

/* Detach loop devices still backed by img (left by a failed mount). */
static void iu_detach_loops(const char *img)
{
	const char *argv[] = {"losetup", "-j", img, NULL};
	char *out = NULL;
	if (access(img, F_OK) != 0)
		return;
	if (iu_run(argv, &out, NULL, NULL) == 0 && out) {
		char *save = NULL;
		for (char *l = strtok_r(out, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *colon = strchr(l, ':');
			if (!colon)
				continue;
			*colon = '\0';
			const char *dargv[] = {"losetup", "-d", l, NULL};
			iu_run(dargv, NULL, NULL, NULL);
		}
	}
	free(out);
}

void iu_cleanup(void)
{
	/* Mounts first (newest first), then files and directories. */
	for (size_t i = iu_ntmps; i-- > 0;) {
		if (iu_tmps[i].is_mount) {
			iu_force_umount(iu_tmps[i].path);
			free(iu_tmps[i].path);
			iu_tmps[i].path = NULL;
		}
	}
	for (size_t i = iu_ntmps; i-- > 0;) {
		if (!iu_tmps[i].path)
			continue;
		iu_detach_loops(iu_tmps[i].path);
		iu_rm_rf(iu_tmps[i].path);
		free(iu_tmps[i].path);
	}
	free(iu_tmps);
	iu_tmps = NULL;
	iu_ntmps = iu_captmps = 0;
}

/* ------------------------------------------------------------------ */
/* Running commands                                                    */
/* ------------------------------------------------------------------ */

struct iu_buf {
	char *p;
	size_t len, cap;
};

static void iu_buf_add(struct iu_buf *b, const char *d, size_t n)
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
 * locale (so that their output can be parsed). */
static char **iu_child_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 4, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
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

int iu_run(const char *const argv[], char **out, size_t *outlen, char **err)
{
	int op[2], ep[2];
	if (pipe2(op, O_CLOEXEC))
		return -1;
	if (pipe2(ep, O_CLOEXEC)) {
		close(op[0]);
		close(op[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	/* posix_spawn (vfork-like) rather than fork: forking a big
	 * (e.g. ASan) process copies its page tables and is slow. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	char **env = iu_child_env();
	pid_t pid;
	int src = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
			       env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (src != 0) {
		close(op[0]);
		close(op[1]);
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	close(op[1]);
	close(ep[1]);
	struct iu_buf ob = {0}, eb = {0};
	iu_buf_add(&ob, "", 0);
	iu_buf_add(&eb, "", 0);
	struct pollfd pf[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
	int open_fds = 2;
	char tmp[65536];
	while (open_fds > 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			ssize_t n = read(pf[i].fd, tmp, sizeof(tmp));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			iu_buf_add(i == 0 ? &ob : &eb, tmp, (size_t)n);
		}
	}
	int status;
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
	if (err)
		*err = eb.p;
	else
		free(eb.p);
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static char *iu_vfmt(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

int iu_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = iu_vfmt(fmt, ap);
	va_end(ap);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	char *out = NULL, *err = NULL;
	int rc = iu_run(argv, &out, NULL, &err);
	if (rc != 0)
		fprintf(stderr, "command failed (status %d): %s\n%s%s\n", rc,
			cmd, out ? out : "", err ? err : "");
	free(out);
	free(err);
	free(cmd);
	return rc;
}

char *iu_sh_capture(size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = iu_vfmt(fmt, ap);
	va_end(ap);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	char *out = NULL, *err = NULL;
	int rc = iu_run(argv, &out, len, &err);
	if (rc != 0) {
		fprintf(stderr, "command failed (status %d): %s\n%s\n", rc, cmd,
			err ? err : "");
		free(out);
		out = NULL;
	}
	free(err);
	free(cmd);
	return out;
}

/* ------------------------------------------------------------------ */
/* e2fsprogs                                                           */
/* ------------------------------------------------------------------ */

int iu_mke2fs(const char *img, unsigned bs, uint64_t size_bytes,
	      const char *const extra[])
{
	const char *argv[64];
	char bsz[32], sz[32];
	int n = 0;
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
	for (int i = 0; extra && extra[i] && n < 58; i++)
		argv[n++] = extra[i];
	argv[n++] = img;
	argv[n++] = sz;
	argv[n] = NULL;
	char *out = NULL, *err = NULL;
	int rc = iu_run(argv, &out, NULL, &err);
	if (rc != 0)
		fprintf(stderr, "mke2fs %s failed (status %d):\n%s%s\n", img,
			rc, out ? out : "", err ? err : "");
	free(out);
	free(err);
	return rc;
}

int iu_e2fsck_out(const char *img, char **outp)
{
	const char *argv[] = {"e2fsck", "-fn", img, NULL};
	char *out = NULL, *err = NULL;
	int rc = iu_run(argv, &out, NULL, &err);
	struct iu_buf b = {0};
	iu_buf_add(&b, out ? out : "", out ? strlen(out) : 0);
	iu_buf_add(&b, err ? err : "", err ? strlen(err) : 0);
	free(out);
	free(err);
	if (outp)
		*outp = b.p;
	else
		free(b.p);
	return rc;
}

int iu_e2fsck(const char *img)
{
	char *out = NULL;
	int rc = iu_e2fsck_out(img, &out);
	if (rc != 0)
		fprintf(stderr, "e2fsck -fn %s: exit status %d\n%s\n", img, rc,
			out ? out : "");
	free(out);
	return rc;
}

/* Drop the "debugfs 1.47.0 (5-Feb-2023)" banner line(s) from stderr. */
static void iu_strip_banner(char *s)
{
	char *dst = s, *src = s;
	while (*src) {
		char *nl = strchr(src, '\n');
		size_t n = nl ? (size_t)(nl - src + 1) : strlen(src);
		if (!(strncmp(src, "debugfs ", 8) == 0 &&
		      isdigit((unsigned char)src[8]))) {
			memmove(dst, src, n);
			dst += n;
		}
		src += n;
	}
	*dst = '\0';
}

char *iu_debugfs(const char *img, const char *cmd, size_t *len, char **err)
{
	const char *argv[] = {"debugfs", "-R", cmd, img, NULL};
	char *out = NULL, *e = NULL;
	int rc = iu_run(argv, &out, len, &e);
	if (rc < 0) {
		free(out);
		free(e);
		return NULL;
	}
	if (e)
		iu_strip_banner(e);
	if (err)
		*err = e;
	else
		free(e);
	return out;
}

static char *iu_cmdfile(const char *cmds)
{
	char *cf;
	if (asprintf(&cf, IU_PREFIX "dfscmd-%d-XXXXXX", (int)getpid()) < 0)
		abort();
	int fd = mkstemp(cf);
	if (fd < 0) {
		free(cf);
		return NULL;
	}
	size_t len = strlen(cmds), done = 0;
	while (done < len) {
		ssize_t n = write(fd, cmds + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return cf;
}

char *iu_debugfs_batch(const char *img, const char *cmds, char **err)
{
	char *cf = iu_cmdfile(cmds);
	if (!cf)
		return NULL;
	const char *argv[] = {"debugfs", "-f", cf, img, NULL};
	char *out = NULL, *e = NULL;
	int rc = iu_run(argv, &out, NULL, &e);
	unlink(cf);
	free(cf);
	if (e)
		iu_strip_banner(e);
	if (rc < 0) {
		free(out);
		free(e);
		return NULL;
	}
	if (err)
		*err = e;
	else
		free(e);
	return out;
}

int iu_debugfs_w(const char *img, const char *cmds)
{
	char *cf = iu_cmdfile(cmds);
	if (!cf)
		return -1;
	const char *argv[] = {"debugfs", "-w", "-f", cf, img, NULL};
	char *out = NULL, *err = NULL;
	int rc = iu_run(argv, &out, NULL, &err);
	unlink(cf);
	free(cf);
	if (err)
		iu_strip_banner(err);
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

static const char *iu_find_key(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? p + strlen(key) : NULL;
}

int iu_parse_dstat(const char *text, struct iu_dstat *st)
{
	memset(st, 0, sizeof(*st));
	const char *p;
	if (!(p = iu_find_key(text, "Inode: ")))
		return -1;
	st->ino = strtoull(p, NULL, 10);
	if ((p = iu_find_key(text, "Type: ")))
		sscanf(p, "%15s", st->type);
	if ((p = iu_find_key(text, "Mode: ")))
		st->mode = (unsigned)strtoul(p, NULL, 8);
	if ((p = iu_find_key(text, "Flags: ")))
		st->flags = (unsigned)strtoul(p, NULL, 16);
	if ((p = iu_find_key(text, "Links: ")))
		st->links = (unsigned)strtoul(p, NULL, 10);
	if ((p = iu_find_key(text, "Blockcount: ")))
		st->blockcount = strtoull(p, NULL, 10);
	/* "Size: " also occurs in "Fragment: Address: 0 Number: 0 Size: 0"
	 * which comes later; the first one is the file size. */
	if ((p = iu_find_key(text, "Size: ")))
		st->size = strtoull(p, NULL, 10);
	if ((p = iu_find_key(text, "User: ")))
		st->uid = (unsigned)strtoul(p, NULL, 10);
	if ((p = iu_find_key(text, "Group: ")))
		st->gid = (unsigned)strtoul(p, NULL, 10);
	if ((p = iu_find_key(text, "atime: 0x")))
		st->atime = (int64_t)strtoull(p, NULL, 16);
	if ((p = iu_find_key(text, "mtime: 0x")))
		st->mtime = (int64_t)strtoull(p, NULL, 16);
	if ((p = iu_find_key(text, "ctime: 0x")))
		st->ctime = (int64_t)strtoull(p, NULL, 16);
	if ((p = iu_find_key(text, "Fast link dest: \""))) {
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

int iu_debugfs_stat(const char *img, const char *path, struct iu_dstat *st)
{
	char *cmd;
	if (asprintf(&cmd, "stat \"%s\"", path) < 0)
		abort();
	char *out = iu_debugfs(img, cmd, NULL, NULL);
	free(cmd);
	int rc = out ? iu_parse_dstat(out, st) : -1;
	free(out);
	return rc;
}

char *iu_debugfs_cat(const char *img, const char *path, size_t *len)
{
	char *cmd, *err = NULL;
	if (asprintf(&cmd, "cat \"%s\"", path) < 0)
		abort();
	char *out = iu_debugfs(img, cmd, len, &err);
	free(cmd);
	if (err && err[0]) {
		fprintf(stderr, "debugfs cat %s: %s\n", path, err);
		free(out);
		out = NULL;
	}
	free(err);
	return out;
}

char *iu_debugfs_readlink(const char *img, const char *path)
{
	char *cmd;
	if (asprintf(&cmd, "stat \"%s\"", path) < 0)
		abort();
	char *out = iu_debugfs(img, cmd, NULL, NULL);
	free(cmd);
	if (!out)
		return NULL;
	struct iu_dstat st;
	if (iu_parse_dstat(out, &st) != 0 || strcmp(st.type, "symlink")) {
		free(out);
		return NULL;
	}
	/* A fast link's target is printed by stat; a slow one's is the
	 * content of its data block, which "cat" prints. */
	const char *p = iu_find_key(out, "Fast link dest: \"");
	char *res;
	if (p) {
		const char *end = strrchr(p, '"');
		res = strndup(p, end && end >= p ? (size_t)(end - p) : 0);
	} else {
		size_t len = 0;
		res = iu_debugfs_cat(img, path, &len);
	}
	free(out);
	return res;
}

int iu_debugfs_ls(const char *img, const char *dir, struct iu_dent **ents)
{
	char *cmd, *err = NULL;
	if (asprintf(&cmd, "ls -p \"%s\"", dir) < 0)
		abort();
	char *out = iu_debugfs(img, cmd, NULL, &err);
	free(cmd);
	if (!out || (err && err[0])) {
		if (err && err[0])
			fprintf(stderr, "debugfs ls -p %s: %s\n", dir, err);
		free(out);
		free(err);
		return -1;
	}
	free(err);
	size_t cap = 64, n = 0;
	struct iu_dent *a = calloc(cap, sizeof(*a));
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		/* /ino/mode/uid/gid/name/size/ -- name has no '/' */
		if (l[0] != '/')
			continue;
		char *f[7];
		int nf = 0;
		char *q = l + 1;
		while (nf < 7) {
			f[nf++] = q;
			char *s = strchr(q, '/');
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
		}
		memset(&a[n], 0, sizeof(a[n]));
		a[n].ino = strtoull(f[0], NULL, 10);
		a[n].mode = (unsigned)strtoul(f[1], NULL, 8);
		snprintf(a[n].name, sizeof(a[n].name), "%s", f[4]);
		a[n].size = strtoull(f[5], NULL, 10);
		n++;
	}
	free(out);
	*ents = a;
	return (int)n;
}

long long iu_debugfs_bmap(const char *img, const char *path, uint64_t lblk)
{
	char *cmd, *err = NULL;
	if (asprintf(&cmd, "bmap \"%s\" %llu", path,
		     (unsigned long long)lblk) < 0)
		abort();
	char *out = iu_debugfs(img, cmd, NULL, &err);
	free(cmd);
	long long r = -1;
	if (out && (!err || !err[0]) && isdigit((unsigned char)out[0]))
		r = strtoll(out, NULL, 10);
	else if (err && err[0])
		fprintf(stderr, "debugfs bmap %s %llu: %s\n", path,
			(unsigned long long)lblk, err);
	free(out);
	free(err);
	return r;
}

char *iu_dumpe2fs_field(const char *img, const char *field)
{
	const char *argv[] = {"dumpe2fs", "-h", img, NULL};
	char *out = NULL;
	int rc = iu_run(argv, &out, NULL, NULL);
	if (rc != 0 || !out) {
		free(out);
		return NULL;
	}
	char *res = NULL, *save = NULL;
	size_t fl = strlen(field);
	for (char *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, field, fl) == 0 && l[fl] == ':') {
			char *v = l + fl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vl = strlen(v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				v[--vl] = '\0';
			res = strdup(v);
			break;
		}
	}
	free(out);
	return res;
}

/* ------------------------------------------------------------------ */
/* The kernel                                                          */
/* ------------------------------------------------------------------ */

static bool iu_pid_alive(int pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Unmount mounts our own earlier test processes left behind when they
 * crashed (mount points named IU_PREFIX...-PID-XXXXXX). */
static void iu_reap_stale_mounts(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[4096];
	char stale[16][2048];
	int n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n < 16) {
		char dev[2048], dir[2048];
		if (sscanf(line, "%2047s %2047s", dev, dir) != 2)
			continue;
		if (strncmp(dir, IU_PREFIX, strlen(IU_PREFIX)) != 0)
			continue;
		int pid = iu_pid_of(dir + strlen(IU_DIR) + 1);
		if (pid > 0 && pid != getpid() && !iu_pid_alive(pid))
			snprintf(stale[n++], sizeof(stale[0]), "%s", dir);
	}
	fclose(f);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "unmounting stale test mount %s\n", stale[i]);
		iu_force_umount(stale[i]);
	}
}

bool iu_kernel_mount_works(const char **why)
{
	static char reason[512];
	if (geteuid() != 0) {
		*why = "not running as root: mount -o loop needs root";
		return false;
	}
	iu_reap_stale_mounts();
	const char *img = iu_tmp_image("kprobe");
	const char *mnt = iu_tmp_dir("kprobemnt");
	if (!img || !mnt) {
		*why = "cannot create temporary files on /dev/shm";
		return false;
	}
	if (iu_mke2fs(img, 1024, 4 << 20, NULL) != 0) {
		*why = "mke2fs failed on a throwaway image";
		return false;
	}
	const char *argv[] = {"mount", "-t", "ext2", "-o", "loop,ro", img,
			      mnt, NULL};
	char *err = NULL;
	int rc = iu_run(argv, NULL, NULL, &err);
	if (rc != 0) {
		snprintf(reason, sizeof(reason),
			 "mount -t ext2 -o loop,ro of a throwaway image failed "
			 "(status %d): %s",
			 rc, err ? err : "");
		free(err);
		*why = reason;
		iu_detach_loops(img);
		return false;
	}
	free(err);
	iu_force_umount(mnt);
	iu_detach_loops(img);
	return true;
}

int iu_kmount(const char *img, const char *mnt, bool ro)
{
	const char *argv[] = {"mount", "-t", "ext2", "-o",
			      ro ? "loop,ro" : "loop", img, mnt, NULL};
	char *err = NULL;
	int rc = iu_run(argv, NULL, NULL, &err);
	/* Loop device set-up can race with other users of /dev/loop*:
	 * retry a few times before reporting. */
	for (int i = 0; rc != 0 && i < 3; i++) {
		free(err);
		err = NULL;
		usleep(200 * 1000);
		if (iu_is_mounted(mnt))
			break;
		rc = iu_run(argv, NULL, NULL, &err);
	}
	if (rc == 0)
		iu_remember(strdup(mnt), true);
	else
		fprintf(stderr, "mount %s on %s failed (status %d): %s\n", img,
			mnt, rc, err ? err : "");
	free(err);
	return rc;
}

int iu_kumount(const char *mnt)
{
	const char *argv[] = {"umount", mnt, NULL};
	char *err = NULL;
	int rc = iu_run(argv, NULL, NULL, &err);
	/* "target is busy" can be transient (udev probing the device) */
	for (int i = 0; rc != 0 && i < 20 && iu_is_mounted(mnt); i++) {
		free(err);
		err = NULL;
		usleep(100 * 1000);
		rc = iu_run(argv, NULL, NULL, &err);
	}
	if (rc != 0)
		fprintf(stderr, "umount %s failed (status %d): %s\n", mnt, rc,
			err ? err : "");
	free(err);
	for (size_t i = 0; i < iu_ntmps; i++) {
		if (iu_tmps[i].is_mount && iu_tmps[i].path &&
		    strcmp(iu_tmps[i].path, mnt) == 0 && rc == 0) {
			/* Keep the slot; just make it a no-op. */
			iu_tmps[i].is_mount = false;
			free(iu_tmps[i].path);
			iu_tmps[i].path = NULL;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

static uint64_t iu_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t iu_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	uint64_t x = *state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void iu_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *b = buf;
	uint64_t s = iu_mix(seed ^ 0x5eedULL);
	size_t i = 0;
	while (i < len) {
		uint64_t pos = off + i;
		uint64_t word = iu_mix(s ^ (pos >> 3));
		unsigned k = (unsigned)(pos & 7);
		for (; k < 8 && i < len; k++, i++)
			b[i] = (unsigned char)(word >> (8 * k));
	}
}

size_t iu_first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	if (memcmp(x, y, len) == 0)
		return (size_t)-1;
	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i])
			return i;
	return (size_t)-1;
}

int iu_write_host_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

int iu_write_host_file(const char *path, uint64_t size, uint64_t seed)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t chunk = size < (1 << 20) ? (size_t)size + 1 : 1 << 20;
	char *buf = malloc(chunk);
	uint64_t off = 0;
	int rc = 0;
	while (off < size) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		iu_fill(buf, n, seed, off);
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

char *iu_read_host_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct iu_buf b = {0};
	iu_buf_add(&b, "", 0);
	char tmp[65536];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			free(b.p);
			return NULL;
		}
		if (n == 0)
			break;
		iu_buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	if (lenp)
		*lenp = b.len;
	return b.p;
}

/* ------------------------------------------------------------------ */
/* libdaxfs helpers                                                    */
/* ------------------------------------------------------------------ */

ssize_t iu_dax_read_all(daxfs *fs, const char *path, char **bufp, size_t max)
{
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, path, O_RDONLY, 0, &f);
	if (rc < 0)
		return rc;
	struct stat st;
	rc = daxfs_fstat(f, &st);
	if (rc < 0) {
		daxfs_close(f);
		return rc;
	}
	size_t want = (size_t)st.st_size < max ? (size_t)st.st_size : max;
	char *buf = malloc(want + 1);
	size_t done = 0;
	while (done < want) {
		ssize_t n = daxfs_pread(f, buf + done, want - done,
					(off_t)done);
		if (n < 0) {
			free(buf);
			daxfs_close(f);
			return n;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	buf[done] = '\0';
	rc = daxfs_close(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*bufp = buf;
	return (ssize_t)done;
}

int iu_dax_write_file(daxfs *fs, const char *path, const void *buf,
		      size_t len, mode_t mode)
{
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);
	if (rc < 0)
		return rc;
	size_t done = 0;
	while (done < len) {
		ssize_t n = daxfs_pwrite(f, (const char *)buf + done,
					 len - done, (off_t)done);
		if (n <= 0) {
			daxfs_close(f);
			return n < 0 ? (int)n : -EIO;
		}
		done += (size_t)n;
	}
	return daxfs_close(f);
}

struct iu_list_ctx {
	char **names;
	unsigned *types;
	uint64_t *inos;
	int n, cap;
};

static int iu_list_cb(void *arg, const char *name, uint64_t ino,
		      unsigned type)
{
	struct iu_list_ctx *c = arg;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->names = realloc(c->names, c->cap * sizeof(char *));
		c->types = realloc(c->types, c->cap * sizeof(unsigned));
		c->inos = realloc(c->inos, c->cap * sizeof(uint64_t));
	}
	c->names[c->n] = strdup(name);
	c->types[c->n] = type;
	c->inos[c->n] = ino;
	c->n++;
	return 0;
}

static int iu_strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int iu_dax_list(daxfs *fs, const char *dir, char ***names, unsigned **types,
		uint64_t **inos)
{
	struct iu_list_ctx c = {0};
	int rc = daxfs_readdir(fs, dir, iu_list_cb, &c);
	if (rc != 0) {
		iu_free_list(c.names, c.n);
		free(c.types);
		free(c.inos);
		return rc < 0 ? rc : -EIO;
	}
	/* Sort names, carrying types and inodes along. */
	int *idx = malloc((c.n + 1) * sizeof(int));
	char **sorted = malloc((c.n + 1) * sizeof(char *));
	for (int i = 0; i < c.n; i++)
		sorted[i] = c.names[i];
	qsort(sorted, c.n, sizeof(char *), iu_strpcmp);
	for (int i = 0; i < c.n; i++)
		for (int j = 0; j < c.n; j++)
			if (sorted[i] == c.names[j]) {
				idx[i] = j;
				break;
			}
	if (types) {
		*types = malloc((c.n + 1) * sizeof(unsigned));
		for (int i = 0; i < c.n; i++)
			(*types)[i] = c.types[idx[i]];
	}
	if (inos) {
		*inos = malloc((c.n + 1) * sizeof(uint64_t));
		for (int i = 0; i < c.n; i++)
			(*inos)[i] = c.inos[idx[i]];
	}
	free(idx);
	free(c.names);
	free(c.types);
	free(c.inos);
	*names = sorted;
	return c.n;
}

void iu_free_list(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ------------------------------------------------------------------ */
/* Comparing trees                                                     */
/* ------------------------------------------------------------------ */

static int iu_host_list(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int n = 0, cap = 64;
	char **a = malloc(cap * sizeof(char *));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap *= 2;
			a = realloc(a, cap * sizeof(char *));
		}
		a[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(a, n, sizeof(char *), iu_strpcmp);
	*names = a;
	return n;
}

static unsigned iu_dt_of(mode_t m)
{
	if (S_ISREG(m))
		return DAXFS_DT_REG;
	if (S_ISDIR(m))
		return DAXFS_DT_DIR;
	if (S_ISLNK(m))
		return DAXFS_DT_LNK;
	if (S_ISCHR(m))
		return DAXFS_DT_CHR;
	if (S_ISBLK(m))
		return DAXFS_DT_BLK;
	if (S_ISFIFO(m))
		return DAXFS_DT_FIFO;
	if (S_ISSOCK(m))
		return DAXFS_DT_SOCK;
	return DAXFS_DT_UNKNOWN;
}

static int iu_cmp_file(daxfs *fs, const char *fpath, const char *hpath,
		       off_t size, char *msg, size_t msglen)
{
	int hfd = open(hpath, O_RDONLY | O_CLOEXEC);
	if (hfd < 0) {
		snprintf(msg, msglen, "%s: cannot open host file: %s", hpath,
			 strerror(errno));
		return -1;
	}
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, fpath, O_RDONLY, 0, &f);
	if (rc < 0) {
		snprintf(msg, msglen, "daxfs_open(%s) = %d (%s): %s", fpath,
			 rc, strerror(-rc), daxfs_errormsg());
		close(hfd);
		return -1;
	}
	/* small buffers for small files: large ones are slow under ASan */
	size_t chunk = size < (1 << 20) ? (size_t)size + 16 : 1 << 20;
	char *a = malloc(chunk), *b = malloc(chunk);
	int res = 0;
	for (off_t off = 0; off < size && res == 0;) {
		size_t want = (size_t)(size - off) < chunk
				      ? (size_t)(size - off)
				      : chunk;
		ssize_t hn = pread(hfd, a, want, off);
		ssize_t dn = daxfs_pread(f, b, want, off);
		if (hn != (ssize_t)want || dn != (ssize_t)want) {
			snprintf(msg, msglen,
				 "%s: at offset %lld host read %zd, "
				 "daxfs_pread = %zd (want %zu): %s",
				 fpath, (long long)off, hn, dn, want,
				 dn < 0 ? daxfs_errormsg() : "");
			res = -1;
			break;
		}
		size_t d = iu_first_diff(a, b, want);
		if (d != (size_t)-1) {
			snprintf(msg, msglen,
				 "%s: content differs at byte %lld: host "
				 "0x%02x, libdaxfs 0x%02x",
				 fpath, (long long)(off + (off_t)d),
				 (unsigned char)a[d], (unsigned char)b[d]);
			res = -1;
		}
		off += (off_t)want;
	}
	if (res == 0) {
		/* Nothing past the end. */
		ssize_t dn = daxfs_pread(f, b, 16, size);
		if (dn != 0) {
			snprintf(msg, msglen,
				 "%s: daxfs_pread at EOF (%lld) = %zd, want 0",
				 fpath, (long long)size, dn);
			res = -1;
		}
	}
	free(a);
	free(b);
	close(hfd);
	rc = daxfs_close(f);
	if (rc != 0 && res == 0) {
		snprintf(msg, msglen, "daxfs_close(%s) = %d: %s", fpath, rc,
			 daxfs_errormsg());
		res = -1;
	}
	return res;
}

static int iu_cmp_rec(daxfs *fs, const char *fsdir, const char *hostdir,
		      unsigned flags, bool top, char *msg, size_t msglen,
		      size_t *count)
{
	char **hn = NULL, **dn = NULL;
	unsigned *dtypes = NULL;
	uint64_t *dinos = NULL;
	int nh = iu_host_list(hostdir, &hn);
	if (nh < 0) {
		snprintf(msg, msglen, "cannot list host dir %s", hostdir);
		return -1;
	}
	int nd = iu_dax_list(fs, fsdir, &dn, &dtypes, &dinos);
	if (nd < 0) {
		snprintf(msg, msglen, "daxfs_readdir(%s) = %d (%s): %s", fsdir,
			 nd, strerror(-nd), daxfs_errormsg());
		iu_free_list(hn, nh);
		return -1;
	}
	int res = 0;
	/* Drop lost+found at the top if asked to. */
	if (top && (flags & IU_CMP_SKIP_LF)) {
		for (int i = 0; i < nh; i++)
			if (!strcmp(hn[i], "lost+found")) {
				free(hn[i]);
				memmove(&hn[i], &hn[i + 1],
					(nh - i - 1) * sizeof(char *));
				nh--;
				break;
			}
		for (int i = 0; i < nd; i++)
			if (!strcmp(dn[i], "lost+found")) {
				free(dn[i]);
				memmove(&dn[i], &dn[i + 1],
					(nd - i - 1) * sizeof(char *));
				memmove(&dtypes[i], &dtypes[i + 1],
					(nd - i - 1) * sizeof(unsigned));
				memmove(&dinos[i], &dinos[i + 1],
					(nd - i - 1) * sizeof(uint64_t));
				nd--;
				break;
			}
	}
	for (int i = 0, j = 0; (i < nh || j < nd) && res == 0;) {
		int c = i >= nh ? 1 : j >= nd ? -1 : strcmp(hn[i], dn[j]);
		if (c < 0) {
			snprintf(msg, msglen,
				 "%s/%s exists on the host side but "
				 "daxfs_readdir(%s) does not list it",
				 hostdir, hn[i], fsdir);
			res = -1;
			break;
		}
		if (c > 0) {
			snprintf(msg, msglen,
				 "daxfs_readdir(%s) lists \"%s\" which is not "
				 "in host dir %s",
				 fsdir, dn[j], hostdir);
			res = -1;
			break;
		}
		char *hp, *fp;
		if (asprintf(&hp, "%s/%s", hostdir, hn[i]) < 0 ||
		    asprintf(&fp, "%s%s%s", fsdir,
			     fsdir[strlen(fsdir) - 1] == '/' ? "" : "/",
			     dn[j]) < 0)
			abort();
		struct stat hs, ds;
		if (lstat(hp, &hs) != 0) {
			snprintf(msg, msglen, "lstat(%s): %s", hp,
				 strerror(errno));
			res = -1;
		} else {
			int rc = daxfs_stat(fs, fp, &ds);
			if (rc != 0) {
				snprintf(msg, msglen,
					 "daxfs_stat(%s) = %d (%s): %s", fp,
					 rc, strerror(-rc), daxfs_errormsg());
				res = -1;
			} else if ((hs.st_mode & S_IFMT) !=
				   (ds.st_mode & S_IFMT)) {
				snprintf(msg, msglen,
					 "%s: type 0%o, host has 0%o", fp,
					 ds.st_mode & S_IFMT,
					 hs.st_mode & S_IFMT);
				res = -1;
			} else if (dtypes[j] != iu_dt_of(hs.st_mode)) {
				snprintf(msg, msglen,
					 "daxfs_readdir(%s): %s has type %u, "
					 "want %u",
					 fsdir, dn[j], dtypes[j],
					 iu_dt_of(hs.st_mode));
				res = -1;
			} else if (dinos[j] != (uint64_t)ds.st_ino) {
				snprintf(msg, msglen,
					 "daxfs_readdir(%s): %s has inode %llu"
					 " but daxfs_stat says %llu",
					 fsdir, dn[j],
					 (unsigned long long)dinos[j],
					 (unsigned long long)ds.st_ino);
				res = -1;
			} else if ((flags & IU_CMP_MODE) &&
				   (hs.st_mode & 07777) !=
					   (ds.st_mode & 07777) &&
				   !S_ISLNK(hs.st_mode)) {
				snprintf(msg, msglen,
					 "%s: mode 0%o, host has 0%o", fp,
					 ds.st_mode & 07777,
					 hs.st_mode & 07777);
				res = -1;
			} else if ((flags & IU_CMP_NLINK) &&
				   hs.st_nlink != ds.st_nlink) {
				snprintf(msg, msglen,
					 "%s: st_nlink %lu, host has %lu", fp,
					 (unsigned long)ds.st_nlink,
					 (unsigned long)hs.st_nlink);
				res = -1;
			} else if (!S_ISDIR(hs.st_mode) &&
				   hs.st_size != ds.st_size) {
				snprintf(msg, msglen,
					 "%s: st_size %lld, host has %lld", fp,
					 (long long)ds.st_size,
					 (long long)hs.st_size);
				res = -1;
			} else if (S_ISREG(hs.st_mode)) {
				res = iu_cmp_file(fs, fp, hp, hs.st_size, msg,
						  msglen);
			} else if (S_ISLNK(hs.st_mode)) {
				char ht[8192], dt[8192];
				ssize_t hl = readlink(hp, ht, sizeof(ht));
				ssize_t dl =
					daxfs_readlink(fs, fp, dt, sizeof(dt));
				if (hl < 0 || dl != hl ||
				    memcmp(ht, dt, (size_t)hl)) {
					snprintf(msg, msglen,
						 "%s: daxfs_readlink = %zd "
						 "\"%.*s\", host has \"%.*s\"",
						 fp, dl, dl > 0 ? (int)dl : 0,
						 dt, hl > 0 ? (int)hl : 0, ht);
					res = -1;
				}
			} else if (S_ISDIR(hs.st_mode)) {
				res = iu_cmp_rec(fs, fp, hp, flags, false, msg,
						 msglen, count);
			}
			if (res == 0 && count)
				(*count)++;
		}
		free(hp);
		free(fp);
		i++;
		j++;
	}
	iu_free_list(hn, nh);
	iu_free_list(dn, nd);
	free(dtypes);
	free(dinos);
	return res;
}

int iu_compare_tree(daxfs *fs, const char *fsdir, const char *hostdir,
		    unsigned flags, char *msg, size_t msglen, size_t *nfiles)
{
	if (nfiles)
		*nfiles = 0;
	msg[0] = '\0';
	return iu_cmp_rec(fs, fsdir, hostdir, flags, true, msg, msglen,
			  nfiles);
}

static int iu_cmp_host_file(const char *a, const char *b, off_t size,
			    char *msg, size_t msglen)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int res = 0;
	if (fa < 0 || fb < 0) {
		snprintf(msg, msglen, "cannot open %s or %s: %s", a, b,
			 strerror(errno));
		res = -1;
	}
	size_t chunk = size < (1 << 20) ? (size_t)size + 16 : 1 << 20;
	char *x = malloc(chunk), *y = malloc(chunk);
	for (off_t off = 0; res == 0 && off < size;) {
		size_t want = (size_t)(size - off) < chunk
				      ? (size_t)(size - off)
				      : chunk;
		ssize_t na = pread(fa, x, want, off);
		ssize_t nb = pread(fb, y, want, off);
		if (na != (ssize_t)want || nb != (ssize_t)want) {
			snprintf(msg, msglen,
				 "%s: read at %lld returned %zd (want %zu)", b,
				 (long long)off, nb, want);
			res = -1;
			break;
		}
		size_t d = iu_first_diff(x, y, want);
		if (d != (size_t)-1) {
			snprintf(msg, msglen,
				 "%s: byte %lld is 0x%02x, want 0x%02x", b,
				 (long long)(off + (off_t)d),
				 (unsigned char)y[d], (unsigned char)x[d]);
			res = -1;
		}
		off += (off_t)want;
	}
	free(x);
	free(y);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return res;
}

static void iu_drop_lf(char **n, int *cnt)
{
	for (int i = 0; i < *cnt; i++)
		if (!strcmp(n[i], "lost+found")) {
			free(n[i]);
			memmove(&n[i], &n[i + 1], (*cnt - i - 1) * sizeof(char *));
			(*cnt)--;
			return;
		}
}

static int iu_cmp_host_rec(const char *wdir, const char *gdir, unsigned flags,
			   bool top, char *msg, size_t msglen, size_t *count)
{
	char **wn = NULL, **gn = NULL;
	int nw = iu_host_list(wdir, &wn);
	int ng = iu_host_list(gdir, &gn);
	if (nw < 0 || ng < 0) {
		snprintf(msg, msglen, "cannot list %s or %s", wdir, gdir);
		if (nw >= 0)
			iu_free_list(wn, nw);
		if (ng >= 0)
			iu_free_list(gn, ng);
		return -1;
	}
	if (top && (flags & IU_CMP_SKIP_LF)) {
		iu_drop_lf(wn, &nw);
		iu_drop_lf(gn, &ng);
	}
	int res = 0;
	for (int i = 0, j = 0; (i < nw || j < ng) && res == 0; i++, j++) {
		int c = i >= nw ? 1 : j >= ng ? -1 : strcmp(wn[i], gn[j]);
		if (c < 0) {
			snprintf(msg, msglen, "%s/%s is missing", gdir, wn[i]);
			res = -1;
			break;
		}
		if (c > 0) {
			snprintf(msg, msglen, "%s/%s should not exist", gdir,
				 gn[j]);
			res = -1;
			break;
		}
		char *a, *b;
		if (asprintf(&a, "%s/%s", wdir, wn[i]) < 0 ||
		    asprintf(&b, "%s/%s", gdir, gn[j]) < 0)
			abort();
		struct stat sa, sb;
		if (lstat(a, &sa) || lstat(b, &sb)) {
			snprintf(msg, msglen, "lstat %s or %s: %s", a, b,
				 strerror(errno));
			res = -1;
		} else if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
			snprintf(msg, msglen, "%s: type 0%o, want 0%o", b,
				 sb.st_mode & S_IFMT, sa.st_mode & S_IFMT);
			res = -1;
		} else if ((flags & IU_CMP_MODE) && !S_ISLNK(sa.st_mode) &&
			   (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
			snprintf(msg, msglen, "%s: mode 0%o, want 0%o", b,
				 sb.st_mode & 07777, sa.st_mode & 07777);
			res = -1;
		} else if ((flags & IU_CMP_NLINK) &&
			   sa.st_nlink != sb.st_nlink) {
			snprintf(msg, msglen, "%s: st_nlink %lu, want %lu", b,
				 (unsigned long)sb.st_nlink,
				 (unsigned long)sa.st_nlink);
			res = -1;
		} else if (!S_ISDIR(sa.st_mode) && sa.st_size != sb.st_size) {
			snprintf(msg, msglen, "%s: st_size %lld, want %lld", b,
				 (long long)sb.st_size, (long long)sa.st_size);
			res = -1;
		} else if (S_ISREG(sa.st_mode)) {
			res = iu_cmp_host_file(a, b, sa.st_size, msg, msglen);
		} else if (S_ISLNK(sa.st_mode)) {
			char ta[8192], tb[8192];
			ssize_t la = readlink(a, ta, sizeof(ta));
			ssize_t lb = readlink(b, tb, sizeof(tb));
			if (la < 0 || la != lb || memcmp(ta, tb, (size_t)la)) {
				snprintf(msg, msglen,
					 "%s: link target \"%.*s\", want "
					 "\"%.*s\"",
					 b, lb > 0 ? (int)lb : 0, tb,
					 la > 0 ? (int)la : 0, ta);
				res = -1;
			}
		} else if (S_ISDIR(sa.st_mode)) {
			res = iu_cmp_host_rec(a, b, flags, false, msg, msglen,
					      count);
		}
		if (res == 0 && count)
			(*count)++;
		free(a);
		free(b);
	}
	iu_free_list(wn, nw);
	iu_free_list(gn, ng);
	return res;
}

int iu_compare_host_trees(const char *want, const char *got, unsigned flags,
			  char *msg, size_t msglen, size_t *nfiles)
{
	if (nfiles)
		*nfiles = 0;
	msg[0] = '\0';
	return iu_cmp_host_rec(want, got, flags, true, msg, msglen, nfiles);
}
