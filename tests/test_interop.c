/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_interop.c -- libdaxfs against the real e2fsprogs.
 *
 * populated_{1k,2k,4k}: mke2fs -t ext2 an image, fill it with debugfs -w
 *   (files of edge sizes up to indirect/double-indirect, and triple-indirect
 *   with 1K blocks; nested directories; fast and slow symlinks; a directory
 *   of thousands of entries that e2fsck -D turns into an htree), read it all
 *   back through libdaxfs, change it through libdaxfs, unmount, and check the
 *   result with e2fsck -fn, debugfs cat/stat/ls and debugfs rdump.
 * mkfs_*: images made by daxfs_mkfs are clean for e2fsck, have the asked
 *   geometry (dumpe2fs), stay clean over a mount/unmount cycle and are marked
 *   not clean while mounted.
 * mount_*: documented mount errors (-ENOENT, -EBUSY, -EOPNOTSUPP, -EROFS)
 *   and that DAXFS_MOUNT_RDONLY never writes to the region.
 *
 * A host directory ("staging") holds the expected tree: every change made
 * through libdaxfs is made to it as well, so the image can be compared with
 * it at any time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "interop.h"

#define MIB (1024ULL * 1024ULL)
#define NBIG 3000 /* entries of the big directory */

static void fini(void)
{
	test_kernel_cleanup();
}

static void init(void)
{
	umask(022);
}

TestSuite(interop, .init = init, .fini = fini, .timeout = 600);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* A formatted path in a ring of static buffers (no freeing needed). */
static const char *H(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *H(const char *fmt, ...)
{
	static char ring[8][4096];
	static int next;
	char *b = ring[next++ % 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return b;
}

struct strbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
	free(s);
}

/* Make a host file with size bytes of pattern seed and a given mode. */
static void host_file(const char *host, const char *rel, uint64_t size,
		      uint64_t seed, mode_t mode)
{
	char *p = xasprintf("%s/%s", host, rel);
	cr_assert_eq(test_write_pattern_file(p, size, seed), 0, "write %s", p);
	cr_assert_eq(chmod(p, mode), 0);
	free(p);
}

/* pwrite the same pattern bytes through libdaxfs and to the host copy. */
static void both_pwrite(daxfs *fs, const char *host, const char *path,
			int flags, off_t off, size_t len, uint64_t seed)
{
	char *buf = malloc(len + 1);
	test_pattern(buf, len, seed, (uint64_t)off);
	daxfs_file *f = NULL;
	CHECK_OK(daxfs_open(fs, path, flags, 0644, &f));
	CHECK_EQ(daxfs_pwrite(f, buf, len, off), len);
	CHECK_OK(daxfs_close(f));

	char *hp = xasprintf("%s%s", host, path);
	int hfd = open(hp, flags & ~O_APPEND, 0644);
	cr_assert_geq(hfd, 0, "open %s", hp);
	if (flags & O_APPEND)
		off = lseek(hfd, 0, SEEK_END);
	cr_assert_eq(pwrite(hfd, buf, len, off), (ssize_t)len);
	close(hfd);
	free(hp);
	free(buf);
}

static void both_truncate(daxfs *fs, const char *host, const char *path,
			  off_t size)
{
	daxfs_file *f = NULL;
	CHECK_OK(daxfs_open(fs, path, O_RDWR, 0, &f));
	CHECK_OK(daxfs_ftruncate(f, size));
	struct stat st;
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, size, "%s: size %lld after ftruncate(%lld)",
		     path, (long long)st.st_size, (long long)size);
	CHECK_OK(daxfs_close(f));
	char *hp = xasprintf("%s%s", host, path);
	cr_assert_eq(truncate(hp, size), 0);
	free(hp);
}

struct dots {
	int ndot, ndotdot;
	uint64_t dot_ino, dotdot_ino;
};

static int dots_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct dots *d = arg;
	if (!strcmp(name, ".")) {
		d->ndot++;
		d->dot_ino = ino;
		cr_expect_eq(type, DAXFS_DT_DIR, "\".\" has type %u", type);
	} else if (!strcmp(name, "..")) {
		d->ndotdot++;
		d->dotdot_ino = ino;
		cr_expect_eq(type, DAXFS_DT_DIR, "\"..\" has type %u", type);
	}
	return 0;
}

/* "." and ".." are listed once each with the right inode numbers. */
static void check_dots(daxfs *fs, const char *dir, const char *parent)
{
	struct dots d = {0};
	struct stat st, pst;
	CHECK_OK(daxfs_readdir(fs, dir, dots_cb, &d));
	CHECK_OK(daxfs_stat(fs, dir, &st));
	CHECK_OK(daxfs_stat(fs, parent, &pst));
	cr_assert_eq(d.ndot, 1, "%s: \".\" listed %d times", dir, d.ndot);
	cr_assert_eq(d.ndotdot, 1, "%s: \"..\" listed %d times", dir,
		     d.ndotdot);
	cr_assert_eq(d.dot_ino, (uint64_t)st.st_ino, "%s: \".\" is inode %llu, "
		     "stat says %llu", dir, (unsigned long long)d.dot_ino,
		     (unsigned long long)st.st_ino);
	cr_assert_eq(d.dotdot_ino, (uint64_t)pst.st_ino,
		     "%s: \"..\" is inode %llu, parent is %llu", dir,
		     (unsigned long long)d.dotdot_ino,
		     (unsigned long long)pst.st_ino);
}

