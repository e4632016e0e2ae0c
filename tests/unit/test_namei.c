/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_namei.c -- white-box tests of ext2/namei.c, the namespace
 * operations, called as the public layer calls them (ext2_mkdir, _rmdir,
 * _unlink, _rename, _link, _symlink, _readlink, _stat, _readdir) and
 * ext2_create_locked directly: link counts of parents and children after
 * mkdir, rmdir and a directory renamed across parents (its ".." on media,
 * read back with debugfs), the inode reference counts (refcount) of every
 * inode involved back to their value after each call, failures, rename
 * over a directory or a file (the replaced inode freed, or at its last
 * reference), failed renames and links changing nothing (names, link
 * counts, free counts), fast and block symlinks (against debugfs stat and
 * e2fsck at the 59/60-byte boundary), readdir's order and contents against
 * debugfs ls, and create in a directory removed meanwhile.  e2fsck -fn
 * after every test that makes a file system.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"
#include "interop.h"

TestSuite(namei, .fini = test_cleanup, .timeout = 120);

/* ---- helpers --------------------------------------------------------- */

/* The inode at path, referenced (release with ext2_iput). */
static struct ext2_inode_info *walk(daxfs *fs, const char *path)
{
	struct ext2_inode_info *in = NULL;

	CHECK_OK(ext2_path_walk(EXT2_SB(fs), path, &in));
	return in;
}

/* The link count of path, as ext2_stat reports it. */
static unsigned nlink(daxfs *fs, const char *path)
{
	struct stat st;

	CHECK_OK(ext2_stat(fs, path, &st));
	return (unsigned)st.st_nlink;
}

static uint64_t ino_of(daxfs *fs, const char *path)
{
	struct stat st;

	CHECK_OK(ext2_stat(fs, path, &st));
	return st.st_ino;
}

/* Inodes held for the whole test, and their reference counts then. */
struct held {
	int n;
	struct ext2_inode_info *in[8];
	int ref[8];
};

static void hold(struct held *h, daxfs *fs, const char *path)
{
	cr_assert_lt(h->n, 8);
	h->in[h->n] = walk(fs, path);
	h->ref[h->n] = h->in[h->n]->refcount;
	h->n++;
}

/* Every held inode has the reference count it had when taken. */
static void expect_refs(const struct held *h, const char *when)
{
	for (int i = 0; i < h->n; i++)
		cr_assert_eq(h->in[i]->refcount, h->ref[i],
			     "%s: inode %u has refcount %d, was %d", when,
			     h->in[i]->ino, h->in[i]->refcount, h->ref[i]);
}

static void release(struct held *h)
{
	for (int i = 0; i < h->n; i++)
		ext2_iput(h->in[i]);
	h->n = 0;
}

/*
 * A description of the whole tree: every path with its inode, link count
 * and size (from ext2_stat, in the directory order daxfs_readdir gives),
 * and the free block and inode counts.
 */
struct sig {
	char *s;
	size_t len, cap;
};

static void sig_add(struct sig *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sig_add(struct sig *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->cap - g->len < 512) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		g->s = realloc(g->s, g->cap);
		cr_assert(g->s);
	}
	va_start(ap, fmt);
	n = vsnprintf(g->s + g->len, g->cap - g->len, fmt, ap);
	va_end(ap);
	g->len += (size_t)n;
}

static void sig_dir(struct sig *g, daxfs *fs, const char *dir)
{
	char **names;
	uint64_t *inos;
	int n = test_dax_list(fs, dir, &names, NULL, &inos);

	cr_assert_geq(n, 0, "list %s: %d", dir, n);
	for (int i = 0; i < n; i++) {
		char p[512];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "",
			 names[i]);
		CHECK_OK(ext2_stat(fs, p, &st));
		cr_assert_eq(st.st_ino, inos[i]);
		sig_add(g, "%s ino %llu links %u mode %o size %llu\n", p,
			(unsigned long long)st.st_ino, (unsigned)st.st_nlink,
			(unsigned)st.st_mode, (unsigned long long)st.st_size);
		if (S_ISDIR(st.st_mode))
			sig_dir(g, fs, p);
	}
	test_free_list(names, n);
	free(inos);
}

