/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_util.c -- helpers of the black-box API tests (see api_util.h).
 */
#define _GNU_SOURCE
#include "api_util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

const char *au_errname(long long rc)
{
	static __thread char buf[32];
	if (rc >= 0)
		return "OK";
	long long e = -rc;
	const char *n = e < 4096 ? strerrorname_np((int)e) : NULL;
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %lld", e);
	return buf;
}

void au_assert_errormsg(const char *what)
{
	const char *m = daxfs_errormsg();
	cr_assert(m != NULL, "daxfs_errormsg() is NULL after failing %s", what);
	size_t n = strlen(m);
	int letters = 0;
	for (size_t i = 0; i < n; i++)
		if ((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= 'A' && m[i] <= 'Z'))
			letters++;
	cr_assert(n >= 8 && letters >= 5,
		  "daxfs_errormsg() after failing %s is \"%s\", not a sentence",
		  what, m);
}

/* ------------------------------------------------------------------ */
/* Temporary images                                                    */
/* ------------------------------------------------------------------ */

#define AU_MAX_PATHS 512
static char *au_paths[AU_MAX_PATHS];
static int au_npaths;
static unsigned au_counter;

const char *au_image_path(const char *tag)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "/dev/shm/daxfs-%s-%ld-%u.img",
		 tag ? tag : "api", (long)getpid(), au_counter++);
	unlink(buf);
	cr_assert(au_npaths < AU_MAX_PATHS, "too many temporary images");
	char *p = strdup(buf);
	cr_assert(p != NULL);
	au_paths[au_npaths++] = p;
	return p;
}

void au_cleanup(void)
{
	for (int i = 0; i < au_npaths; i++) {
		unlink(au_paths[i]);
		free(au_paths[i]);
		au_paths[i] = NULL;
	}
	au_npaths = 0;
}

int au_mkfs(const char *path, uint64_t size, uint32_t block_size,
	    uint32_t inodes)
{
	struct daxfs_mkfs_opts o;
	memset(&o, 0, sizeof(o));
	o.size = size;
	o.block_size = block_size;
	o.inodes = inodes;
	return daxfs_mkfs(path, &o);
}

daxfs *au_mount(const char *path, unsigned flags)
{
	daxfs *fs = NULL;
	int r = daxfs_mount(path, flags, &fs);
	cr_assert_eq(r, 0, "daxfs_mount(%s, %#x) = %d (%s): \"%s\"", path, flags,
		     r, au_errname(r), daxfs_errormsg());
	cr_assert(fs != NULL, "daxfs_mount returned 0 but no handle");
	return fs;
}

daxfs *au_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		 uint32_t inodes, const char **path_out)
{
	const char *path = au_image_path(tag);
	int r = au_mkfs(path, size, block_size, inodes);
	cr_assert_eq(r, 0,
		     "daxfs_mkfs(%s, size %" PRIu64 ", bs %u, inodes %u) = %d "
		     "(%s): \"%s\"",
		     path, size, block_size, inodes, r, au_errname(r),
		     daxfs_errormsg());
	if (path_out)
		*path_out = path;
	return au_mount(path, 0);
}

void au_unmount_fsck(daxfs *fs, const char *path)
{
	int r = daxfs_unmount(fs);
	cr_assert_eq(r, 0, "daxfs_unmount = %d (%s): \"%s\"", r, au_errname(r),
		     daxfs_errormsg());
	int st = au_e2fsck(path);
	cr_assert_eq(st, 0, "e2fsck -fn %s exited %d (output above)", path, st);
}

/* ------------------------------------------------------------------ */
/* Running programs                                                    */
/* ------------------------------------------------------------------ */

