/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_api.c -- POSIX semantics of every call of daxfs.h, with exact return
 * codes.  Every test that mounts read-write ends with daxfs_unmount() and
 * "e2fsck -fn" on the image, which must exit 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

TestSuite(api, .fini = test_cleanup, .timeout = 120);

#define FS_SIZE (32 * TEST_MIB)

/* ------------------------------------------------------------------ */
/* Local helpers                                                       */
/* ------------------------------------------------------------------ */

static daxfs *fresh(const char **path)
{
	return check_new_fs("api", FS_SIZE, 0, 0, path);
}

/* daxfs_open's result; a handle it returns is closed at once. */
static int open_rc(daxfs *fs, const char *path, int flags, mode_t mode)
{
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, path, flags, mode, &f);
	if (r == 0 && f)
		daxfs_close(f);
	return r;
}

static void xstat(daxfs *fs, const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	int r = daxfs_stat(fs, path, st);
	cr_assert_eq(r, 0, "daxfs_stat(%s) = %d (%s): \"%s\"", path, r,
		     test_errname(r), daxfs_errormsg());
}

static void put_bytes(daxfs *fs, const char *path, const void *data,
		      size_t len)
{
	daxfs_file *f = check_open(fs, path, O_CREAT | O_WRONLY | O_TRUNC,
				   0644);
	if (len)
		CHECK_EQ(daxfs_pwrite(f, data, len, 0), len);
	check_close(f);
}

static void check_bytes(daxfs *fs, const char *path, const void *data,
			size_t len)
{
	daxfs_file *f = check_open(fs, path, O_RDONLY, 0);
	char *buf = malloc(len + 16);
	CHECK_EQ(daxfs_pread(f, buf, len + 16, 0), len);
	cr_assert(memcmp(buf, data, len) == 0, "%s: contents differ", path);
	free(buf);
	check_close(f);
}

static int exists(daxfs *fs, const char *path)
{
	struct stat st;
	int r = daxfs_stat(fs, path, &st);
	cr_assert(r == 0 || r == -ENOENT, "daxfs_stat(%s) = %d (%s): \"%s\"",
		  path, r, test_errname(r), daxfs_errormsg());
	return r == 0;
}

/* Directory listing. */
struct dent {
	char name[256];
	uint64_t ino;
	unsigned type;
};
struct dlist {
	struct dent *e;
	int n, cap;
	int stop_after; /* return stop_ret after this many entries (0: never) */
	int stop_ret;
	daxfs *fs;           /* if set, stat every entry from the callback */
	const char *dir;
	int stat_errors;
};

static int collect(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct dlist *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->e = realloc(l->e, (size_t)l->cap * sizeof(*l->e));
	}
	struct dent *d = &l->e[l->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ino = ino;
	d->type = type;
	if (l->fs) {
		/* the callback may call back into libdaxfs */
		char p[600];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", l->dir, name);
		if (daxfs_stat(l->fs, p, &st) != 0 || (uint64_t)st.st_ino != ino)
			l->stat_errors++;
	}
	if (l->stop_after && l->n >= l->stop_after)
		return l->stop_ret;
	return 0;
}

static void list_dir(daxfs *fs, const char *path, struct dlist *l)
{
	memset(l, 0, sizeof(*l));
	int r = daxfs_readdir(fs, path, collect, l);
	cr_assert_eq(r, 0, "daxfs_readdir(%s) = %d (%s): \"%s\"", path, r,
		     test_errname(r), daxfs_errormsg());
}

static int count_name(const struct dlist *l, const char *name)
{
	int c = 0;
	for (int i = 0; i < l->n; i++)
		c += strcmp(l->e[i].name, name) == 0;
	return c;
}

static const struct dent *find_name(const struct dlist *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->e[i].name, name) == 0)
			return &l->e[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Version, devices, mkfs                                              */
/* ------------------------------------------------------------------ */

Test(api, version_matches_macros)
{
	char want[64];
	snprintf(want, sizeof(want), "%d.%d.%d", DAXFS_VERSION_MAJOR,
		 DAXFS_VERSION_MINOR, DAXFS_VERSION_PATCH);
	const char *v = daxfs_version();
	cr_assert(v != NULL, "daxfs_version() is NULL");
	cr_assert_str_eq(v, want, "daxfs_version() = \"%s\", macros say %s", v,
			 want);
}

Test(api, devices_lists_what_this_machine_has)
{
	glob_t g;
	int n = 0;
	if (glob("/dev/dax*", 0, NULL, &g) == 0) {
		n = (int)g.gl_pathc;
		globfree(&g);
	}
	struct daxfs_device devs[8];
	memset(devs, 0, sizeof(devs));
	CHECK_EQ(daxfs_devices(devs, 8), n);
	CHECK_EQ(daxfs_devices(NULL, 0), n);
}

Test(api, mkfs_options_are_honoured)
{
	const char *p = test_image_path("api");
	struct daxfs_mkfs_opts o;
	memset(&o, 0, sizeof(o));
	o.size = 32 * TEST_MIB;
	o.block_size = 1024;
	o.inodes = 4096;
	o.label = "daxfs-test";
	CHECK_EQ(daxfs_mkfs(p, &o), 0);
	cr_assert_eq(test_file_size(p), (long long)(32 * TEST_MIB),
		     "image is %lld bytes", test_file_size(p));
	cr_assert_eq(test_e2fsck(p, NULL), 0, "e2fsck of a fresh mkfs failed");
	cr_assert_eq(check_dumpe2fs_num(p, "Block size"), 1024);
	cr_assert_eq(check_dumpe2fs_num(p, "Block count"), 32 * 1024);
	long long ic = check_dumpe2fs_num(p, "Inode count");
	cr_assert(ic >= 4096 && ic <= 4096 + 4096 / 8,
		  "Inode count %lld for 4096 requested", ic);
	cr_assert_eq(check_dumpe2fs_num(p, "Filesystem revision #"), 1);
	const char *argv[] = {"dumpe2fs", "-h", p, NULL};
	char *out = NULL;
	test_run(argv, TEST_RUN_MERGE, &out, NULL, NULL);
	cr_assert(strstr(out, "Filesystem volume name:   daxfs-test\n") != NULL,
		  "label not in dumpe2fs -h:\n%s", out);
	free(out);

	daxfs *fs = check_mount(p, 0);
	struct statvfs sv = check_statfs(fs);
	cr_assert_eq(sv.f_bsize, 1024);
	cr_assert_eq(sv.f_files, (unsigned long)ic);
	check_unmount_fsck(fs, p);
}

/* daxfs_info of fs, asserted to succeed. */
static struct daxfs_info info_of(daxfs *fs)
{
	struct daxfs_info in;

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	CHECK_OK(daxfs_info(fs, &in));
	cr_assert_eq(in.size, sizeof(in));
	return in;
}

/* daxfs_info tells what dumpe2fs -h reads from the superblock. */
Test(api, info_reports_the_superblock_as_dumpe2fs_reads_it)
{
	const char *p = test_image_path("api");
	struct daxfs_mkfs_opts o = { .size = 32 * TEST_MIB, .block_size = 1024,
				     .label = "sixteen-bytes-ok" };
	char uuid[40], *want;
	daxfs *fs;

	CHECK_EQ(daxfs_mkfs(p, &o), 0);
	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	struct daxfs_info in = info_of(fs);
	cr_assert_eq(in.blocks, check_dumpe2fs_num(p, "Block count"));
	cr_assert_eq(in.blocks_per_group, check_dumpe2fs_num(p, "Blocks per group"));
	cr_assert_eq(in.inodes_per_group, check_dumpe2fs_num(p, "Inodes per group"));
	cr_assert_eq((uint64_t)in.groups * in.inodes_per_group,
		     check_dumpe2fs_num(p, "Inode count"));
	cr_assert_eq(in.groups, (in.blocks - 1 + in.blocks_per_group - 1) /
				in.blocks_per_group); /* 1K: block 0 is boot */
	cr_assert_eq(memcmp(in.label, "sixteen-bytes-ok", 16), 0);
	snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x-%02x%02x%02x%02x%02x%02x", in.uuid[0], in.uuid[1],
		 in.uuid[2], in.uuid[3], in.uuid[4], in.uuid[5], in.uuid[6],
		 in.uuid[7], in.uuid[8], in.uuid[9], in.uuid[10], in.uuid[11],
		 in.uuid[12], in.uuid[13], in.uuid[14], in.uuid[15]);
	want = test_dumpe2fs_field(p, "Filesystem UUID");
	cr_assert_str_eq(uuid, want);
	free(want);
	cr_assert(in.feature_incompat & 0x2, "filetype: 0x%x", in.feature_incompat);
	cr_assert(in.feature_ro_compat & 0x1, "sparse_super: 0x%x",
		  in.feature_ro_compat);
	/* ctest sets PMEM2_FORCE_GRANULARITY=CACHE_LINE. */
	cr_assert_eq(in.granularity, DAXFS_GRANULARITY_CACHE_LINE);
	cr_assert_eq(in.flags, DAXFS_INFO_RDONLY | DAXFS_INFO_JOURNAL,
		     "flags 0x%x", in.flags);
	check_unmount(fs);
	fs = check_mount(p, 0); /* the journal's in-use bit is no feature */
	in = info_of(fs);
	cr_assert_eq(in.feature_incompat, 0x2, "0x%x", in.feature_incompat);
	cr_assert_eq(in.flags, DAXFS_INFO_JOURNAL, "flags 0x%x", in.flags);
	check_unmount_fsck(fs, p);
}

/* After a crash of a read-write mount: a read-only mount says that the
 * next read-write mount recovers; that one says it did. */
Test(api, info_says_what_recovery_would_do_and_did)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct daxfs_info in;
	pid_t pid;
	int st;

	check_unmount(fs);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) { /* mounts, writes, and dies without unmounting */
		daxfs_file *f;

		if (daxfs_mount(p, 0, &fs) || daxfs_mkdir(fs, "/d", 0755) ||
		    daxfs_open(fs, "/d/f", O_CREAT | O_RDWR, 0644, &f) ||
		    daxfs_pwrite(f, "x", 1, 0) != 1)
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: 0x%x", st);
	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	in = info_of(fs);
	cr_assert(in.flags & DAXFS_INFO_NEEDS_RECOVERY, "flags 0x%x", in.flags);
	cr_assert(in.flags & DAXFS_INFO_NOT_CLEAN, "flags 0x%x", in.flags);
	cr_assert_eq(in.feature_incompat & 0x80000000u, 0);
	cr_assert(strstr(daxfs_mount_warning(fs), "next read-write "
			 "daxfs_mount recovers it"), "warning: \"%s\"",
		  daxfs_mount_warning(fs));
	check_unmount(fs);
	fs = check_mount(p, 0);
	in = info_of(fs);
	cr_assert_eq(in.flags & (DAXFS_INFO_NEEDS_RECOVERY | DAXFS_INFO_NOT_CLEAN |
				 DAXFS_INFO_ORPHANS), 0, "flags 0x%x", in.flags);
	cr_assert(in.flags & DAXFS_INFO_RECOVERED, "flags 0x%x", in.flags);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	in = info_of(fs);
	cr_assert_eq(in.flags, DAXFS_INFO_RDONLY | DAXFS_INFO_JOURNAL,
		     "flags 0x%x", in.flags);
	check_unmount(fs);
}