/* Every regular file's bytes seen by "debugfs cat" equal the host's. */
static void debugfs_cat_equals(const char *img, const char *host,
			       const char *path)
{
	size_t dlen = 0, hlen = 0;
	char *hp = xasprintf("%s%s", host, path);
	char *want = test_read_file(hp, &hlen);
	cr_assert_not_null(want, "read %s", hp);
	char *got = test_debugfs_cat(img, path, &dlen);
	cr_assert_not_null(got, "debugfs cat %s failed", path);
	cr_assert_eq(dlen, hlen, "debugfs cat %s: %zu bytes, libdaxfs wrote "
		     "%zu", path, dlen, hlen);
	long d = test_first_diff(got, want, hlen);
	cr_assert_eq(d, -1, "debugfs cat %s differs at byte %ld", path,
		     d);
	free(got);
	free(want);
	free(hp);
}

/* daxfs_stat and debugfs stat describe the same inode identically. */
static void same_inode(const char *path, const struct stat *st,
		       const struct test_dstat *ds, const char *when)
{
	cr_assert_eq(st->st_ino, ds->ino, "%s: %s: st_ino %llu, debugfs %llu",
		     when, path, (unsigned long long)st->st_ino,
		     (unsigned long long)ds->ino);
	cr_assert_eq(st->st_nlink, ds->links, "%s: %s: st_nlink %lu, debugfs "
		     "Links %u", when, path, (unsigned long)st->st_nlink,
		     ds->links);
	cr_assert_eq((uint64_t)st->st_size, ds->size, "%s: %s: st_size %lld, "
		     "debugfs %llu", when, path, (long long)st->st_size,
		     (unsigned long long)ds->size);
	cr_assert_eq((uint64_t)st->st_blocks, ds->blockcount,
		     "%s: %s: st_blocks %lld, debugfs Blockcount %llu", when,
		     path, (long long)st->st_blocks,
		     (unsigned long long)ds->blockcount);
	cr_assert_eq(st->st_mode & 07777, ds->mode, "%s: %s: mode 0%o, "
		     "debugfs 0%o", when, path, st->st_mode & 07777, ds->mode);
	cr_assert_eq(st->st_uid, ds->uid, "%s: %s: uid", when, path);
	cr_assert_eq(st->st_gid, ds->gid, "%s: %s: gid", when, path);
	cr_assert_eq((int64_t)st->st_mtime, ds->mtime, "%s: %s: st_mtime %lld,"
		     " debugfs %lld", when, path, (long long)st->st_mtime,
		     (long long)ds->mtime);
	cr_assert_eq((int64_t)st->st_ctime, ds->ctime, "%s: %s: st_ctime %lld,"
		     " debugfs %lld", when, path, (long long)st->st_ctime,
		     (long long)ds->ctime);
	cr_assert_eq((int64_t)st->st_atime, ds->atime, "%s: %s: st_atime %lld,"
		     " debugfs %lld", when, path, (long long)st->st_atime,
		     (long long)ds->atime);
}

static const char *const stat_paths[] = {
	"/", "/empty", "/one", "/blk", "/unaligned", "/indirect", "/big",
	"/sparse", "/d1", "/d1/d2/d3/d4/d5/d6", "/d1/d2/d3/file3",
	"/links/len1", "/links/len60", "/links/len1000", "/bigdir",
	"/bigdir/entry_0107_with_a_longer_name"};
#define NSTAT (sizeof(stat_paths) / sizeof(stat_paths[0]))

/* ------------------------------------------------------------------ */
/* An e2fsprogs-made image, read and changed through libdaxfs           */
/* ------------------------------------------------------------------ */

