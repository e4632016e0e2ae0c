/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_kernel.c -- libdaxfs and the Linux ext2 driver read each other's
 * file systems.
 *
 * daxfs_to_kernel_{1k,4k}: a tree written through libdaxfs (files of edge
 *   sizes, a sparse file across the indirect boundaries, nested directories
 *   with various modes, fast and slow symlinks, hard links, a big directory,
 *   renames, unlinks, truncates) is e2fsck-clean and reads back equal, byte
 *   for byte, through "mount -t ext2 -o loop,ro".
 * kernel_to_daxfs_{1k,4k}: the same tree written by the kernel on a
 *   mke2fs'd image reads back equal through libdaxfs; libdaxfs then changes
 *   the kernel's big directory (indexed by e2fsck -D if the kernel did not
 *   index it) and the kernel finds every name.
 *
 * Needs root and working loop mounts; otherwise the tests are skipped with
 * the reason.  Mounts and loop devices are always released in the fini.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "interop.h"

#define MIB (1024ULL * 1024ULL)
#define NBIG 2000

static void recs_clear(void);

static void fini(void)
{
	recs_clear();
	test_kernel_cleanup();
}

static void init(void)
{
	umask(022);
}

TestSuite(kernel, .init = init, .fini = fini, .timeout = 600);

static void require_kernel_mount(void)
{
	const char *why = NULL;
	if (!test_kernel_mount_works(&why)) {
		fprintf(stderr, "test_kernel: skipped: %s\n", why);
		cr_skip_test("%s", why);
	}
}

/* ------------------------------------------------------------------ */
/* Building one tree in several places at once                          */
/* ------------------------------------------------------------------ */

/* A place to build the tree: a host directory (the expected copy, or a
 * kernel mount point) or a libdaxfs mount. */
struct place {
	const char *root; /* host directory, or NULL for libdaxfs */
	daxfs *fs;
};

static struct place places[2];
static int nplaces;

static const char *hp(const struct place *pl, const char *path)
{
	static char ring[8][4096];
	static int next;
	char *b = ring[next++ % 8];
	snprintf(b, sizeof(ring[0]), "%s%s", pl->root, path);
	return b;
}

static const char *pj(const char *root, const char *path)
{
	struct place pl = {.root = root};
	return hp(&pl, path);
}

#define HOST_OK(expr, path)                                                  \
	cr_assert_eq((expr), 0, "%s on %s: %s", #expr, (path), strerror(errno))

static void t_mkdir(const char *path, mode_t mode)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root) {
			HOST_OK(mkdir(hp(pl, path), mode), hp(pl, path));
			HOST_OK(chmod(hp(pl, path), mode), hp(pl, path));
		} else {
			CHECK_OK(daxfs_mkdir(pl->fs, path, mode));
		}
	}
}

/* open(path, flags, mode), pwrite len bytes of pattern seed at off,
 * close. */
static void t_write(const char *path, int flags, mode_t mode, off_t off,
		    size_t len, uint64_t seed)
{
	char *buf = malloc(len ? len : 1);
	test_pattern(buf, len, seed, (uint64_t)off);
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root) {
			int fd = open(hp(pl, path), flags, mode);
			cr_assert_geq(fd, 0, "open %s: %s", hp(pl, path),
				      strerror(errno));
			if (len)
				cr_assert_eq(pwrite(fd, buf, len, off),
					     (ssize_t)len, "pwrite %s: %s",
					     hp(pl, path), strerror(errno));
			HOST_OK(close(fd), hp(pl, path));
		} else {
			daxfs_file *f = NULL;
			CHECK_OK(daxfs_open(pl->fs, path, flags, mode, &f));
			if (len)
				CHECK_EQ(daxfs_pwrite(f, buf, len, off), len);
			CHECK_OK(daxfs_close(f));
		}
	}
	free(buf);
}

static void t_truncate(const char *path, off_t size)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root) {
			HOST_OK(truncate(hp(pl, path), size), hp(pl, path));
		} else {
			daxfs_file *f = NULL;
			CHECK_OK(daxfs_open(pl->fs, path, O_RDWR, 0, &f));
			CHECK_OK(daxfs_ftruncate(f, size));
			CHECK_OK(daxfs_close(f));
		}
	}
}