Test(api, mkfs_defaults)
{
	const char *p = test_image_path("api");
	struct daxfs_mkfs_opts o;
	memset(&o, 0, sizeof(o));
	o.size = FS_SIZE;
	CHECK_EQ(daxfs_mkfs(p, &o), 0);
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	cr_assert_eq(check_dumpe2fs_num(p, "Block size"), 4096);
	cr_assert_eq(check_dumpe2fs_num(p, "Block count"),
		     (long long)(FS_SIZE / 4096));
	long long ic = check_dumpe2fs_num(p, "Inode count");
	long long want = (long long)(FS_SIZE / (16 * TEST_KIB));
	cr_assert(ic >= want && ic <= want + want / 8,
		  "Inode count %lld, default is one per 16 KiB (%lld)", ic,
		  want);

	/* mkfs over an existing image starts empty again */
	daxfs *fs = check_mount(p, 0);
	put_bytes(fs, "/old", "x", 1);
	CHECK_EQ(daxfs_unmount(fs), 0);
	CHECK_EQ(daxfs_mkfs(p, &o), 0);
	fs = check_mount(p, 0);
	CHECK_ERR(daxfs_stat(fs, "/old", &(struct stat){0}), ENOENT);
	struct stat st;
	xstat(fs, "/", &st);
	cr_assert_eq(st.st_ino, 2, "root inode is %llu",
		     (unsigned long long)st.st_ino);
	cr_assert(S_ISDIR(st.st_mode));
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* open                                                                */
/* ------------------------------------------------------------------ */

Test(api, open_creat_excl)
{
	const char *p;
	daxfs *fs = fresh(&p);

	CHECK_ERR(open_rc(fs, "/f", O_RDWR, 0), ENOENT);
	CHECK_ERR(open_rc(fs, "/f", O_RDONLY, 0), ENOENT);

	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0640);
	struct stat st, st2;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "mode %o", (unsigned)st.st_mode);
	cr_assert_eq(st.st_mode & 07777, 0640, "perm %o",
		     (unsigned)st.st_mode & 07777);
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(st.st_nlink, 1);
	CHECK_EQ(daxfs_pwrite(f, "abc", 3, 0), 3);
	check_close(f);
	xstat(fs, "/f", &st2);
	cr_assert_eq(st2.st_ino, st.st_ino);
	cr_assert_eq(st2.st_size, 3);

	/* O_CREAT on an existing file opens it and keeps its data */
	f = check_open(fs, "/f", O_CREAT | O_RDWR, 0600);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 3);
	cr_assert_eq(st.st_mode & 07777, 0640, "mode changed by O_CREAT");
	check_close(f);
	check_bytes(fs, "/f", "abc", 3);

	CHECK_ERR(open_rc(fs, "/f", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	check_bytes(fs, "/f", "abc", 3);
	f = check_open(fs, "/g", O_CREAT | O_EXCL | O_WRONLY, 0600);
	check_close(f);
	xstat(fs, "/g", &st);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_neq(st.st_ino, st2.st_ino);

	/* O_EXCL on a directory or a symlink name also fails */
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	CHECK_ERR(open_rc(fs, "/d", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	check_unmount_fsck(fs, p);
}

Test(api, open_trunc)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs before = check_statfs(fs);
	check_create_pattern_file(fs, "/f", 1, 100000);
	struct stat st;
	xstat(fs, "/f", &st);
	cr_assert_eq(st.st_size, 100000);
	cr_assert(st.st_blocks > 0);

	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_TRUNC, 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 0, "size after O_TRUNC %lld",
		     (long long)st.st_size);
	cr_assert_eq(st.st_blocks, 0, "st_blocks after O_TRUNC %lld",
		     (long long)st.st_blocks);
	char buf[16];
	CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), 0), 0);
	check_close(f);
	struct statvfs after = check_statfs(fs);
	cr_assert_eq(after.f_bfree, before.f_bfree,
		     "free blocks %lu, %lu before the file",
		     (unsigned long)after.f_bfree,
		     (unsigned long)before.f_bfree);

	/* O_TRUNC|O_CREAT on a new file */
	f = check_open(fs, "/new", O_RDWR | O_TRUNC | O_CREAT, 0644);
	check_close(f);
	xstat(fs, "/new", &st);
	cr_assert_eq(st.st_size, 0);
	check_unmount_fsck(fs, p);
}

Test(api, open_append_writes_at_end)
{
	const char *p;
	daxfs *fs = fresh(&p);
	put_bytes(fs, "/f", "hello", 5);
	daxfs_file *f = check_open(fs, "/f", O_WRONLY | O_APPEND, 0);
	CHECK_EQ(daxfs_pwrite(f, "world", 5, 0), 5);
	CHECK_EQ(daxfs_pwrite(f, "!", 1, 1000), 1);
	CHECK_EQ(daxfs_pwrite(f, "?", 1, 2), 1);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 12, "size %lld", (long long)st.st_size);
	check_close(f);
	check_bytes(fs, "/f", "helloworld!?", 12);

	/* O_RDWR|O_APPEND: reads honour the offset, writes go at the end */
	f = check_open(fs, "/f", O_RDWR | O_APPEND, 0);
	char buf[8] = {0};
	CHECK_EQ(daxfs_pread(f, buf, 5, 5), 5);
	cr_assert(memcmp(buf, "world", 5) == 0);
	CHECK_EQ(daxfs_pwrite(f, "#", 1, 0), 1);
	check_close(f);
	check_bytes(fs, "/f", "helloworld!?#", 13);

	/* O_APPEND|O_CREAT on a new file */
	f = check_open(fs, "/g", O_WRONLY | O_APPEND | O_CREAT, 0644);
	CHECK_EQ(daxfs_pwrite(f, "ab", 2, 77), 2);
	CHECK_EQ(daxfs_pwrite(f, "cd", 2, 0), 2);
	check_close(f);
	check_bytes(fs, "/g", "abcd", 4);
	check_unmount_fsck(fs, p);
}

Test(api, open_access_modes)
{
	const char *p;
	daxfs *fs = fresh(&p);
	put_bytes(fs, "/f", "0123456789", 10);
	char buf[16];

	daxfs_file *f = check_open(fs, "/f", O_RDONLY, 0);
	CHECK_EQ(daxfs_pread(f, buf, 10, 0), 10);
	CHECK_ERR(daxfs_pwrite(f, "x", 1, 0), EBADF);
	CHECK_ERR2(daxfs_ftruncate(f, 0), EBADF, EINVAL);
	check_close(f);
	check_bytes(fs, "/f", "0123456789", 10);

	f = check_open(fs, "/f", O_WRONLY, 0);
	CHECK_ERR(daxfs_pread(f, buf, 10, 0), EBADF);
	CHECK_EQ(daxfs_pwrite(f, "ab", 2, 0), 2);
	CHECK_EQ(daxfs_ftruncate(f, 5), 0);
	check_close(f);
	check_bytes(fs, "/f", "ab234", 5);

	f = check_open(fs, "/f", O_RDWR, 0);
	CHECK_EQ(daxfs_pwrite(f, "Z", 1, 4), 1);
	CHECK_EQ(daxfs_pread(f, buf, 16, 0), 5);
	cr_assert(memcmp(buf, "ab23Z", 5) == 0);
	CHECK_EQ(daxfs_fsync(f), 0);
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(api, open_path_errors)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	put_bytes(fs, "/file", "x", 1);

	CHECK_ERR(open_rc(fs, "/d", O_WRONLY, 0), EISDIR);
	CHECK_ERR(open_rc(fs, "/d", O_RDWR, 0), EISDIR);
	CHECK_ERR(open_rc(fs, "/d", O_WRONLY | O_CREAT, 0644), EISDIR);
	CHECK_ERR(open_rc(fs, "/", O_RDWR, 0), EISDIR);
	CHECK_ERR(open_rc(fs, "/nope/f", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK_ERR(open_rc(fs, "/nope/f", O_RDONLY, 0), ENOENT);
	CHECK_ERR(open_rc(fs, "/file/x", O_RDONLY, 0), ENOTDIR);
	CHECK_ERR(open_rc(fs, "/file/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
	CHECK_ERR(open_rc(fs, "/file/", O_RDONLY, 0), ENOTDIR);

	char name[300];
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[256] = 0; /* a 255-byte component */
	daxfs_file *f = check_open(fs, name, O_CREAT | O_WRONLY, 0644);
	check_close(f);
	struct stat st;
	xstat(fs, name, &st);
	struct dlist l;
	list_dir(fs, "/", &l);
	cr_assert_eq(count_name(&l, name + 1), 1,
		     "255-byte name not listed once");
	free(l.e);
	name[256] = 'n';
	name[257] = 0; /* 256 bytes */
	CHECK_ERR(open_rc(fs, name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CHECK_ERR(open_rc(fs, name, O_RDONLY, 0), ENAMETOOLONG);
	CHECK_ERR(daxfs_mkdir(fs, name, 0755), ENAMETOOLONG);

	CHECK_ERR2(open_rc(fs, "file", O_RDONLY, 0), EINVAL, ENOENT);
	CHECK_ERR2(open_rc(fs, "rel", O_CREAT | O_WRONLY, 0644), EINVAL,
		   ENOENT);
	CHECK_ERR2(open_rc(fs, "", O_RDONLY, 0), EINVAL, ENOENT);
	CHECK_ERR2(open_rc(fs, "", O_CREAT | O_WRONLY, 0644), EINVAL, ENOENT);
	CHECK_ERR2(open_rc(fs, NULL, O_RDONLY, 0), EINVAL, EFAULT);
	CHECK_ERR2(daxfs_stat(fs, "file", &st), EINVAL, ENOENT);
	CHECK_ERR2(daxfs_mkdir(fs, "reldir", 0755), EINVAL, ENOENT);

	/* nothing was created by the failures */
	list_dir(fs, "/", &l);
	for (int i = 0; i < l.n; i++)
		cr_assert(strcmp(l.e[i].name, "rel") != 0 &&
				  strcmp(l.e[i].name, "reldir") != 0 &&
				  strcmp(l.e[i].name, "x") != 0,
			  "a failed call created %s", l.e[i].name);
	free(l.e);
	CHECK_ERR(daxfs_stat(fs, "/d/x", &st), ENOENT);
	check_unmount_fsck(fs, p);
}

Test(api, dot_and_dotdot_components)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/a", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/a/b", 0755), 0);
	put_bytes(fs, "/a/b/f", "data", 4);
	struct stat s1, s2;
	xstat(fs, "/a/b/f", &s1);
	xstat(fs, "/a/./b/../b/f", &s2);
	cr_assert_eq(s1.st_ino, s2.st_ino);
	xstat(fs, "//a///b//f", &s2);
	cr_assert_eq(s1.st_ino, s2.st_ino);
	xstat(fs, "/a", &s1);
	xstat(fs, "/../a", &s2);
	cr_assert_eq(s1.st_ino, s2.st_ino, "/.. is not /");
	xstat(fs, "/a/b/..", &s2);
	cr_assert_eq(s1.st_ino, s2.st_ino);
	xstat(fs, "/..", &s2);
	cr_assert_eq(s2.st_ino, 2);
	xstat(fs, "/.", &s2);
	cr_assert_eq(s2.st_ino, 2);
	CHECK_ERR(daxfs_stat(fs, "/a/b/f/..", &s2), ENOTDIR);
	CHECK_ERR(daxfs_stat(fs, "/a/b/f/.", &s2), ENOTDIR);
	daxfs_file *f = check_open(fs, "/a/./b/../new", O_CREAT | O_WRONLY,
				   0644);
	check_close(f);
	xstat(fs, "/a/new", &s2);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* pread / pwrite / ftruncate                                          */
/* ------------------------------------------------------------------ */

Test(api, pread_pwrite_eof_and_extension)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0644);
	check_pwrite_pattern(f, 7, 0, 10000);
	char *buf = malloc(65536);

	CHECK_EQ(daxfs_pread(f, buf, 4096, 9000), 1000);
	cr_assert(test_pattern_mismatch(buf, 1000, 7, 9000) < 0);
	CHECK_EQ(daxfs_pread(f, buf, 4096, 10000), 0);
	CHECK_EQ(daxfs_pread(f, buf, 4096, 20000), 0);
	CHECK_EQ(daxfs_pread(f, buf, 4096, (off_t)1 << 40), 0);
	CHECK_EQ(daxfs_pread(f, buf, 0, 0), 0);
	CHECK_EQ(daxfs_pwrite(f, buf, 0, 50000), 0);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 10000, "zero-length write changed the size");

	/* extend past EOF: the gap reads as zeros */
	char rec[100];
	test_pattern(rec, sizeof(rec), 8, 0);
	CHECK_EQ(daxfs_pwrite(f, rec, sizeof(rec), 15000), 100);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 15100);
	memset(buf, 0xee, 65536);
	CHECK_EQ(daxfs_pread(f, buf, 65536, 0), 15100);
	cr_assert(test_pattern_mismatch(buf, 10000, 7, 0) < 0);
	cr_assert((test_first_nonzero(buf + 10000, 5000) < 0),
		  "gap is not zero");
	cr_assert(memcmp(buf + 15000, rec, 100) == 0);

	/* unaligned writes across block boundaries */
	CHECK_EQ(daxfs_pwrite(f, "XYZ", 3, 4095), 3);
	CHECK_EQ(daxfs_pwrite(f, "Q", 1, 8191), 1);
	CHECK_EQ(daxfs_pread(f, buf, 5, 4094), 5);
	cr_assert(buf[1] == 'X' && buf[2] == 'Y' && buf[3] == 'Z');
	CHECK_EQ(daxfs_pread(f, buf, 1, 8191), 1);
	cr_assert_eq(buf[0], 'Q');
	check_close(f);

	/* a large file reaching the double-indirect blocks */
	f = check_open(fs, "/big", O_CREAT | O_RDWR, 0644);
	size_t big = 6 * TEST_MIB;
	check_pwrite_pattern(f, 9, 0, big);
	check_pread_pattern(f, 9, 0, big);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, (off_t)big);
	/* 1536 data blocks + indirect + double indirect + one indirect */
	cr_assert_eq(st.st_blocks, (1536 + 3) * 8, "st_blocks %lld",
		     (long long)st.st_blocks);
	check_close(f);
	free(buf);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_pattern_file(fs, "/big", 9, big);
	check_unmount_fsck(fs, p);
}