static void populated_roundtrip(unsigned bs, const char *const mkopts[])
{
	const char *img = test_tmp_file("interop");
	const char *host = test_tmp_dir("stage");
	const char *empty = test_tmp_file("empty");
	cr_assert(img && host && empty);
	cr_assert_eq(chmod(empty, 0644), 0);
	cr_assert_eq(test_mke2fs(img, bs, 160 * MIB, mkopts), 0);
	char *features = test_dumpe2fs_field(img, "Filesystem features");
	cr_assert_not_null(features);
	bool dir_index = strstr(features, "dir_index") != NULL;
	free(features);

	struct strbuf cmd = {0};
	uint64_t seed = 1000 * bs;

	/* Files of edge sizes. */
	struct {
		const char *name;
		uint64_t size;
		mode_t mode;
	} files[] = {
		{"empty", 0, 0644},
		{"one", 1, 0600},
		{"blk_minus1", bs - 1, 0644},
		{"blk", bs, 0640},
		{"blk_plus1", bs + 1, 0755},
		{"unaligned", 3 * bs + 123, 0644},
		{"direct12", 12 * (uint64_t)bs, 0644},
		{"indirect", 12 * (uint64_t)bs + 1, 0444},
		/* double-indirect for every block size */
		{"big", 6 * MIB + 1234, 0644},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		host_file(host, files[i].name, files[i].size, seed + i,
			  files[i].mode);
		sb_printf(&cmd, "write %s/%s %s\n", host, files[i].name,
			  files[i].name);
	}
	if (bs == 1024) {
		/* Past (12 + 256 + 256*256) blocks: triple-indirect. */
		uint64_t tstart = (12ULL + 256 + 65536) * 1024;
		host_file(host, "triple", tstart + 3 * 1024 + 77, seed + 100,
			  0644);
		sb_printf(&cmd, "write %s/triple triple\n", host);
	}
	/* A sparse file: a hole, then data, then a hole-free tail. */
	{
		char *p = xasprintf("%s/sparse", host);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_geq(fd, 0);
		char buf[5000];
		test_pattern(buf, sizeof(buf), seed + 200, 0);
		cr_assert_eq(pwrite(fd, buf, sizeof(buf), 3 * MIB + 5),
			     (ssize_t)sizeof(buf));
		close(fd);
		free(p);
		sb_printf(&cmd, "write %s/sparse sparse\n", host);
	}

	/* Nested directories with files in each. */
	char rel[512] = "";
	for (int depth = 1; depth <= 6; depth++) {
		size_t l = strlen(rel);
		snprintf(rel + l, sizeof(rel) - l, "%sd%d", l ? "/" : "", depth);
		char *hp = xasprintf("%s/%s", host, rel);
		cr_assert_eq(mkdir(hp, 0755), 0);
		free(hp);
		sb_printf(&cmd, "mkdir %s\n", rel);
		char *fr = xasprintf("%s/file%d", rel, depth);
		host_file(host, fr, 100 * depth * depth + depth, seed + 300 + depth,
			  0644);
		sb_printf(&cmd, "write %s/%s %s\n", host, fr, fr);
		free(fr);
	}
	cr_assert_eq(mkdir(H("%s/emptydir", host), 0755), 0);
	sb_printf(&cmd, "mkdir emptydir\n");

	/* Symlinks: fast (< 60 bytes) and slow ones. */
	cr_assert_eq(mkdir(H("%s/links", host), 0755), 0);
	sb_printf(&cmd, "mkdir links\n");
	size_t tlens[] = {1, 12, 59, 60, 61, 200, 1000};
	for (size_t i = 0; i < sizeof(tlens) / sizeof(tlens[0]); i++) {
		char target[1024];
		size_t n = tlens[i];
		for (size_t k = 0; k < n; k++)
			target[k] = (k % 9 == 8) ? '/' : (char)('a' + (k + i) % 26);
		target[n] = '\0';
		char *name = xasprintf("links/len%zu", n);
		char *hp = xasprintf("%s/%s", host, name);
		cr_assert_eq(symlink(target, hp), 0);
		sb_printf(&cmd, "symlink %s %s\n", name, target);
		free(hp);
		free(name);
	}

	/* A big directory: NBIG entries, mostly empty files. */
	cr_assert_eq(mkdir(H("%s/bigdir", host), 0755), 0);
	sb_printf(&cmd, "mkdir bigdir\n");
	for (int i = 0; i < NBIG; i++) {
		char *name = xasprintf("bigdir/entry_%04d_with_a_longer_name", i);
		if (i % 100 == 7) {
			host_file(host, name, 10 + i, seed + 1000 + i, 0644);
			sb_printf(&cmd, "write %s/%s %s\n", host, name, name);
		} else if (i % 500 == 3) {
			cr_assert_eq(mkdir(H("%s/%s", host, name), 0755),
				     0);
			sb_printf(&cmd, "mkdir %s\n", name);
		} else {
			host_file(host, name, 0, 0, 0644);
			sb_printf(&cmd, "write %s %s\n", empty, name);
		}
		free(name);
	}
	cr_assert_eq(test_debugfs_w(img, cmd.p), 0, "populating with debugfs");
	free(cmd.p);

	/* Let e2fsck index the big directories (as "e2fsck -D" users do). */
	const char *argv[] = {"e2fsck", "-fyD", img, NULL};
	int rc = test_run(argv, 0, NULL, NULL, NULL);
	cr_assert(rc == 0 || rc == 1, "e2fsck -fyD: status %d", rc);
	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "the debugfs-made image is not clean");
	struct test_dstat ds;
	cr_assert_eq(test_debugfs_stat(img, "/bigdir", &ds), 0);
	if (dir_index)
		cr_assert(ds.flags & 0x1000,
			  "fixture: /bigdir is not htree-indexed (flags 0x%x)",
			  ds.flags);

	/* ---- Read everything back through libdaxfs. ---- */
	struct test_dstat dstats[NSTAT];
	for (size_t i = 0; i < NSTAT; i++)
		cr_assert_eq(test_debugfs_stat(img, stat_paths[i], &dstats[i]),
			     0, "debugfs stat %s", stat_paths[i]);
	daxfs *fs = NULL;
	CHECK_OK(daxfs_mount(img, 0, &fs));
	struct stat st;
	for (size_t i = 0; i < NSTAT; i++) {
		CHECK_OK(daxfs_stat(fs, stat_paths[i], &st));
		same_inode(stat_paths[i], &st, &dstats[i],
			   "reading a debugfs-made inode");
	}
	CHECK_OK(daxfs_stat(fs, "/", &st));
	cr_assert(S_ISDIR(st.st_mode), "/ is not a directory");
	cr_assert_eq(st.st_ino, 2, "/ is inode %llu, ext2's root is 2",
		     (unsigned long long)st.st_ino);
	CHECK_OK(daxfs_stat(fs, "/lost+found", &st));
	cr_assert(S_ISDIR(st.st_mode));
	check_dots(fs, "/", "/");
	check_dots(fs, "/d1/d2/d3", "/d1/d2");
	check_dots(fs, "/bigdir", "/");
	/* "." and ".." in paths resolve. */
	CHECK_OK(daxfs_stat(fs, "/d1/./d2/../d2/file2", &st));
	cr_assert_eq(st.st_size, 100 * 4 + 2);
	check_same_tree(fs, host, "after mount");

	/* pread edge cases on the unaligned file. */
	{
		daxfs_file *f = NULL;
		char buf[256], want[256];
		CHECK_OK(daxfs_open(fs, "/unaligned", O_RDONLY, 0, &f));
		off_t size = 3 * bs + 123;
		CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), size - 100), 100);
		test_pattern(want, 100, seed + 5, (uint64_t)(size - 100));
		cr_assert_eq(memcmp(buf, want, 100), 0);
		CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), size), 0);
		CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), size + 5000), 0);
		CHECK_EQ(daxfs_pread(f, buf, 10, bs - 5), 10);
		test_pattern(want, 10, seed + 5, bs - 5);
		cr_assert_eq(memcmp(buf, want, 10), 0,
			     "read across a block boundary differs");
		CHECK_OK(daxfs_close(f));
	}

	/* ---- Change it through libdaxfs (and the host copy alike). ---- */
	uint64_t s2 = seed + 50000;
	/* overwrite across a block boundary */
	both_pwrite(fs, host, "/unaligned", O_RDWR, bs - 50, 100, s2 + 1);
	/* append */
	both_pwrite(fs, host, "/blk", O_WRONLY | O_APPEND, 0, 3000, s2 + 2);
	CHECK_OK(daxfs_stat(fs, "/blk", &st));
	cr_assert_eq(st.st_size, bs + 3000, "O_APPEND write: size %lld",
		     (long long)st.st_size);
	/* write past EOF of an empty file leaves a hole */
	both_pwrite(fs, host, "/empty", O_WRONLY, 5 * bs + 7, 10, s2 + 3);
	/* fill the sparse file's hole partly */
	both_pwrite(fs, host, "/sparse", O_RDWR, MIB + 3, 2 * bs, s2 + 4);
	/* truncate down (frees indirect blocks) and up (zeros) */
	both_truncate(fs, host, "/big", MIB + 333);
	both_truncate(fs, host, "/indirect", 20 * bs);
	both_truncate(fs, host, "/blk_plus1", 0);
	if (bs == 1024)
		both_truncate(fs, host, "/triple",
			      (12 + 256 + 65536) * 1024ULL + 5);
	/* a new file that needs double-indirect blocks */
	{
		size_t n = 2 * MIB + 17;
		char *buf = malloc(n);
		test_pattern(buf, n, s2 + 5, 0);
		CHECK_OK(test_dax_write_file(fs, "/d1/d2/newbig", buf, n,
					     0640));
		char *hp = xasprintf("%s/d1/d2/newbig", host);
		cr_assert_eq(test_write_file(hp, buf, n), 0);
		chmod(hp, 0640);
		free(hp);
		free(buf);
	}
	/* create in and unlink from the (htree) big directory */
	for (int i = 0; i < 300; i++) {
		char *p = xasprintf("/bigdir/new_%04d", i);
		char buf[64];
		size_t n = (size_t)(i % 50);
		test_pattern(buf, n, s2 + 100 + i, 0);
		CHECK_OK(test_dax_write_file(fs, p, buf, n, 0644));
		char *hp = xasprintf("%s%s", host, p);
		cr_assert_eq(test_write_file(hp, buf, n), 0);
		free(hp);
		free(p);
	}
	for (int i = 0; i < NBIG; i += 15) {
		if (i % 500 == 3)
			continue; /* directories */
		char *p = xasprintf("/bigdir/entry_%04d_with_a_longer_name", i);
		CHECK_OK(daxfs_unlink(fs, p));
		CHECK_EQ(daxfs_stat(fs, p, &st), -ENOENT);
		char *hp = xasprintf("%s%s", host, p);
		cr_assert_eq(unlink(hp), 0);
		free(hp);
		free(p);
	}
	CHECK_OK(daxfs_mkdir(fs, "/bigdir/newsub", 0755));
	cr_assert_eq(mkdir(H("%s/bigdir/newsub", host), 0755), 0);
	/* renames within and across directories */
	CHECK_OK(daxfs_rename(fs, "/bigdir/entry_0001_with_a_longer_name",
			      "/bigdir/renamed_0001"));
	cr_assert_eq(rename(H("%s/bigdir/entry_0001_with_a_longer_name",
				      host),
			    H("%s/bigdir/renamed_0001", host)),
		     0);
	CHECK_OK(daxfs_rename(fs, "/bigdir/entry_0107_with_a_longer_name",
			      "/d1/moved"));
	cr_assert_eq(rename(H("%s/bigdir/entry_0107_with_a_longer_name",
				      host),
			    H("%s/d1/moved", host)),
		     0);
	/* hard link */
	CHECK_OK(daxfs_link(fs, "/d1/file1", "/d1/d2/file1_link"));
	cr_assert_eq(link(H("%s/d1/file1", host),
			  H("%s/d1/d2/file1_link", host)),
		     0);
	CHECK_OK(daxfs_stat(fs, "/d1/file1", &st));
	cr_assert_eq(st.st_nlink, 2);
	/* new symlinks, fast and slow */
	const char *fast = "../d1/file1";
	char slow[301];
	memset(slow, 'S', 300);
	slow[300] = '\0';
	CHECK_OK(daxfs_symlink(fs, fast, "/links/newfast"));
	CHECK_OK(daxfs_symlink(fs, slow, "/links/newslow"));
	cr_assert_eq(symlink(fast, H("%s/links/newfast", host)), 0);
	cr_assert_eq(symlink(slow, H("%s/links/newslow", host)), 0);
	/* remove a symlink and an empty directory */
	CHECK_OK(daxfs_unlink(fs, "/links/len61"));
	cr_assert_eq(unlink(H("%s/links/len61", host)), 0);
	CHECK_OK(daxfs_rmdir(fs, "/emptydir"));
	cr_assert_eq(rmdir(H("%s/emptydir", host)), 0);
	CHECK_EQ(daxfs_rmdir(fs, "/d1"), -ENOTEMPTY);

	check_same_tree(fs, host, "after changes, before unmount");
	const char *const changed_paths[] = {
		"/", "/unaligned", "/blk", "/empty", "/sparse", "/big",
		"/indirect", "/blk_plus1", "/d1/d2/newbig", "/d1", "/d1/file1",
		"/bigdir", "/bigdir/newsub", "/bigdir/new_0049", "/d1/moved",
		"/links/newfast", "/links/newslow"};
	size_t nch = sizeof(changed_paths) / sizeof(changed_paths[0]);
	struct stat chst[sizeof(changed_paths) / sizeof(changed_paths[0])];
	for (size_t i = 0; i < nch; i++)
		CHECK_OK(daxfs_stat(fs, changed_paths[i], &chst[i]));
	CHECK_OK(daxfs_unmount(fs));

	/* ---- The e2fsprogs view. ---- */
	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "e2fsck -fn is not clean after libdaxfs changed a "
		     "%u-byte-block image (output above)", bs);
	char *state = test_dumpe2fs_field(img, "Filesystem state");
	cr_assert_str_eq(state ? state : "(none)", "clean");
	free(state);

	const char *changed[] = {"/unaligned", "/blk", "/empty", "/sparse",
				 "/big", "/indirect", "/blk_plus1",
				 "/d1/d2/newbig", "/bigdir/new_0049",
				 "/bigdir/new_0299", "/d1/moved",
				 "/d1/d2/file1_link"};
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++)
		debugfs_cat_equals(img, host, changed[i]);
	if (bs == 1024)
		debugfs_cat_equals(img, host, "/triple");

	for (size_t i = 0; i < nch; i++) {
		cr_assert_eq(test_debugfs_stat(img, changed_paths[i], &ds), 0,
			     "debugfs stat %s", changed_paths[i]);
		same_inode(changed_paths[i], &chst[i], &ds,
			   "debugfs reading what libdaxfs changed");
	}
	cr_assert_eq(test_debugfs_stat(img, "/d1/file1", &ds), 0);
	cr_assert_eq(ds.links, 2, "debugfs: /d1/file1 has %u links", ds.links);
	cr_assert_eq(test_debugfs_stat(img, "/d1/d2/newbig", &ds), 0);
	cr_assert_str_eq(ds.type, "regular");
	cr_assert_eq(ds.mode, 0640, "debugfs: newbig mode 0%o", ds.mode);
	cr_assert_eq(ds.size, 2 * MIB + 17);
	char *t = test_debugfs_readlink(img, "/links/newfast");
	cr_assert_str_eq(t ? t : "(null)", fast);
	free(t);
	t = test_debugfs_readlink(img, "/links/newslow");
	cr_assert_str_eq(t ? t : "(null)", slow);
	free(t);
	cr_assert_eq(test_debugfs_stat(img, "/links/len61", &ds), -1,
		     "debugfs still finds the unlinked /links/len61");

	/* debugfs ls of the big directory lists exactly the expected names */
	struct test_dent *ents = NULL;
	int n = test_debugfs_ls(img, "/bigdir", &ents);
	cr_assert_geq(n, 0);
	char **hn = NULL;
	int nh = 0;
	{
		char *hp = xasprintf("%s/bigdir", host);
		char *listing = test_sh_capture(NULL, "ls -a1 %s", hp);
		cr_assert_not_null(listing);
		for (char *save = NULL, *l = strtok_r(listing, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			hn = realloc(hn, (nh + 1) * sizeof(char *));
			hn[nh++] = strdup(l);
		}
		free(listing);
		free(hp);
	}
	cr_assert_eq(n, nh, "debugfs ls /bigdir: %d entries, want %d", n, nh);
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < nh && !found; j++)
			found = !strcmp(ents[i].name, hn[j]);
		cr_assert(found, "debugfs lists /bigdir/%s which should not "
			  "exist", ents[i].name);
	}
	free(ents);
	test_free_list(hn, nh);

	/* rdump the whole image and diff it with the expected tree */
	const char *dump = test_tmp_dir("rdump");
	char *err = NULL;
	char *rdcmd = xasprintf("rdump / %s", dump);
	free(test_debugfs(img, rdcmd, NULL, &err));
	free(rdcmd);
	cr_assert(err && !err[0], "debugfs rdump: %s", err ? err : "");
	free(err);
	cr_assert_eq(test_sh("diff -r --no-dereference -x lost+found %s %s",
			     host, dump),
		     0, "debugfs rdump of the image differs from what "
		     "libdaxfs wrote (diff output above)");

	/* ---- And libdaxfs again after a remount. ---- */
	CHECK_OK(daxfs_mount(img, 0, &fs));
	check_same_tree(fs, host, "after remount");
	CHECK_OK(daxfs_unmount(fs));
	cr_assert_eq(test_e2fsck(img, NULL), 0);
}