static void t_symlink(const char *target, const char *path)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root)
			HOST_OK(symlink(target, hp(pl, path)), hp(pl, path));
		else
			CHECK_OK(daxfs_symlink(pl->fs, target, path));
	}
}

static void t_link(const char *from, const char *to)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root)
			HOST_OK(link(hp(pl, from), hp(pl, to)), hp(pl, to));
		else
			CHECK_OK(daxfs_link(pl->fs, from, to));
	}
}

static void t_rename(const char *from, const char *to)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root)
			HOST_OK(rename(hp(pl, from), hp(pl, to)), hp(pl, to));
		else
			CHECK_OK(daxfs_rename(pl->fs, from, to));
	}
}

static void t_unlink(const char *path)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root)
			HOST_OK(unlink(hp(pl, path)), hp(pl, path));
		else
			CHECK_OK(daxfs_unlink(pl->fs, path));
	}
}

static void t_rmdir(const char *path)
{
	for (int i = 0; i < nplaces; i++) {
		struct place *pl = &places[i];
		if (pl->root)
			HOST_OK(rmdir(hp(pl, path)), hp(pl, path));
		else
			CHECK_OK(daxfs_rmdir(pl->fs, path));
	}
}

#define CR (O_CREAT | O_WRONLY | O_TRUNC)

/* The tree both directions use. */
static void build_tree(unsigned bs)
{
	uint64_t s = 77 * bs;
	uint64_t apb = bs / 4;
	char path[512];

	/* files of edge sizes */
	uint64_t sizes[] = {0, 1, bs - 1, bs, bs + 1, 12 * (uint64_t)bs,
			    12 * (uint64_t)bs + 1, 3 * MIB + 7};
	t_mkdir("/files", 0755);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(path, sizeof(path), "/files/size_%llu",
			 (unsigned long long)sizes[i]);
		t_write(path, CR, 0644, 0, sizes[i], s + i);
	}
	t_write("/files/mode0600", CR, 0600, 0, 100, s + 20);
	t_write("/files/mode0755", CR, 0755, 0, 100, s + 21);
	t_write("/files/mode0400", CR, 0400, 0, 100, s + 22);

	/* sparse: data just before and after the double-indirect start, and
	 * with 1K blocks around the triple-indirect start (~64 MiB) */
	t_write("/files/sparse", CR, 0644, (off_t)((12 + apb) * bs - 100),
		300, s + 30);
	if (bs == 1024)
		t_write("/files/sparse", O_WRONLY, 0,
			(off_t)((12 + apb + apb * apb) * bs - 100), 5000,
			s + 31);
	t_write("/files/sparse", O_WRONLY, 0, 5, 10, s + 32);

	/* nested directories with modes */
	t_mkdir("/a", 0755);
	t_mkdir("/a/b", 0700);
	t_mkdir("/a/b/c", 0750);
	t_mkdir("/a/b/c/d", 0755);
	t_mkdir("/a/b/c/d/e", 0755);
	t_write("/a/b/c/d/e/deep", CR, 0644, 0, 4321, s + 40);
	t_write("/a/b/file", CR, 0644, 0, 2 * bs + 3, s + 41);
	t_mkdir("/a/empty", 0755);

	/* symlinks, fast and slow */
	t_mkdir("/links", 0755);
	size_t tl[] = {1, 30, 59, 60, 61, 300, bs - 1};
	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++) {
		char target[4096];
		for (size_t k = 0; k < tl[i]; k++)
			target[k] = k % 10 == 9 ? '/' : (char)('a' + (k + i) % 26);
		target[tl[i]] = '\0';
		snprintf(path, sizeof(path), "/links/len%zu", tl[i]);
		t_symlink(target, path);
	}
	t_symlink("../files/size_1", "/links/rel");
	t_symlink("/absolute/target/path", "/links/abs");

	/* hard links */
	t_link("/files/size_1", "/a/hard1");
	t_link("/files/size_1", "/links/hard2");
	t_link("/a/b/file", "/a/b/c/hard3");

	/* a big directory */
	t_mkdir("/big", 0755);
	for (int i = 0; i < NBIG; i++) {
		snprintf(path, sizeof(path), "/big/entry_%05d_%s", i,
			 i % 3 ? "x" : "a_somewhat_longer_name_for_variety");
		t_write(path, CR, 0644, 0, i % 10 == 0 ? 100 + i : 0, s + i);
	}

	/* changes */
	t_write("/files/size_4097", CR, 0644, 0, 4097, s + 50); /* O_TRUNC */
	t_write("/a/b/file", O_WRONLY | O_APPEND, 0, 0, 777, s + 51);
	t_truncate("/files/size_3145735", MIB + 1);
	t_truncate("/files/mode0600", 5 * bs);
	t_rename("/files/size_0", "/a/moved_empty");
	t_rename("/files/mode0755", "/files/size_1"); /* over a hard link */
	t_rename("/a/empty", "/links/was_empty");
	t_unlink("/links/len61");
	for (int i = 1; i < NBIG; i += 7) {
		snprintf(path, sizeof(path), "/big/entry_%05d_%s", i,
			 i % 3 ? "x" : "a_somewhat_longer_name_for_variety");
		t_unlink(path);
	}
	t_mkdir("/gone", 0755);
	t_write("/gone/f", CR, 0644, 0, 10, s + 60);
	t_unlink("/gone/f");
	t_rmdir("/gone");
}

