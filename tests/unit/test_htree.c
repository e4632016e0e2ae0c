/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_htree.c -- indexed (dir_index) directories kept on the media
 * (ext2/htree.c, dirhash.c): the name hash against debugfs's dx_hash for
 * every hash version; directories libdaxfs indexes when they outgrow a
 * block, filled with thousands of names, part removed and renamed, then
 * checked by e2fsck -fn, debugfs htree_dump and every name looked up
 * through libdaxfs and debugfs; and directories e2fsck -D indexed,
 * changed by libdaxfs with the index kept.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "ext2/htree.h"
#include "check.h"
#include "interop.h"

TestSuite(htree, .fini = test_kernel_cleanup, .timeout = 900);

/* The seed as debugfs takes it (a UUID) and as the superblock holds it. */
static const char *seed_str = "01234567-89ab-cdef-0011-223344556677";
static const unsigned char seed_bytes[16] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
};

/* debugfs's hash of name with alg and the seed: hash and minor. */
static void debugfs_hash(const char *alg, const char *name, uint32_t *hash,
			 uint32_t *minor)
{
	char cmd[512], *out, *p;

	snprintf(cmd, sizeof(cmd), "dx_hash -h %s -s %s %s", alg, seed_str,
		 name);
	const char *argv[] = { "debugfs", "-R", cmd, NULL };
	cr_assert_eq(test_run(argv, 0, &out, NULL, NULL), 0);
	p = strstr(out, " is 0x");
	cr_assert(p, "dx_hash said: %s", out);
	cr_assert_eq(sscanf(p, " is 0x%x (minor 0x%x)", hash, minor), 2,
		     "dx_hash said: %s", out);
	free(out);
}

Test(htree, hash_matches_debugfs)
{
	/* By number: debugfs 1.47 takes "legacy_unsigned" and the like
	 * for legacy. */
	static const char *algs[] = { "0", "1", "2", "3", "4", "5" };
	static const char *names[] = {
		"a", "hello", "entry_00042_x", "\xc3\xa9t\xc3\xa9",
		"\xff\x80\x7f_high_bytes",
		"a_name_longer_than_thirty_two_bytes_for_two_md4_blocks",
		"exactly_sixteen_", "exactly_thirty_two_bytes_long_ab",
	};
	uint32_t seed[4];

	memcpy(seed, seed_bytes, sizeof(seed));
	for (unsigned v = 0; v < 6; v++)
		for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
			uint32_t h, m, wh, wm;

			CHECK_OK(ext2_dirhash(v, seed, names[i],
					      strlen(names[i]), &h, &m));
			debugfs_hash(algs[v], names[i], &wh, &wm);
			cr_assert_eq(h, wh, "%s(\"%s\"): 0x%x, debugfs 0x%x",
				     algs[v], names[i], h, wh);
			if (v % 3) /* legacy has no minor hash */
				cr_assert_eq(m, wm, "%s(\"%s\") minor: 0x%x, "
					     "debugfs 0x%x", algs[v], names[i],
					     m, wm);
		}
	CHECK_ERR(ext2_dirhash(6, seed, "a", 1, &seed[0], &seed[1]), EINVAL);
}

/* A mke2fs image (dir_index on, as mke2fs sets it) of size bytes, its
 * directories hashed with hash (tune2fs's name; NULL: mke2fs's). */
static const char *htree_image_hash(const char *tag, uint64_t size,
				    unsigned bs, const char *hash)
{
	const char *img = test_tmp_file(tag);
	const char *const opts[] = { "-N", "250000", NULL };
	char alg[64];
	const char *argv[] = { "tune2fs", "-E", alg, img, NULL };

	cr_assert(img);
	cr_assert_eq(test_mke2fs(img, bs, size, opts), 0);
	snprintf(alg, sizeof(alg), "hash_alg=%s", hash ? hash : "");
	if (hash)
		cr_assert_eq(test_run(argv, TEST_RUN_MERGE, NULL, NULL, NULL),
			     0, "tune2fs -E %s failed", alg);
	return img;
}