Test(interop, populated_1k)
{
	populated_roundtrip(1024, NULL);
}

Test(interop, populated_2k)
{
	populated_roundtrip(2048, NULL);
}

Test(interop, populated_4k)
{
	populated_roundtrip(4096, NULL);
}

/* Other mke2fs layouts: 128-byte inodes (no extra fields, no nanosecond
 * times) without reserved GDT blocks; and a 1K file system without sparse
 * superblocks and without dir_index. */
Test(interop, populated_4k_inode128_noresize)
{
	const char *const opts[] = {"-I", "128", "-O", "^resize_inode", NULL};
	populated_roundtrip(4096, opts);
}

Test(interop, populated_1k_nosparse_nodirindex)
{
	const char *const opts[] = {"-O", "^sparse_super,^dir_index,^resize_inode", "-N",
				    "20000", NULL};
	populated_roundtrip(1024, opts);
}

/* An ext3 image (has_journal) mounts and stays clean; ext4's
 * incompatible features are refused by name, the image unchanged. */
Test(interop, ext3_mounts_ext4_features_refused)
{
	const char *const ext3[] = {"-O", "has_journal", NULL};
	const char *const ext4[] = {"-O", "extent,flex_bg", NULL};
	const char *img3 = test_image_path("ext3"), *img4 = test_image_path("ext4");
	daxfs *fs;
	uint64_t h;

	cr_assert_eq(test_mke2fs(img3, 4096, 32 * TEST_MIB, ext3), 0);
	fs = check_mount(img3, 0);
	check_create_pattern_file(fs, "/f", 3, 100000);
	check_unmount_fsck(fs, img3);
	cr_assert_eq(test_mke2fs(img4, 4096, 32 * TEST_MIB, ext4), 0);
	h = check_hash_file(img4);
	CHECK_EQ(daxfs_mount(img4, 0, &fs), -EOPNOTSUPP);
	check_errormsg("mount of an ext4 image", "(extent flex_bg)");
	CHECK_EQ(check_hash_file(img4), h);
}