int au_run(const char *const argv[], char **out)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		const char *old = getenv("PATH");
		char path[4096];
		snprintf(path, sizeof(path), "/usr/sbin:/sbin:%s",
			 old ? old : "/usr/bin:/bin");
		setenv("PATH", path, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1024 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		ssize_t n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	if (out)
		*out = buf;
	else
		free(buf);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int au_e2fsck(const char *path)
{
	const char *argv[] = {"e2fsck", "-fn", path, NULL};
	char *out = NULL;
	int st = au_run(argv, &out);
	if (st != 0)
		fprintf(stderr, "---- e2fsck -fn %s exited %d:\n%s----\n", path,
			st, out ? out : "");
	free(out);
	return st;
}

char *au_debugfs(const char *path, const char *cmd, int *status)
{
	const char *argv[] = {"debugfs", "-R", cmd, path, NULL};
	char *out = NULL;
	int st = au_run(argv, &out);
	if (status)
		*status = st;
	return out;
}

long long au_dumpe2fs_num(const char *path, const char *field)
{
	const char *argv[] = {"dumpe2fs", "-h", path, NULL};
	char *out = NULL;
	au_run(argv, &out);
	long long v = -1;
	size_t fl = strlen(field);
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, field, fl) == 0) {
			v = strtoll(line + fl, NULL, 0);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(out);
	return v;
}

/* ------------------------------------------------------------------ */
/* Raw image access                                                    */
/* ------------------------------------------------------------------ */

static uint64_t au_mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x87c37b91114253d5ULL;
	h = (h << 31) | (h >> 33);
	return h * 0x4cf5ad432745937fULL + 0x52dce729;
}

uint64_t au_hash_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "open(%s): %s", path, strerror(errno));
	size_t cap = 1 << 20;
	unsigned char *buf = malloc(cap);
	uint64_t h = 0x9e3779b97f4a7c15ULL, total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		cr_assert(n >= 0, "read(%s): %s", path, strerror(errno));
		if (n == 0)
			break;
		size_t i = 0;
		for (; i + 8 <= (size_t)n; i += 8) {
			uint64_t w;
			memcpy(&w, buf + i, 8);
			h = au_mix(h, w);
		}
		for (; i < (size_t)n; i++)
			h = au_mix(h, buf[i] | 0x100);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	return au_mix(h, total);
}

long long au_file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return st.st_size;
}

void au_raw_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "open(%s): %s", path, strerror(errno));
	ssize_t n = pread(fd, buf, len, (off_t)off);
	cr_assert_eq(n, (ssize_t)len, "pread(%s, %zu @ %" PRIu64 ") = %zd",
		     path, len, off, n);
	close(fd);
}

void au_raw_write(const char *path, uint64_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	cr_assert(fd >= 0, "open(%s): %s", path, strerror(errno));
	ssize_t n = pwrite(fd, buf, len, (off_t)off);
	cr_assert_eq(n, (ssize_t)len, "pwrite(%s, %zu @ %" PRIu64 ") = %zd",
		     path, len, off, n);
	close(fd);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void au_geom(const char *path, struct au_geom *g)
{
	unsigned char sb[1024];
	au_raw_read(path, 1024, sb, sizeof(sb));
	cr_assert_eq(le16(sb + 56), 0xEF53, "%s: no ext2 magic", path);
	memset(g, 0, sizeof(*g));
	g->inodes_count = le32(sb + 0);
	g->blocks_count = le32(sb + 4);
	g->first_data_block = le32(sb + 20);
	g->block_size = 1024u << le32(sb + 24);
	g->blocks_per_group = le32(sb + 32);
	g->inodes_per_group = le32(sb + 40);
	g->inode_size = le32(sb + 76) >= 1 ? le16(sb + 88) : 128;
	cr_assert(g->blocks_per_group && g->inodes_per_group);
	g->groups = (g->blocks_count - g->first_data_block +
		     g->blocks_per_group - 1) / g->blocks_per_group;
	g->gdt_off = (uint64_t)(g->first_data_block + 1) * g->block_size;
	unsigned char gd[32];
	au_raw_read(path, g->gdt_off, gd, sizeof(gd));
	g->block_bitmap0 = le32(gd + 0);
	g->inode_bitmap0 = le32(gd + 4);
	g->inode_table0 = le32(gd + 8);
}

uint64_t au_inode_off(const char *path, const struct au_geom *g, uint32_t ino)
{
	uint32_t grp = (ino - 1) / g->inodes_per_group;
	uint32_t idx = (ino - 1) % g->inodes_per_group;
	unsigned char gd[32];
	au_raw_read(path, g->gdt_off + 32ULL * grp, gd, sizeof(gd));
	return (uint64_t)le32(gd + 8) * g->block_size +
	       (uint64_t)idx * g->inode_size;
}

uint32_t au_first_block(const char *image, const char *path)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "blocks %s", path);
	int st;
	char *out = au_debugfs(image, cmd, &st);
	cr_assert_eq(st, 0, "debugfs -R '%s' %s exited %d: %s", cmd, image, st,
		     out);
	unsigned long b = 0;
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, "debugfs ", 8) != 0) {
			char *end;
			b = strtoul(line, &end, 10);
			if (end != line && b)
				break;
		}
		line = nl ? nl + 1 : NULL;
	}
	cr_assert(b != 0, "debugfs -R '%s' %s gave no block: %s", cmd, image,
		  out);
	free(out);
	return (uint32_t)b;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