/* An image with mke2fs's default hash (half_md4). */
static const char *htree_image(const char *tag, uint64_t size, unsigned bs)
{
	return htree_image_hash(tag, size, bs, NULL);
}

/* Create n empty files dir/f_<i>_<suffix> (names of varied length). */
static void make_files(daxfs *fs, const char *dir, int from, int to)
{
	char path[300];

	for (int i = from; i < to; i++) {
		daxfs_file *f;

		snprintf(path, sizeof(path), "%s/f_%d_%.*s", dir, i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		CHECK_OK(daxfs_open(fs, path, O_CREAT | O_RDWR | O_EXCL, 0644,
				    &f));
		check_close(f);
	}
}

/* The inode flags of path on the image, by debugfs. */
static unsigned dflags(const char *img, const char *path)
{
	struct test_dstat ds;

	cr_assert_eq(test_debugfs_stat(img, path, &ds), 0);
	return ds.flags;
}

/* debugfs htree_dump of path runs without complaint and shows a tree
 * with leaves, levels indirect levels (< 0: any) and the line also (NULL:
 * none). */
static void htree_dump_shows(const char *img, const char *path, int levels,
			     const char *also)
{
	char cmd[300], want[64], *err = NULL, *out;

	snprintf(cmd, sizeof(cmd), "htree_dump %s", path);
	out = test_debugfs(img, cmd, NULL, &err);
	cr_assert(out);
	cr_assert(strstr(out, "Root node dump:"), "htree_dump: %s %s", out,
		  err ? err : "");
	cr_assert(strstr(out, "Entry #1:"), "htree_dump shows one leaf");
	snprintf(want, sizeof(want), "Indirect levels: %d\n", levels);
	cr_assert(levels < 0 || strstr(out, want), "htree_dump: not %s", want);
	cr_assert(!also || strstr(out, also), "htree_dump: not %s", also);
	cr_assert(!err || !strstr(err, "rror"), "htree_dump: %s", err);
	free(out);
	free(err);
}

/* htree_dump_shows, with no line asked for besides. */
static void check_htree_dump(const char *img, const char *path, int levels)
{
	htree_dump_shows(img, path, levels, NULL);
}

/* Every f_<i> for i in [from, to) with (i % step) != skip is found
 * (present) or not. */
static void check_names(daxfs *fs, const char *dir, int from, int to,
			bool present)
{
	char path[300];
	struct stat st;

	for (int i = from; i < to; i++) {
		snprintf(path, sizeof(path), "%s/f_%d_%.*s", dir, i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		if (present)
			CHECK_OK(daxfs_stat(fs, path, &st));
		else
			CHECK_EQ(daxfs_stat(fs, path, &st), -ENOENT);
	}
}

/* Count the entries of dir with daxfs_readdir. */
static int count_cb(void *arg, const char *name, uint64_t ino, unsigned t)
{
	(void)name, (void)ino, (void)t;
	(*(int *)arg)++;
	return 0;
}

static int count_entries(daxfs *fs, const char *dir)
{
	int n = 0;

	CHECK_OK(daxfs_readdir(fs, dir, count_cb, &n));
	return n;
}

/* A directory libdaxfs makes gets an index past one block; thousands of
 * creates, unlinks and renames keep it valid for e2fsck and debugfs. */
static void grow_and_change(unsigned bs, int n, int levels, const char *hash)
{
	const char *img = htree_image_hash("htree", 512 * TEST_MIB, bs, hash);
	daxfs *fs = check_mount(img, 0);

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	check_names(fs, "/d", 0, n, true);
	cr_assert_eq(count_entries(fs, "/d"), n + 2);
	check_unmount_fsck(fs, img);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL, "/d is not indexed");
	htree_dump_shows(img, "/d", levels, hash && !strcmp(hash, "legacy") ?
			 "Hash Version: 0\n" : NULL);

	fs = check_mount(img, 0);
	check_names(fs, "/d", 0, n, true);
	for (int i = 0; i < n; i += 3) {
		char p[300], q[300];

		snprintf(p, sizeof(p), "/d/f_%d_%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		snprintf(q, sizeof(q), "/d/f_%d_%.*s", i + n, (i + n) % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		if (i % 2)
			CHECK_OK(daxfs_unlink(fs, p));
		else
			CHECK_OK(daxfs_rename(fs, p, q));
	}
	make_files(fs, "/d", 2 * n, 2 * n + n / 4);
	check_unmount_fsck(fs, img);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL, "/d lost its index");
	check_htree_dump(img, "/d", levels);
	fs = check_mount(img, 0);
	check_names(fs, "/d", 2 * n, 2 * n + n / 4, true);
	for (int i = 1; i < n; i++)
		if (i % 3 == 0)
			check_names(fs, "/d", i, i + 1, false);
		else
			check_names(fs, "/d", i, i + 1, true);
	check_unmount(fs);
}

/* 20,000 names fit under a 4 KiB root (508 leaves); on 1 KiB blocks the
 * root (124 leaves) grows a level of nodes. */
Test(htree, grows_index_4k) { grow_and_change(4096, 20000, 0, NULL); }
Test(htree, grows_index_1k_two_levels)
{
	grow_and_change(1024, 20000, 1, NULL);
}

/* The index works under the legacy hash, read from the superblock. */
Test(htree, grows_index_legacy_hash)
{
	grow_and_change(1024, 20000, 1, "legacy");
}

/* Name i of the skewed set: f_<j>, where j is the i-th number whose name
 * has a legacy hash below 1/16 of the hash space, or, every tenth name,
 * the next number whatever its hash. */
static void skewed_name(char *buf, size_t len, uint32_t *next, int i)
{
	uint32_t h, minor;

	do {
		snprintf(buf, len, "f_%u", (*next)++);
		CHECK_OK(ext2_dirhash(EXT2_HASH_LEGACY, NULL, buf, strlen(buf),
				      &h, &minor));
	} while (i % 10 && h >= 1u << 28);
}

/* Nine names in ten hash into a sixteenth of the hash space: the search
 * of an index block starts where an even spread would put a name, far
 * from where these are, and must still find each one (and no name that
 * is absent) after a remount, with e2fsck clean and the index kept. */
Test(htree, uneven_hashes_found)
{
	const char *img = htree_image_hash("skew", 512 * TEST_MIB, 1024,
					   "legacy");
	daxfs *fs = check_mount(img, 0);
	char name[64], path[80];
	uint32_t next = 0;
	struct stat st;
	int i, n = 20000;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	for (i = 0; i < n; i++) {
		daxfs_file *f;

		skewed_name(name, sizeof(name), &next, i);
		snprintf(path, sizeof(path), "/d/%s", name);
		CHECK_OK(daxfs_open(fs, path, O_CREAT | O_RDWR | O_EXCL, 0644,
				    &f));
		check_close(f);
	}
	check_unmount_fsck(fs, img);
	check_htree_dump(img, "/d", 1);
	fs = check_mount(img, 0);
	for (next = 0, i = 0; i < n; i++) {
		skewed_name(name, sizeof(name), &next, i);
		snprintf(path, sizeof(path), "/d/%s", name);
		CHECK_OK(daxfs_stat(fs, path, &st));
	}
	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/d/g_%d", i);
		CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
	}
	check_unmount_fsck(fs, img);
}