static char *tree_sig(daxfs *fs)
{
	struct sig g = { 0 };
	struct statvfs sv = check_statfs(fs);

	sig_add(&g, "/ links %u free blocks %llu inodes %llu\n",
		nlink(fs, "/"), (unsigned long long)sv.f_bfree,
		(unsigned long long)sv.f_ffree);
	sig_dir(&g, fs, "/");
	return g.s;
}

static void expect_sig(daxfs *fs, const char *before, const char *when)
{
	char *now = tree_sig(fs);

	cr_assert_str_eq(now, before, "%s changed the tree:\n%s\nwas:\n%s",
			 when, now, before);
	free(now);
}

/* The inode number ".." names in directory path (a lookup in dir.c). */
static uint32_t dotdot(daxfs *fs, const char *path)
{
	struct ext2_inode_info *d = walk(fs, path);
	struct ext2_dirent_info de = { 0 };

	down_read(&d->i_rwsem);
	CHECK_OK(ext2_dir_lookup(d, "..", 2, &de));
	up_read(&d->i_rwsem);
	ext2_iput(d);
	return de.ino;
}

/* The inode of name in debugfs "ls -p dir" of img (0 if absent). */
static uint64_t debugfs_entry(const char *img, const char *dir,
			      const char *name)
{
	struct test_dent *e;
	int n = test_debugfs_ls(img, dir, &e);
	uint64_t ino = 0;

	cr_assert_geq(n, 0, "debugfs ls %s", dir);
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			ino = e[i].ino;
	free(e);
	return ino;
}

static unsigned debugfs_links(const char *img, const char *path)
{
	struct test_dstat st;

	cr_assert_eq(test_debugfs_stat(img, path, &st), 0, "debugfs stat %s",
		     path);
	return st.links;
}

/* ---- mkdir and rmdir ------------------------------------------------- */

Test(namei, mkdir_rmdir_link_counts)
{
	const char *p;
	daxfs *fs = check_new_fs("nmk", 16 * TEST_MIB, 4096, 0, &p);
	struct statvfs s0 = check_statfs(fs), s1;
	struct held h = { 0 };

	hold(&h, fs, "/");
	/* ".", ".." and lost+found's "..". */
	cr_assert_eq(nlink(fs, "/"), 3);
	CHECK_OK(ext2_mkdir(fs, "/a", 0750));
	cr_assert_eq(nlink(fs, "/"), 4);
	cr_assert_eq(nlink(fs, "/a"), 2);
	hold(&h, fs, "/a");
	CHECK_OK(ext2_mkdir(fs, "/a/b", 0755));
	CHECK_OK(ext2_mkdir(fs, "/a/c", 0755));
	cr_assert_eq(nlink(fs, "/a"), 4);
	cr_assert_eq(nlink(fs, "/a/b"), 2);
	cr_assert_eq(dotdot(fs, "/a/b"), ino_of(fs, "/a"));
	cr_assert_eq(dotdot(fs, "/a"), EXT2_ROOT_INO);
	/* A file does not count in its parent's links. */
	check_close(check_open(fs, "/a/f", O_RDWR | O_CREAT, 0644));
	cr_assert_eq(nlink(fs, "/a"), 4);
	s1 = check_statfs(fs);
	cr_assert_eq(s0.f_ffree - s1.f_ffree, 4);
	/* Directories take one block each. */
	cr_assert_eq(s0.f_bfree - s1.f_bfree, 3);
	expect_refs(&h, "mkdir");
	CHECK_OK(ext2_rmdir(fs, "/a/b"));
	cr_assert_eq(nlink(fs, "/a"), 3);
	CHECK_ERR(ext2_stat(fs, "/a/b", &(struct stat){ 0 }), ENOENT);
	expect_refs(&h, "rmdir");
	release(&h);
	check_unmount_fsck(fs, p);
	cr_assert_eq(debugfs_links(p, "/"), 4);
	cr_assert_eq(debugfs_links(p, "/a"), 3);
	cr_assert_eq(debugfs_entry(p, "/a", "b"), 0);
}