static void compare_host(const char *want, const char *got, const char *when)
{
	char msg[2048];
	size_t n = 0;
	int rc = test_compare_host_trees(want, got,
					 TEST_CMP_MODE | TEST_CMP_NLINK |
					       TEST_CMP_SKIP_LF,
					 msg, sizeof(msg), &n);
	cr_assert_eq(rc, 0, "%s: %s", when, msg);
	cr_log_info("%s: %zu entries equal\n", when, n);
}

/* ------------------------------------------------------------------ */
/* The same inodes through two readers                                  */
/* ------------------------------------------------------------------ */

/* stat of every path as one reader saw it */
struct srec {
	char *path;
	struct stat st;
};

static struct srec *recs;
static size_t nrecs;

static void rec_add(const char *path, const struct stat *st)
{
	recs = realloc(recs, (nrecs + 1) * sizeof(*recs));
	recs[nrecs].path = strdup(path);
	recs[nrecs].st = *st;
	nrecs++;
}

static void recs_clear(void)
{
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].path);
	free(recs);
	recs = NULL;
	nrecs = 0;
}

static void rec_dax(daxfs *fs, const char *dir)
{
	struct stat st;
	CHECK_OK(daxfs_stat(fs, dir, &st));
	rec_add(dir, &st);
	char **names = NULL;
	unsigned *types = NULL;
	int n = test_dax_list(fs, dir, &names, &types, NULL);
	cr_assert_geq(n, 0, "daxfs_readdir(%s) = %d: %s", dir, n,
		      daxfs_errormsg());
	for (int i = 0; i < n; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "",
			 names[i]);
		if (types[i] == DAXFS_DT_DIR) {
			rec_dax(fs, p);
		} else {
			CHECK_OK(daxfs_stat(fs, p, &st));
			rec_add(p, &st);
		}
	}
	test_free_list(names, n);
	free(types);
}

static void rec_host(const char *root, const char *dir)
{
	struct stat st;
	char full[4096];
	snprintf(full, sizeof(full), "%s%s", root, strcmp(dir, "/") ? dir : "");
	cr_assert_eq(lstat(full, &st), 0, "lstat %s", full);
	rec_add(dir, &st);
	DIR *d = opendir(full);
	cr_assert_not_null(d, "opendir %s", full);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "",
			 de->d_name);
		snprintf(full, sizeof(full), "%s%s", root, p);
		cr_assert_eq(lstat(full, &st), 0, "lstat %s", full);
		if (S_ISDIR(st.st_mode))
			rec_host(root, p);
		else
			rec_add(p, &st);
	}
	closedir(d);
}

/* The other reader sees the same inode numbers, types, modes, owners, link
 * counts, sizes, block counts and times as recorded. */
