/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dir.c -- white-box tests of dir.c: ext2_dir_add, _lookup,
 * _remove and _is_empty on a directory, checked against the on-media
 * blocks (every record 4-byte aligned, record lengths summing to the
 * block size, names and inode numbers as added), reuse of freed space,
 * a directory of 20,000 names, names of 1 and 255 bytes, e2fsck after,
 * and -EUCLEAN for corrupted entries found on a fresh mount.
 *
 * The entries added here point at one regular file ("/t") whose link
 * count is set to the number of names before unmounting, so that e2fsck
 * sees a consistent file system.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(dir, .fini = test_cleanup, .timeout = 300);

/* ---- helpers --------------------------------------------------------- */

static struct ext2_inode_info *walk(daxfs *fs, const char *path)
{
	struct ext2_inode_info *in = NULL;

	CHECK_OK(ext2_path_walk(EXT2_SB(fs), path, &in));
	return in;
}

static int add(struct ext2_inode_info *dir, const char *name, uint32_t ino)
{
	int ret;

	down_write(&dir->i_rwsem);
	ret = ext2_dir_add(dir, name, strlen(name), ino, EXT2_FT_REG_FILE);
	up_write(&dir->i_rwsem);
	return ret;
}

static int rem(struct ext2_inode_info *dir, const char *name)
{
	int ret;

	down_write(&dir->i_rwsem);
	ret = ext2_dir_remove(dir, name, strlen(name));
	up_write(&dir->i_rwsem);
	return ret;
}

static int look(struct ext2_inode_info *dir, const char *name,
		struct ext2_dirent_info *de)
{
	int ret;

	down_read(&dir->i_rwsem);
	ret = ext2_dir_lookup(dir, name, strlen(name), de);
	up_read(&dir->i_rwsem);
	return ret;
}

static int is_empty(struct ext2_inode_info *dir)
{
	int ret;

	down_read(&dir->i_rwsem);
	ret = ext2_dir_is_empty(dir);
	up_read(&dir->i_rwsem);
	return ret;
}

static void expect_ino(struct ext2_inode_info *dir, const char *name,
		       uint32_t ino)
{
	struct ext2_dirent_info de = { .ino = 0, .ftype = 99 };

	CHECK_OK(look(dir, name, &de));
	cr_assert_eq(de.ino, ino, "\"%s\" -> %u, expected %u", name, de.ino,
		     ino);
	cr_assert_eq(de.ftype, EXT2_FT_REG_FILE);
}

/* One live entry as found on media. */
struct ment {
	char name[256];
	uint32_t ino;
	uint32_t blk;   /* logical block of the directory */
	uint32_t off;   /* byte offset in the block */
	uint32_t rec_len;
};

/*
 * Walk every block of dir on media, asserting the record invariants.
 * Returns the live entries (malloc'd) and their number in *n.
 */
static struct ment *media_entries(struct ext2_inode_info *dir, size_t *n)
{
	struct daxfs *fs = &dir->fs->vfs;
	uint32_t bs = EXT2_SB(fs)->blocksize, nblk = ext2_i_size(dir) / bs, b;
	size_t cap = 64, cnt = 0;
	struct ment *v = malloc(cap * sizeof(*v));

	cr_assert(v);
	cr_assert_eq(ext2_i_size(dir) % bs, 0);
	for (b = 0; b < nblk; b++) {
		uint32_t pblk, count, off = 0;
		bool is_new;
		unsigned char *blk;

		CHECK_OK(ext2_bmap(dir, b, 1, false, &pblk, &count, &is_new));
		cr_assert_neq(pblk, 0, "directory block %u is a hole", b);
		blk = EXT2_SB(fs)->base + (uint64_t)pblk * bs;
		while (off < bs) {
			struct ext2_dir_entry_2 *de = (void *)(blk + off);
			uint32_t rl = le16_get(de->rec_len);

			cr_assert_eq(off % 4, 0, "block %u: entry at %u not "
				     "4-byte aligned", b, off);
			cr_assert(rl >= 12 && rl % 4 == 0, "block %u offset "
				  "%u: rec_len %u", b, off, rl);
			cr_assert_leq(off + rl, bs, "block %u offset %u: "
				      "rec_len %u runs past the block", b, off,
				      rl);
			if (de->inode) {
				cr_assert_gt(de->name_len, 0);
				cr_assert_leq(EXT2_DIR_REC_LEN(de->name_len), rl,
					      "block %u offset %u: name of %u "
					      "in a record of %u", b, off,
					      de->name_len, rl);
				if (cnt == cap) {
					cap *= 2;
					v = realloc(v, cap * sizeof(*v));
					cr_assert(v);
				}
				memcpy(v[cnt].name, de->name, de->name_len);
				v[cnt].name[de->name_len] = 0;
				v[cnt].ino = le32_get(de->inode);
				v[cnt].blk = b;
				v[cnt].off = off;
				v[cnt].rec_len = rl;
				cnt++;
			}
			off += rl;
		}
		cr_assert_eq(off, bs, "block %u: records sum to %u", b, off);
	}
	*n = cnt;
	return v;
}