uint64_t au_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t au_pattern_word(uint64_t seed, uint64_t word)
{
	uint64_t s = seed * 0xd1342543de82ef95ULL + word;
	return au_rand(&s);
}

void au_pattern(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	uint64_t w = au_pattern_word(seed, off >> 3);
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i;
		if ((o & 7) == 0 && i)
			w = au_pattern_word(seed, o >> 3);
		p[i] = (unsigned char)(w >> ((o & 7) * 8));
	}
}

long long au_pattern_check(const void *buf, size_t len, uint64_t seed,
			   uint64_t off)
{
	const unsigned char *p = buf;
	uint64_t w = au_pattern_word(seed, off >> 3);
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i;
		if ((o & 7) == 0 && i)
			w = au_pattern_word(seed, o >> 3);
		if (p[i] != (unsigned char)(w >> ((o & 7) * 8)))
			return (long long)i;
	}
	return -1;
}

int au_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

void au_write_pattern(daxfs_file *f, uint64_t seed, off_t off, size_t len)
{
	size_t chunk = 1 << 20;
	unsigned char *buf = malloc(chunk);
	for (size_t done = 0; done < len;) {
		size_t n = len - done < chunk ? len - done : chunk;
		au_pattern(buf, n, seed, (uint64_t)off + done);
		ssize_t w = daxfs_pwrite(f, buf, n, off + (off_t)done);
		cr_assert_eq(w, (ssize_t)n,
			     "daxfs_pwrite(%zu bytes @ %lld) = %zd (%s): \"%s\"",
			     n, (long long)(off + (off_t)done), w,
			     au_errname(w), daxfs_errormsg());
		done += n;
	}
	free(buf);
}

void au_check_file_pattern(daxfs_file *f, uint64_t seed, off_t off,
			   size_t len)
{
	size_t chunk = 1 << 20;
	unsigned char *buf = malloc(chunk);
	for (size_t done = 0; done < len;) {
		size_t n = len - done < chunk ? len - done : chunk;
		memset(buf, 0xA5, n);
		ssize_t r = daxfs_pread(f, buf, n, off + (off_t)done);
		cr_assert_eq(r, (ssize_t)n,
			     "daxfs_pread(%zu bytes @ %lld) = %zd (%s): \"%s\"",
			     n, (long long)(off + (off_t)done), r,
			     au_errname(r), daxfs_errormsg());
		long long bad = au_pattern_check(buf, n, seed,
						 (uint64_t)off + done);
		cr_assert(bad < 0,
			  "data differs at file offset %lld (seed %" PRIu64
			  ")",
			  (long long)(off + (off_t)done) + bad, seed);
		done += n;
	}
	free(buf);
}