static void recs_check(const char *who, daxfs *fs, const char *root)
{
	size_t n = 0;
	for (size_t i = 0; i < nrecs; i++) {
		const struct stat *a = &recs[i].st;
		struct stat b;
		const char *p = recs[i].path;
		if (fs) {
			CHECK_OK(daxfs_stat(fs, p, &b));
		} else {
			char full[4096];
			snprintf(full, sizeof(full), "%s%s", root,
				 strcmp(p, "/") ? p : "");
			cr_assert_eq(lstat(full, &b), 0, "%s: lstat %s: %s",
				     who, full, strerror(errno));
		}
#define SAME(field)                                                          \
	cr_assert_eq((long long)a->field, (long long)b.field,                \
		     "%s: %s: " #field " is %lld, the writer had %lld", who, p,  \
		     (long long)b.field, (long long)a->field)
		SAME(st_ino);
		SAME(st_mode);
		SAME(st_nlink);
		SAME(st_uid);
		SAME(st_gid);
		SAME(st_size);
		SAME(st_blocks);
		SAME(st_mtime);
		SAME(st_ctime);
		SAME(st_atime);
#undef SAME
		n++;
	}
	cr_log_info("%s: %zu inodes have the same attributes\n", who, n);
}

/* ------------------------------------------------------------------ */
/* libdaxfs writes, the kernel reads                                    */
/* ------------------------------------------------------------------ */

static void daxfs_to_kernel(unsigned bs)
{
	require_kernel_mount();
	const char *img = test_image_path("d2k");
	const char *want = test_tmp_dir("d2kwant");
	const char *mnt = test_tmp_dir("d2kmnt");
	struct daxfs_mkfs_opts o = {.size = 128 * MIB, .block_size = bs};
	CHECK_OK(daxfs_mkfs(img, &o));
	daxfs *fs = NULL;
	CHECK_OK(daxfs_mount(img, 0, &fs));

	places[0] = (struct place){.fs = fs};
	places[1] = (struct place){.root = want};
	nplaces = 2;
	build_tree(bs);
	check_same_tree(fs, want, "libdaxfs before unmount");
	struct stat st1, st2;
	CHECK_OK(daxfs_stat(fs, "/a/hard1", &st1));
	CHECK_OK(daxfs_stat(fs, "/links/hard2", &st2));
	cr_assert_eq(st1.st_ino, st2.st_ino);
	struct statvfs dsv;
	CHECK_OK(daxfs_statfs(fs, &dsv));
	recs_clear();
	rec_dax(fs, "/");
	CHECK_OK(daxfs_unmount(fs));

	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "e2fsck -fn is not clean on the libdaxfs-written image");
	cr_assert_eq(test_kmount(img, mnt, true), 0,
		     "the kernel refuses to mount the libdaxfs image");
	recs_check("kernel reading libdaxfs' inodes", NULL, mnt);
	compare_host(want, mnt, "kernel read-only mount");
	/* hard links share an inode for the kernel too, and it is the inode
	 * libdaxfs reported */
	struct stat k1, k2;
	cr_assert_eq(lstat(pj(mnt, "/a/hard1"), &k1), 0);
	cr_assert_eq(lstat(pj(mnt, "/links/hard2"), &k2), 0);
	cr_assert_eq(k1.st_ino, k2.st_ino);
	cr_assert_eq(k1.st_ino, st1.st_ino,
		     "kernel: inode %llu, libdaxfs said %llu",
		     (unsigned long long)k1.st_ino,
		     (unsigned long long)st1.st_ino);
	struct statvfs ksv;
	cr_assert_eq(statvfs(mnt, &ksv), 0);
	cr_assert_eq(ksv.f_files, dsv.f_files,
		     "kernel f_files %llu, libdaxfs %llu",
		     (unsigned long long)ksv.f_files,
		     (unsigned long long)dsv.f_files);
	cr_assert_eq(ksv.f_ffree, dsv.f_ffree,
		     "kernel f_ffree %llu, libdaxfs %llu",
		     (unsigned long long)ksv.f_ffree,
		     (unsigned long long)dsv.f_ffree);
	cr_assert_eq(test_kumount(mnt), 0);
}

Test(kernel, daxfs_to_kernel_4k)
{
	daxfs_to_kernel(4096);
}

Test(kernel, daxfs_to_kernel_1k)
{
	daxfs_to_kernel(1024);
}