static struct ment *find_ment(struct ment *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* A fresh fs with a directory /d and a file /t; dir and target pinned. */
struct setup {
	daxfs *fs;
	const char *path;
	struct ext2_inode_info *dir;
	struct ext2_inode_info *t;
};

static void setup(struct setup *s, uint32_t bs, uint64_t size)
{
	daxfs_file *f;

	s->path = test_image_path(bs == 1024 ? "dir1k" : "dir4k");
	check_mkfs(s->path, size, bs, 0);
	/* These tests are about linear directories (indexed ones are
	 * test_htree.c's): no dir_index (s_feature_compat at 0x45c). */
	check_raw_put_le32(s->path, 1024 + 0x5c, 0);
	s->fs = check_mount(s->path, 0);
	CHECK_OK(daxfs_mkdir(s->fs, "/d", 0755));
	CHECK_OK(daxfs_open(s->fs, "/t", O_RDWR | O_CREAT, 0644, &f));
	CHECK_OK(daxfs_close(f));
	s->dir = walk(s->fs, "/d");
	s->t = walk(s->fs, "/t");
}

/* Give /t one link per name pointing at it, release, unmount, fsck. */
static void finish(struct setup *s, uint32_t extra_names)
{
	ext2_inode_set_links(s->t, 1 + extra_names);
	ext2_iput(s->t);
	ext2_iput(s->dir);
	check_unmount_fsck(s->fs, s->path);
}

/* ---- tests ----------------------------------------------------------- */

Test(dir, add_lookup_remove)
{
	struct setup s;
	struct ext2_dirent_info de;
	struct ment *v;
	size_t n;
	uint32_t bs = 1024;

	setup(&s, bs, 8 * TEST_MIB);
	cr_assert_eq(is_empty(s.dir), 1);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].name, ".");
	cr_assert_eq(v[0].rec_len, 12);
	cr_assert_str_eq(v[1].name, "..");
	cr_assert_eq(v[1].rec_len, bs - 12);
	free(v);

	CHECK_EQ(look(s.dir, "a", &de), -ENOENT);
	CHECK_OK(add(s.dir, "a", s.t->ino));
	expect_ino(s.dir, "a", s.t->ino);
	cr_assert_eq(is_empty(s.dir), 0);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(v[1].rec_len, 12, ".. keeps %u bytes", v[1].rec_len);
	cr_assert_str_eq(v[2].name, "a");
	cr_assert_eq(v[2].off, 24);
	cr_assert_eq(v[2].rec_len, bs - 24);
	free(v);

	/* "." and ".." are entries too. */
	{
		struct ext2_dirent_info d2;

		CHECK_OK(look(s.dir, ".", &d2));
		cr_assert_eq(d2.ino, s.dir->ino);
		cr_assert_eq(d2.ftype, EXT2_FT_DIR);
		CHECK_OK(look(s.dir, "..", &d2));
		cr_assert_eq(d2.ino, EXT2_ROOT_INO);
	}
	/* Prefixes and extensions of a name are other names. */
	CHECK_EQ(look(s.dir, "aa", &de), -ENOENT);
	CHECK_OK(add(s.dir, "ab", s.t->ino));
	CHECK_EQ(look(s.dir, "b", &de), -ENOENT);

	CHECK_OK(rem(s.dir, "a"));
	CHECK_EQ(look(s.dir, "a", &de), -ENOENT);
	CHECK_EQ(rem(s.dir, "a"), -ENOENT);
	expect_ino(s.dir, "ab", s.t->ino);
	CHECK_OK(rem(s.dir, "ab"));
	cr_assert_eq(is_empty(s.dir), 1);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[1].rec_len, bs - 12, "removing merges the record back");
	free(v);
	cr_assert_eq(ext2_i_size(s.dir), bs);
	finish(&s, 0);
}