/* ------------------------------------------------------------------ */
/* Images made by daxfs_mkfs                                            */
/* ------------------------------------------------------------------ */

static void expect_field(const char *img, const char *field, const char *want)
{
	char *v = test_dumpe2fs_field(img, field);
	cr_assert_not_null(v, "dumpe2fs -h %s has no \"%s\"", img, field);
	cr_assert_str_eq(v, want, "dumpe2fs: %s is \"%s\", want \"%s\"", field,
			 v, want);
	free(v);
}

/* mkfs, check, mount, write a little, unmount, check. */
static void mkfs_cycle(const char *img, unsigned want_bs, uint64_t want_size)
{
	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "e2fsck -fn is not clean right after daxfs_mkfs");
	expect_field(img, "Filesystem magic number", "0xEF53");
	expect_field(img, "Filesystem revision #", "1 (dynamic)");
	expect_field(img, "Filesystem state", "clean");
	cr_assert_eq(check_dumpe2fs_num(img, "Block size"), want_bs);
	uint64_t blocks = check_dumpe2fs_num(img, "Block count");
	cr_assert_eq(blocks * want_bs, want_size,
		     "Block count %llu * %u != region size %llu",
		     (unsigned long long)blocks, want_bs,
		     (unsigned long long)want_size);
	/* The kernel's ext2 driver must be able to mount it read-write. */
	char *feat = test_dumpe2fs_field(img, "Filesystem features");
	cr_assert_not_null(feat);
	cr_assert_null(strstr(feat, "extent"), "ext2 with extents? %s", feat);
	cr_assert_null(strstr(feat, "64bit"), "ext2 with 64bit? %s", feat);
	cr_assert_null(strstr(feat, "has_journal"), "journal? %s", feat);
	free(feat);

	daxfs *fs = NULL;
	CHECK_OK(daxfs_mount(img, 0, &fs));
	struct statvfs sv;
	CHECK_OK(daxfs_statfs(fs, &sv));
	cr_assert_eq(sv.f_bsize, want_bs, "statfs f_bsize %lu",
		     (unsigned long)sv.f_bsize);
	cr_assert_leq(sv.f_bfree, sv.f_blocks);
	cr_assert_leq(sv.f_blocks, blocks);
	cr_assert_eq(sv.f_files, check_dumpe2fs_num(img, "Inode count"));
	/* a fresh root: only ".", ".." and perhaps lost+found */
	char **names = NULL;
	int n = test_dax_list(fs, "/", &names, NULL, NULL);
	cr_assert_geq(n, 0, "daxfs_readdir(/) = %d: %s", n, daxfs_errormsg());
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(names[i], "lost+found",
				 "fresh fs has /%s", names[i]);
	test_free_list(names, n);

	const char *msg = "hello from libdaxfs\n";
	CHECK_OK(test_dax_write_file(fs, "/hello", msg, strlen(msg), 0644));
	CHECK_OK(daxfs_mkdir(fs, "/dir", 0755));
	CHECK_OK(daxfs_symlink(fs, "hello", "/dir/link"));
	CHECK_OK(daxfs_unmount(fs));

	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "e2fsck -fn is not clean after a mount/unmount cycle");
	expect_field(img, "Filesystem state", "clean");
	size_t len = 0;
	char *got = test_debugfs_cat(img, "/hello", &len);
	cr_assert_not_null(got);
	cr_assert_eq(len, strlen(msg));
	cr_assert_eq(memcmp(got, msg, len), 0);
	free(got);
	char *t = test_debugfs_readlink(img, "/dir/link");
	cr_assert_str_eq(t ? t : "(null)", "hello");
	free(t);
	/* debugfs "stats" agrees on the state too */
	char *stats = test_debugfs(img, "stats", NULL, NULL);
	cr_assert_not_null(stats);
	cr_assert_not_null(strstr(stats, "Filesystem state:         clean"),
			   "debugfs stats:\n%s", stats);
	free(stats);
}