Test(api, sparse_holes_read_zeros)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs_file *f = check_open(fs, "/s", O_CREAT | O_RDWR, 0644);
	off_t at = 10 * (off_t)TEST_MIB + 123;
	CHECK_EQ(daxfs_pwrite(f, "E", 1, at), 1);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, at + 1);
	char *buf = malloc(TEST_MIB);
	for (off_t o = 0; o < at; o += (off_t)TEST_MIB) {
		size_t n = (size_t)(at - o < (off_t)TEST_MIB ? at - o : TEST_MIB);
		memset(buf, 0x5a, n);
		CHECK_EQ(daxfs_pread(f, buf, n, o), n);
		cr_assert((test_first_nonzero(buf, n) < 0),
			  "hole at %lld is not zero",
			  (long long)o);
	}
	CHECK_EQ(daxfs_pread(f, buf, 10, at), 1);
	cr_assert_eq(buf[0], 'E');
	/* a hole in the middle of written data */
	CHECK_EQ(daxfs_pwrite(f, "A", 1, 0), 1);
	CHECK_EQ(daxfs_pread(f, buf, 3 * 4096, 4096), 3 * 4096);
	cr_assert((test_first_nonzero(buf, 3 * 4096) < 0));
	free(buf);
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(api, sparse_holes_are_not_allocated)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs before = check_statfs(fs);
	daxfs_file *f = check_open(fs, "/s", O_CREAT | O_RDWR, 0644);
	CHECK_EQ(daxfs_pwrite(f, "E", 1, 10 * (off_t)TEST_MIB), 1);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	/* one data block plus at most three indirect blocks */
	cr_assert(st.st_blocks >= 8 && st.st_blocks <= 4 * 8,
		  "st_blocks %lld for a 10 MiB file with one written byte",
		  (long long)st.st_blocks);
	struct statvfs after = check_statfs(fs);
	cr_assert_eq((long long)(before.f_bfree - after.f_bfree),
		     (long long)st.st_blocks / 8,
		     "f_bfree fell by %lld, the file has %lld blocks",
		     (long long)(before.f_bfree - after.f_bfree),
		     (long long)st.st_blocks / 8);
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(api, ftruncate_down_and_up)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs start = check_statfs(fs);
	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0644);
	check_pwrite_pattern(f, 3, 0, 10000);
	struct stat st;

	CHECK_EQ(daxfs_ftruncate(f, 5000), 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 5000);
	cr_assert_eq(st.st_blocks, 2 * 8, "st_blocks %lld after truncate",
		     (long long)st.st_blocks);
	check_pread_pattern(f, 3, 0, 5000);
	char buf[20000];
	CHECK_EQ(daxfs_pread(f, buf, 10, 5000), 0);

	CHECK_EQ(daxfs_ftruncate(f, 20000), 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 20000);
	memset(buf, 0x77, sizeof(buf));
	CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), 0), 20000);
	cr_assert(test_pattern_mismatch(buf, 5000, 3, 0) < 0);
	cr_assert((test_first_nonzero(buf + 5000, 15000) < 0),
		  "bytes after truncate down + up are not zero");

	CHECK_ERR(daxfs_ftruncate(f, -1), EINVAL);
	CHECK_ERR(daxfs_ftruncate(f, -4096), EINVAL);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 20000, "failed ftruncate changed the size");

	/* same size is a no-op; 0 frees everything */
	CHECK_EQ(daxfs_ftruncate(f, 20000), 0);
	check_pwrite_pattern(f, 4, 0, 3 * TEST_MIB);
	CHECK_EQ(daxfs_ftruncate(f, 0), 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(st.st_blocks, 0);
	check_close(f);
	struct statvfs end = check_statfs(fs);
	cr_assert_eq(end.f_bfree, start.f_bfree,
		     "free blocks %lu after truncate to 0, %lu at start",
		     (unsigned long)end.f_bfree, (unsigned long)start.f_bfree);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* mkdir / rmdir / unlink                                              */
/* ------------------------------------------------------------------ */

Test(api, mkdir_rmdir_unlink)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct stat root0, root, st;
	xstat(fs, "/", &root0);
	struct statvfs sv0 = check_statfs(fs);

	CHECK_EQ(daxfs_mkdir(fs, "/d", 0750), 0);
	xstat(fs, "/d", &st);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750, "perm %o",
		     (unsigned)st.st_mode & 07777);
	cr_assert_eq(st.st_nlink, 2);
	cr_assert_eq(st.st_size, 4096);
	xstat(fs, "/", &root);
	cr_assert_eq(root.st_nlink, root0.st_nlink + 1, "root nlink %lu",
		     (unsigned long)root.st_nlink);
	struct statvfs sv = check_statfs(fs);
	cr_assert_eq(sv.f_ffree, sv0.f_ffree - 1);
	cr_assert_eq(sv.f_bfree, sv0.f_bfree - 1);

	CHECK_ERR(daxfs_mkdir(fs, "/d", 0755), EEXIST);
	CHECK_ERR(daxfs_mkdir(fs, "/", 0755), EEXIST);
	put_bytes(fs, "/f", "x", 1);
	CHECK_ERR(daxfs_mkdir(fs, "/f", 0755), EEXIST);
	CHECK_ERR(daxfs_mkdir(fs, "/nope/x", 0755), ENOENT);
	CHECK_ERR(daxfs_mkdir(fs, "/f/x", 0755), ENOTDIR);

	CHECK_EQ(daxfs_mkdir(fs, "/d/sub", 0755), 0);
	xstat(fs, "/d", &st);
	cr_assert_eq(st.st_nlink, 3);
	CHECK_ERR(daxfs_rmdir(fs, "/d"), ENOTEMPTY);
	CHECK_ERR(daxfs_rmdir(fs, "/f"), ENOTDIR);
	CHECK_ERR2(daxfs_rmdir(fs, "/"), EBUSY, EINVAL);
	CHECK_ERR(daxfs_rmdir(fs, "/missing"), ENOENT);
	CHECK_ERR(daxfs_unlink(fs, "/d"), EISDIR);
	CHECK_ERR(daxfs_unlink(fs, "/missing"), ENOENT);
	CHECK_ERR(daxfs_unlink(fs, "/f/x"), ENOTDIR);
	long long r = daxfs_rmdir(fs, "/d/sub/.");
	cr_assert(r < 0, "rmdir(\"/d/sub/.\") = %lld: POSIX says EINVAL", r);
	cr_assert(exists(fs, "/d/sub"), "rmdir of /d/sub/. removed /d/sub");

	CHECK_EQ(daxfs_rmdir(fs, "/d/sub"), 0);
	CHECK_ERR(daxfs_stat(fs, "/d/sub", &st), ENOENT);
	xstat(fs, "/d", &st);
	cr_assert_eq(st.st_nlink, 2);
	put_bytes(fs, "/d/file", "y", 1);
	CHECK_ERR(daxfs_rmdir(fs, "/d"), ENOTEMPTY);
	CHECK_EQ(daxfs_unlink(fs, "/d/file"), 0);
	CHECK_ERR(daxfs_stat(fs, "/d/file", &st), ENOENT);
	CHECK_EQ(daxfs_rmdir(fs, "/d"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/f"), 0);
	CHECK_ERR(daxfs_stat(fs, "/d", &st), ENOENT);
	xstat(fs, "/", &root);
	cr_assert_eq(root.st_nlink, root0.st_nlink);
	sv = check_statfs(fs);
	cr_assert_eq(sv.f_ffree, sv0.f_ffree, "inodes leaked");
	cr_assert_eq(sv.f_bfree, sv0.f_bfree, "blocks leaked");

	/* a directory with many entries can be emptied and removed */
	CHECK_EQ(daxfs_mkdir(fs, "/many", 0755), 0);
	char path[64];
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/many/entry-with-a-long-name-%d",
			 i);
		put_bytes(fs, path, "", 0);
	}
	CHECK_ERR(daxfs_rmdir(fs, "/many"), ENOTEMPTY);
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/many/entry-with-a-long-name-%d",
			 i);
		CHECK_EQ(daxfs_unlink(fs, path), 0);
	}
	CHECK_EQ(daxfs_rmdir(fs, "/many"), 0);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* rename                                                              */
/* ------------------------------------------------------------------ */