Test(dir, rec_len_and_reuse)
{
	static const char *names[] = { "n1", "name-two", "x3", "fourth-name-1",
				       "five5", "s" };
	const size_t nn = sizeof(names) / sizeof(names[0]);
	struct setup s;
	struct ment *v, *m;
	uint32_t bs = 1024, off, i, mid_off, mid_rl;
	size_t n;

	setup(&s, bs, 8 * TEST_MIB);
	for (i = 0; i < nn; i++)
		CHECK_OK(add(s.dir, names[i], s.t->ino));
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 2 + nn);
	/* Packed in order, each record exactly its name's size, the last
	 * one taking the rest of the block. */
	off = 24;
	for (i = 0; i < nn; i++) {
		m = find_ment(v, n, names[i]);
		cr_assert(m, "\"%s\" not on media", names[i]);
		cr_assert_eq(m->blk, 0);
		cr_assert_eq(m->off, off, "\"%s\" at %u, expected %u",
			     names[i], m->off, off);
		cr_assert_eq(m->ino, s.t->ino);
		if (i + 1 < nn)
			cr_assert_eq(m->rec_len,
				     EXT2_DIR_REC_LEN(strlen(names[i])));
		else
			cr_assert_eq(m->rec_len, bs - off);
		off += EXT2_DIR_REC_LEN(strlen(names[i]));
	}
	m = find_ment(v, n, "fourth-name-1");
	mid_off = m->off;
	mid_rl = m->rec_len;
	free(v);

	/* Removing a middle entry grows its predecessor over it. */
	CHECK_OK(rem(s.dir, "fourth-name-1"));
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, "x3");
	cr_assert_eq(m->rec_len, EXT2_DIR_REC_LEN(2) + mid_rl);
	cr_assert_null(find_ment(v, n, "fourth-name-1"));
	free(v);
	/* A name of the same size reuses the hole exactly. */
	CHECK_OK(add(s.dir, "fifth-name-2!", s.t->ino));
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, "fifth-name-2!");
	cr_assert_eq(m->blk, 0);
	cr_assert_eq(m->off, mid_off, "reused at %u, hole was at %u", m->off,
		     mid_off);
	cr_assert_eq(m->rec_len, mid_rl);
	cr_assert_eq(find_ment(v, n, "x3")->rec_len, EXT2_DIR_REC_LEN(2));
	free(v);
	/* A small name goes into the slack of the last record. */
	CHECK_OK(add(s.dir, "z", s.t->ino));
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, "z");
	cr_assert_eq(m->blk, 0);
	cr_assert_eq(m->off, off);
	cr_assert_eq(m->rec_len, bs - off);
	cr_assert_eq(find_ment(v, n, "s")->rec_len, EXT2_DIR_REC_LEN(1));
	free(v);
	cr_assert_eq(ext2_i_size(s.dir), bs);
	for (i = 0; i < nn; i++)
		if (strcmp(names[i], "fourth-name-1"))
			expect_ino(s.dir, names[i], s.t->ino);
	expect_ino(s.dir, "fifth-name-2!", s.t->ino);
	expect_ino(s.dir, "z", s.t->ino);
	finish(&s, nn + 1);
}

/* The first entry of a later block has no predecessor: removing it
 * clears its inode number, and the record is reused. */
