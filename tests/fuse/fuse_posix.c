/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse_posix.c DIR -- POSIX semantics through a daxfs-fuse mount, with
 * the system calls any program makes: the errno of failing calls
 * (ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EINVAL), the rename rules
 * (over a file, over an empty directory, a directory into itself), link
 * counts, sizes, modes, owners, timestamps (seconds: ext2), extended
 * attributes, special files, a file used after its last name went (its
 * link count is not checked: libfuse keeps such a file under a hidden
 * name until its last close), and fsync of a directory.  DIR is an empty directory of the mount.  Prints
 * each failed check and exits 1 if there was one.  Run by
 * tests/fuse/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static int fails;
static char base[1024];

/* A path under DIR (two rotating buffers). */
static const char *P(const char *rel)
{
	static char buf[4][2048];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: %s (errno %d %s)\n",    \
				__FILE__, __LINE__, #cond, errno,            \
				strerror(errno));                            \
			fails++;                                             \
		}                                                            \
	} while (0)

/* expr must fail with errno e. */
#define FAILS(expr, e)                                                       \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(expr);                                      \
		if (r_ != -1 || errno != (e)) {                              \
			fprintf(stderr, "FAIL %s:%d: %s = %ld, errno %d (%s),"\
				" expected %s\n", __FILE__, __LINE__, #expr, \
				r_, errno, strerror(errno), #e);             \
			fails++;                                             \
		}                                                            \
	} while (0)

/* Write len bytes of c to a new file rel; its descriptor closed. */
static void put(const char *rel, char c, size_t len)
{
	char buf[8192];
	int fd = open(P(rel), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	CHECK(fd >= 0);
	memset(buf, c, sizeof(buf));
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		CHECK(write(fd, buf, n) == (ssize_t)n);
		len -= n;
	}
	CHECK(close(fd) == 0);
}

static struct stat st_of(const char *rel)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	CHECK(lstat(P(rel), &st) == 0);
	return st;
}