Test(interop, mkfs_default)
{
	const char *img = test_tmp_file("mkfs");
	cr_assert_eq(truncate(img, 64 * MIB), 0);
	struct daxfs_mkfs_opts o = {0};
	CHECK_OK(daxfs_mkfs(img, &o));
	struct stat st;
	cr_assert_eq(stat(img, &st), 0);
	cr_assert_eq(st.st_size, 64 * MIB, "mkfs changed the region's size");
	mkfs_cycle(img, 4096, 64 * MIB);
}

Test(interop, mkfs_1k_missing_file)
{
	const char *img = test_image_path("mkfs1k");
	struct daxfs_mkfs_opts o = {.size = 32 * MIB, .block_size = 1024};
	CHECK_OK(daxfs_mkfs(img, &o));
	struct stat st;
	cr_assert_eq(stat(img, &st), 0, "daxfs_mkfs did not create %s", img);
	cr_assert_geq(st.st_size, 32 * MIB);
	mkfs_cycle(img, 1024, 32 * MIB);
}

Test(interop, mkfs_2k_grows_small_file)
{
	const char *img = test_tmp_file("mkfs2k");
	cr_assert_eq(truncate(img, 1 * MIB), 0);
	struct daxfs_mkfs_opts o = {.size = 48 * MIB, .block_size = 2048};
	CHECK_OK(daxfs_mkfs(img, &o));
	struct stat st;
	cr_assert_eq(stat(img, &st), 0);
	cr_assert_geq(st.st_size, 48 * MIB, "region not grown: %lld",
		      (long long)st.st_size);
	mkfs_cycle(img, 2048, 48 * MIB);
}