Test(dir, first_entry_of_block)
{
	struct setup s;
	struct ment *v, *m;
	char name[128];
	uint32_t bs = 1024, i;
	size_t n;

	setup(&s, bs, 8 * TEST_MIB);
	/* Names of 88 bytes take records of 96: block 0 holds "." and ".."
	 * and 10 of them (40 bytes left), block 1 the next ones. */
	cr_assert_eq(EXT2_DIR_REC_LEN(88), 96);
	for (i = 0; i < 13; i++) {
		snprintf(name, sizeof(name), "%088u", i);
		CHECK_OK(add(s.dir, name, s.t->ino));
	}
	cr_assert_eq(ext2_i_size(s.dir), 2 * bs);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 15);
	snprintf(name, sizeof(name), "%088u", 9);
	m = find_ment(v, n, name);
	cr_assert(m && m->blk == 0 && m->off == 24 + 9 * 96);
	cr_assert_eq(m->rec_len, 96 + 40);
	snprintf(name, sizeof(name), "%088u", 10);
	m = find_ment(v, n, name);
	cr_assert(m && m->blk == 1 && m->off == 0);
	free(v);

	CHECK_OK(rem(s.dir, name));
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 14);
	cr_assert_null(find_ment(v, n, name));
	free(v);
	{
		/* The record stays, unused, with its length. */
		uint32_t pblk, count;
		bool is_new;
		struct ext2_dir_entry_2 *de;

		CHECK_OK(ext2_bmap(s.dir, 1, 1, false, &pblk, &count,
				    &is_new));
		de = (void *)(EXT2_SB(s.fs)->base + (uint64_t)pblk * bs);
		cr_assert_eq(le32_get(de->inode), 0);
		cr_assert_eq(le16_get(de->rec_len), 96);
	}
	/* Small names go to the slack at the end of block 0 first. */
	CHECK_OK(add(s.dir, "x", s.t->ino));
	CHECK_OK(add(s.dir, "y", s.t->ino));
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, "x");
	cr_assert(m && m->blk == 0 && m->off == 24 + 10 * 96, "x at %u/%u",
		  m ? m->blk : 99, m ? m->off : 99);
	m = find_ment(v, n, "y");
	cr_assert(m && m->blk == 0 && m->off == 24 + 10 * 96 + 12);
	cr_assert_eq(m->rec_len, 40 - 12);
	free(v);
	/* A name of 88 bytes takes the freed first record of block 1. */
	snprintf(name, sizeof(name), "%088u", 777777);
	CHECK_OK(add(s.dir, name, s.t->ino));
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, name);
	cr_assert(m && m->blk == 1 && m->off == 0, "at %u/%u",
		  m ? m->blk : 99, m ? m->off : 99);
	cr_assert_eq(m->rec_len, 96);
	cr_assert_eq(n, 17);
	free(v);
	cr_assert_eq(ext2_i_size(s.dir), 2 * bs);
	finish(&s, 15);
}

Test(dir, name_lengths_1_and_255)
{
	struct setup s;
	struct ext2_dirent_info de;
	char longn[256], other[256];
	struct ment *v, *m;
	size_t n;

	setup(&s, 1024, 8 * TEST_MIB);
	memset(longn, 'L', 255);
	longn[255] = 0;
	memcpy(other, longn, 256);
	other[254] = 'M';
	CHECK_OK(add(s.dir, "q", s.t->ino));
	CHECK_OK(add(s.dir, longn, s.t->ino));
	CHECK_OK(add(s.dir, other, s.t->ino));
	expect_ino(s.dir, "q", s.t->ino);
	expect_ino(s.dir, longn, s.t->ino);
	expect_ino(s.dir, other, s.t->ino);
	down_read(&s.dir->i_rwsem);
	CHECK_EQ(ext2_dir_lookup(s.dir, longn, 254, &de), -ENOENT);
	up_read(&s.dir->i_rwsem);
	v = media_entries(s.dir, &n);
	m = find_ment(v, n, longn);
	cr_assert(m);
	cr_assert_eq(strlen(m->name), 255);
	cr_assert_geq(m->rec_len, EXT2_DIR_REC_LEN(255));
	m = find_ment(v, n, "q");
	cr_assert_eq(m->rec_len, EXT2_DIR_REC_LEN(1));
	cr_assert_eq(EXT2_DIR_REC_LEN(1), 12);
	cr_assert_eq(EXT2_DIR_REC_LEN(255), 264);
	free(v);
	/* Through the API too, and 256 bytes is refused. */
	{
		char path[300];
		daxfs_file *f;

		snprintf(path, sizeof(path), "/d/%s", longn);
		CHECK_ERR_MSG(daxfs_open(s.fs, path, O_RDWR | O_CREAT | O_EXCL,
					 0644, &f), EEXIST, NULL);
		snprintf(path, sizeof(path), "/d/%sX", longn);
		CHECK_ERR_MSG(daxfs_open(s.fs, path, O_RDWR | O_CREAT, 0644,
					 &f),
			      ENAMETOOLONG, NULL);
	}
	CHECK_OK(rem(s.dir, longn));
	CHECK_EQ(look(s.dir, longn, &de), -ENOENT);
	expect_ino(s.dir, other, s.t->ino);
	finish(&s, 2);
}

static void big_name(char *buf, size_t len, uint32_t i)
{
	/* Lengths 1..~40, all distinct. */
	snprintf(buf, len, "%u%.*s", i, (int)(i * 7 % 33),
		 "-abcdefghijklmnopqrstuvwxyz0123456789");
}