/* ------------------------------------------------------------------ */
/* The kernel writes, libdaxfs reads (and changes)                      */
/* ------------------------------------------------------------------ */

static void kernel_to_daxfs(unsigned bs)
{
	require_kernel_mount();
	const char *img = test_tmp_file("k2d");
	const char *want = test_tmp_dir("k2dwant");
	const char *mnt = test_tmp_dir("k2dmnt");
	cr_assert_eq(test_mke2fs(img, bs, 128 * MIB, NULL), 0);
	cr_assert_eq(test_kmount(img, mnt, false), 0);
	places[0] = (struct place){.root = mnt};
	places[1] = (struct place){.root = want};
	nplaces = 2;
	build_tree(bs);
	compare_host(want, mnt, "kernel read-write mount (fixture)");
	cr_assert_eq(test_kumount(mnt), 0);
	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "fixture: kernel-written image");

	/* Make sure the big directory is htree-indexed, as it would be on a
	 * file system that e2fsck -D optimised. */
	struct test_dstat ds;
	cr_assert_eq(test_debugfs_stat(img, "/big", &ds), 0);
	if (!(ds.flags & 0x1000)) {
		const char *argv[] = {"e2fsck", "-fyD", img, NULL};
		int rc = test_run(argv, 0, NULL, NULL, NULL);
		cr_assert(rc == 0 || rc == 1, "e2fsck -fyD: %d", rc);
		cr_assert_eq(test_debugfs_stat(img, "/big", &ds), 0);
	}
	cr_assert(ds.flags & 0x1000, "fixture: /big is not indexed (0x%x)",
		  ds.flags);

	daxfs *fs = NULL;
	/* What the kernel sees of every inode now (read-only: changes
	 * nothing). */
	cr_assert_eq(test_kmount(img, mnt, true), 0);
	recs_clear();
	rec_host(mnt, "/");
	cr_assert_eq(test_kumount(mnt), 0);

	CHECK_OK(daxfs_mount(img, 0, &fs));
	recs_check("libdaxfs reading the kernel's inodes", fs, NULL);
	check_same_tree(fs, want, "libdaxfs reading the kernel's tree");
	struct stat st;
	CHECK_OK(daxfs_stat(fs, "/links/hard2", &st));
	cr_assert_eq(st.st_nlink, 2); /* size_1 was replaced by a rename */

	/* libdaxfs changes the kernel's (indexed) big directory */
	places[0] = (struct place){.fs = fs};
	places[1] = (struct place){.root = want};
	nplaces = 2;
	char path[256];
	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "/big/daxfs_new_%04d", i);
		t_write(path, CR, 0644, 0, i % 4 ? 0 : 33 + i, 9000 + i);
	}
	for (int i = 3; i < NBIG; i += 11) {
		if (i % 7 == 1)
			continue; /* unlinked already */
		snprintf(path, sizeof(path), "/big/entry_%05d_%s", i,
			 i % 3 ? "x" : "a_somewhat_longer_name_for_variety");
		t_unlink(path);
	}
	t_rename("/big/entry_00002_x", "/big/renamed_by_daxfs");
	t_write("/files/size_1", O_WRONLY | O_APPEND, 0, 0, 5000, 9999);
	/* fill part of the kernel's hole, cut a kernel file mid-block */
	t_write("/files/sparse", O_WRONLY, 0, 50000, 3000, 9998);
	snprintf(path, sizeof(path), "/files/size_%u", 12 * bs + 1);
	t_truncate(path, 5000);
	/* a directory moved across parents ("..", link counts) */
	t_rename("/a/b/c", "/links/c_moved");
	t_rmdir("/links/was_empty");
	t_mkdir("/a/daxdir", 0711);
	char slow[700];
	memset(slow, 's', sizeof(slow) - 1);
	slow[sizeof(slow) - 1] = '\0';
	t_symlink(slow, "/a/daxdir/slow");
	t_symlink("fast", "/a/daxdir/fast");
	t_link("/a/b/file", "/a/daxdir/hard4");
	check_same_tree(fs, want, "libdaxfs after its changes");
	recs_clear();
	rec_dax(fs, "/");
	CHECK_OK(daxfs_unmount(fs));

	cr_assert_eq(test_e2fsck(img, NULL), 0,
		     "e2fsck -fn is not clean after libdaxfs changed the "
		     "kernel-written image (indexed /big)");
	cr_assert_eq(test_kmount(img, mnt, true), 0);
	recs_check("kernel reading libdaxfs' changes", NULL, mnt);
	compare_host(want, mnt, "kernel reading libdaxfs' changes");
	/* explicit lookups by name (the kernel's indexed lookup) */
	for (int i = 0; i < 400; i += 37) {
		snprintf(path, sizeof(path), "%s/big/daxfs_new_%04d", mnt, i);
		cr_assert_eq(lstat(path, &st), 0, "kernel: %s: %s", path,
			     strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/big/entry_00003_a_somewhat_longer_name"
		 "_for_variety", mnt);
	cr_assert_eq(lstat(path, &st), -1, "kernel still finds %s", path);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(test_kumount(mnt), 0);
}

