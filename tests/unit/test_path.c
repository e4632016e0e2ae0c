/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_path.c -- white-box tests of the path walk of path.c:
 * ext2_path_walk and ext2_path_parent on redundant slashes, "." and
 * "..", relative paths, files used as directories, missing components,
 * over-long components and paths, trailing slashes; the name and length
 * ext2_path_parent returns; and that no call leaks an inode reference.
 *
 * Tree: /a (dir), /a/b (dir), /a/b/c (file), /f (file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(path, .fini = test_cleanup, .timeout = 120);

static daxfs *fs;
static const char *img;
static uint32_t ino_a, ino_b, ino_c, ino_f;

static uint32_t ino_of(const char *path)
{
	struct stat st;

	CHECK_OK(daxfs_stat(fs, path, &st));
	return st.st_ino;
}

/* Single-threaded here, so the count can be read without its lock. */
static int refcount(struct ext2_inode_info *in)
{
	return *(volatile int *)&in->refcount;
}

/* Pinned inodes of the tree, to watch their reference counts. */
static struct ext2_inode_info *pa, *pb;
static int ref_root, ref_a, ref_b;

static void make_tree(void)
{
	daxfs_file *f;

	fs = check_new_fs("path", 8 * TEST_MIB, 4096, 0, &img);
	CHECK_OK(daxfs_mkdir(fs, "/a", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/a/b", 0755));
	CHECK_OK(daxfs_open(fs, "/a/b/c", O_RDWR | O_CREAT, 0644, &f));
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	CHECK_OK(daxfs_close(f));
	ino_a = ino_of("/a");
	ino_b = ino_of("/a/b");
	ino_c = ino_of("/a/b/c");
	ino_f = ino_of("/f");
	CHECK_OK(ext2_path_walk(EXT2_SB(fs), "/a", &pa));
	CHECK_OK(ext2_path_walk(EXT2_SB(fs), "/a/b", &pb));
	ref_root = refcount(EXT2_SB(fs)->root);
	ref_a = refcount(pa);
	ref_b = refcount(pb);
}

static void check_refs(const char *what)
{
	cr_assert_eq(refcount(EXT2_SB(fs)->root), ref_root, "%s: root refcount %d, "
		     "was %d", what, refcount(EXT2_SB(fs)->root), ref_root);
	cr_assert_eq(refcount(pa), ref_a, "%s: /a refcount %d, was %d", what,
		     refcount(pa), ref_a);
	cr_assert_eq(refcount(pb), ref_b, "%s: /a/b refcount %d, was %d",
		     what, refcount(pb), ref_b);
}

static void drop_tree(void)
{
	check_refs("end");
	ext2_iput(pa);
	ext2_iput(pb);
	check_unmount_fsck(fs, img);
	fs = NULL;
}

/* path must resolve to ino; the reference is dropped again. */
static void walk_ok(const char *path, uint32_t ino)
{
	struct ext2_inode_info *in = NULL;
	int ret = ext2_path_walk(EXT2_SB(fs), path, &in);

	cr_assert_eq(ret, 0, "walk \"%.80s\" = %d (%s): %s", path, ret,
		     test_errname(ret), daxfs_errormsg());
	cr_assert_eq(in->ino, ino, "walk \"%.80s\" -> inode %u, expected %u",
		     path, in->ino, ino);
	ext2_iput(in);
	check_refs(path);
}

static void walk_err(const char *path, int err)
{
	struct ext2_inode_info *in = (void *)0x1;
	int ret = ext2_path_walk(EXT2_SB(fs), path, &in);

	cr_assert_eq(ret, -err, "walk \"%.80s\" = %d (%s), expected -%s: %s",
		     path, ret, test_errname(ret), test_errname(-err),
		     daxfs_errormsg());
	check_errormsg(path, NULL);
	check_refs(path);
}

/* path_parent must give the directory dino and the last component
 * starting at byte name_off of path, len bytes long. */
static void parent_ok(const char *path, uint32_t dino, size_t name_off,
		      size_t len, bool slash)
{
	struct ext2_last last = { .len = 99, .slash = !slash };
	int ret = ext2_path_parent(EXT2_SB(fs), path, &last);
	struct ext2_inode_info *dir = last.dir;
	const char *name = last.name;
	size_t l = last.len;
	bool ts = last.slash;

	cr_assert_eq(ret, 0, "parent \"%.80s\" = %d (%s): %s", path, ret,
		     test_errname(ret), daxfs_errormsg());
	cr_assert_eq(dir->ino, dino, "parent \"%.80s\": inode %u, expected %u",
		     path, dir->ino, dino);
	cr_assert_eq(name, path + name_off, "parent \"%.80s\": name at offset "
		     "%td, expected %zu", path, name - path, name_off);
	cr_assert_eq(l, len, "parent \"%.80s\": len %zu, expected %zu", path,
		     l, len);
	cr_assert_eq(ts, slash, "parent \"%.80s\": trailing slash %d", path,
		     ts);
	ext2_iput(dir);
	check_refs(path);
}

static void parent_err(const char *path, int err)
{
	struct ext2_last last = { .dir = (void *)0x1 };
	int ret = ext2_path_parent(EXT2_SB(fs), path, &last);

	cr_assert_eq(ret, -err, "parent \"%.80s\" = %d (%s), expected -%s: %s",
		     path, ret, test_errname(ret), test_errname(-err),
		     daxfs_errormsg());
	check_errormsg(path, NULL);
	check_refs(path);
}

Test(path, walk_resolves, .init = make_tree, .fini = drop_tree)
{
	walk_ok("/", EXT2_ROOT_INO);
	walk_ok("//", EXT2_ROOT_INO);
	walk_ok("/.", EXT2_ROOT_INO);
	walk_ok("/..", EXT2_ROOT_INO);
	walk_ok("/../..", EXT2_ROOT_INO);
	walk_ok("/a", ino_a);
	walk_ok("/a/", ino_a);
	walk_ok("/a/b", ino_b);
	walk_ok("//a//b/", ino_b);
	walk_ok("/a/./b", ino_b);
	walk_ok("/./a/././b/.", ino_b);
	walk_ok("/a/../a/b", ino_b);
	walk_ok("/a/b/..", ino_a);
	walk_ok("/a/b/../..", EXT2_ROOT_INO);
	walk_ok("/a/b/../../a/b/c", ino_c);
	walk_ok("/a/b/c", ino_c);
	walk_ok("/f", ino_f);
	walk_ok("/lost+found/../f", ino_f);
}

Test(path, walk_errors, .init = make_tree, .fini = drop_tree)
{
	walk_err("a/b", EINVAL);
	walk_err("", EINVAL);
	walk_err(".", EINVAL);
	walk_err(NULL, EINVAL);
	walk_err("/f/x", ENOTDIR);
	walk_err("/f/", ENOTDIR);
	walk_err("/f//", ENOTDIR);
	walk_err("/f/.", ENOTDIR);
	walk_err("/f/..", ENOTDIR);
	walk_err("/a/b/c/", ENOTDIR);
	walk_err("/a/b/c/d/e", ENOTDIR);
	walk_err("/missing", ENOENT);
	walk_err("/a/missing/b", ENOENT);
	walk_err("/a/b/missing", ENOENT);
	walk_err("/a/b/missing/", ENOENT);
	walk_err("/A", ENOENT);
}

Test(path, walk_errors_name_messages, .init = make_tree, .fini = drop_tree)
{
	struct ext2_inode_info *in;

	CHECK_ERR_MSG(ext2_path_walk(EXT2_SB(fs), "/a/missing/b", &in), ENOENT,
		      "missing");
	CHECK_ERR_MSG(ext2_path_walk(EXT2_SB(fs), "/f/x", &in), ENOTDIR,
		      "not a directory");
	CHECK_ERR_MSG(ext2_path_walk(EXT2_SB(fs), "relative", &in), EINVAL, "absolute");
	check_refs("messages");
}

Test(path, long_names, .init = make_tree, .fini = drop_tree)
{
	char p[600];

	/* 255 bytes is a legal (missing) name, 256 is too long. */
	p[0] = '/';
	memset(p + 1, 'x', 255);
	p[256] = 0;
	walk_err(p, ENOENT);
	parent_ok(p, EXT2_ROOT_INO, 1, 255, false);
	memset(p + 1, 'x', 256);
	p[257] = 0;
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
	/* Too long in the middle, before a missing or a file component. */
	strcpy(p + 257, "/y");
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
	snprintf(p, sizeof(p), "/a/%0256d/c", 7);
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
	/* With a trailing slash, the last name is still measured. */
	snprintf(p, sizeof(p), "/a/%0256d/", 7);
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
}

/* "/a" then "/." until the path has len bytes. */
static char *long_path(size_t len)
{
	char *p = malloc(len + 1);
	size_t i;

	cr_assert(p);
	memcpy(p, "/a", 2);
	for (i = 2; i + 2 <= len; i += 2)
		memcpy(p + i, "/.", 2);
	if (i < len)
		p[i++] = '/';
	p[i] = 0;
	cr_assert_eq(strlen(p), len);
	return p;
}

Test(path, long_paths, .init = make_tree, .fini = drop_tree)
{
	char *p;

	cr_assert_eq(PATH_MAX, 4096);
	/* 4095 bytes (4096 with the NUL) is the longest path. */
	p = long_path(4095);
	walk_ok(p, ino_a);
	parent_ok(p, ino_a, 4093, 1, true);
	free(p);
	p = long_path(4094);
	walk_ok(p, ino_a);
	parent_ok(p, ino_a, 4093, 1, false);
	free(p);
	p = long_path(4096);
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
	free(p);
	p = long_path(10000);
	walk_err(p, ENAMETOOLONG);
	parent_err(p, ENAMETOOLONG);
	free(p);
}

Test(path, parent_names, .init = make_tree, .fini = drop_tree)
{
	/* "/" itself: the root, an empty name. */
	parent_ok("/", EXT2_ROOT_INO, 1, 0, false);
	parent_ok("/a", EXT2_ROOT_INO, 1, 1, false);
	parent_ok("/a/", EXT2_ROOT_INO, 1, 1, true);
	parent_ok("/a/b", ino_a, 3, 1, false);
	parent_ok("/a/b///", ino_a, 3, 1, true);
	parent_ok("//a//b/", ino_a, 5, 1, true);
	parent_ok("/a/./b", ino_a, 5, 1, false);
	parent_ok("/a/../a/b", ino_a, 8, 1, false);
	parent_ok("/a/b/c", ino_b, 5, 1, false);
	parent_ok("/a/b/../c", ino_a, 8, 1, false);
	/* The last component need not exist. */
	parent_ok("/newname", EXT2_ROOT_INO, 1, 7, false);
	parent_ok("/a/b/new.txt", ino_b, 5, 7, false);
	/* "." and ".." as the last component are returned as names. */
	parent_ok("/a/.", ino_a, 3, 1, false);
	parent_ok("/a/b/..", ino_b, 5, 2, false);
	parent_ok("/..", EXT2_ROOT_INO, 1, 2, false);
}

Test(path, parent_errors, .init = make_tree, .fini = drop_tree)
{
	parent_err("a", EINVAL);
	parent_err("a/b", EINVAL);
	parent_err("", EINVAL);
	parent_err(NULL, EINVAL);
	parent_err("/missing/x", ENOENT);
	parent_err("/a/missing/x", ENOENT);
	parent_err("/f/x", ENOTDIR);
	parent_err("/f/x/", ENOTDIR);
	parent_err("/a/b/c/x", ENOTDIR);
	parent_err("/f/./x", ENOTDIR);
}

/* The public calls map the walk's errors unchanged. */
Test(path, api_errors, .init = make_tree, .fini = drop_tree)
{
	struct stat st;
	daxfs_file *f;
	char p[300];

	CHECK_ERR_MSG(daxfs_stat(fs, "/f/", &st), ENOTDIR, NULL);
	CHECK_ERR_MSG(daxfs_stat(fs, "/f/x", &st), ENOTDIR, NULL);
	CHECK_ERR_MSG(daxfs_stat(fs, "/nope/x", &st), ENOENT, NULL);
	CHECK_ERR_MSG(daxfs_stat(fs, "nope", &st), EINVAL, NULL);
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/f/d", 0755), ENOTDIR, NULL);
	CHECK_ERR_MSG(daxfs_open(fs, "/f/g", O_RDWR | O_CREAT, 0644, &f),
		      ENOTDIR, NULL);
	p[0] = '/';
	memset(p + 1, 'n', 256);
	p[257] = 0;
	CHECK_ERR_MSG(daxfs_mkdir(fs, p, 0755), ENAMETOOLONG, NULL);
	CHECK_ERR_MSG(daxfs_stat(fs, p, &st), ENAMETOOLONG, NULL);
	CHECK_OK(daxfs_stat(fs, "//a//b/", &st));
	cr_assert_eq(st.st_ino, ino_b);
	check_refs("api");
}