Test(dir, twenty_thousand_names)
{
	const uint32_t N = 20000;
	struct setup s;
	struct ext2_dirent_info de;
	char name[64];
	struct ment *v;
	uint64_t size_full;
	uint32_t i, kept = 0, removed = 0;
	size_t n;
	uint8_t *seen;

	setup(&s, 1024, 32 * TEST_MIB);
	for (i = 0; i < N; i++) {
		big_name(name, sizeof(name), i);
		CHECK_OK(add(s.dir, name, s.t->ino));
	}
	size_full = ext2_i_size(s.dir);
	cr_assert_gt(size_full / 1024, 300, "only %llu blocks",
		     (unsigned long long)size_full / 1024);
	for (i = 0; i < N; i++) {
		big_name(name, sizeof(name), i);
		expect_ino(s.dir, name, s.t->ino);
	}
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, N + 2);
	seen = calloc(N, 1);
	cr_assert(seen);
	for (i = 0; i < n; i++) {
		char *end;
		unsigned long k;

		if (!strcmp(v[i].name, ".") || !strcmp(v[i].name, ".."))
			continue;
		k = strtoul(v[i].name, &end, 10);
		cr_assert_lt(k, N);
		big_name(name, sizeof(name), k);
		cr_assert_str_eq(v[i].name, name);
		cr_assert(!seen[k], "\"%s\" twice on media", name);
		seen[k] = 1;
	}
	free(seen);
	free(v);

	/* Shrink: remove all names but every 97th. */
	for (i = 0; i < N; i++) {
		big_name(name, sizeof(name), i);
		if (i % 97 == 0) {
			kept++;
			continue;
		}
		CHECK_OK(rem(s.dir, name));
		removed++;
	}
	cr_assert_eq(ext2_i_size(s.dir), size_full);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, kept + 2);
	free(v);
	for (i = 0; i < N; i += 13) {
		big_name(name, sizeof(name), i);
		if (i % 97 == 0)
			expect_ino(s.dir, name, s.t->ino);
		else
			CHECK_EQ(look(s.dir, name, &de), -ENOENT);
	}
	cr_assert_eq(is_empty(s.dir), 0);

	/* Growing again reuses the freed space. */
	for (i = 0; i < N / 2; i++) {
		snprintf(name, sizeof(name), "again-%u", i);
		CHECK_OK(add(s.dir, name, s.t->ino));
	}
	cr_assert_eq(ext2_i_size(s.dir), size_full, "the directory grew "
		     "from %llu to %llu bytes though most of it was free",
		     (unsigned long long)size_full,
		     (unsigned long long)ext2_i_size(s.dir));
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, kept + N / 2 + 2);
	free(v);

	/* The same names after a fresh mount (index rebuilt from media). */
	ext2_inode_set_links(s.t, 1 + kept + N / 2);
	ext2_iput(s.t);
	ext2_iput(s.dir);
	check_unmount(s.fs);
	cr_assert_eq(test_e2fsck(s.path, NULL), 0);
	s.fs = check_mount(s.path, 0);
	s.dir = walk(s.fs, "/d");
	s.t = walk(s.fs, "/t");
	for (i = 0; i < N; i += 7) {
		big_name(name, sizeof(name), i);
		if (i % 97 == 0)
			expect_ino(s.dir, name, s.t->ino);
		else
			CHECK_EQ(look(s.dir, name, &de), -ENOENT);
	}
	for (i = 0; i < N / 2; i += 11) {
		snprintf(name, sizeof(name), "again-%u", i);
		expect_ino(s.dir, name, s.t->ino);
	}
	/* Empty it completely. */
	for (i = 0; i < N; i += 97) {
		big_name(name, sizeof(name), i);
		CHECK_OK(rem(s.dir, name));
	}
	for (i = 0; i < N / 2; i++) {
		snprintf(name, sizeof(name), "again-%u", i);
		CHECK_OK(rem(s.dir, name));
	}
	cr_assert_eq(is_empty(s.dir), 1);
	v = media_entries(s.dir, &n);
	cr_assert_eq(n, 2);
	free(v);
	/* rmdir works on the emptied big directory. */
	ext2_iput(s.dir);
	CHECK_OK(daxfs_rmdir(s.fs, "/d"));
	CHECK_OK(daxfs_mkdir(s.fs, "/d", 0755));
	s.dir = walk(s.fs, "/d");
	finish(&s, 0);
}

/* ---- corrupted entries ----------------------------------------------- */