Test(namei, mkdir_rmdir_unlink_failures_change_nothing)
{
	const char *p;
	daxfs *fs = check_new_fs("nmkf", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	char *before;

	CHECK_OK(ext2_mkdir(fs, "/d", 0755));
	CHECK_OK(ext2_mkdir(fs, "/d/sub", 0755));
	check_close(check_open(fs, "/f", O_RDWR | O_CREAT, 0644));
	hold(&h, fs, "/");
	hold(&h, fs, "/d");
	hold(&h, fs, "/d/sub");
	hold(&h, fs, "/f");
	before = tree_sig(fs);
	CHECK_ERR(ext2_mkdir(fs, "/d", 0755), EEXIST);
	CHECK_ERR(ext2_mkdir(fs, "/f", 0755), EEXIST);
	CHECK_ERR(ext2_mkdir(fs, "/nope/x", 0755), ENOENT);
	CHECK_ERR(ext2_mkdir(fs, "/f/x", 0755), ENOTDIR);
	CHECK_ERR(ext2_rmdir(fs, "/d"), ENOTEMPTY);
	CHECK_ERR(ext2_rmdir(fs, "/f"), ENOTDIR);
	CHECK_ERR(ext2_rmdir(fs, "/"), EBUSY);
	CHECK_ERR(ext2_rmdir(fs, "/d/."), EINVAL);
	CHECK_ERR(ext2_rmdir(fs, "/missing"), ENOENT);
	CHECK_ERR(ext2_unlink(fs, "/d"), EISDIR);
	CHECK_ERR(ext2_unlink(fs, "/f/"), ENOTDIR);
	CHECK_ERR(ext2_unlink(fs, "/missing"), ENOENT);
	expect_sig(fs, before, "failed mkdir/rmdir/unlink");
	expect_refs(&h, "failed mkdir/rmdir/unlink");
	free(before);
	release(&h);
	check_unmount_fsck(fs, p);
}

/* ---- rename ---------------------------------------------------------- */

Test(namei, rename_directory_across_parents)
{
	const char *p;
	daxfs *fs = check_new_fs("nren", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	uint64_t pino, qino, dino;
	struct statvfs s0, s1;

	CHECK_OK(ext2_mkdir(fs, "/p", 0755));
	CHECK_OK(ext2_mkdir(fs, "/q", 0755));
	CHECK_OK(ext2_mkdir(fs, "/p/d", 0755));
	CHECK_OK(ext2_mkdir(fs, "/p/d/inner", 0755));
	check_create_pattern_file(fs, "/p/d/x", 5, 10000);
	pino = ino_of(fs, "/p");
	qino = ino_of(fs, "/q");
	dino = ino_of(fs, "/p/d");
	hold(&h, fs, "/");
	hold(&h, fs, "/p");
	hold(&h, fs, "/q");
	hold(&h, fs, "/p/d");
	hold(&h, fs, "/p/d/x");
	cr_assert_eq(nlink(fs, "/p"), 3);
	cr_assert_eq(nlink(fs, "/q"), 2);
	cr_assert_eq(dotdot(fs, "/p/d"), pino);
	s0 = check_statfs(fs);

	CHECK_OK(ext2_rename(fs, "/p/d", "/q/d"));
	cr_assert_eq(nlink(fs, "/p"), 2);
	cr_assert_eq(nlink(fs, "/q"), 3);
	cr_assert_eq(nlink(fs, "/q/d"), 3);
	cr_assert_eq(nlink(fs, "/"), 5);
	cr_assert_eq(ino_of(fs, "/q/d"), dino);
	cr_assert_eq(dotdot(fs, "/q/d"), qino);
	cr_assert_eq(dotdot(fs, "/q/d/inner"), dino);
	CHECK_ERR(ext2_stat(fs, "/p/d", &(struct stat){ 0 }), ENOENT);
	check_pattern_file(fs, "/q/d/x", 5, 10000);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	expect_refs(&h, "rename across parents");

	/* Within one parent: a new name, nothing else moves. */
	CHECK_OK(ext2_rename(fs, "/q/d", "/q/e"));
	cr_assert_eq(nlink(fs, "/q"), 3);
	cr_assert_eq(dotdot(fs, "/q/e"), qino);
	expect_refs(&h, "rename in one parent");
	release(&h);
	check_unmount_fsck(fs, p);
	/* What debugfs reads on the media. */
	cr_assert_eq(debugfs_entry(p, "/q/e", ".."), qino);
	cr_assert_eq(debugfs_entry(p, "/q", "e"), dino);
	cr_assert_eq(debugfs_entry(p, "/p", "d"), 0);
	cr_assert_eq(debugfs_links(p, "/p"), 2);
	cr_assert_eq(debugfs_links(p, "/q"), 3);
}

Test(namei, rename_over_empty_directory_frees_it)
{
	const char *p;
	daxfs *fs = check_new_fs("nrend", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	struct ext2_inode_info *old;
	struct statvfs s0, s1, s2;
	uint64_t qino, dino;

	CHECK_OK(ext2_mkdir(fs, "/p", 0755));
	CHECK_OK(ext2_mkdir(fs, "/q", 0755));
	CHECK_OK(ext2_mkdir(fs, "/p/d", 0755));
	CHECK_OK(ext2_mkdir(fs, "/q/e", 0755));
	qino = ino_of(fs, "/q");
	dino = ino_of(fs, "/p/d");
	hold(&h, fs, "/p");
	hold(&h, fs, "/q");
	hold(&h, fs, "/p/d");
	/* Hold the directory about to be replaced: it is freed at our
	 * reference's end, not before. */
	old = walk(fs, "/q/e");
	s0 = check_statfs(fs);
	CHECK_OK(ext2_rename(fs, "/p/d", "/q/e"));
	cr_assert_eq(ext2_i_links(old), 0);
	cr_assert_eq(old->refcount, 1);
	cr_assert_eq(nlink(fs, "/p"), 2);
	cr_assert_eq(nlink(fs, "/q"), 3);
	cr_assert_eq(ino_of(fs, "/q/e"), dino);
	cr_assert_eq(dotdot(fs, "/q/e"), qino);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree, "freed before its last iput");
	ext2_iput(old);
	s2 = check_statfs(fs);
	cr_assert_eq(s2.f_ffree, s0.f_ffree + 1);
	cr_assert_eq(s2.f_bfree, s0.f_bfree + 1);
	expect_refs(&h, "rename over a directory");
	release(&h);
	check_unmount_fsck(fs, p);
	cr_assert_eq(debugfs_entry(p, "/q/e", ".."), qino);
}

Test(namei, rename_over_file_and_onto_own_hard_link)
{
	const char *p;
	daxfs *fs = check_new_fs("nrenf", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	struct statvfs s0, s1;
	uint64_t aino;
	char *before;

	check_create_pattern_file(fs, "/a", 1, 3 * 4096);
	check_create_pattern_file(fs, "/b", 2, 5 * 4096);
	aino = ino_of(fs, "/a");
	hold(&h, fs, "/");
	hold(&h, fs, "/a");
	s0 = check_statfs(fs);
	CHECK_OK(ext2_rename(fs, "/a", "/b"));
	s1 = check_statfs(fs);
	/* b's inode and its 5 blocks are free; a is b now. */
	cr_assert_eq(s1.f_ffree, s0.f_ffree + 1);
	cr_assert_eq(s1.f_bfree, s0.f_bfree + 5);
	cr_assert_eq(ino_of(fs, "/b"), aino);
	cr_assert_eq(nlink(fs, "/b"), 1);
	check_pattern_file(fs, "/b", 1, 3 * 4096);
	expect_refs(&h, "rename over a file");

	/* Two names of one inode: rename does nothing (POSIX). */
	CHECK_OK(ext2_link(fs, "/b", "/c"));
	cr_assert_eq(nlink(fs, "/b"), 2);
	before = tree_sig(fs);
	CHECK_OK(ext2_rename(fs, "/b", "/c"));
	expect_sig(fs, before, "rename onto a hard link of itself");
	expect_refs(&h, "rename onto a hard link");
	free(before);
	release(&h);
	check_unmount_fsck(fs, p);
	cr_assert_eq(debugfs_links(p, "/b"), 2);
}

Test(namei, failed_renames_change_nothing)
{
	const char *p;
	daxfs *fs = check_new_fs("nrenx", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	char *before;

	CHECK_OK(ext2_mkdir(fs, "/a", 0755));
	CHECK_OK(ext2_mkdir(fs, "/a/b", 0755));
	CHECK_OK(ext2_mkdir(fs, "/full", 0755));
	CHECK_OK(ext2_mkdir(fs, "/empty", 0755));
	check_create_pattern_file(fs, "/full/x", 9, 100);
	check_create_pattern_file(fs, "/f", 8, 5000);
	hold(&h, fs, "/");
	hold(&h, fs, "/a");
	hold(&h, fs, "/a/b");
	hold(&h, fs, "/full");
	hold(&h, fs, "/empty");
	hold(&h, fs, "/full/x");
	hold(&h, fs, "/f");
	before = tree_sig(fs);
	CHECK_ERR(ext2_rename(fs, "/a", "/a/b/a"), EINVAL);
	CHECK_ERR(ext2_rename(fs, "/a", "/a/b"), EINVAL);
	CHECK_ERR(ext2_rename(fs, "/a/b", "/a"), ENOTEMPTY);
	CHECK_ERR(ext2_rename(fs, "/empty", "/full"), ENOTEMPTY);
	CHECK_ERR(ext2_rename(fs, "/full/x", "/empty"), EISDIR);
	CHECK_ERR(ext2_rename(fs, "/empty", "/f"), ENOTDIR);
	CHECK_ERR(ext2_rename(fs, "/f/", "/g"), ENOTDIR);
	CHECK_ERR(ext2_rename(fs, "/missing", "/g"), ENOENT);
	CHECK_ERR(ext2_rename(fs, "/f", "/missing/g"), ENOENT);
	CHECK_ERR(ext2_rename(fs, "/", "/r"), EBUSY);
	CHECK_ERR(ext2_rename(fs, "/a/..", "/r"), EBUSY);
	expect_sig(fs, before, "failed renames");
	expect_refs(&h, "failed renames");
	free(before);
	release(&h);
	check_unmount_fsck(fs, p);
}

/* ---- link and unlink ------------------------------------------------- */

Test(namei, link_unlink_counts_and_failures)
{
	const char *p;
	daxfs *fs = check_new_fs("nlnk", 16 * TEST_MIB, 4096, 0, &p);
	struct held h = { 0 };
	struct statvfs s0, s1;
	char *before;

	CHECK_OK(ext2_mkdir(fs, "/d", 0755));
	s0 = check_statfs(fs);
	check_create_pattern_file(fs, "/f", 4, 2 * 4096);
	hold(&h, fs, "/");
	hold(&h, fs, "/d");
	CHECK_OK(ext2_link(fs, "/f", "/d/g"));
	cr_assert_eq(nlink(fs, "/f"), 2);
	cr_assert_eq(ino_of(fs, "/d/g"), ino_of(fs, "/f"));
	cr_assert_eq(nlink(fs, "/d"), 2, "a file link counted in its dir");
	hold(&h, fs, "/f");
	before = tree_sig(fs);
	CHECK_ERR(ext2_link(fs, "/d", "/d2"), EPERM);
	CHECK_ERR(ext2_link(fs, "/f", "/d/g"), EEXIST);
	CHECK_ERR(ext2_link(fs, "/f", "/d"), EEXIST);
	CHECK_ERR(ext2_link(fs, "/f", "/"), EEXIST);
	CHECK_ERR(ext2_link(fs, "/missing", "/h"), ENOENT);
	CHECK_ERR(ext2_link(fs, "/f", "/missing/h"), ENOENT);
	CHECK_ERR(ext2_link(fs, "/f", "/h/"), ENOENT);
	expect_sig(fs, before, "failed links");
	expect_refs(&h, "failed links");
	free(before);

	CHECK_OK(ext2_unlink(fs, "/f"));
	cr_assert_eq(nlink(fs, "/d/g"), 1);
	check_pattern_file(fs, "/d/g", 4, 2 * 4096);
	/* Still named once, and held: nothing freed. */
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree - 1);
	CHECK_OK(ext2_unlink(fs, "/d/g"));
	cr_assert_eq(ext2_i_links(h.in[2]), 0);
	/* Our reference keeps the inode and its blocks. */
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree - 1);
	cr_assert_eq(s1.f_bfree, s0.f_bfree - 2);
	h.n = 2;
	expect_refs(&h, "unlink");
	cr_assert_eq(h.in[2]->refcount, h.ref[2]);
	ext2_iput(h.in[2]);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	cr_assert_eq(s1.f_bfree, s0.f_bfree);
	release(&h);
	check_unmount_fsck(fs, p);
	cr_assert_eq(debugfs_entry(p, "/d", "g"), 0);
}

/* ---- symlinks -------------------------------------------------------- */

/* A target of n bytes: "t/" then letters. */
static char *target(size_t n)
{
	char *t = malloc(n + 1);

	cr_assert(t);
	for (size_t i = 0; i < n; i++)
		t[i] = i < 2 ? "t/"[i] : (char)('a' + i % 26);
	t[n] = 0;
	return t;
}

Test(namei, fast_and_block_symlinks)
{
	const char *p;
	daxfs *fs = check_new_fs("nsym", 16 * TEST_MIB, 4096, 0, &p);
	char *t59 = target(59), *t60 = target(60), *t4095 = target(4095),
	     *t4096 = target(4096);
	struct ext2_inode_info *in;
	struct statvfs s0, s1;
	struct test_dstat st;
	char buf[4096];
	char *dl;

	s0 = check_statfs(fs);
	CHECK_OK(ext2_symlink(fs, t59, "/fast"));
	CHECK_OK(ext2_symlink(fs, t60, "/slow"));
	CHECK_OK(ext2_symlink(fs, t4095, "/big"));
	CHECK_ERR_MSG(ext2_symlink(fs, t4096, "/toobig"), ENAMETOOLONG,
		      "block");
	CHECK_ERR(ext2_symlink(fs, "x", "/fast"), EEXIST);
	CHECK_ERR(ext2_symlink(fs, "x", "/l/"), ENOENT);
	s1 = check_statfs(fs);
	cr_assert_eq(s0.f_ffree - s1.f_ffree, 3);
	cr_assert_eq(s0.f_bfree - s1.f_bfree, 2, "the fast link took a block");

	in = walk(fs, "/fast");
	cr_assert(ext2_inode_is_fast_symlink(in));
	cr_assert_eq(memcmp(in->raw->i_block, t59, 59), 0);
	ext2_iput(in);
	in = walk(fs, "/slow");
	cr_assert(!ext2_inode_is_fast_symlink(in));
	ext2_iput(in);
	in = walk(fs, "/");
	cr_assert(!ext2_inode_is_fast_symlink(in), "a directory");
	ext2_iput(in);

	CHECK_EQ(ext2_readlink(fs, "/fast", buf, sizeof(buf)), 59);
	cr_assert_eq(memcmp(buf, t59, 59), 0);
	CHECK_EQ(ext2_readlink(fs, "/slow", buf, sizeof(buf)), 60);
	cr_assert_eq(memcmp(buf, t60, 60), 0);
	CHECK_EQ(ext2_readlink(fs, "/big", buf, sizeof(buf)), 4095);
	cr_assert_eq(memcmp(buf, t4095, 4095), 0);
	/* A short buffer gets the start, no NUL. */
	memset(buf, '#', 16);
	CHECK_EQ(ext2_readlink(fs, "/slow", buf, 10), 10);
	cr_assert_eq(memcmp(buf, t60, 10), 0);
	cr_assert_eq(buf[10], '#');
	CHECK_EQ(ext2_readlink(fs, "/fast", buf, 3), 3);
	CHECK_ERR(ext2_readlink(fs, "/", buf, 10), EINVAL);
	check_unmount_fsck(fs, p);

	cr_assert_eq(test_debugfs_stat(p, "/fast", &st), 0);
	cr_assert_str_eq(st.type, "symlink");
	cr_assert(st.has_fastlink);
	cr_assert_str_eq(st.fastlink, t59);
	cr_assert_eq(st.blockcount, 0);
	cr_assert_eq(st.size, 59);
	cr_assert_eq(test_debugfs_stat(p, "/slow", &st), 0);
	cr_assert(!st.has_fastlink);
	cr_assert_eq(st.blockcount, 8);
	cr_assert_eq(st.size, 60);
	dl = test_debugfs_readlink(p, "/slow");
	cr_assert_not_null(dl);
	cr_assert_str_eq(dl, t60);
	free(dl);
	dl = test_debugfs_readlink(p, "/big");
	cr_assert_not_null(dl);
	cr_assert_str_eq(dl, t4095);
	free(dl);
	free(t59);
	free(t60);
	free(t4095);
	free(t4096);
}

/* ---- readdir and stat ------------------------------------------------ */

struct dents {
	int n;
	char name[64][64];
	uint64_t ino[64];
	unsigned type[64];
	int stop_after; /* return 1 after this many (0: never) */
};

static int collect(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct dents *d = arg;

	cr_assert_lt(d->n, 64);
	snprintf(d->name[d->n], 64, "%s", name);
	d->ino[d->n] = ino;
	d->type[d->n] = type;
	d->n++;
	return d->stop_after && d->n >= d->stop_after;
}

static unsigned dt_of_mode(unsigned mode)
{
	return S_ISDIR(mode) ? DAXFS_DT_DIR : S_ISLNK(mode) ? DAXFS_DT_LNK
					     : DAXFS_DT_REG;
}

Test(namei, readdir_contents_match_debugfs)
{
	const char *p;
	daxfs *fs = check_new_fs("nrd", 16 * TEST_MIB, 1024, 0, &p);
	struct dents d = { 0 }, part = { .stop_after = 5 };
	struct test_dent *e;
	char name[64];
	int n, i;

	CHECK_OK(ext2_mkdir(fs, "/r", 0755));
	/* Enough names for two 1 KiB blocks, then holes, then reuse. */
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "/r/file-with-a-longer-name-%02d", i);
		if (i % 7 == 3)
			CHECK_OK(ext2_mkdir(fs, name, 0700));
		else if (i % 7 == 5)
			CHECK_OK(ext2_symlink(fs, "target", name));
		else
			check_close(check_open(fs, name, O_RDWR | O_CREAT,
					       0600));
	}
	for (i = 0; i < 40; i += 4) {
		snprintf(name, sizeof(name), "/r/file-with-a-longer-name-%02d", i);
		CHECK_OK(i % 7 == 3 ? ext2_rmdir(fs, name)
				    : ext2_unlink(fs, name));
	}
	CHECK_OK(ext2_mkdir(fs, "/r/new-dir", 0755));
	CHECK_OK(ext2_symlink(fs, "x", "/r/nl"));
	CHECK_OK(ext2_readdir(fs, "/r", collect, &d));
	{
		struct stat st;

		CHECK_OK(ext2_stat(fs, "/r", &st));
		/* two leaves; with dir_index (daxfs_mkfs sets it) and the
		 * root of the index, three blocks */
		cr_assert_eq(st.st_size, 3072, "/r is not an index over two "
			     "leaves");
	}
	cr_assert_eq(d.n, 2 + 40 - 10 + 2);
	/* A callback that returns non-zero stops the walk with its value. */
	CHECK_EQ(ext2_readdir(fs, "/r", collect, &part), 1);
	cr_assert_eq(part.n, 5);
	CHECK_ERR(ext2_readdir(fs, "/r/file-with-a-longer-name-01", collect, &part), ENOTDIR);
	CHECK_ERR(ext2_readdir(fs, "/r/none", collect, &part), ENOENT);
	/* stat agrees with readdir. */
	for (i = 0; i < d.n; i++) {
		struct stat st;
		char path[96];

		snprintf(path, sizeof(path), "/r/%s", d.name[i]);
		CHECK_OK(ext2_stat(fs, path, &st));
		cr_assert_eq(st.st_ino, d.ino[i], "%s", path);
		cr_assert_eq(dt_of_mode(st.st_mode), d.type[i], "%s", path);
	}
	check_unmount_fsck(fs, p);

	/* The same entries as debugfs (which lists blocks in order; an
	 * indexed directory is read in hash order, as ext4 reads it). */
	n = test_debugfs_ls(p, "/r", &e);
	cr_assert_eq(n, d.n, "debugfs lists %d entries, readdir %d", n, d.n);
	for (i = 0; i < n; i++) {
		int j = 0;

		while (j < d.n && strcmp(d.name[j], e[i].name))
			j++;
		cr_assert_lt(j, d.n, "readdir misses %s", e[i].name);
		cr_assert_eq(d.ino[j], e[i].ino, "entry %s", e[i].name);
		cr_assert_eq(d.type[j], dt_of_mode(e[i].mode), "entry %s",
			     e[i].name);
		d.name[j][0] = 0; /* listed once */
	}
	free(e);
}

