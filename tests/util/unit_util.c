/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unit_util.c -- helpers of the white-box unit tests (see unit_util.h).
 */
#define _GNU_SOURCE
#include "unit_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *uu_errname(long long rc)
{
	static __thread char buf[32];

	if (rc >= 0)
		return "OK";
	switch (-rc) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EIO); E(ENXIO); E(EBADF); E(ENOMEM);
	E(EACCES); E(EBUSY); E(EEXIST); E(EXDEV); E(ENOTDIR); E(EISDIR);
	E(EINVAL); E(EFBIG); E(ENOSPC); E(EROFS); E(EMLINK);
	E(ENAMETOOLONG); E(ENOTEMPTY); E(ELOOP); E(EOPNOTSUPP);
	E(EUCLEAN); E(EOVERFLOW);
#undef E
	}
	snprintf(buf, sizeof(buf), "errno %lld", -rc);
	return buf;
}

void uu_assert_errormsg(const char *what, const char *sub)
{
	const char *m = daxfs_errormsg();

	cr_assert(m && *m, "%s: daxfs_errormsg() is empty after a failure",
		  what);
	if (sub)
		cr_assert(strcasestr(m, sub), "%s: daxfs_errormsg() \"%s\" "
			  "does not mention \"%s\"", what, m, sub);
}

/* ---- temporary images ---------------------------------------------- */

static char **images;
static size_t nimages;

const char *uu_image_path(const char *tag)
{
	static unsigned counter;
	char buf[256];
	char *p;

	snprintf(buf, sizeof(buf), "/dev/shm/daxfs-unit-%s-%ld-%u.img",
		 tag ? tag : "img", (long)getpid(), counter++);
	unlink(buf);
	p = strdup(buf);
	cr_assert(p);
	images = realloc(images, (nimages + 1) * sizeof(*images));
	cr_assert(images);
	images[nimages++] = p;
	return p;
}

void uu_cleanup(void)
{
	size_t i;

	for (i = 0; i < nimages; i++) {
		unlink(images[i]);
		free(images[i]);
	}
	free(images);
	images = NULL;
	nimages = 0;
}

void uu_mkfs(const char *path, uint64_t size, uint32_t block_size,
	     uint32_t inodes)
{
	struct daxfs_mkfs_opts o = { .size = size, .block_size = block_size,
				     .inodes = inodes };

	UU_OK(daxfs_mkfs(path, &o));
}

daxfs *uu_mount(const char *path, unsigned flags)
{
	daxfs *fs = NULL;

	UU_OK(daxfs_mount(path, flags, &fs));
	cr_assert(fs);
	return fs;
}

daxfs *uu_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		 uint32_t inodes, const char **path_out)
{
	const char *p = uu_image_path(tag);

	uu_mkfs(p, size, block_size, inodes);
	if (path_out)
		*path_out = p;
	return uu_mount(p, 0);
}

void uu_unmount(daxfs *fs)
{
	UU_OK(daxfs_unmount(fs));
}

void uu_unmount_fsck(daxfs *fs, const char *path)
{
	uu_unmount(fs);
	cr_assert_eq(uu_e2fsck(path), 0, "e2fsck -fn %s is not clean", path);
}

/* ---- e2fsprogs ----------------------------------------------------- */

static char *read_all_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	cr_assert(buf);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert(buf);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = 0;
	return buf;
}

int uu_run(const char *const argv[], char **out)
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

		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], argv[0]);
			execv(path, (char *const *)argv);
		}
		_exit(127);
	}
	close(pfd[1]);
	text = read_all_fd(pfd[0]);
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

int uu_e2fsck(const char *path)
{
	const char *argv[] = { "e2fsck", "-fn", path, NULL };
	char *out = NULL;
	int st = uu_run(argv, &out);

	if (st != 0)
		fprintf(stderr, "e2fsck -fn %s exited %d:\n%s\n", path, st,
			out ? out : "");
	free(out);
	return st;
}

char *uu_debugfs(const char *path, const char *cmd)
{
	const char *argv[] = { "debugfs", "-R", cmd, path, NULL };
	char *out = NULL;

	uu_run(argv, &out);
	return out;
}

/* ---- raw image access ---------------------------------------------- */

unsigned char *uu_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	size_t n = 0;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert(fstat(fd, &st) == 0);
	buf = malloc(st.st_size ? st.st_size : 1);
	cr_assert(buf);
	while (n < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + n, st.st_size - n, n);

		cr_assert(r > 0, "read %s: %s", path, strerror(errno));
		n += r;
	}
	close(fd);
	*len = n;
	return buf;
}

void uu_assert_file_is(const char *path, const unsigned char *buf,
		       size_t len)
{
	size_t n, i;
	unsigned char *now = uu_read_file(path, &n);

	cr_assert_eq(n, len, "%s: size changed from %zu to %zu", path, len, n);
	if (memcmp(now, buf, len)) {
		for (i = 0; i < len && now[i] == buf[i]; i++)
			;
		free(now);
		cr_assert_fail("%s changed: first differing byte at offset %zu "
			       "(block %zu of 1K)", path, i, i / 1024);
	}
	free(now);
}

void uu_raw_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	r = pread(fd, buf, len, off);
	close(fd);
	cr_assert_eq(r, (ssize_t)len, "pread %s at %llu", path,
		     (unsigned long long)off);
}

void uu_raw_write(const char *path, uint64_t off, const void *buf,
		  size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	r = pwrite(fd, buf, len, off);
	close(fd);
	cr_assert_eq(r, (ssize_t)len, "pwrite %s at %llu", path,
		     (unsigned long long)off);
}

uint32_t uu_raw_le32(const char *path, uint64_t off)
{
	unsigned char b[4];

	uu_raw_read(path, off, b, 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

uint16_t uu_raw_le16(const char *path, uint64_t off)
{
	unsigned char b[2];

	uu_raw_read(path, off, b, 2);
	return b[0] | b[1] << 8;
}

void uu_raw_put_le32(const char *path, uint64_t off, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	uu_raw_write(path, off, b, 4);
}

void uu_raw_put_le16(const char *path, uint64_t off, uint16_t v)
{
	unsigned char b[2] = { v, v >> 8 };

	uu_raw_write(path, off, b, 2);
}

void uu_copy_file(const char *from, const char *to)
{
	size_t len;
	unsigned char *buf = uu_read_file(from, &len);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t n = 0;

	cr_assert(fd >= 0, "create %s: %s", to, strerror(errno));
	while (n < len) {
		ssize_t r = pwrite(fd, buf + n, len - n, n);

		cr_assert(r > 0, "write %s: %s", to, strerror(errno));
		n += r;
	}
	close(fd);
	free(buf);
}

/* ---- data ---------------------------------------------------------- */

uint64_t uu_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void uu_pattern(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ULL ^ seed * 31;

		p[i] = (unsigned char)((x >> 29) ^ (x >> 7) ^ seed);
	}
}