/*
 * An image with /c holding f1, f2, f3 (4K blocks): records at 0 ".",
 * 12 "..", 24 "f1", 36 "f2", 48 "f3" (rec_len 4096 - 48).  Returns the
 * byte offset of /c's block in the image.
 */
static uint64_t corrupt_base(const char *path, uint32_t *inodes_count)
{
	daxfs *fs;
	daxfs_file *f;
	struct ext2_inode_info *c;
	uint32_t pblk, count, i;
	bool is_new;
	char name[16];

	check_mkfs(path, 16 * TEST_MIB, 4096, 0);
	fs = check_mount(path, 0);
	CHECK_OK(daxfs_mkdir(fs, "/c", 0755));
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "/c/f%u", i);
		CHECK_OK(daxfs_open(fs, name, O_RDWR | O_CREAT, 0644, &f));
		CHECK_OK(daxfs_close(f));
	}
	c = walk(fs, "/c");
	CHECK_OK(ext2_bmap(c, 0, 1, false, &pblk, &count, &is_new));
	cr_assert_neq(pblk, 0);
	*inodes_count = EXT2_SB(fs)->inodes_count;
	ext2_iput(c);
	check_unmount_fsck(fs, path);
	cr_assert_eq(check_raw_le16(path, (uint64_t)pblk * 4096 + 48 + 4),
		     4096 - 48);
	return (uint64_t)pblk * 4096;
}

/* Mount the patched image: lookups in /c fail with -EUCLEAN naming why. */
static void expect_euclean(const char *path, const char *why)
{
	daxfs *fs = check_mount(path, 0);
	struct ext2_inode_info *c = walk(fs, "/c");
	struct ext2_dirent_info de;
	struct stat st;

	CHECK_ERR_MSG(look(c, "f1", &de), EUCLEAN, why);
	CHECK_ERR_MSG(look(c, "f3", &de), EUCLEAN, why);
	CHECK_ERR_MSG(look(c, "nope", &de), EUCLEAN, why);
	CHECK_ERR_MSG(daxfs_stat(fs, "/c/f2", &st), EUCLEAN, why);
	cr_assert(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS);
	/* Other directories still work. */
	CHECK_OK(daxfs_stat(fs, "/lost+found", &st));
	ext2_iput(c);
	check_unmount(fs);
}

Test(dir, corrupt_rec_len_zero)
{
	const char *p = test_image_path("crl0");
	uint32_t ic;
	uint64_t b = corrupt_base(p, &ic);

	check_raw_put_le16(p, b + 24 + 4, 0);
	expect_euclean(p, "record length too small");
}

Test(dir, corrupt_rec_len_not_aligned)
{
	const char *p = test_image_path("crl2");
	uint32_t ic;
	uint64_t b = corrupt_base(p, &ic);

	check_raw_put_le16(p, b + 24 + 4, 14);
	expect_euclean(p, "multiple of 4");
}

Test(dir, corrupt_rec_len_past_block)
{
	const char *p = test_image_path("crlp");
	uint32_t ic;
	uint64_t b = corrupt_base(p, &ic);

	check_raw_put_le16(p, b + 48 + 4, 4096 - 48 + 4);
	expect_euclean(p, "past the block");
}

Test(dir, corrupt_name_len_over_rec_len)
{
	const char *p = test_image_path("cnl");
	uint32_t ic;
	uint64_t b = corrupt_base(p, &ic);
	unsigned char nl = 200;

	check_raw_write(p, b + 36 + 6, &nl, 1);
	expect_euclean(p, "name longer than the record");
}

Test(dir, corrupt_inode_out_of_range)
{
	const char *p = test_image_path("cino");
	uint32_t ic;
	uint64_t b = corrupt_base(p, &ic);

	check_raw_put_le32(p, b + 24, ic + 1);
	expect_euclean(p, "inode number out of range");
}

Test(dir, corrupt_control_unpatched_is_fine)
{
	const char *p = test_image_path("cok");
	uint32_t ic;
	daxfs *fs;
	struct ext2_inode_info *c;
	struct ext2_dirent_info de;

	corrupt_base(p, &ic);
	fs = check_mount(p, 0);
	c = walk(fs, "/c");
	CHECK_OK(look(c, "f1", &de));
	CHECK_OK(look(c, "f3", &de));
	cr_assert_eq(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS, 0);
	ext2_iput(c);
	check_unmount_fsck(fs, p);
}