Test(api, rename_files)
{
	const char *p;
	daxfs *fs = fresh(&p);
	put_bytes(fs, "/a", "AAAA", 4);
	put_bytes(fs, "/b", "BB", 2);
	struct stat sa, sb, st;
	xstat(fs, "/a", &sa);
	xstat(fs, "/b", &sb);
	struct statvfs sv0 = check_statfs(fs);

	/* file over file replaces it and frees the old one */
	CHECK_EQ(daxfs_rename(fs, "/a", "/b"), 0);
	CHECK_ERR(daxfs_stat(fs, "/a", &st), ENOENT);
	xstat(fs, "/b", &st);
	cr_assert_eq(st.st_ino, sa.st_ino);
	cr_assert_eq(st.st_nlink, 1);
	check_bytes(fs, "/b", "AAAA", 4);
	struct statvfs sv = check_statfs(fs);
	cr_assert_eq(sv.f_ffree, sv0.f_ffree + 1, "replaced inode not freed");
	cr_assert_eq(sv.f_bfree, sv0.f_bfree + 1, "replaced block not freed");

	/* to a new name in another directory */
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	CHECK_EQ(daxfs_rename(fs, "/b", "/d/x"), 0);
	CHECK_ERR(daxfs_stat(fs, "/b", &st), ENOENT);
	check_bytes(fs, "/d/x", "AAAA", 4);

	/* rename to itself is a no-op */
	CHECK_EQ(daxfs_rename(fs, "/d/x", "/d/x"), 0);
	check_bytes(fs, "/d/x", "AAAA", 4);
	CHECK_EQ(daxfs_rename(fs, "/d", "/d"), 0);
	check_bytes(fs, "/d/x", "AAAA", 4);

	/* two links of one file: nothing happens */
	CHECK_EQ(daxfs_link(fs, "/d/x", "/d/y"), 0);
	CHECK_EQ(daxfs_rename(fs, "/d/x", "/d/y"), 0);
	xstat(fs, "/d/x", &st);
	cr_assert_eq(st.st_nlink, 2);
	xstat(fs, "/d/y", &st);
	cr_assert_eq(st.st_nlink, 2);

	CHECK_ERR(daxfs_rename(fs, "/missing", "/z"), ENOENT);
	CHECK_ERR(daxfs_rename(fs, "/d/x", "/nodir/z"), ENOENT);
	CHECK_ERR(daxfs_rename(fs, "/d/x/q", "/z"), ENOTDIR);
	check_bytes(fs, "/d/x", "AAAA", 4);

	struct dlist l;
	list_dir(fs, "/d", &l);
	cr_assert_eq(l.n, 4, "/d has %d entries", l.n);
	free(l.e);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_bytes(fs, "/d/y", "AAAA", 4);
	check_unmount_fsck(fs, p);
}