/* The kernel's ext4 driver (which walks htree indexes, unlike ext2's)
 * lists and finds every name of a directory libdaxfs indexed. */
Test(htree, kernel_reads_daxfs_index)
{
	const char *img = htree_image("htree_k", 256 * TEST_MIB, 4096);
	const char *mnt = test_tmp_dir("htree_kmnt");
	const char *why = NULL;
	char path[600];
	struct stat st;
	int n = 10000, listed = 0;
	daxfs *fs;

	if (!test_kernel_mount_works(&why))
		cr_skip_test("%s", why);
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	for (int i = 0; i < n; i += 7) {
		snprintf(path, sizeof(path), "/d/f_%d_%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		CHECK_OK(daxfs_unlink(fs, path));
	}
	check_unmount_fsck(fs, img);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL);
	if (test_kmount_type(img, mnt, "ext4", true) != 0)
		cr_skip_test("the kernel cannot mount an ext2 image as ext4");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/d/f_%d_%.*s", mnt, i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		cr_assert_eq(lstat(path, &st) == 0, i % 7 != 0,
			     "kernel lookup of %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/d", mnt);
	DIR *d = opendir(path);
	cr_assert(d);
	while (readdir(d))
		listed++;
	closedir(d);
	cr_assert_eq(listed, n - (n + 6) / 7 + 2, "the kernel lists %d",
		     listed);
	cr_assert_eq(test_kumount(mnt), 0);
}