static void test_errnos(void)
{
	char lbuf[16];

	CHECK(mkdir(P("d"), 0755) == 0);
	put("f", 'a', 10);
	FAILS(open(P("nope"), O_RDONLY), ENOENT);
	FAILS(open(P("f"), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	FAILS(mkdir(P("d"), 0755), EEXIST);
	FAILS(mkdir(P("f/x"), 0755), ENOTDIR);
	FAILS(open(P("d"), O_WRONLY), EISDIR);
	FAILS(unlink(P("d")), EISDIR);
	FAILS(rmdir(P("f")), ENOTDIR);
	FAILS(rmdir(P("nope")), ENOENT);
	put("d/inner", 'b', 1);
	FAILS(rmdir(P("d")), ENOTEMPTY);
	FAILS(link(P("d"), P("dl")), EPERM);
	FAILS(symlink("x", P("f")), EEXIST);
	FAILS(readlink(P("f"), lbuf, sizeof(lbuf)), EINVAL);
	FAILS(open(P("f/"), O_RDONLY), ENOTDIR);
}

static void test_rename(void)
{
	struct stat a, b;

	put("r1", '1', 100);
	put("r2", '2', 200);
	a = st_of("r1");
	CHECK(rename(P("r1"), P("r2")) == 0); /* over a file */
	b = st_of("r2");
	CHECK(b.st_ino == a.st_ino && b.st_size == 100);
	FAILS(lstat(P("r1"), &a), ENOENT);
	CHECK(mkdir(P("rd"), 0755) == 0 && mkdir(P("re"), 0755) == 0);
	FAILS(rename(P("r2"), P("rd")), EISDIR);
	FAILS(rename(P("rd"), P("r2")), ENOTDIR);
	CHECK(rename(P("rd"), P("re")) == 0); /* over an empty dir */
	CHECK(mkdir(P("re/sub"), 0755) == 0);
	FAILS(rename(P("re"), P("re/sub/x")), EINVAL);
	CHECK(mkdir(P("rf"), 0755) == 0);
	errno = 0;
	CHECK(rename(P("rf"), P("re")) == -1 &&
	      (errno == ENOTEMPTY || errno == EEXIST));
	FAILS(renameat2(AT_FDCWD, P("r2"), AT_FDCWD, P("r3"), RENAME_NOREPLACE),
	      EINVAL); /* not in the API */
	CHECK(rename(P("r2"), P("re/sub/moved")) == 0);
	CHECK(st_of("re/sub/moved").st_size == 100);
}

static void test_links_sizes(void)
{
	struct stat st;
	int fd;

	CHECK(mkdir(P("l"), 0755) == 0);
	CHECK(st_of("l").st_nlink == 2);
	CHECK(mkdir(P("l/s1"), 0755) == 0 && mkdir(P("l/s2"), 0755) == 0);
	CHECK(st_of("l").st_nlink == 4);
	put("l/file", 'x', 12345);
	CHECK(link(P("l/file"), P("l/file2")) == 0);
	CHECK(st_of("l/file").st_nlink == 2);
	CHECK(unlink(P("l/file")) == 0);
	CHECK(st_of("l/file2").st_nlink == 1 && st_of("l/file2").st_size == 12345);
	CHECK(truncate(P("l/file2"), 5000000) == 0);
	CHECK(st_of("l/file2").st_size == 5000000);
	CHECK(truncate(P("l/file2"), 7) == 0);
	st = st_of("l/file2");
	CHECK(st.st_size == 7 && st.st_blocks <= 8);
	fd = open(P("l/file2"), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "yy", 2) == 2 && close(fd) == 0);
	CHECK(st_of("l/file2").st_size == 9);
	CHECK(symlink("file2", P("l/sym")) == 0);
	char t[16] = {0};
	CHECK(readlink(P("l/sym"), t, sizeof(t)) == 5 && !strcmp(t, "file2"));
	CHECK(S_ISLNK(st_of("l/sym").st_mode) && st_of("l/sym").st_size == 5);
}

static void test_modes_times(void)
{
	struct timespec ts[2] = {{1500000000, 123456789}, {1600000000, 5}};
	struct stat st;

	put("m", 'm', 1);
	CHECK(chmod(P("m"), 04710) == 0);
	CHECK((st_of("m").st_mode & 07777) == 04710);
	CHECK(chown(P("m"), 1000, 1000) == 0);
	st = st_of("m");
	CHECK(st.st_uid == 1000 && st.st_gid == 1000 &&
	      (st.st_mode & 07777) == 0710); /* set-user-ID cleared */
	CHECK(utimensat(AT_FDCWD, P("m"), ts, 0) == 0);
	st = st_of("m");
	CHECK(st.st_atime == 1500000000 && st.st_mtime == 1600000000);
	CHECK(st.st_mtim.tv_nsec == 0); /* ext2: seconds */
	time_t before = time(NULL);
	put("m", 'n', 3);
	CHECK(st_of("m").st_mtime >= before);
	CHECK(mkfifo(P("fifo"), 0600) == 0 && S_ISFIFO(st_of("fifo").st_mode));
	CHECK(mknod(P("sock"), S_IFSOCK | 0600, 0) == 0 &&
	      S_ISSOCK(st_of("sock").st_mode));
}

static void test_xattrs(void)
{
	char buf[256];

	put("x", 'x', 1);
	CHECK(setxattr(P("x"), "user.one", "1", 1, 0) == 0);
	CHECK(setxattr(P("x"), "user.two", "22", 2, XATTR_CREATE) == 0);
	FAILS(setxattr(P("x"), "user.two", "2", 1, XATTR_CREATE), EEXIST);
	FAILS(setxattr(P("x"), "user.no", "2", 1, XATTR_REPLACE), ENODATA);
	CHECK(getxattr(P("x"), "user.two", buf, sizeof(buf)) == 2);
	FAILS(getxattr(P("x"), "user.two", buf, 1), ERANGE);
	FAILS(getxattr(P("x"), "user.none", buf, sizeof(buf)), ENODATA);
	CHECK(listxattr(P("x"), buf, sizeof(buf)) == 18);
	CHECK(removexattr(P("x"), "user.one") == 0);
	FAILS(removexattr(P("x"), "user.one"), ENODATA);
	CHECK(listxattr(P("x"), buf, sizeof(buf)) == 9);
	FAILS(setxattr(P("x"), "bogus.one", "1", 1, 0), EOPNOTSUPP);
}

static void test_open_unlinked(void)
{
	char buf[8] = {0};
	struct stat st;
	int fd = open(P("u"), O_CREAT | O_RDWR, 0600), dfd;

	CHECK(fd >= 0 && write(fd, "abc", 3) == 3);
	CHECK(unlink(P("u")) == 0);
	CHECK(pwrite(fd, "d", 1, 3) == 1 && pread(fd, buf, 8, 0) == 4);
	CHECK(!strcmp(buf, "abcd"));
	/* (libfuse keeps it under a hidden name until the close) */
	CHECK(fstat(fd, &st) == 0 && st.st_size == 4);
	CHECK(fsync(fd) == 0 && close(fd) == 0);
	dfd = open(base, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0 && fsync(dfd) == 0 && close(dfd) == 0);
	fd = open(P("fa"), O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0 && fallocate(fd, 0, 0, 1 << 20) == 0);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 1 << 20);
	CHECK(close(fd) == 0);
	struct statvfs sv;
	CHECK(statvfs(base, &sv) == 0 && sv.f_blocks > 0 && sv.f_bfree > 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuse_posix DIR\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s", argv[1]);
	umask(022);
	test_errnos();
	test_rename();
	test_links_sizes();
	test_modes_times();
	test_xattrs();
	test_open_unlinked();
	printf("fuse_posix: %d failed checks\n", fails);
	return fails ? 1 : 0;
}