Test(api, rename_directories)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct stat st, st2, root0, root;
	CHECK_EQ(daxfs_mkdir(fs, "/d1", 0755), 0);
	put_bytes(fs, "/d1/f", "one", 3);
	CHECK_EQ(daxfs_mkdir(fs, "/d2", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/full", 0755), 0);
	put_bytes(fs, "/full/g", "g", 1);
	put_bytes(fs, "/file", "file", 4);
	xstat(fs, "/", &root0);

	/* dir over non-empty dir, file over dir, dir over file */
	CHECK_ERR2(daxfs_rename(fs, "/d1", "/full"), ENOTEMPTY, EEXIST);
	CHECK_ERR(daxfs_rename(fs, "/file", "/d2"), EISDIR);
	CHECK_ERR(daxfs_rename(fs, "/d1", "/file"), ENOTDIR);
	/* into its own subdirectory */
	CHECK_EQ(daxfs_mkdir(fs, "/d1/sub", 0755), 0);
	CHECK_ERR(daxfs_rename(fs, "/d1", "/d1/sub/x"), EINVAL);
	CHECK_ERR(daxfs_rename(fs, "/d1", "/d1/x"), EINVAL);
	CHECK_ERR2(daxfs_rename(fs, "/", "/x"), EBUSY, EINVAL);
	check_bytes(fs, "/d1/f", "one", 3);
	check_bytes(fs, "/full/g", "g", 1);
	check_bytes(fs, "/file", "file", 4);
	CHECK_EQ(daxfs_rmdir(fs, "/d1/sub"), 0);

	/* dir over empty dir */
	xstat(fs, "/d1", &st);
	CHECK_EQ(daxfs_rename(fs, "/d1", "/d2"), 0);
	CHECK_ERR(daxfs_stat(fs, "/d1", &st2), ENOENT);
	xstat(fs, "/d2", &st2);
	cr_assert_eq(st2.st_ino, st.st_ino);
	check_bytes(fs, "/d2/f", "one", 3);
	xstat(fs, "/", &root);
	cr_assert_eq(root.st_nlink, root0.st_nlink - 1, "root nlink %lu, was %lu",
		     (unsigned long)root.st_nlink,
		     (unsigned long)root0.st_nlink);

	/* move a directory to another parent: ".." follows */
	CHECK_EQ(daxfs_mkdir(fs, "/p1", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/p2", 0755), 0);
	CHECK_EQ(daxfs_rename(fs, "/d2", "/p1/d"), 0);
	CHECK_EQ(daxfs_rename(fs, "/p1/d", "/p2/moved"), 0);
	struct stat p1, p2, dd;
	xstat(fs, "/p1", &p1);
	xstat(fs, "/p2", &p2);
	xstat(fs, "/p2/moved/..", &dd);
	cr_assert_eq(dd.st_ino, p2.st_ino, "\"..\" of a moved dir is stale");
	cr_assert_eq(p1.st_nlink, 2);
	cr_assert_eq(p2.st_nlink, 3);
	struct dlist l;
	list_dir(fs, "/p2/moved", &l);
	const struct dent *e = find_name(&l, "..");
	cr_assert(e && e->ino == (uint64_t)p2.st_ino,
		  "readdir \"..\" of a moved dir is not the new parent");
	free(l.e);
	check_bytes(fs, "/p2/moved/f", "one", 3);

	/* rename to a longer name in the same directory */
	CHECK_EQ(daxfs_rename(fs, "/p2/moved",
			      "/p2/a-much-longer-name-for-the-directory"),
		 0);
	check_bytes(fs, "/p2/a-much-longer-name-for-the-directory/f", "one", 3);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* link, symlink, readlink                                             */
/* ------------------------------------------------------------------ */

Test(api, hard_links)
{
	const char *p;
	daxfs *fs = fresh(&p);
	put_bytes(fs, "/a", "12345", 5);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	struct stat sa, sb;
	CHECK_EQ(daxfs_link(fs, "/a", "/d/b"), 0);
	xstat(fs, "/a", &sa);
	xstat(fs, "/d/b", &sb);
	cr_assert_eq(sa.st_ino, sb.st_ino);
	cr_assert_eq(sa.st_nlink, 2);
	CHECK_EQ(daxfs_link(fs, "/a", "/c"), 0);
	xstat(fs, "/d/b", &sb);
	cr_assert_eq(sb.st_nlink, 3);

	daxfs_file *f = check_open(fs, "/d/b", O_WRONLY, 0);
	CHECK_EQ(daxfs_pwrite(f, "Z", 1, 0), 1);
	CHECK_EQ(daxfs_fstat(f, &sb), 0);
	cr_assert_eq(sb.st_nlink, 3);
	check_close(f);
	check_bytes(fs, "/a", "Z2345", 5);

	CHECK_ERR(daxfs_link(fs, "/d", "/d2"), EPERM);
	CHECK_ERR(daxfs_link(fs, "/a", "/c"), EEXIST);
	CHECK_ERR(daxfs_link(fs, "/a", "/d"), EEXIST);
	CHECK_ERR(daxfs_link(fs, "/missing", "/x"), ENOENT);
	CHECK_ERR(daxfs_link(fs, "/a", "/nodir/x"), ENOENT);

	CHECK_EQ(daxfs_unlink(fs, "/a"), 0);
	xstat(fs, "/c", &sb);
	cr_assert_eq(sb.st_nlink, 2);
	check_bytes(fs, "/d/b", "Z2345", 5);
	CHECK_EQ(daxfs_unlink(fs, "/c"), 0);
	xstat(fs, "/d/b", &sb);
	cr_assert_eq(sb.st_nlink, 1);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_bytes(fs, "/d/b", "Z2345", 5);
	check_unmount_fsck(fs, p);
}

Test(api, symlink_readlink)
{
	const char *p;
	daxfs *fs = fresh(&p);
	char buf[2048];
	struct stat st;

	const char *shortt = "target/short";
	CHECK_EQ(daxfs_symlink(fs, shortt, "/s"), 0);
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(daxfs_readlink(fs, "/s", buf, sizeof(buf)), strlen(shortt));
	cr_assert(memcmp(buf, shortt, strlen(shortt)) == 0);
	cr_assert_eq(buf[strlen(shortt)], '#', "readlink wrote a NUL");
	xstat(fs, "/s", &st);
	cr_assert(S_ISLNK(st.st_mode), "mode %o", (unsigned)st.st_mode);
	cr_assert_eq(st.st_size, (off_t)strlen(shortt));
	cr_assert_eq(st.st_nlink, 1);

	char longt[1001];
	for (int i = 0; i < 1000; i++)
		longt[i] = (char)('a' + i % 26);
	for (int i = 50; i < 1000; i += 50)
		longt[i] = '/';
	longt[1000] = 0;
	CHECK_EQ(daxfs_symlink(fs, longt, "/l"), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(daxfs_readlink(fs, "/l", buf, sizeof(buf)), 1000);
	cr_assert(memcmp(buf, longt, 1000) == 0);
	xstat(fs, "/l", &st);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(st.st_size, 1000);

	/* truncation to len */
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(daxfs_readlink(fs, "/s", buf, 5), 5);
	cr_assert(memcmp(buf, "targe#", 6) == 0);
	CHECK_EQ(daxfs_readlink(fs, "/l", buf, 100), 100);
	cr_assert(memcmp(buf, longt, 100) == 0);

	/* 59 and 60 bytes: around the fast-symlink limit */
	char t59[61], t60[61];
	memset(t59, 'x', 59);
	t59[59] = 0;
	memset(t60, 'y', 60);
	t60[60] = 0;
	CHECK_EQ(daxfs_symlink(fs, t59, "/t59"), 0);
	CHECK_EQ(daxfs_symlink(fs, t60, "/t60"), 0);
	CHECK_EQ(daxfs_readlink(fs, "/t59", buf, sizeof(buf)), 59);
	cr_assert(memcmp(buf, t59, 59) == 0);
	CHECK_EQ(daxfs_readlink(fs, "/t60", buf, sizeof(buf)), 60);
	cr_assert(memcmp(buf, t60, 60) == 0);

	put_bytes(fs, "/f", "x", 1);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	CHECK_ERR(daxfs_readlink(fs, "/f", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(daxfs_readlink(fs, "/d", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(daxfs_readlink(fs, "/missing", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(daxfs_symlink(fs, "x", "/s"), EEXIST);
	CHECK_ERR(daxfs_symlink(fs, "x", "/f"), EEXIST);
	CHECK_ERR(daxfs_symlink(fs, "x", "/nodir/s"), ENOENT);

	/* links are not followed: a link to a dir is not a dir */
	CHECK_EQ(daxfs_symlink(fs, "/d", "/ld"), 0);
	CHECK_ERR(daxfs_stat(fs, "/ld/x", &st), ENOTDIR);
	xstat(fs, "/ld", &st);
	cr_assert(S_ISLNK(st.st_mode));
	/* unlink removes the link, not its target */
	CHECK_EQ(daxfs_unlink(fs, "/ld"), 0);
	xstat(fs, "/d", &st);
	cr_assert(S_ISDIR(st.st_mode));

	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	CHECK_EQ(daxfs_readlink(fs, "/s", buf, sizeof(buf)), strlen(shortt));
	cr_assert(memcmp(buf, shortt, strlen(shortt)) == 0);
	CHECK_EQ(daxfs_readlink(fs, "/l", buf, sizeof(buf)), 1000);
	cr_assert(memcmp(buf, longt, 1000) == 0);
	CHECK_EQ(daxfs_readlink(fs, "/t60", buf, sizeof(buf)), 60);
	cr_assert(memcmp(buf, t60, 60) == 0);
	CHECK_EQ(daxfs_unlink(fs, "/l"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/s"), 0);
	check_unmount_fsck(fs, p);

	/* debugfs agrees on the targets */
	char *out = test_debugfs(p, "stat /t59", NULL, NULL);
	cr_assert(out && strstr(out, t59) != NULL, "debugfs stat /t59:\n%s",
		  out);
	free(out);
}

/* ------------------------------------------------------------------ */
/* stat, readdir                                                       */
/* ------------------------------------------------------------------ */

Test(api, stat_fields)
{
	const char *p;
	daxfs *fs = fresh(&p);
	time_t t0 = time(NULL);
	struct stat st, root;
	xstat(fs, "/", &root);
	cr_assert_eq(root.st_ino, 2);
	cr_assert(S_ISDIR(root.st_mode));
	cr_assert(root.st_nlink >= 2);

	const size_t sizes[] = {0, 1, 4095, 4096, 4097, 12 * 4096, 40000};
	uint64_t inos[7];
	for (int i = 0; i < 7; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/f%d", i);
		daxfs_file *f = check_open(fs, path, O_CREAT | O_RDWR,
					   i % 2 ? 0600 : 0755);
		check_pwrite_pattern(f, (uint64_t)i, 0, sizes[i]);
		check_close(f);
		xstat(fs, path, &st);
		cr_assert(S_ISREG(st.st_mode));
		cr_assert_eq(st.st_mode & 07777, i % 2 ? 0600u : 0755u,
			     "%s: perm %o", path, (unsigned)st.st_mode & 07777);
		cr_assert_eq(st.st_size, (off_t)sizes[i]);
		cr_assert_eq(st.st_nlink, 1);
		/* ext2 counts 512-byte sectors; no indirect block up to 12 */
		long long want = (long long)((sizes[i] + 4095) / 4096) * 8;
		if (sizes[i] > 12 * 4096)
			want += 8;
		cr_assert_eq(st.st_blocks, want, "%s: st_blocks %lld, want %lld",
			     path, (long long)st.st_blocks, want);
		cr_assert(st.st_ino > 2, "%s: ino %llu", path,
			  (unsigned long long)st.st_ino);
		cr_assert(st.st_mtime >= t0 - 2 && st.st_mtime <= time(NULL) + 2,
			  "%s: mtime %lld, now %lld", path,
			  (long long)st.st_mtime, (long long)time(NULL));
		inos[i] = st.st_ino;
		for (int j = 0; j < i; j++)
			cr_assert_neq(inos[j], inos[i], "two files share ino");
		daxfs_file *g = check_open(fs, path, O_RDONLY, 0);
		struct stat fst;
		CHECK_EQ(daxfs_fstat(g, &fst), 0);
		cr_assert_eq(fst.st_ino, st.st_ino);
		cr_assert_eq(fst.st_size, st.st_size);
		cr_assert_eq(fst.st_mode, st.st_mode);
		cr_assert_eq(fst.st_blocks, st.st_blocks);
		check_close(g);
	}
	CHECK_EQ(daxfs_mkdir(fs, "/dir", 0700), 0);
	xstat(fs, "/dir", &st);
	cr_assert_eq(st.st_mode, S_IFDIR | 0700, "mode %o",
		     (unsigned)st.st_mode);
	cr_assert_eq(st.st_blocks, 8);
	CHECK_ERR(daxfs_stat(fs, "/missing", &st), ENOENT);
	check_unmount_fsck(fs, p);
}

struct stopper {
	int calls;
};

static int stop_at_two(void *arg, const char *name, uint64_t ino,
		       unsigned type)
{
	(void)name;
	(void)ino;
	(void)type;
	struct stopper *s = arg;
	return ++s->calls == 2 ? 42 : 0;
}

static int stop_negative(void *arg, const char *name, uint64_t ino,
			 unsigned type)
{
	(void)name;
	(void)ino;
	(void)type;
	struct stopper *s = arg;
	s->calls++;
	return -7;
}

Test(api, readdir_entries_and_types)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	put_bytes(fs, "/d/file", "x", 1);
	CHECK_EQ(daxfs_mkdir(fs, "/d/sub", 0755), 0);
	CHECK_EQ(daxfs_symlink(fs, "file", "/d/link"), 0);
	struct stat sd, sf, ss, sl;
	xstat(fs, "/d", &sd);
	xstat(fs, "/d/file", &sf);
	xstat(fs, "/d/sub", &ss);
	xstat(fs, "/d/link", &sl);

	struct dlist l;
	list_dir(fs, "/d", &l);
	cr_assert_eq(l.n, 5, "readdir /d gave %d entries", l.n);
	const struct {
		const char *name;
		uint64_t ino;
		unsigned type;
	} want[] = {
		{".", sd.st_ino, DAXFS_DT_DIR},
		{"..", 2, DAXFS_DT_DIR},
		{"file", sf.st_ino, DAXFS_DT_REG},
		{"sub", ss.st_ino, DAXFS_DT_DIR},
		{"link", sl.st_ino, DAXFS_DT_LNK},
	};
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(count_name(&l, want[i].name), 1,
			     "\"%s\" listed %d times", want[i].name,
			     count_name(&l, want[i].name));
		const struct dent *e = find_name(&l, want[i].name);
		cr_assert_eq(e->ino, want[i].ino, "\"%s\": ino %llu, want %llu",
			     want[i].name, (unsigned long long)e->ino,
			     (unsigned long long)want[i].ino);
		cr_assert_eq(e->type, want[i].type, "\"%s\": type %u, want %u",
			     want[i].name, e->type, want[i].type);
	}
	free(l.e);

	/* root: "." and ".." are both the root */
	list_dir(fs, "/", &l);
	cr_assert(find_name(&l, ".") && find_name(&l, ".")->ino == 2);
	cr_assert(find_name(&l, "..") && find_name(&l, "..")->ino == 2);
	cr_assert_eq(count_name(&l, "d"), 1);
	free(l.e);

	/* a non-zero return stops the walk and is returned */
	struct stopper s = {0};
	CHECK_EQ(daxfs_readdir(fs, "/d", stop_at_two, &s), 42);
	cr_assert_eq(s.calls, 2, "callback called %d times after stop",
		     s.calls);
	s.calls = 0;
	CHECK_EQ(daxfs_readdir(fs, "/d", stop_negative, &s), -7);
	cr_assert_eq(s.calls, 1);

	CHECK_ERR(daxfs_readdir(fs, "/d/file", stop_at_two, &s), ENOTDIR);
	CHECK_ERR(daxfs_readdir(fs, "/missing", stop_at_two, &s), ENOENT);
	check_unmount_fsck(fs, p);
}

Test(api, readdir_large_directory_and_reentrant_callback)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/big", 0755), 0);
	char path[300];
	const int n = 600;
	for (int i = 0; i < n; i++) {
		/* names of varied lengths so entries pack unevenly */
		snprintf(path, sizeof(path), "/big/%0*d", 1 + (i * 37) % 200, i);
		put_bytes(fs, path, "", 0);
	}
	for (int i = 0; i < n; i += 3) {
		snprintf(path, sizeof(path), "/big/%0*d", 1 + (i * 37) % 200, i);
		CHECK_EQ(daxfs_unlink(fs, path), 0);
	}
	struct dlist l;
	memset(&l, 0, sizeof(l));
	l.fs = fs;
	l.dir = "/big";
	CHECK_EQ(daxfs_readdir(fs, "/big", collect, &l), 0);
	cr_assert_eq(l.stat_errors, 0,
		     "%d entries could not be stat'ed from the callback",
		     l.stat_errors);
	cr_assert_eq(l.n, 2 + n - (n + 2) / 3, "listed %d entries", l.n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%0*d", 1 + (i * 37) % 200, i);
		int c = count_name(&l, path);
		cr_assert_eq(c, i % 3 ? 1 : 0, "entry %d listed %d times", i, c);
	}
	free(l.e);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Open-but-unlinked files, statfs                                     */
/* ------------------------------------------------------------------ */

Test(api, unlinked_open_file_lives_until_close)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs start = check_statfs(fs);
	daxfs_file *f = check_open(fs, "/u", O_CREAT | O_RDWR, 0644);
	check_pwrite_pattern(f, 11, 0, TEST_MIB);
	CHECK_EQ(daxfs_unlink(fs, "/u"), 0);
	struct stat st;
	CHECK_ERR(daxfs_stat(fs, "/u", &st), ENOENT);
	struct dlist l;
	list_dir(fs, "/", &l);
	cr_assert_eq(count_name(&l, "u"), 0, "unlinked file still listed");
	free(l.e);

	check_pread_pattern(f, 11, 0, TEST_MIB);
	check_pwrite_pattern(f, 12, TEST_MIB, 100 * 1024);
	check_pread_pattern(f, 12, TEST_MIB, 100 * 1024);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_nlink, 0, "nlink %lu of an unlinked file",
		     (unsigned long)st.st_nlink);
	cr_assert_eq(st.st_size, (off_t)(TEST_MIB + 100 * 1024));
	struct statvfs mid = check_statfs(fs);
	cr_assert(mid.f_bfree < start.f_bfree, "blocks freed while open");
	cr_assert_eq(mid.f_ffree, start.f_ffree - 1, "inode freed while open");

	/* a new file of the same name is another file */
	put_bytes(fs, "/u", "new", 3);
	check_pread_pattern(f, 11, 0, TEST_MIB);
	CHECK_EQ(daxfs_ftruncate(f, 4096), 0);
	check_bytes(fs, "/u", "new", 3);
	CHECK_EQ(daxfs_unlink(fs, "/u"), 0);

	check_close(f);
	struct statvfs end = check_statfs(fs);
	cr_assert_eq(end.f_bfree, start.f_bfree,
		     "free blocks %lu after close, %lu at start",
		     (unsigned long)end.f_bfree, (unsigned long)start.f_bfree);
	cr_assert_eq(end.f_ffree, start.f_ffree,
		     "free inodes %lu after close, %lu at start",
		     (unsigned long)end.f_ffree, (unsigned long)start.f_ffree);
	check_unmount_fsck(fs, p);
}

Test(api, statfs_counts)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs s0 = check_statfs(fs);
	long long blocks = check_dumpe2fs_num(p, "Block count");
	cr_assert_eq(s0.f_bsize, 4096);
	cr_assert(s0.f_blocks > 0 && (long long)s0.f_blocks <= blocks,
		  "f_blocks %lu, the fs has %lld", (unsigned long)s0.f_blocks,
		  blocks);
	cr_assert(s0.f_blocks >= FS_SIZE / 4096 * 9 / 10,
		  "f_blocks %lu is too small", (unsigned long)s0.f_blocks);
	cr_assert(s0.f_bfree < s0.f_blocks && s0.f_bfree > s0.f_blocks / 2);
	cr_assert(s0.f_bavail <= s0.f_bfree);
	cr_assert_eq((long long)s0.f_files, check_dumpe2fs_num(p,
							       "Inode count"));
	cr_assert(s0.f_ffree < s0.f_files && s0.f_ffree > s0.f_files - 20,
		  "f_ffree %lu of %lu", (unsigned long)s0.f_ffree,
		  (unsigned long)s0.f_files);

	/* one file of 100 blocks: 12 direct + 88 behind one indirect block */
	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0644);
	struct statvfs s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree - 1);
	cr_assert_eq(s1.f_bfree, s0.f_bfree);
	check_pwrite_pattern(f, 1, 0, 100 * 4096);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_blocks, 101 * 8);
	struct statvfs s2 = check_statfs(fs);
	cr_assert_eq(s2.f_bfree, s0.f_bfree - 101, "f_bfree fell by %ld",
		     (long)(s0.f_bfree - s2.f_bfree));
	check_close(f);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	struct statvfs s3 = check_statfs(fs);
	cr_assert_eq(s3.f_ffree, s0.f_ffree - 2);
	cr_assert_eq(s3.f_bfree, s0.f_bfree - 102);
	cr_assert_eq(s3.f_blocks, s0.f_blocks);
	cr_assert_eq(s3.f_files, s0.f_files);

	CHECK_EQ(daxfs_unlink(fs, "/f"), 0);
	CHECK_EQ(daxfs_rmdir(fs, "/d"), 0);
	struct statvfs s4 = check_statfs(fs);
	cr_assert_eq(s4.f_bfree, s0.f_bfree);
	cr_assert_eq(s4.f_ffree, s0.f_ffree);

	/* what statfs said is what the superblock says after unmount */
	check_create_pattern_file(fs, "/keep", 2, 50000);
	struct statvfs s5 = check_statfs(fs);
	check_unmount_fsck(fs, p);
	cr_assert_eq(check_dumpe2fs_num(p, "Free blocks"),
		     (long long)s5.f_bfree);
	cr_assert_eq(check_dumpe2fs_num(p, "Free inodes"),
		     (long long)s5.f_ffree);
	cr_assert_eq(check_dumpe2fs_num(p, "Inode count"),
		     (long long)s5.f_files);
	fs = check_mount(p, 0);
	struct statvfs s6 = check_statfs(fs);
	cr_assert_eq(s6.f_bfree, s5.f_bfree);
	cr_assert_eq(s6.f_ffree, s5.f_ffree);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Mounting                                                            */
/* ------------------------------------------------------------------ */

static int mount_in_child(const char *path, unsigned flags)
{
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		daxfs *fs = NULL;
		int r = daxfs_mount(path, flags, &fs);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	int r = 12345;
	ssize_t n = read(pfd[0], &r, sizeof(r));
	close(pfd[0]);
	int status;
	waitpid(pid, &status, 0);
	cr_assert_eq(n, (ssize_t)sizeof(r), "child died: status %#x", status);
	return r;
}

Test(api, second_mount_is_busy)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs *fs2 = NULL;
	char who[64];

	CHECK_ERR(daxfs_mount(p, 0, &fs2), EBUSY);
	CHECK_ERR(daxfs_mount(p, DAXFS_MOUNT_RDONLY, &fs2), EBUSY);
	snprintf(who, sizeof(who), "by process %d", (int)getpid());
	check_errormsg("read-only mount of a mounted region", who);
	cr_assert_eq(mount_in_child(p, 0), -EBUSY,
		     "mount from another process: %s",
		     test_errname(mount_in_child(p, 0)));
	cr_assert_eq(mount_in_child(p, DAXFS_MOUNT_RDONLY), -EBUSY);
	/* the first mount is unharmed */
	put_bytes(fs, "/f", "abc", 3);
	check_unmount_fsck(fs, p);
	/* and once unmounted, the image can be mounted again */
	cr_assert_eq(mount_in_child(p, DAXFS_MOUNT_RDONLY), 0);
	fs = check_mount(p, 0);
	check_bytes(fs, "/f", "abc", 3);
	check_unmount_fsck(fs, p);
}

Test(api, read_only_mounts_share_the_region)
{
	const char *p;
	daxfs *fs = fresh(&p), *ro1, *ro2, *rw = NULL;

	put_bytes(fs, "/f", "abc", 3);
	check_unmount(fs);
	ro1 = check_mount(p, DAXFS_MOUNT_RDONLY);
	ro2 = check_mount(p, DAXFS_MOUNT_RDONLY);
	cr_assert_eq(mount_in_child(p, DAXFS_MOUNT_RDONLY), 0,
		     "a read-only mount in another process");
	check_bytes(ro1, "/f", "abc", 3);
	check_bytes(ro2, "/f", "abc", 3);
	/* no read-write mount (nor mkfs) while read-only ones hold it */
	CHECK_ERR(daxfs_mount(p, 0, &rw), EBUSY);
	check_errormsg("read-write mount over read-only ones",
		       "read-only mounts may share it");
	cr_assert_eq(mount_in_child(p, 0), -EBUSY);
	check_unmount(ro1);
	check_unmount(ro2);
	fs = check_mount(p, 0);
	check_bytes(fs, "/f", "abc", 3);
	check_unmount_fsck(fs, p);
}

Test(api, unmount_with_open_file_is_busy)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0644);
	CHECK_ERR(daxfs_unmount(fs), EBUSY);
	/* the mount stays usable */
	CHECK_EQ(daxfs_pwrite(f, "data", 4, 0), 4);
	struct stat st;
	xstat(fs, "/f", &st);
	cr_assert_eq(st.st_size, 4);
	daxfs_file *g = check_open(fs, "/g", O_CREAT | O_RDWR, 0644);
	check_close(f);
	CHECK_ERR(daxfs_unmount(fs), EBUSY);
	check_close(g);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_bytes(fs, "/f", "data", 4);
	check_unmount_fsck(fs, p);
}

Test(api, rdonly_mount_refuses_changes)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/empty", 0755), 0);
	check_create_pattern_file(fs, "/d/f", 5, 30000);
	CHECK_EQ(daxfs_symlink(fs, "d/f", "/ln"), 0);
	check_unmount_fsck(fs, p);
	uint64_t h0 = check_hash_file(p);

	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	CHECK_ERR(daxfs_mkdir(fs, "/x", 0755), EROFS);
	CHECK_ERR(daxfs_rmdir(fs, "/empty"), EROFS);
	CHECK_ERR(daxfs_unlink(fs, "/d/f"), EROFS);
	CHECK_ERR(daxfs_rename(fs, "/d/f", "/d/g"), EROFS);
	CHECK_ERR(daxfs_link(fs, "/d/f", "/d/h"), EROFS);
	CHECK_ERR(daxfs_symlink(fs, "t", "/s"), EROFS);
	CHECK_ERR(open_rc(fs, "/new", O_CREAT | O_WRONLY, 0644), EROFS);
	CHECK_ERR(open_rc(fs, "/new", O_CREAT | O_RDONLY, 0644), EROFS);
	CHECK_ERR(open_rc(fs, "/d/f", O_WRONLY, 0), EROFS);
	CHECK_ERR(open_rc(fs, "/d/f", O_RDWR, 0), EROFS);
	CHECK_ERR(open_rc(fs, "/d/f", O_WRONLY | O_TRUNC, 0), EROFS);
	CHECK_ERR(open_rc(fs, "/d/f", O_WRONLY | O_APPEND, 0), EROFS);

	/* reading works */
	check_pattern_file(fs, "/d/f", 5, 30000);
	daxfs_file *f = check_open(fs, "/d/f", O_RDONLY, 0);
	CHECK_ERR2(daxfs_pwrite(f, "x", 1, 0), EBADF, EROFS);
	long long r = daxfs_ftruncate(f, 0);
	cr_assert(r == -EBADF || r == -EINVAL || r == -EROFS,
		  "ftruncate on a read-only mount = %lld (%s)", r,
		  test_errname(r));
	CHECK_EQ(daxfs_fsync(f), 0);
	check_close(f);
	char buf[16];
	CHECK_EQ(daxfs_readlink(fs, "/ln", buf, sizeof(buf)), 3);
	struct dlist l;
	list_dir(fs, "/d", &l);
	cr_assert_eq(l.n, 3);
	free(l.e);
	struct statvfs sv = check_statfs(fs);
	cr_assert(sv.f_blocks > 0);
	CHECK_EQ(daxfs_unmount(fs), 0);
	cr_assert_eq(check_hash_file(p), h0,
		     "a read-only mount changed the image");
	cr_assert_eq(test_e2fsck(p, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void *errormsg_thread(void *arg)
{
	const char **out = arg;
	const char *m = daxfs_errormsg();
	*out = m ? strdup(m) : NULL;
	return NULL;
}

Test(api, errormsg_is_per_thread)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct stat st;
	CHECK_ERR(daxfs_stat(fs, "/missing", &st), ENOENT);
	const char *m1 = daxfs_errormsg();
	cr_assert(m1 && strlen(m1) > 0);
	char *copy = strdup(m1);

	const char *other = NULL;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, errormsg_thread, &other), 0);
	pthread_join(t, NULL);
	cr_assert(other != NULL, "daxfs_errormsg() is NULL in a new thread");
	cr_assert_str_eq(other, "",
			 "a thread with no failure sees \"%s\"", other);
	free((void *)other);
	/* ours is unchanged by the other thread */
	cr_assert_str_eq(daxfs_errormsg(), copy);
	free(copy);

	/* every failure gives a sentence */
	CHECK_ERR(daxfs_mkdir(fs, "/", 0755), EEXIST);
	CHECK_ERR(daxfs_rmdir(fs, "/missing"), ENOENT);
	CHECK_ERR(open_rc(fs, "/missing", O_RDONLY, 0), ENOENT);
	check_unmount_fsck(fs, p);
}

/* ------------------------------------------------------------------ */
/* Persistence                                                         */
/* ------------------------------------------------------------------ */

Test(api, data_persists_across_mounts)
{
	const char *p;
	daxfs *fs = fresh(&p);
	const size_t sizes[] = {0, 1, 4095, 4096, 4097, 100000, 5 * TEST_MIB};
	char path[64];
	CHECK_EQ(daxfs_mkdir(fs, "/dir", 0755), 0);
	CHECK_EQ(daxfs_mkdir(fs, "/dir/deep", 0700), 0);
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "/dir/deep/f%d", i);
		check_create_pattern_file(fs, path, 100 + (uint64_t)i,
					  sizes[i]);
	}
	CHECK_EQ(daxfs_link(fs, "/dir/deep/f5", "/hard"), 0);
	CHECK_EQ(daxfs_symlink(fs, "/dir/deep/f1", "/sym"), 0);
	daxfs_file *f = check_open(fs, "/sparse", O_CREAT | O_WRONLY, 0600);
	check_pwrite_pattern(f, 200, 3 * (off_t)TEST_MIB, 5000);
	CHECK_EQ(daxfs_fsync(f), 0);
	check_close(f);
	check_unmount_fsck(fs, p);

	/* debugfs reads the same bytes */
	const char *host = test_image_path("dump");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "dump /dir/deep/f6 %s", host);
	free(test_debugfs(p, cmd, NULL, NULL));
	cr_assert_eq(test_file_size(host), (long long)sizes[6],
		     "debugfs dump gave %lld bytes", test_file_size(host));
	char *hb = malloc(sizes[6]);
	check_raw_read(host, 0, hb, sizes[6]);
	cr_assert(test_pattern_mismatch(hb, sizes[6], 106, 0) < 0,
		  "debugfs reads other bytes than daxfs wrote");
	free(hb);

	for (int round = 0; round < 2; round++) {
		fs = check_mount(p, round ? DAXFS_MOUNT_RDONLY : 0);
		for (int i = 0; i < 7; i++) {
			snprintf(path, sizeof(path), "/dir/deep/f%d", i);
			check_pattern_file(fs, path, 100 + (uint64_t)i,
					   sizes[i]);
		}
		struct stat st;
		xstat(fs, "/hard", &st);
		cr_assert_eq(st.st_nlink, 2);
		xstat(fs, "/dir/deep", &st);
		cr_assert_eq(st.st_mode, S_IFDIR | 0700);
		char buf[64];
		CHECK_EQ(daxfs_readlink(fs, "/sym", buf, sizeof(buf)), 12);
		cr_assert(memcmp(buf, "/dir/deep/f1", 12) == 0);
		f = check_open(fs, "/sparse", O_RDONLY, 0);
		CHECK_EQ(daxfs_fstat(f, &st), 0);
		cr_assert_eq(st.st_size, 3 * (off_t)TEST_MIB + 5000);
		check_pread_pattern(f, 200, 3 * (off_t)TEST_MIB, 5000);
		char z[4096];
		CHECK_EQ(daxfs_pread(f, z, sizeof(z), (off_t)TEST_MIB),
			 sizeof(z));
		cr_assert((test_first_nonzero(z, sizeof(z)) < 0));
		check_close(f);
		if (round == 0) {
			/* change something and check it on the next round */
			CHECK_EQ(daxfs_unlink(fs, "/dir/deep/f0"), 0);
			check_create_pattern_file(fs, "/dir/deep/f0", 100, 0);
			check_unmount_fsck(fs, p);
		} else {
			CHECK_EQ(daxfs_unmount(fs), 0);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Block-map boundaries, limits, re-entrancy, crashes                  */
/* ------------------------------------------------------------------ */

/*
 * Writes on both sides of the direct / indirect / double / triple
 * indirect boundaries of a sparse file, read back, checked by debugfs
 * "bmap", then truncated back across each boundary.
 */
static void map_boundaries(uint32_t bs)
{
	const char *p;
	daxfs *fs = check_new_fs("api", FS_SIZE, bs, 0, &p);
	struct statvfs s0 = check_statfs(fs);
	uint64_t b = bs / 4;
	const uint64_t lb[3] = {12, 12 + b, 12 + b + b * b};
	off_t offs[9];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		offs[n++] = (off_t)(lb[i] * bs) - 3; /* ends at the boundary */
		offs[n++] = (off_t)(lb[i] * bs);
		offs[n++] = (off_t)((lb[i] + 1) * bs) + 17;
	}
	daxfs_file *f = check_open(fs, "/sparse", O_CREAT | O_RDWR, 0644);
	for (int i = 0; i < n; i++)
		check_pwrite_pattern(f, 40 + (uint64_t)i, offs[i], 3);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, offs[n - 1] + 3);
	for (int i = 0; i < n; i++)
		check_pread_pattern(f, 40 + (uint64_t)i, offs[i], 3);
	/* holes between the boundaries read as zeros */
	char z[64];
	for (int i = 0; i < 3; i++) {
		off_t mid = (off_t)(lb[i] * bs) - 5 * (off_t)bs;
		memset(z, 1, sizeof(z));
		CHECK_EQ(daxfs_pread(f, z, sizeof(z), mid), sizeof(z));
		cr_assert((test_first_nonzero(z, sizeof(z)) < 0),
			  "hole at %lld not zero",
			  (long long)mid);
	}
	check_close(f);
	check_unmount_fsck(fs, p);

	/* debugfs maps the same blocks */
	for (int i = 0; i < 3; i++) {
		long long phys = test_debugfs_bmap(p, "/sparse", lb[i]);
		cr_assert(phys > 0, "debugfs bmap /sparse %llu: %lld",
			  (unsigned long long)lb[i], phys);
		phys = test_debugfs_bmap(p, "/sparse", lb[i] - 5);
		cr_assert_eq(phys, 0,
			     "debugfs bmap /sparse %llu (a hole): %lld",
			     (unsigned long long)lb[i] - 5, phys);
	}

	fs = check_mount(p, 0);
	f = check_open(fs, "/sparse", O_RDWR, 0);
	for (int i = 0; i < n; i++)
		check_pread_pattern(f, 40 + (uint64_t)i, offs[i], 3);
	/* truncate back across each boundary */
	for (int k = 2; k >= 0; k--) {
		off_t to = (off_t)(lb[k] * bs);
		CHECK_EQ(daxfs_ftruncate(f, to), 0);
		CHECK_EQ(daxfs_fstat(f, &st), 0);
		cr_assert_eq(st.st_size, to);
		for (int i = 0; i < 3 * k + 1; i++)
			check_pread_pattern(f, 40 + (uint64_t)i, offs[i], 3);
		char c;
		CHECK_EQ(daxfs_pread(f, &c, 1, to), 0);
		/* growing again shows zeros, not the old bytes */
		CHECK_EQ(daxfs_ftruncate(f, to + 2 * (off_t)bs), 0);
		memset(z, 1, sizeof(z));
		CHECK_EQ(daxfs_pread(f, z, 40, to), 40);
		cr_assert((test_first_nonzero(z, 40) < 0),
			  "old data after truncate at %lld",
			  (long long)to);
		CHECK_EQ(daxfs_ftruncate(f, to), 0);
	}
	CHECK_EQ(daxfs_ftruncate(f, 0), 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_blocks, 0);
	check_close(f);
	struct statvfs s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree - 0,
		     "f_bfree %lu after truncating to 0, %lu at start",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	check_unmount_fsck(fs, p);
}