Test(namei, stat_matches_debugfs)
{
	const char *p;
	daxfs *fs = check_new_fs("nst", 16 * TEST_MIB, 4096, 0, &p);
	struct stat sd, sf, sl;
	struct test_dstat st;

	CHECK_OK(ext2_mkdir(fs, "/d", 0710));
	check_create_pattern_file(fs, "/d/f", 3, 12345);
	CHECK_OK(ext2_symlink(fs, "d/f", "/l"));
	CHECK_OK(ext2_stat(fs, "/d", &sd));
	CHECK_OK(ext2_stat(fs, "/d/f", &sf));
	CHECK_OK(ext2_stat(fs, "/l", &sl));
	CHECK_ERR(ext2_stat(fs, "/d/f/x", &sl), ENOTDIR);
	check_unmount_fsck(fs, p);

	cr_assert_eq(test_debugfs_stat(p, "/d", &st), 0);
	cr_assert_eq(sd.st_ino, st.ino);
	cr_assert_eq(sd.st_mode, S_IFDIR | 0710);
	cr_assert_eq(st.mode, 0710);
	cr_assert_eq(sd.st_nlink, st.links);
	cr_assert_eq((uint64_t)sd.st_size, st.size);
	cr_assert_eq(test_debugfs_stat(p, "/d/f", &st), 0);
	cr_assert_eq(sf.st_ino, st.ino);
	cr_assert_eq((uint64_t)sf.st_size, 12345);
	cr_assert_eq((uint64_t)sf.st_blocks, st.blockcount);
	cr_assert_eq((int64_t)sf.st_mtime, st.mtime);
	cr_assert_eq(test_debugfs_stat(p, "/l", &st), 0);
	cr_assert_eq(sl.st_ino, st.ino);
	cr_assert(S_ISLNK(sl.st_mode));
	cr_assert_eq((uint64_t)sl.st_size, 3);
}