/* A directory e2fsck -D indexed: libdaxfs finds every name through the
 * index, changes it, and the index stays (flag, e2fsck, htree_dump). */
Test(htree, e2fsck_indexed_dir_changed)
{
	const char *img = htree_image("htree_e", 256 * TEST_MIB, 1024);
	int n = 10000;
	daxfs *fs = check_mount(img, 0);

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	check_unmount_fsck(fs, img);
	/* Rebuild every index the way e2fsck does (rehash.c). */
	const char *argv[] = { "e2fsck", "-fyD", img, NULL };
	int rc = test_run(argv, 0, NULL, NULL, NULL);
	cr_assert(rc == 0 || rc == 1, "e2fsck -fyD: status %d", rc);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL);

	fs = check_mount(img, 0);
	check_names(fs, "/d", 0, n, true);
	make_files(fs, "/d", n, 2 * n);
	for (int i = 0; i < 2 * n; i += 5) {
		char p[300];

		snprintf(p, sizeof(p), "/d/f_%d_%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		CHECK_OK(daxfs_unlink(fs, p));
	}
	cr_assert_eq(count_entries(fs, "/d"), 2 * n - 2 * n / 5 + 2);
	check_unmount_fsck(fs, img);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL, "/d lost its index");
	check_htree_dump(img, "/d", -1);
}