Test(api, block_map_boundaries_4k)
{
	map_boundaries(4096);
}

Test(api, block_map_boundaries_1k)
{
	map_boundaries(1024);
}

Test(api, large_unaligned_transfers)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs_file *f = check_open(fs, "/f", O_CREAT | O_RDWR, 0644);
	size_t len = 3 * TEST_MIB + 5;
	unsigned char *buf = malloc(len);
	test_pattern(buf, len, 77, 4093);
	CHECK_EQ(daxfs_pwrite(f, buf, len, 4093), len);
	memset(buf, 0, len);
	CHECK_EQ(daxfs_pread(f, buf, len, 4093), len);
	cr_assert(test_pattern_mismatch(buf, len, 77, 4093) < 0);
	/* odd-sized reads */
	uint64_t rng = 5;
	for (int i = 0; i < 200; i++) {
		off_t off = (off_t)(test_rand(&rng) % (len + 4093));
		size_t n = 1 + (size_t)(test_rand(&rng) % 20000);
		ssize_t want = off + (off_t)n <= (off_t)(len + 4093)
				       ? (ssize_t)n
				       : (ssize_t)(len + 4093 - (size_t)off);
		CHECK_EQ(daxfs_pread(f, buf, n, off), want);
		if (off < 4093) {
			size_t zeros = 4093 - (size_t)off < (size_t)want
					       ? 4093 - (size_t)off
					       : (size_t)want;
			cr_assert((test_first_nonzero(buf, zeros) < 0));
			cr_assert(test_pattern_mismatch(buf + zeros,
							(size_t)want - zeros,
							77, 4093) < 0);
		} else {
			cr_assert(test_pattern_mismatch(buf, (size_t)want, 77,
							(uint64_t)off) < 0,
				  "pread(%zu @ %lld) wrong", n, (long long)off);
		}
	}
	free(buf);
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(api, symlink_length_limits)
{
	const char *p;
	daxfs *fs = fresh(&p);
	char *t = malloc(4097);
	memset(t, 'q', 4096);
	t[4095] = 0;
	CHECK_EQ(daxfs_symlink(fs, t, "/max"), 0);
	char *buf = malloc(5000);
	CHECK_EQ(daxfs_readlink(fs, "/max", buf, 5000), 4095);
	cr_assert(memcmp(buf, t, 4095) == 0);
	struct stat st;
	xstat(fs, "/max", &st);
	cr_assert_eq(st.st_size, 4095);
	cr_assert_eq(st.st_blocks, 8, "slow symlink st_blocks %lld",
		     (long long)st.st_blocks);
	t[4095] = 'q';
	t[4096] = 0;
	CHECK_ERR(daxfs_symlink(fs, t, "/toolong"), ENAMETOOLONG);
	CHECK_ERR(daxfs_stat(fs, "/toolong", &st), ENOENT);
	CHECK_EQ(daxfs_symlink(fs, "tiny", "/tiny"), 0);
	xstat(fs, "/tiny", &st);
	cr_assert_eq(st.st_blocks, 0, "fast symlink st_blocks %lld",
		     (long long)st.st_blocks);
	free(t);
	free(buf);
	check_unmount_fsck(fs, p);
}