Test(kernel, kernel_to_daxfs_4k)
{
	kernel_to_daxfs(4096);
}

Test(kernel, kernel_to_daxfs_1k)
{
	kernel_to_daxfs(1024);
}

/* ------------------------------------------------------------------ */
/* The largest file: the same limit on both sides                       */
/* ------------------------------------------------------------------ */

/*
 * On an image of block size bs, writing one byte at limit - 1 works and
 * at limit fails with EFBIG, through the kernel (pwrite(2) on a loop
 * mount) and through libdaxfs.  limit is the kernel's s_maxbytes for
 * ext2, a literal (worked out from fs/ext2/super.c's ext2_max_size).
 */
static void same_max_size(uint32_t bs, uint64_t limit)
{
	const char *img = test_image_path("maxsz");
	const char *mnt = test_tmp_dir("maxsz-mnt");
	char kpath[4096];
	daxfs *fs;
	daxfs_file *f;
	int fd;

	require_kernel_mount();
	cr_assert(mnt);
	check_mkfs(img, 16 * MIB, bs, 0);
	cr_assert_eq(test_kmount(img, mnt, false), 0);
	snprintf(kpath, sizeof(kpath), "%s/k", mnt);
	fd = open(kpath, O_RDWR | O_CREAT, 0644);
	cr_assert(fd >= 0, "open %s: %s", kpath, strerror(errno));
	cr_assert_eq(pwrite(fd, "k", 1, (off_t)limit - 1), 1,
		     "kernel, %u-byte blocks: pwrite at limit - 1: %s", bs,
		     strerror(errno));
	errno = 0;
	cr_assert_eq(pwrite(fd, "k", 1, (off_t)limit), -1);
	cr_assert_eq(errno, EFBIG, "kernel, %u-byte blocks: pwrite at %llu: "
		     "%s, not EFBIG: the literal limit is wrong", bs,
		     (unsigned long long)limit, strerror(errno));
	close(fd);
	cr_assert_eq(test_kumount(mnt), 0);
	cr_assert_eq(test_e2fsck(img, NULL), 0);

	fs = check_mount(img, 0);
	f = check_open(fs, "/d", O_RDWR | O_CREAT, 0644);
	CHECK_EQ(daxfs_pwrite(f, "d", 1, (off_t)limit - 1), 1);
	CHECK_ERR(daxfs_pwrite(f, "d", 1, (off_t)limit), EFBIG);
	CHECK_ERR(daxfs_ftruncate(f, (off_t)limit + 1), EFBIG);
	CHECK_OK(daxfs_ftruncate(f, (off_t)limit));
	check_close(f);
	/* The kernel's file at its limit reads back through libdaxfs. */
	f = check_open(fs, "/k", O_RDONLY, 0);
	{
		char c = 0;

		CHECK_EQ(daxfs_pread(f, &c, 1, (off_t)limit - 1), 1);
		cr_assert_eq(c, 'k');
	}
	check_close(f);
	check_unmount_fsck(fs, img);
}

Test(kernel, largest_file_1k)
{
	same_max_size(1024, 17247252480ULL);
}

Test(kernel, largest_file_2k)
{
	same_max_size(2048, 275415851008ULL);
}

Test(kernel, largest_file_4k)
{
	same_max_size(4096, 2196873666560ULL);
}