Test(interop, mkfs_label_inodes)
{
	const char *img = test_image_path("mkfslbl");
	struct daxfs_mkfs_opts o = {.size = 64 * MIB,
				    .block_size = 4096,
				    .inodes = 5000,
				    .label = "daxfs-test-lbl"};
	CHECK_OK(daxfs_mkfs(img, &o));
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	expect_field(img, "Filesystem volume name", "daxfs-test-lbl");
	uint64_t inodes = check_dumpe2fs_num(img, "Inode count");
	cr_assert_geq(inodes, 5000, "Inode count %llu < 5000 asked",
		      (unsigned long long)inodes);
	cr_assert_lt(inodes, 5000 + 32768,
		     "Inode count %llu, far more than the 5000 asked",
		     (unsigned long long)inodes);
	/* default: one inode per 16 KiB */
	const char *img2 = test_image_path("mkfsdef");
	struct daxfs_mkfs_opts o2 = {.size = 64 * MIB};
	CHECK_OK(daxfs_mkfs(img2, &o2));
	uint64_t def = check_dumpe2fs_num(img2, "Inode count");
	cr_assert_geq(def, 64 * MIB / 16384 - 64,
		      "default inode count %llu", (unsigned long long)def);
	cr_assert_leq(def, 64 * MIB / 16384 + 8192,
		      "default inode count %llu", (unsigned long long)def);
	mkfs_cycle(img, 4096, 64 * MIB);
}

/* While mounted read-write the superblock says "not clean" (so that
 * e2fsck -p checks it after a crash); after unmount it is clean again. */
Test(interop, state_not_clean_while_mounted)
{
	const char *img = test_image_path("state");
	struct daxfs_mkfs_opts o = {.size = 32 * MIB};
	CHECK_OK(daxfs_mkfs(img, &o));
	daxfs *fs = NULL;
	CHECK_OK(daxfs_mount(img, 0, &fs));
	expect_field(img, "Filesystem state", "not clean");
	CHECK_OK(daxfs_unmount(fs));
	expect_field(img, "Filesystem state", "clean");
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	/* A read-only mount leaves it clean. */
	CHECK_OK(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs));
	expect_field(img, "Filesystem state", "clean");
	CHECK_OK(daxfs_unmount(fs));
}

/* ------------------------------------------------------------------ */
/* Mounting: documented errors and read-only mounts                    */
/* ------------------------------------------------------------------ */