/* Unlink every step-th name of dir/f_<i> for i in [from, to). */
static void unlink_every(daxfs *fs, const char *dir, int from, int to,
			 int step)
{
	char path[300];

	for (int i = from; i < to; i += step) {
		snprintf(path, sizeof(path), "%s/f_%d_%.*s", dir, i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		CHECK_OK(daxfs_unlink(fs, path));
	}
}

/* Every f_<i> of dir for i in [from, to) is found, except every step-th
 * one from from, which is not. */
static void check_holes(daxfs *fs, const char *dir, int from, int to,
			int step)
{
	for (int i = from; i < to; i++)
		check_names(fs, dir, i, i + 1, (i - from) % step != 0);
}

/* The DRAM cache of an indexed directory (its block addresses, each
 * leaf's names and room hint) follows every change made in the same
 * mount: names removed from leaves whose tables exist are gone, holes
 * are reused, renames are found under their new name only, and the
 * directory evicted from the inode cache (with its cache) comes back
 * right; e2fsck and htree_dump agree afterwards.  The cache is counted
 * in the inode cache's bytes. */
Test(htree, dram_cache_follows_changes)
{
	const char *img = htree_image("htree_c", 256 * TEST_MIB, 1024);
	struct daxfs_cache_stats st0, st1;
	daxfs *fs = check_mount(img, 0);
	int n = 4000;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	CHECK_OK(daxfs_cache_stats(fs, &st0));
	check_names(fs, "/d", 0, n, true); /* every leaf's table made */
	CHECK_OK(daxfs_cache_stats(fs, &st1));
	cr_assert_gt(st1.bytes, st0.bytes, "the leaf tables are not counted "
		     "(%llu bytes, %llu before)", (unsigned long long)st1.bytes,
		     (unsigned long long)st0.bytes);
	unlink_every(fs, "/d", 0, n, 2);
	check_holes(fs, "/d", 0, n, 2);
	make_files(fs, "/d", n, 2 * n); /* fills the holes, then splits */
	check_holes(fs, "/d", 0, n, 2);
	check_names(fs, "/d", n, 2 * n, true);
	CHECK_OK(daxfs_rename(fs, "/d/f_1_a", "/d/f_0_"));
	check_names(fs, "/d", 0, 1, true);
	check_names(fs, "/d", 1, 2, false);
	CHECK_OK(daxfs_set_cache_limit(fs, 0)); /* /d evicted at release */
	unlink_every(fs, "/d", n + 1, 2 * n, 3);
	check_holes(fs, "/d", n + 1, 2 * n, 3);
	CHECK_OK(daxfs_cache_stats(fs, &st1));
	cr_assert_gt(st1.evictions, 0, "nothing was evicted");
	check_unmount_fsck(fs, img);
	cr_assert(dflags(img, "/d") & EXT2_INDEX_FL, "/d lost its index");
	check_htree_dump(img, "/d", 1);
	fs = check_mount(img, 0);
	check_holes(fs, "/d", n + 1, 2 * n, 3);
	check_names(fs, "/d", 0, 1, true);
	cr_assert_eq(count_entries(fs, "/d"), 2 + n / 2 + n - (n - 1 + 2) / 3);
	check_unmount(fs);
}

/* A record found before a change that moved it (a split of its leaf) is
 * looked up again by ext2_dir_remove_found, not removed where it was: a
 * rename's insert can split the leaf of its own source name. */
Test(htree, remove_found_after_split)
{
	const char *img = htree_image("htree_m", 256 * TEST_MIB, 1024);
	daxfs *fs = check_mount(img, 0);
	const char *x = "f_7_abcdefg";
	struct ext2_dirent_info so, again;
	struct ext2_inode_info *dir;
	unsigned char *now = NULL;
	char name[64];
	int added;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, 1000);
	CHECK_OK(ext2_path_walk(EXT2_SB(fs), "/d", &dir));
	down_write(&dir->i_rwsem);
	CHECK_OK(ext2_dir_lookup(dir, x, strlen(x), &so));
	cr_assert(so.de, "/d is not indexed");
	for (added = 0; added < 20000; added++) {
		CHECK_OK(ext2_dx_block(dir, so.bi, &now));
		if (now != so.blk)
			break;
		snprintf(name, sizeof(name), "g_%d", added);
		CHECK_OK(ext2_dir_add(dir, name, strlen(name), so.ino,
				      EXT2_FT_REG_FILE));
	}
	cr_assert_neq(now, so.blk, "the leaf of %s never split", x);
	CHECK_OK(ext2_dir_remove_found(dir, x, strlen(x), &so));
	cr_assert_eq(ext2_dir_lookup(dir, x, strlen(x), &again), -ENOENT,
		     "%s is still there after its removal", x);
	CHECK_OK(ext2_dir_add(dir, x, strlen(x), so.ino, EXT2_FT_REG_FILE));
	while (added-- > 0) {
		snprintf(name, sizeof(name), "g_%d", added);
		CHECK_OK(ext2_dir_remove(dir, name, strlen(name)));
	}
	up_write(&dir->i_rwsem);
	ext2_iput(dir);
	check_names(fs, "/d", 0, 1000, true);
	check_unmount_fsck(fs, img);
}

/* The first lookup in a large indexed directory after a mount makes no
 * DRAM that grows with the directory (issue 15: the first lookup is to
 * cost what any other does): the cache it starts holds the blocks it
 * read, not a slot per block of the directory. */