Test(api, hard_link_limit, .timeout = 300)
{
	const char *p;
	daxfs *fs = check_new_fs("api", 64 * TEST_MIB, 0, 0, &p);
	put_bytes(fs, "/f", "x", 1);
	CHECK_EQ(daxfs_mkdir(fs, "/l", 0755), 0);
	char path[64];
	int made = 1;
	int r = 0;
	for (; made < 40000; made++) {
		snprintf(path, sizeof(path), "/l/%d", made);
		r = daxfs_link(fs, "/f", path);
		if (r)
			break;
	}
	cr_assert_eq(r, -EMLINK, "link number %d = %d (%s): \"%s\"", made + 1,
		     r, test_errname(r), daxfs_errormsg());
	check_errormsg("link past the limit", NULL);
	struct stat st;
	xstat(fs, "/f", &st);
	cr_assert_eq(st.st_nlink, 32000, "nlink %lu at the limit",
		     (unsigned long)st.st_nlink);
	CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
	CHECK_EQ(daxfs_unlink(fs, "/l/1"), 0);
	CHECK_EQ(daxfs_link(fs, "/f", "/l/again"), 0);
	check_unmount_fsck(fs, p);
}

struct unlinker {
	daxfs *fs;
	int seen[100];
	int other;
	int unlink_errors;
};

static int unlink_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	(void)ino;
	(void)type;
	struct unlinker *u = arg;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	int i;
	if (sscanf(name, "file%d", &i) != 1 || i < 0 || i >= 100) {
		u->other++;
		return 0;
	}
	u->seen[i]++;
	char p[64];
	snprintf(p, sizeof(p), "/d/%s", name);
	if (daxfs_unlink(u->fs, p) != 0)
		u->unlink_errors++;
	return 0;
}