Test(interop, mount_errors)
{
	daxfs *fs = NULL, *fs2 = NULL;
	const char *missing = test_image_path("nosuch");
	CHECK_EQ(daxfs_mount(missing, 0, &fs), -ENOENT);
	CHECK_EQ(daxfs_mount(missing, DAXFS_MOUNT_RDONLY, &fs), -ENOENT);

	const char *img = test_tmp_file("busy");
	cr_assert_eq(test_mke2fs(img, 4096, 32 * MIB, NULL), 0);
	CHECK_OK(daxfs_mount(img, 0, &fs));
	CHECK_EQ(daxfs_mount(img, 0, &fs2), -EBUSY);
	CHECK_EQ(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs2), -EBUSY);
	/* unmount with an open file: -EBUSY and the mount stays usable */
	daxfs_file *f = NULL;
	CHECK_OK(daxfs_open(fs, "/x", O_CREAT | O_RDWR, 0644, &f));
	CHECK_EQ(daxfs_unmount(fs), -EBUSY);
	CHECK_EQ(daxfs_pwrite(f, "abc", 3, 0), 3);
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_unmount(fs));
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	size_t len = 0;
	char *got = test_debugfs_cat(img, "/x", &len);
	cr_assert(got && len == 3 && !memcmp(got, "abc", 3));
	free(got);
	/* mountable again after unmount */
	CHECK_OK(daxfs_mount(img, 0, &fs));
	CHECK_OK(daxfs_unmount(fs));
}

Test(interop, mount_unknown_incompat_feature)
{
	const char *img = test_tmp_file("incompat");
	cr_assert_eq(test_mke2fs(img, 4096, 32 * MIB, NULL), 0);
	cr_assert_eq(test_debugfs_w(img, "feature FEATURE_I30\n"), 0);
	daxfs *fs = NULL;
	CHECK_EQ(daxfs_mount(img, 0, &fs), -EOPNOTSUPP);
	CHECK_EQ(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs), -EOPNOTSUPP);
	/* an ext4 image (extents, flex_bg, ...) likewise */
	const char *img4 = test_tmp_file("ext4");
	const char *argv[] = {"mke2fs", "-q", "-F", "-t", "ext4", img4, "32M",
			      NULL};
	cr_assert_eq(test_run(argv, 0, NULL, NULL, NULL), 0);
	CHECK_EQ(daxfs_mount(img4, 0, &fs), -EOPNOTSUPP);
}

Test(interop, mount_unknown_rocompat_feature)
{
	const char *img = test_tmp_file("rocompat");
	const char *pop = test_tmp_file("pop");
	cr_assert_eq(test_mke2fs(img, 4096, 32 * MIB, NULL), 0);
	cr_assert_eq(test_write_pattern_file(pop, 10000, 77), 0);
	char *cmds = xasprintf("write %s data\nfeature FEATURE_R30\n", pop);
	cr_assert_eq(test_debugfs_w(img, cmds), 0);
	free(cmds);
	daxfs *fs = NULL;
	CHECK_EQ(daxfs_mount(img, 0, &fs), -EROFS);
	/* read-only is fine, and reads work */
	CHECK_OK(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs));
	char *buf = NULL;
	ssize_t n = test_dax_read_all(fs, "/data", &buf, 1 << 20);
	CHECK_EQ(n, 10000);
	char want[10000];
	test_pattern(want, sizeof(want), 77, 0);
	cr_assert_eq(memcmp(buf, want, sizeof(want)), 0);
	free(buf);
	CHECK_OK(daxfs_unmount(fs));
}

/* DAXFS_MOUNT_RDONLY never writes: the image is byte-identical after a
 * read-only mount, reads, failed writes and unmount. */
Test(interop, rdonly_mount_writes_nothing)
{
	const char *img = test_tmp_file("rdonly");
	const char *pop = test_tmp_file("pop");
	cr_assert_eq(test_mke2fs(img, 1024, 16 * MIB, NULL), 0);
	cr_assert_eq(test_write_pattern_file(pop, 300000, 5), 0);
	char *cmds = xasprintf("mkdir d\nwrite %s d/f\nsymlink d/l f\n", pop);
	cr_assert_eq(test_debugfs_w(img, cmds), 0);
	free(cmds);
	size_t len0 = 0, len1 = 0;
	char *before = test_read_file(img, &len0);
	cr_assert_not_null(before);

	daxfs *fs = NULL;
	CHECK_OK(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs));
	char *buf = NULL;
	CHECK_EQ(test_dax_read_all(fs, "/d/f", &buf, 1 << 20), 300000);
	char *want = malloc(300000);
	test_pattern(want, 300000, 5, 0);
	cr_assert_eq(memcmp(buf, want, 300000), 0);
	free(want);
	free(buf);
	char t[16];
	CHECK_EQ(daxfs_readlink(fs, "/d/l", t, sizeof(t)), 1);
	cr_assert_eq(t[0], 'f');
	daxfs_file *f = NULL;
	CHECK_EQ(daxfs_open(fs, "/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
	CHECK_EQ(daxfs_open(fs, "/d/f", O_WRONLY, 0, &f), -EROFS);
	CHECK_EQ(daxfs_mkdir(fs, "/nd", 0755), -EROFS);
	CHECK_EQ(daxfs_unlink(fs, "/d/f"), -EROFS);
	CHECK_OK(daxfs_unmount(fs));

	char *after = test_read_file(img, &len1);
	cr_assert_not_null(after);
	cr_assert_eq(len0, len1);
	long d = test_first_diff(before, after, len0);
	cr_assert_eq(d, -1,
		     "a read-only mount changed byte %ld of the image (block "
		     "%ld of 1K)",
		     d, d / 1024);
	free(before);
	free(after);
}