Test(htree, first_lookup_is_not_whole_directory)
{
	const char *img = htree_image("htree_f", 256 * TEST_MIB, 1024);
	struct daxfs_cache_stats st0, st1;
	daxfs *fs = check_mount(img, 0);
	struct stat st;
	int n = 30000;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	check_unmount_fsck(fs, img);
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_stat(fs, "/d", &st)); /* /d's inode, nothing inside */
	cr_assert_gt(st.st_size, 1000 * 1024, "/d has only %lld bytes",
		     (long long)st.st_size);
	CHECK_OK(daxfs_cache_stats(fs, &st0));
	check_names(fs, "/d", n / 2, n / 2 + 1, true);
	CHECK_OK(daxfs_cache_stats(fs, &st1));
	/* one inode, three blocks' entries and a leaf's names: a few KiB
	 * (a slot for each of the directory's 1,000+ blocks: 20+ KiB) */
	cr_assert_lt(st1.bytes - st0.bytes, 8192, "one lookup in a directory "
		     "of %lld blocks took %llu bytes of cache", (long long)
		     st.st_size / 1024, (unsigned long long)(st1.bytes -
							     st0.bytes));
	check_names(fs, "/d", 0, n, true);
	check_unmount_fsck(fs, img);
}

/* A leaf whose index entry has the low bit of its hash set goes on with
 * the hash the previous leaf ends with (names of one hash split across
 * leaves, which the kernel and libdaxfs make on collisions): readdir
 * lists both and goes on to the end (it stopped at the first such
 * leaf: kill_during_splits saw 59,976 names of 136,744 once). */
Test(htree, readdir_across_continued_hash)
{
	const char *img = htree_image("htree_cont", 256 * TEST_MIB, 1024);
	daxfs *fs = check_mount(img, 0);
	long long root;
	uint32_t h;
	int fd, n = 1500;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	check_unmount_fsck(fs, img);
	check_htree_dump(img, "/d", 0);
	root = test_debugfs_bmap(img, "/d", 0);
	cr_assert_gt(root, 0);
	/* the hash of root entry #1, after ".", ".." and root info, limit
	 * and count with entry #0's block */
	fd = open(img, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &h, 4, root * 1024 + 0x28), 4);
	h |= 1;
	cr_assert_eq(pwrite(fd, &h, 4, root * 1024 + 0x28), 4);
	close(fd);
	fs = check_mount(img, 0);
	cr_assert_eq(count_entries(fs, "/d"), n + 2);
	check_names(fs, "/d", 0, n, true);
	check_unmount(fs);
}

/* What readdir_during_splits's callback saw. */
struct seen {
	daxfs *fs;
	int n, made;
	unsigned char *count;   /* per original name f_<i> */
};

/* Count f_<i> names (i < 3000); make a new name at every other one, so
 * leaves split under the walk. */
static int seen_cb(void *arg, const char *name, uint64_t ino, unsigned t)
{
	struct seen *s = arg;
	int i;

	(void)ino, (void)t;
	if (sscanf(name, "f_%d_", &i) == 1 && i < 3000)
		s->count[i]++;
	if (s->n++ % 2 == 0) {
		char p[64];
		daxfs_file *f;

		snprintf(p, sizeof(p), "/d/new_%d_padding_padding", s->made++);
		if (daxfs_open(s->fs, p, O_CREAT | O_RDWR | O_EXCL, 0644, &f))
			return -1;
		daxfs_close(f);
	}
	return 0;
}

/* readdir of an indexed directory goes in hash order, so names added
 * during the walk (which split leaves and move names between blocks)
 * never make it list a name twice or miss one that stayed (POSIX). */
Test(htree, readdir_during_splits)
{
	const char *img = htree_image("htree_rd", 256 * TEST_MIB, 1024);
	daxfs *fs = check_mount(img, 0);
	struct seen s = { fs, 0, 0, calloc(3000, 1) };

	cr_assert(s.count);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, 3000);
	CHECK_OK(daxfs_readdir(fs, "/d", seen_cb, &s));
	cr_assert_gt(s.made, 1000);
	for (int i = 0; i < 3000; i++)
		cr_assert_eq(s.count[i], 1, "f_%d listed %d times", i,
			     s.count[i]);
	free(s.count);
	check_unmount_fsck(fs, img);
	check_htree_dump(img, "/d", 1);
}

/* rmdir of an indexed directory: refused while a name is left (even the
 * last one, in any leaf), done once every name is gone. */
