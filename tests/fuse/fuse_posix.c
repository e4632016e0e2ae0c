/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse_posix.c DIR -- POSIX semantics through a daxfs-fuse mount, with
 * the system calls any program makes: the errno of failing calls
 * (ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EINVAL), the rename rules
 * (over a file, over an empty directory, a directory into itself), link
 * counts, sizes, modes, owners, timestamps (seconds: ext2), extended
 * attributes, special files, a file used after its last name went (no
 * hidden name left in its directory, its link count 0), and fsync of a
 * directory; hard links seen as one file (a change through one name is
 * seen through the other, whatever the kernel cached), a renamed
 * directory's files reached by the new path, a directory read in many
 * readdir calls, a removed directory still open (read empty), the
 * set-user-ID bit cleared by another user's write,
 * and the data a write-only descriptor writes seen through a descriptor
 * (and a mapping) that had read the old.  DIR is an empty directory of
 * the mount.  Prints each failed check and exits 1 if there was one.
 * Run by tests/fuse/run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
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

/* How many entries of DIR begin with prefix ("" counts them all, with
 * "." and ".."). */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(base);
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
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
	CHECK(fstat(fd, &st) == 0 && st.st_size == 4 && st.st_nlink == 0);
	CHECK(fchmod(fd, 0640) == 0 && fstat(fd, &st) == 0 &&
	      (st.st_mode & 07777) == 0640);
	CHECK(count_entries(".fuse_hidden") == 0);
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

/* Two names of one file: one inode, whatever is changed through either
 * (size, mode, xattrs, link count) seen through the other. */
static void test_hard_links(void)
{
	struct stat a, b;
	char buf[8];
	int fd;

	put("h1", 'a', 10);
	CHECK(link(P("h1"), P("h2")) == 0);
	a = st_of("h1");
	b = st_of("h2");
	CHECK(a.st_ino == b.st_ino && a.st_nlink == 2 && b.st_nlink == 2);
	fd = open(P("h1"), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "bbbbb", 5) == 5 && close(fd) == 0);
	CHECK(st_of("h2").st_size == 15);
	CHECK(chmod(P("h2"), 0600) == 0 && (st_of("h1").st_mode & 07777) == 0600);
	CHECK(setxattr(P("h1"), "user.h", "v", 1, 0) == 0);
	CHECK(unlink(P("h1")) == 0);
	CHECK(st_of("h2").st_nlink == 1);
	CHECK(getxattr(P("h2"), "user.h", buf, sizeof(buf)) == 1);
	CHECK(link(P("h2"), P("h3")) == 0 && unlink(P("h2")) == 0);
	CHECK(st_of("h3").st_size == 15 && st_of("h3").st_nlink == 1);
	CHECK(getxattr(P("h3"), "user.h", buf, sizeof(buf)) == 1);
	CHECK(truncate(P("h3"), 3) == 0 && st_of("h3").st_size == 3);
	CHECK(link(P("h3"), P("h4")) == 0 && rename(P("h3"), P("h4")) == 0);
	CHECK(st_of("h3").st_nlink == 2 && st_of("h4").st_nlink == 2);
	CHECK(getxattr(P("h3"), "user.h", buf, sizeof(buf)) == 1);
}

/* A directory renamed (its files by their new paths, the old ones
 * gone) and one read in many readdir calls. */
static void test_dirs(void)
{
	char name[300], buf[8];
	int i;

	CHECK(mkdir(P("d1"), 0755) == 0 && mkdir(P("d1/d2"), 0755) == 0);
	put("d1/d2/f", 'f', 7);
	CHECK(st_of("d1/d2/f").st_size == 7);
	CHECK(rename(P("d1"), P("e1")) == 0);
	CHECK(setxattr(P("e1/d2/f"), "user.r", "12", 2, 0) == 0);
	CHECK(getxattr(P("e1/d2/f"), "user.r", buf, sizeof(buf)) == 2);
	CHECK(st_of("e1/d2/f").st_size == 7);
	FAILS(access(P("d1/d2/f"), F_OK), ENOENT);
	CHECK(mkdir(P("big"), 0755) == 0);
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "big/%0100d", i);
		put(name, 'x', 0);
	}
	snprintf(base + strlen(base), 8, "/big");
	CHECK(count_entries("") == 602);
	base[strlen(base) - 4] = '\0';
}

/* A write by a user other than root clears the set-user-ID bit and the
 * set-group-ID bit of a group-executable file (root's does not). */
static void test_write_privs(void)
{
	pid_t pid;
	int st, fd;

	put("suid", 's', 1);
	CHECK(chmod(P("suid"), 06777) == 0);
	fd = open(P("suid"), O_WRONLY);
	CHECK(fd >= 0 && write(fd, "r", 1) == 1 && close(fd) == 0);
	CHECK((st_of("suid").st_mode & 07777) == 06777);
	pid = fork();
	if (pid == 0) {
		fd = -1;
		if (setgid(65534) == 0 && setuid(65534) == 0)
			fd = open(P("suid"), O_WRONLY);
		_exit(fd >= 0 && write(fd, "u", 1) == 1 ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	CHECK((st_of("suid").st_mode & 07777) == 0777);
}

/* What a write-only descriptor writes is read through a descriptor and
 * a shared mapping that had read the old bytes. */
static void test_coherence(void)
{
	char buf[8] = {0};
	int rw, wo;
	char *m;

	put("co", 'a', 4096);
	rw = open(P("co"), O_RDWR);
	CHECK(rw >= 0 && pread(rw, buf, 4, 0) == 4 && !strcmp(buf, "aaaa"));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	CHECK(m != MAP_FAILED && m[0] == 'a');
	wo = open(P("co"), O_WRONLY);
	CHECK(wo >= 0 && pwrite(wo, "bbbb", 4, 0) == 4 && close(wo) == 0);
	CHECK(pread(rw, buf, 4, 0) == 4 && !strcmp(buf, "bbbb"));
	CHECK(m != MAP_FAILED && m[0] == 'b' && m[3] == 'b');
	if (m != MAP_FAILED) {
		m[4] = 'c';
		CHECK(msync(m, 4096, MS_SYNC) == 0 && munmap(m, 4096) == 0);
	}
	CHECK(pread(rw, buf, 5, 0) == 5 && !strcmp(buf, "bbbbc"));
	CHECK(close(rw) == 0);
}

/* A directory removed while open, and while it is the working
 * directory: read as empty, nothing can be made in it. */
static void test_removed_dir(void)
{
	struct dirent *e;
	DIR *d;
	int dfd;

	CHECK(mkdir(P("gone"), 0755) == 0 && mkdir(P("gone2"), 0755) == 0);
	dfd = open(P("gone"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0 && rmdir(P("gone")) == 0);
	FAILS(openat(dfd, "f", O_CREAT | O_WRONLY, 0644), ENOENT);
	d = fdopendir(dfd);
	CHECK(d != NULL);
	while (d && (e = readdir(d)))
		CHECK(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0);
	if (d)
		closedir(d);
	CHECK(chdir(P("gone2")) == 0 && rmdir(P("gone2")) == 0);
	d = opendir(".");
	CHECK(d != NULL && readdir(d) == NULL);
	if (d)
		closedir(d);
	FAILS(mkdir("sub", 0755), ENOENT);
	CHECK(chdir("/") == 0);
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
	test_hard_links();
	test_dirs();
	test_write_privs();
	test_coherence();
	test_removed_dir();
	printf("fuse_posix: %d failed checks\n", fails);
	return fails ? 1 : 0;
}