Test(api, readdir_callback_may_unlink_entries)
{
	const char *p;
	daxfs *fs = fresh(&p);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	char path[64];
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/d/file%d", i);
		put_bytes(fs, path, "abc", 3);
	}
	struct unlinker u;
	memset(&u, 0, sizeof(u));
	u.fs = fs;
	CHECK_EQ(daxfs_readdir(fs, "/d", unlink_cb, &u), 0);
	cr_assert_eq(u.other, 0);
	cr_assert_eq(u.unlink_errors, 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(u.seen[i], 1, "file%d seen %d times", i, u.seen[i]);
	CHECK_EQ(daxfs_rmdir(fs, "/d"), 0);
	check_unmount_fsck(fs, p);
}

Test(api, rename_over_an_open_file)
{
	const char *p;
	daxfs *fs = fresh(&p);
	struct statvfs s0 = check_statfs(fs);
	check_create_pattern_file(fs, "/a", 1, 200000);
	check_create_pattern_file(fs, "/b", 2, 3000);
	daxfs_file *h = check_open(fs, "/a", O_RDONLY, 0);
	CHECK_EQ(daxfs_rename(fs, "/b", "/a"), 0);
	check_pattern_file(fs, "/a", 2, 3000);
	check_pread_pattern(h, 1, 0, 200000);
	struct stat st;
	CHECK_EQ(daxfs_fstat(h, &st), 0);
	cr_assert_eq(st.st_nlink, 0);
	check_close(h);
	struct statvfs s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree - 1,
		     "replaced open file not freed at close: f_bfree %lu, "
		     "expected %lu",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree - 1);
	cr_assert_eq(s1.f_ffree, s0.f_ffree - 1);

	/* replacing one of two links keeps the inode */
	put_bytes(fs, "/c", "cc", 2);
	CHECK_EQ(daxfs_link(fs, "/c", "/c2"), 0);
	CHECK_EQ(daxfs_rename(fs, "/a", "/c"), 0);
	xstat(fs, "/c2", &st);
	cr_assert_eq(st.st_nlink, 1);
	check_bytes(fs, "/c2", "cc", 2);
	check_pattern_file(fs, "/c", 2, 3000);
	check_unmount_fsck(fs, p);
}

Test(api, completed_writes_survive_a_crash)
{
	const char *p = test_image_path("api");
	CHECK_EQ(test_mkfs(p, FS_SIZE, 0, 0), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* the child works and dies without unmounting */
		daxfs *fs = NULL;
		if (daxfs_mount(p, 0, &fs))
			_exit(10);
		if (daxfs_mkdir(fs, "/d", 0755))
			_exit(11);
		char path[32];
		for (int i = 0; i < 20; i++) {
			snprintf(path, sizeof(path), "/d/f%d", i);
			daxfs_file *f = NULL;
			if (daxfs_open(fs, path, O_CREAT | O_RDWR, 0644, &f))
				_exit(12);
			size_t n = 1000 + (size_t)i * 7000;
			unsigned char *buf = malloc(n);
			test_pattern(buf, n, 300 + (uint64_t)i, 0);
			if (daxfs_pwrite(f, buf, n, 0) != (ssize_t)n)
				_exit(13);
			free(buf);
			if (i % 2 && daxfs_fsync(f))
				_exit(14);
			if (i % 3 == 0)
				daxfs_close(f); /* others stay open */
		}
		if (daxfs_rename(fs, "/d/f0", "/moved"))
			_exit(15);
		if (daxfs_unlink(fs, "/d/f1"))
			_exit(16);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child failed: status %#x", status);

	/* Until libdaxfs has recovered it, e2fsck refuses the image (it
	 * would take half-done operations as valid). */
	char *out = NULL;
	cr_assert_eq(test_e2fsck(p, &out), 8, "e2fsck -fn of the crashed "
		     "image:\n%s", out);
	cr_assert(strstr(out, "unsupported feature"), "%s", out);
	free(out);
	/* A plain mount recovers it: nothing for e2fsck to fix after. */
	daxfs *fs = check_mount(p, 0);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	check_pattern_file(fs, "/moved", 300, 1000);
	CHECK_ERR(daxfs_stat(fs, "/d/f1", &(struct stat){0}), ENOENT);
	for (int i = 2; i < 20; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/d/f%d", i);
		check_pattern_file(fs, path, 300 + (uint64_t)i,
				   1000 + (size_t)i * 7000);
	}
	check_unmount_fsck(fs, p);
}

Test(api, trailing_slash_on_a_missing_name)
{
	const char *p;
	daxfs *fs = fresh(&p);
	daxfs_file *f = check_open(fs, "/file", O_CREAT | O_RDWR, 0644);

	check_close(f);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	/* Linux: link("/file", "/h/") with /h missing is ENOENT; EEXIST
	 * only when the name exists. */
	CHECK_ERR_MSG(daxfs_link(fs, "/file", "/h/"), ENOENT, "/h/");
	cr_assert(!strstr(daxfs_errormsg(), "exists"), "message \"%s\"",
		  daxfs_errormsg());
	CHECK_ERR(daxfs_link(fs, "/file", "/file/"), EEXIST);
	CHECK_ERR(daxfs_link(fs, "/file", "/d/"), EEXIST);
	/* Linux: open("/h/", O_CREAT) is EISDIR; /h is no directory, so
	 * the message must not say it is one. */
	f = NULL;
	CHECK_ERR_MSG(daxfs_open(fs, "/h/", O_CREAT | O_EXCL | O_RDWR, 0644,
				 &f), EISDIR, "/h/");
	cr_assert(!strstr(daxfs_errormsg(), "is a directory"),
		  "message \"%s\" for a name that does not exist",
		  daxfs_errormsg());
	CHECK_ERR(daxfs_open(fs, "/h/", O_CREAT | O_RDWR, 0644, &f), EISDIR);
	CHECK_ERR(daxfs_stat(fs, "/h", &(struct stat){0}), ENOENT);
	check_unmount_fsck(fs, p);
}

/* ---- a region that was not cleanly unmounted ----------------------- */


/* Mount region, check the warning says what (or is empty), unmount,
 * and return the state dumpe2fs then reads (malloc'd). */
static char *mount_unmount_state(const char *region, const char *what)
{
	daxfs *fs = check_mount(region, 0);
	char *state;

	if (what)
		cr_assert(strstr(daxfs_mount_warning(fs), what),
			  "warning \"%s\"", daxfs_mount_warning(fs));
	else
		cr_assert_str_eq(daxfs_mount_warning(fs), "");
	CHECK_OK(daxfs_unmount(fs));
	state = test_dumpe2fs_field(region, "Filesystem state");
	cr_assert_not_null(state);
	return state;
}

/* e2fsck -p checks region (exit 0 or 1). */
static void e2fsck_p(const char *region)
{
	const char *argv[] = { "e2fsck", "-p", region, NULL };
	int rc = test_run(argv, 0, NULL, NULL, NULL);

	cr_assert(rc == 0 || rc == 1, "e2fsck -p = %d", rc);
}

/* A region libdaxfs crashed on is brought back by the next mount (its
 * journal): no warning, clean after the unmount, e2fsck agrees. */
Test(api, crashed_region_is_recovered_by_the_mount)
{
	const char *path, *crashed = test_image_path("crashed");
	daxfs *fs = check_new_fs("clean", 16 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	char *state;

	cr_assert_str_eq(daxfs_mount_warning(fs), "");
	CHECK_EQ(daxfs_pwrite(f, "data", 4, 0), 4);
	check_copy_image(path, crashed);
	check_close(f);
	check_unmount_fsck(fs, path);
	state = mount_unmount_state(crashed, NULL);
	cr_assert_str_eq(state, "clean");
	free(state);
	cr_assert_eq(test_e2fsck(crashed, NULL), 0);
	fs = check_mount(crashed, 0);
	{
		daxfs_file *g = check_open(fs, "/f", O_RDONLY, 0);
		char buf[8] = { 0 };

		CHECK_EQ(daxfs_pread(g, buf, sizeof(buf), 0), 4);
		cr_assert_str_eq(buf, "data");
		check_close(g);
	}
	check_unmount_fsck(fs, crashed);
}

/* A region left not clean by something libdaxfs cannot recover (the
 * kernel's crash, e2fsck's errors, or a libdaxfs crash during a mount
 * that found it so) stays "not clean" through a libdaxfs mount and
 * unmount (the mount warns), so that e2fsck -p still checks it. */
Test(api, unrecovered_region_is_never_marked_clean)
{
	const char *path, *crashed = test_image_path("crashed");
	daxfs *fs = check_new_fs("dirty", 16 * TEST_MIB, 4096, 0, &path);
	char *state;

	check_unmount_fsck(fs, path);
	cr_assert_eq(test_debugfs_w(path, "ssv state 0\n"), 0); /* as the
		kernel leaves it */
	state = mount_unmount_state(path, "not cleanly unmounted");
	cr_assert_str_eq(state, "not clean", "a crashed region was marked "
			 "\"%s\" by a libdaxfs mount", state);
	free(state);
	/* A libdaxfs crash during such a mount: recovered, still unclean. */
	fs = check_mount(path, 0);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	check_copy_image(path, crashed);
	CHECK_OK(daxfs_unmount(fs));
	state = mount_unmount_state(crashed, "not cleanly unmounted");
	cr_assert_str_eq(state, "not clean");
	free(state);
	e2fsck_p(crashed);
	state = mount_unmount_state(crashed, NULL);
	cr_assert_str_eq(state, "clean");
	free(state);
}

/* ---- DAXFS_MOUNT_POPULATE ------------------------------------------ */

/* Resident KiB of this process's mapping of path (/proc/self/smaps), or
 * -1 if path is not mapped. */
static long mapping_rss_kib(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[1024];
	bool in = false;
	long rss = -1, kib;

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strstr(line, " ")) {
			size_t n = strlen(line);

			if (n && line[n - 1] == '\n')
				line[n - 1] = 0;
			in = n > strlen(path) &&
			     !strcmp(line + strlen(line) - strlen(path), path);
		} else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1) {
			rss = (rss < 0 ? 0 : rss) + kib;
		}
	}
	fclose(f);
	return rss;
}

/* A populated mount has the whole region resident (and a sparse region
 * file allocated); a plain one only what it touched. */
Test(api, mount_populate_maps_the_whole_region_in)
{
	const char *path = test_image_path("populate");
	struct daxfs_mkfs_opts o = { .size = 32 * TEST_MIB };
	struct stat st;
	daxfs *fs;
	long rss;

	CHECK_OK(daxfs_mkfs(path, &o));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_lt((long long)st.st_blocks * 512, 16 * TEST_MIB,
		     "mkfs allocated %lld bytes of a sparse region",
		     (long long)st.st_blocks * 512);
	fs = check_mount(path, 0);
	rss = mapping_rss_kib(path);
	cr_assert(rss >= 0 && rss < 16 * 1024, "plain mount: %ld KiB resident",
		  rss);
	CHECK_OK(daxfs_unmount(fs));
	fs = check_mount(path, DAXFS_MOUNT_POPULATE);
	rss = mapping_rss_kib(path);
	cr_assert_eq(rss, 32 * 1024, "populated mount: %ld KiB resident", rss);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_geq((long long)st.st_blocks * 512, 32 * TEST_MIB);
	check_unmount_fsck(fs, path);
	fs = check_mount(path, DAXFS_MOUNT_RDONLY | DAXFS_MOUNT_POPULATE);
	cr_assert_eq(mapping_rss_kib(path), 32 * 1024);
	CHECK_OK(daxfs_unmount(fs));
}