Test(htree, rmdir_indexed)
{
	const char *img = htree_image("htree_r", 256 * TEST_MIB, 1024);
	int n = 600;
	daxfs *fs = check_mount(img, 0);

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	make_files(fs, "/d", 0, n);
	CHECK_ERR(daxfs_rmdir(fs, "/d"), ENOTEMPTY);
	for (int i = 0; i < n - 1; i++) {
		char p[300];

		snprintf(p, sizeof(p), "/d/f_%d_%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		CHECK_OK(daxfs_unlink(fs, p));
	}
	CHECK_ERR(daxfs_rmdir(fs, "/d"), ENOTEMPTY);
	check_names(fs, "/d", n - 1, n, true);
	cr_assert_eq(count_entries(fs, "/d"), 3);
	check_unmount_fsck(fs, img);
	check_htree_dump(img, "/d", 0);
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_unlink(fs, "/d/f_599_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"));
	CHECK_OK(daxfs_rmdir(fs, "/d"));
	check_unmount_fsck(fs, img);
}

/* Names kill_during_splits makes at most: a directory on 1 KiB blocks
 * holds about 180,000 of them before its two-level index is full
 * (-ENOSPC), which a fast machine reaches within the test's kills. */
#define KILL_NAMES_MAX 100000

/* The child of kill_during_splits: create names from *done on until
 * killed, counting each one that returned in *done (at the most names,
 * wait for the kill). */
static void create_until_killed(const char *img, volatile long *done)
{
	daxfs *fs;

	if (daxfs_mount(img, 0, &fs))
		_exit(3);
	for (long i = *done;; i++) {
		char p[300];
		daxfs_file *f;

		while (i >= KILL_NAMES_MAX)
			pause();
		snprintf(p, sizeof(p), "/d/f_%ld_%.*s", i, (int)(i % 40),
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		if (daxfs_open(fs, p, O_CREAT | O_RDWR | O_EXCL, 0644, &f) ||
		    daxfs_close(f))
			_exit(4);
		*done = i + 1;
	}
}

/* Wait until the child pid has returned from a create past before (so
 * that the kill lands in the middle of its work, however busy the
 * machine: no timing assumed), failing if it ends on its own or makes
 * no progress in a minute. */
static void wait_for_progress(pid_t pid, volatile long *done, long before,
			      int k)
{
	int status;

	for (int ms = 0; *done == before; ms++) {
		cr_assert_neq(waitpid(pid, &status, WNOHANG), pid, "kill %d: "
			      "the child ended by itself (status %#x)", k,
			      status);
		cr_assert_lt(ms, 60000, "kill %d: no create returned in a "
			     "minute", k);
		usleep(1000);
	}
}

/* A process killed while it fills an indexed directory (leaf splits,
 * node splits, the root growing a level on 1 KiB blocks): after each
 * kill the mount recovers, every create that returned is there, at
 * most the one in flight is extra, e2fsck -fn is clean and the index
 * is kept.  (On /dev/shm a kill loses no store: this tests that each
 * split is atomic through the journal.) */
Test(htree, kill_during_splits)
{
	const char *img = htree_image("htree_kill", 256 * TEST_MIB, 1024);
	volatile long *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	daxfs *fs = check_mount(img, 0);

	cr_assert(done != MAP_FAILED);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	check_unmount(fs);
	*done = 0;
	for (int k = 0; k < 12 && *done < KILL_NAMES_MAX; k++) {
		pid_t pid = fork();
		long before = *done;

		cr_assert(pid >= 0);
		if (pid == 0)
			create_until_killed(img, done);
		wait_for_progress(pid, done, before, k);
		usleep(20000 + (k * 37 % 11) * 9000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fs = check_mount(img, 0);
		check_names(fs, "/d", 0, (int)*done, true);
		/* The one in flight is done or not; make it done. */
		int n = count_entries(fs, "/d") - 2;
		cr_assert(n == *done || n == *done + 1, "kill %d: %d names, "
			  "%ld returned", k, n, *done);
		*done = n;
		check_unmount_fsck(fs, img);
		cr_assert(dflags(img, "/d") & EXT2_INDEX_FL);
	}
	check_htree_dump(img, "/d", 1);
	munmap((void *)done, 4096);
}