/* ---- ext2_create_locked ---------------------------------------------- */

Test(namei, create_locked_in_live_and_removed_directories)
{
	const char *p;
	daxfs *fs = check_new_fs("ncr", 16 * TEST_MIB, 4096, 0, &p);
	struct ext2_inode_info *dir, *in = NULL, *other = NULL;
	struct statvfs s0, s1;
	struct ext2_dirent_info de;
	int dref;

	CHECK_OK(ext2_mkdir(fs, "/d", 0755));
	dir = walk(fs, "/d");
	dref = dir->refcount;
	s0 = check_statfs(fs);
	down_write(&dir->i_rwsem);
	CHECK_OK(ext2_create_locked(dir, "new", 3, S_IFREG | 0640, &in));
	CHECK_OK(ext2_dir_lookup(dir, "new", 3, &de));
	cr_assert_eq(de.ino, in->ino);
	cr_assert_eq(de.ftype, EXT2_FT_REG_FILE);
	cr_assert_eq(in->refcount, 1, "a new inode with %d refs",
		     in->refcount);
	cr_assert_eq(ext2_i_links(in), 1);
	cr_assert_eq(ext2_i_mode(in), S_IFREG | 0640);
	cr_assert_eq(ext2_i_size(in), 0);
	/* The same name again: -EEXIST, no inode taken. */
	CHECK_ERR(ext2_create_locked(dir, "new", 3, S_IFREG | 0640, &other),
		  EEXIST);
	cr_assert_null(other);
	/* Only len bytes of the name count. */
	CHECK_OK(ext2_create_locked(dir, "sub-and-more", 3, S_IFDIR | 0700,
				    &other));
	cr_assert_eq(ext2_i_links(other), 2);
	up_write(&dir->i_rwsem);
	cr_assert_eq(ext2_i_links(dir), 3);
	cr_assert_eq(dir->refcount, dref);
	s1 = check_statfs(fs);
	cr_assert_eq(s0.f_ffree - s1.f_ffree, 2);
	cr_assert_eq(s0.f_bfree - s1.f_bfree, 1);
	cr_assert_eq(ino_of(fs, "/d/sub"), other->ino);
	cr_assert_eq(dotdot(fs, "/d/sub"), dir->ino);
	ext2_iput(in);
	ext2_iput(other);

	/* The directory removed while we hold it: -ENOENT, nothing left. */
	CHECK_OK(ext2_unlink(fs, "/d/new"));
	CHECK_OK(ext2_rmdir(fs, "/d/sub"));
	CHECK_OK(ext2_rmdir(fs, "/d"));
	cr_assert_eq(ext2_i_links(dir), 0);
	s0 = check_statfs(fs);
	other = NULL;
	down_write(&dir->i_rwsem);
	CHECK_ERR(ext2_create_locked(dir, "late", 4, S_IFREG | 0644, &other),
		  ENOENT);
	up_write(&dir->i_rwsem);
	cr_assert_null(other);
	cr_assert_eq(dir->refcount, dref);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	ext2_iput(dir);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree + 1, "the removed dir not freed");
	check_unmount_fsck(fs, p);
	cr_assert_eq(debugfs_entry(p, "/", "d"), 0);
}
