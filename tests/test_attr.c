/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_attr.c -- what an inode stores besides its data: daxfs_chmod,
 * daxfs_chown, daxfs_utimens (and their handle forms), daxfs_mknod,
 * extended attributes (the ext2 attribute block, checked with debugfs
 * ea_list/ea_get and e2fsck, a block shared by two inodes, ACLs, the
 * kernel's getfattr/getfacl), daxfs_access, and daxfs_fsync of a
 * directory.  Every test that writes ends with e2fsck -fn.
 * (Error cases are in test_errors_cases.h.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "interop.h"

TestSuite(attr, .fini = test_kernel_cleanup, .timeout = 180);

#define FS_SIZE (32 * TEST_MIB)

static daxfs *fresh(const char **path)
{
	return check_new_fs("attr", FS_SIZE, 0, 0, path);
}

static void touch(daxfs *fs, const char *path)
{
	check_close(check_open(fs, path, O_CREAT | O_RDWR, 0644));
}

static struct stat xstat(daxfs *fs, const char *path)
{
	struct stat st;

	CHECK_OK(daxfs_stat(fs, path, &st));
	return st;
}

/* debugfs stat of path in the unmounted img. */
static struct test_dstat dstat(const char *img, const char *path)
{
	struct test_dstat d;

	cr_assert_eq(test_debugfs_stat(img, path, &d), 0, "debugfs stat %s",
		     path);
	return d;
}

/* debugfs CMD's stdout on img (asserting it ran). */
static char *dfs(const char *img, const char *cmd)
{
	char *out = test_debugfs(img, cmd, NULL, NULL);

	cr_assert_not_null(out, "debugfs -R \"%s\" did not run", cmd);
	return out;
}

Test(attr, chmod_chown)
{
	const char *img;
	daxfs *fs = fresh(&img);
	daxfs_file *f;
	struct stat st;

	touch(fs, "/f");
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	CHECK_OK(daxfs_chmod(fs, "/f", 04751));
	CHECK_OK(daxfs_chmod(fs, "/d", S_IFREG | 0700)); /* type kept */
	st = xstat(fs, "/d");
	cr_assert_eq(st.st_mode, S_IFDIR | 0700);
	CHECK_OK(daxfs_chown(fs, "/d", 70000, (gid_t)-1));
	CHECK_OK(daxfs_chown(fs, "/d", (uid_t)-1, 5678));
	st = xstat(fs, "/d");
	cr_assert(st.st_uid == 70000 && st.st_gid == 5678, "%u:%u",
		  st.st_uid, st.st_gid);
	/* A new owner clears set-user-ID (the group bit: when g+x). */
	CHECK_OK(daxfs_chmod(fs, "/f", 06751));
	CHECK_OK(daxfs_chown(fs, "/f", 1234, (gid_t)-1));
	cr_assert_eq(xstat(fs, "/f").st_mode, S_IFREG | 0751);
	f = check_open(fs, "/f", O_RDONLY, 0);
	CHECK_OK(daxfs_fchmod(f, 0604));
	CHECK_OK(daxfs_fchown(f, (uid_t)-1, 4321));
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert(st.st_mode == (S_IFREG | 0604) && st.st_uid == 1234 &&
		  st.st_gid == 4321, "mode %o %u:%u", st.st_mode, st.st_uid,
		  st.st_gid);
	check_close(f);
	check_unmount_fsck(fs, img);
	struct test_dstat d = dstat(img, "/f");
	cr_assert(d.mode == 0604 && d.uid == 1234 && d.gid == 4321,
		  "debugfs: mode %o %u:%u", d.mode, d.uid, d.gid);
	d = dstat(img, "/d");
	cr_assert(d.mode == 0700 && d.uid == 70000 && d.gid == 5678,
		  "debugfs: mode %o %u:%u", d.mode, d.uid, d.gid);
}

Test(attr, utimens)
{
	const char *img;
	daxfs *fs = fresh(&img);
	struct timespec t[2] = {{1000000, 5}, {2000000, 999999999}};
	time_t before = time(NULL);
	daxfs_file *f;
	struct stat st;

	touch(fs, "/f");
	CHECK_OK(daxfs_utimens(fs, "/f", t));
	st = xstat(fs, "/f");
	cr_assert(st.st_atime == 1000000 && st.st_mtime == 2000000,
		  "%ld %ld", (long)st.st_atime, (long)st.st_mtime);
	cr_assert(st.st_ctime >= before, "ctime %ld", (long)st.st_ctime);
	/* ext2 keeps seconds only. */
	cr_assert(st.st_atim.tv_nsec == 0 && st.st_mtim.tv_nsec == 0);
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = 3000000;
	t[1].tv_nsec = 0;
	f = check_open(fs, "/f", O_RDONLY, 0);
	CHECK_OK(daxfs_futimens(f, t));
	check_close(f);
	st = xstat(fs, "/f");
	cr_assert(st.st_atime == 1000000 && st.st_mtime == 3000000);
	t[0].tv_nsec = UTIME_NOW;
	t[1].tv_nsec = UTIME_OMIT;
	CHECK_OK(daxfs_utimens(fs, "/f", t));
	st = xstat(fs, "/f");
	cr_assert(st.st_atime >= before && st.st_mtime == 3000000);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	CHECK_OK(daxfs_utimens(fs, "/d", NULL));
	cr_assert(xstat(fs, "/d").st_mtime >= before);
	t[0] = (struct timespec){ 1234567, 0 };
	t[1] = (struct timespec){ 7654321, 0 };
	CHECK_OK(daxfs_utimens(fs, "/d", t));
	check_unmount_fsck(fs, img);
	struct test_dstat d = dstat(img, "/f");
	cr_assert(d.atime >= before && d.mtime == 3000000, "debugfs: %lld %lld",
		  (long long)d.atime, (long long)d.mtime);
	d = dstat(img, "/d");
	cr_assert(d.atime == 1234567 && d.mtime == 7654321);
}

/* The type debugfs names and the device stat gives of one special
 * file, made by daxfs_mknod. */
Test(attr, mknod)
{
	const char *img;
	daxfs *fs = fresh(&img);
	struct stat st;
	daxfs_file *f;

	CHECK_OK(daxfs_mknod(fs, "/fifo", S_IFIFO | 0640, 0));
	CHECK_OK(daxfs_mknod(fs, "/sock", S_IFSOCK | 0600, 0));
	CHECK_OK(daxfs_mknod(fs, "/null", S_IFCHR | 0666, makedev(1, 3)));
	CHECK_OK(daxfs_mknod(fs, "/blk", S_IFBLK | 0660,
			     makedev(259, 70000)));
	CHECK_OK(daxfs_mknod(fs, "/reg", 0644, 0));
	CHECK_OK(daxfs_mknod(fs, "/reg2", S_IFREG | 0600, 0));
	cr_assert_eq(xstat(fs, "/fifo").st_mode, S_IFIFO | 0640);
	cr_assert_eq(xstat(fs, "/sock").st_mode, S_IFSOCK | 0600);
	st = xstat(fs, "/null");
	cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	st = xstat(fs, "/blk");
	cr_assert(S_ISBLK(st.st_mode) && st.st_rdev == makedev(259, 70000),
		  "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	cr_assert_eq(xstat(fs, "/reg").st_mode, S_IFREG | 0644);
	CHECK_ERR(daxfs_open(fs, "/fifo", O_RDONLY, 0, &f), ENXIO);
	f = check_open(fs, "/reg", O_RDWR, 0);
	CHECK_EQ(daxfs_pwrite(f, "x", 1, 0), 1);
	check_close(f);
	CHECK_OK(daxfs_unlink(fs, "/sock"));
	check_unmount_fsck(fs, img);
	cr_assert_str_eq(dstat(img, "/fifo").type, "FIFO");
	cr_assert_str_eq(dstat(img, "/null").type, "character");
	cr_assert_str_eq(dstat(img, "/blk").type, "block");
	cr_assert_str_eq(dstat(img, "/reg2").type, "regular");
	char *out = dfs(img, "stat /blk");
	cr_assert(strstr(out, "Device major/minor number: 259:70000"),
		  "debugfs stat /blk: %s", out);
	free(out);
}

/* ea_list of path in img, as debugfs prints it. */
static char *ea_list(const char *img, const char *path)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "ea_list %s", path);
	return dfs(img, cmd);
}

/* The names daxfs_listxattr gives, NULs turned into spaces. */
static char *list_names(daxfs *fs, const char *path)
{
	static char buf[4096];
	ssize_t n = daxfs_listxattr(fs, path, NULL, 0), i;

	cr_assert(n >= 0, "listxattr size: %zd %s", n, daxfs_errormsg());
	CHECK_EQ(daxfs_listxattr(fs, path, buf, sizeof(buf)), n);
	for (i = 0; i < n; i++)
		buf[i] = buf[i] ? buf[i] : ' ';
	buf[n] = '\0';
	return buf;
}

Test(attr, xattr_basic)
{
	const char *img;
	daxfs *fs = fresh(&img);
	struct statvfs sv0, sv1;
	char val[64];

	touch(fs, "/f");
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	sv0 = check_statfs(fs);
	CHECK_OK(daxfs_setxattr(fs, "/f", "user.bb", "two", 3, 0));
	CHECK_OK(daxfs_setxattr(fs, "/f", "user.a", "one", 3, XATTR_CREATE));
	CHECK_OK(daxfs_setxattr(fs, "/f", "trusted.t", "", 0, 0));
	CHECK_OK(daxfs_setxattr(fs, "/f", "security.s", "sec", 3, 0));
	CHECK_OK(daxfs_setxattr(fs, "/d", "user.dir", "v", 1, 0));
	CHECK_OK(daxfs_setxattr(fs, "/f", "user.a", "uno!!", 5,
				XATTR_REPLACE));
	cr_assert_str_eq(list_names(fs, "/f"),
			 "user.a user.bb trusted.t security.s ");
	CHECK_EQ(daxfs_getxattr(fs, "/f", "user.a", NULL, 0), 5);
	CHECK_EQ(daxfs_getxattr(fs, "/f", "user.a", val, sizeof(val)), 5);
	cr_assert(memcmp(val, "uno!!", 5) == 0);
	CHECK_EQ(daxfs_getxattr(fs, "/f", "trusted.t", val, sizeof(val)), 0);
	sv1 = check_statfs(fs);
	cr_assert_eq(sv1.f_bfree, sv0.f_bfree - 2, "one block per file");
	cr_assert_eq(xstat(fs, "/f").st_blocks, 8, "i_blocks counts it");
	check_unmount(fs);
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	char *out = ea_list(img, "/f");
	cr_assert(strstr(out, "user.a (5) = \"uno!!\"") &&
		  strstr(out, "user.bb (3) = \"two\"") &&
		  strstr(out, "trusted.t (0)") &&
		  strstr(out, "security.s (3) = \"sec\""), "ea_list: %s", out);
	free(out);
	out = dfs(img, "ea_get /d user.dir");
	cr_assert(strstr(out, "v"), "ea_get: %s", out);
	free(out);
	/* Every attribute removed: no block left. */
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_removexattr(fs, "/f", "user.a"));
	CHECK_OK(daxfs_removexattr(fs, "/f", "user.bb"));
	CHECK_OK(daxfs_removexattr(fs, "/f", "trusted.t"));
	CHECK_OK(daxfs_setxattr(fs, "/d", "user.dir", "w", 1, 0));
	CHECK_OK(daxfs_removexattr(fs, "/f", "security.s"));
	CHECK_EQ(daxfs_listxattr(fs, "/f", val, sizeof(val)), 0);
	cr_assert_eq(xstat(fs, "/f").st_blocks, 0);
	cr_assert_eq(check_statfs(fs).f_bfree, sv0.f_bfree - 1);
	check_unmount_fsck(fs, img);
	out = dfs(img, "stat /f");
	cr_assert(strstr(out, "File ACL: 0"), "stat: %s", out);
	free(out);
}

/* Attributes up to a full block: the one that does not fit fails with
 * -ENOSPC and changes nothing. */
Test(attr, xattr_full_block)
{
	const char *img;
	daxfs *fs = fresh(&img);
	char name[32], val[200];
	int i, ret = 0;

	touch(fs, "/f");
	memset(val, 'v', sizeof(val));
	for (i = 0; i < 100 && ret == 0; i++) {
		snprintf(name, sizeof(name), "user.n%03d", i);
		ret = daxfs_setxattr(fs, "/f", name, val, sizeof(val), 0);
	}
	cr_assert_eq(ret, -ENOSPC, "%d %s", ret, daxfs_errormsg());
	cr_assert(i > 10 && i < 30, "%d attributes fit", i - 1);
	CHECK_ERR(daxfs_getxattr(fs, "/f", name, val, sizeof(val)), ENODATA);
	snprintf(name, sizeof(name), "user.n%03d", i - 2);
	CHECK_EQ(daxfs_getxattr(fs, "/f", name, val, sizeof(val)), 200);
	check_unmount_fsck(fs, img);
}

/* A little-endian 32-bit store into the image file at off. */
static void poke32(const char *img, off_t off, uint32_t v)
{
	int fd = open(img, O_RDWR);

	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, &v, 4, off), 4);
	close(fd);
}

/* The number after "File ACL: " in debugfs stat of path. */
static unsigned file_acl(const char *img, const char *path)
{
	char cmd[300], *out, *p;
	unsigned blk;

	snprintf(cmd, sizeof(cmd), "stat %s", path);
	out = dfs(img, cmd);
	p = strstr(out, "File ACL: ");
	cr_assert_not_null(p, "stat: %s", out);
	blk = (unsigned)strtoul(p + 10, NULL, 10);
	free(out);
	return blk;
}

/* Two inodes sharing one attribute block (refcount 2, as the kernel's
 * mbcache makes them): a change of one is copied, the other keeps the
 * old block; removing from the last drops the block. */
Test(attr, xattr_shared_block)
{
	const char *img;
	daxfs *fs = fresh(&img);
	char val[16], cmds[256];
	unsigned blk;

	touch(fs, "/a");
	touch(fs, "/b");
	CHECK_OK(daxfs_setxattr(fs, "/a", "user.k", "shared", 6, 0));
	check_unmount(fs);
	blk = file_acl(img, "/a");
	cr_assert(blk > 0);
	poke32(img, (off_t)blk * 4096 + 4, 2); /* h_refcount */
	snprintf(cmds, sizeof(cmds), "sif /b file_acl %u\nsif /b blocks 8\n",
		 blk);
	cr_assert_eq(test_debugfs_w(img, cmds), 0);
	cr_assert_eq(test_e2fsck(img, NULL), 0, "the shared block is valid");
	fs = check_mount(img, 0);
	CHECK_EQ(daxfs_getxattr(fs, "/b", "user.k", val, sizeof(val)), 6);
	CHECK_OK(daxfs_setxattr(fs, "/a", "user.k", "mine", 4, 0));
	CHECK_EQ(daxfs_getxattr(fs, "/b", "user.k", val, sizeof(val)), 6);
	cr_assert(memcmp(val, "shared", 6) == 0);
	CHECK_EQ(daxfs_getxattr(fs, "/a", "user.k", val, sizeof(val)), 4);
	check_unmount_fsck(fs, img);
	cr_assert_neq(file_acl(img, "/a"), blk, "copied on write");
	cr_assert_eq(file_acl(img, "/b"), blk);
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_removexattr(fs, "/b", "user.k"));
	CHECK_OK(daxfs_unlink(fs, "/a"));
	check_unmount_fsck(fs, img);
	cr_assert_eq(file_acl(img, "/b"), 0);
}

/* test_acl_xattr in hex, as od prints it without blanks. */
static const char *acl_hex(void)
{
	static char hex[2 * sizeof(test_acl_xattr) + 1];
	size_t i;

	for (i = 0; i < sizeof(test_acl_xattr); i++)
		snprintf(hex + 2 * i, 3, "%02x", test_acl_xattr[i]);
	return hex;
}

Test(attr, acl)
{
	const char *img;
	daxfs *fs = fresh(&img);
	uint8_t val[128];

	touch(fs, "/f");
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	CHECK_OK(daxfs_setxattr(fs, "/f", "system.posix_acl_access",
				test_acl_xattr, sizeof(test_acl_xattr), 0));
	CHECK_OK(daxfs_setxattr(fs, "/d", "system.posix_acl_default",
				test_acl_xattr, sizeof(test_acl_xattr), 0));
	CHECK_ERR(daxfs_setxattr(fs, "/f", "system.posix_acl_default",
				 test_acl_xattr, sizeof(test_acl_xattr), 0),
		  EACCES);
	CHECK_EQ(daxfs_getxattr(fs, "/f", "system.posix_acl_access", NULL, 0),
		 sizeof(test_acl_xattr));
	CHECK_EQ(daxfs_getxattr(fs, "/f", "system.posix_acl_access", val,
				sizeof(val)), sizeof(test_acl_xattr));
	cr_assert(memcmp(val, test_acl_xattr, sizeof(test_acl_xattr)) == 0);
	cr_assert_str_eq(list_names(fs, "/d"), "system.posix_acl_default ");
	/* The access ACL set the mode (mask r: group bits r) ... */
	cr_assert_eq(xstat(fs, "/f").st_mode, S_IFREG | 0640);
	check_unmount_fsck(fs, img);
	char *out = ea_list(img, "/f");
	cr_assert(strstr(out, "system.posix_acl_access"), "ea_list: %s", out);
	/* ext2's form: version 1, 4-byte entries but for user 1000 */
	cr_assert(strstr(out, "(28) = 01 00 00 00 01 00 06 00 02 00 04 00 e8 "
			 "03 00 00 04 00 04 00 10 00 04 00 20 00 00 00"),
		  "debugfs reads the ACL: %s", out);
	free(out);
	/* ... and chmod sets the ACL's owner, mask and other entries. */
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_chmod(fs, "/f", 0751));
	CHECK_EQ(daxfs_getxattr(fs, "/f", "system.posix_acl_access", val,
				sizeof(val)), sizeof(test_acl_xattr));
	cr_assert(val[6] == 7 && val[14] == 4 && val[22] == 4 &&
		  val[30] == 5 && val[38] == 1, "ACL after chmod 0751: %u %u "
		  "%u %u %u", val[6], val[14], val[22], val[30], val[38]);
	/* An ACL that says no more than the mode is not stored. */
	memcpy(val, test_acl_xattr, sizeof(test_acl_xattr));
	memmove(val + 12, val + 20, 8);    /* owner, group, other */
	memmove(val + 20, val + 36, 8);
	CHECK_OK(daxfs_setxattr(fs, "/f", "system.posix_acl_access", val, 28,
				0));
	cr_assert_eq(xstat(fs, "/f").st_mode, S_IFREG | 0640);
	cr_assert_str_eq(list_names(fs, "/f"), "");
	check_unmount_fsck(fs, img);
}

/* The kernel's ext2 driver reads what libdaxfs stored, and libdaxfs
 * reads what the kernel stored. */
Test(attr, kernel)
{
	const char *img, *why;
	daxfs *fs;
	char mnt[512], *out, val[32];

	if (!test_kernel_mount_works(&why)) {
		fprintf(stderr, "attr/kernel: skipped: %s\n", why);
		cr_skip_test("%s", why);
	}
	fs = fresh(&img);
	touch(fs, "/f");
	CHECK_OK(daxfs_setxattr(fs, "/f", "user.lib", "daxfs", 5, 0));
	CHECK_OK(daxfs_setxattr(fs, "/f", "system.posix_acl_access",
				test_acl_xattr, sizeof(test_acl_xattr), 0));
	CHECK_OK(daxfs_mknod(fs, "/null", S_IFCHR | 0666, makedev(1, 3)));
	CHECK_OK(daxfs_chown(fs, "/f", 1000, 2000));
	check_unmount_fsck(fs, img);
	snprintf(mnt, sizeof(mnt), "%s", test_tmp_dir("attrmnt"));
	cr_assert_eq(test_kmount(img, mnt, false), 0);
	out = test_sh_capture(NULL, "getfattr --only-values -n user.lib %s/f",
			      mnt);
	cr_assert(out && strcmp(out, "daxfs") == 0, "getfattr: %s", out);
	free(out);
	out = test_sh_capture(NULL, "getfattr -e hex --only-values -n "
			      "system.posix_acl_access %s/f | od -An -tx1 | "
			      "tr -d ' \\n'", mnt);
	cr_assert(out && strcmp(out, acl_hex()) == 0,
		  "the kernel's ACL: %s, not %s", out, acl_hex());
	free(out);
	out = test_sh_capture(NULL, "stat -c '%%F %%t:%%T %%u:%%g' %s/null "
			      "%s/f", mnt, mnt);
	cr_assert(out && strstr(out, "character special file 1:3") &&
		  strstr(out, "1000:2000"), "stat: %s", out);
	free(out);
	cr_assert_eq(test_sh("setfattr -n user.kern -v linux %s/f && "
			     "setfattr -x user.lib %s/f", mnt, mnt), 0);
	cr_assert_eq(test_kumount(mnt), 0);
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	fs = check_mount(img, 0);
	CHECK_EQ(daxfs_getxattr(fs, "/f", "user.kern", val, sizeof(val)), 5);
	CHECK_ERR(daxfs_getxattr(fs, "/f", "user.lib", val, sizeof(val)),
		  ENODATA);
	/* (the ext4 driver may have kept them in the inode: a change
	 * moves them to the block) */
	CHECK_OK(daxfs_setxattr(fs, "/f", "user.more", "x", 1, 0));
	CHECK_EQ(daxfs_getxattr(fs, "/f", "user.kern", val, sizeof(val)), 5);
	cr_assert(memcmp(val, "linux", 5) == 0);
	check_unmount_fsck(fs, img);
	out = ea_list(img, "/f");
	cr_assert(strstr(out, "user.kern (5) = \"linux\"") &&
		  strstr(out, "user.more (1) = \"x\""), "ea_list: %s", out);
	free(out);
}

/* daxfs_access as root, and in a child that gave up root. */
Test(attr, access)
{
	const char *img;
	daxfs *fs = fresh(&img);
	pid_t pid;
	int st;

	touch(fs, "/f");
	CHECK_OK(daxfs_mkdir(fs, "/d", 0700));
	CHECK_OK(daxfs_chmod(fs, "/f", 0640));
	CHECK_OK(daxfs_access(fs, "/f", F_OK));
	if (getuid() == 0) {
		CHECK_OK(daxfs_access(fs, "/f", R_OK | W_OK));
		CHECK_ERR(daxfs_access(fs, "/f", X_OK), EACCES);
		CHECK_OK(daxfs_access(fs, "/d", X_OK));
		CHECK_OK(daxfs_chown(fs, "/f", 0, 0));
		pid = fork();
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(2);
			_exit(daxfs_access(fs, "/f", R_OK) == -EACCES &&
			      daxfs_access(fs, "/f", F_OK) == 0 ? 0 : 1);
		}
		cr_assert(pid > 0 && waitpid(pid, &st, 0) == pid);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "as uid 65534: status %d", st);
	}
	check_unmount_fsck(fs, img);
}

/* fsync of a directory opened read-only. */
Test(attr, fsync_dir)
{
	const char *img;
	daxfs *fs = fresh(&img);
	daxfs_file *d;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	d = check_open(fs, "/d", O_RDONLY, 0);
	touch(fs, "/d/x");
	CHECK_OK(daxfs_fsync(d));
	check_close(d);
	d = check_open(fs, "/", O_RDONLY, 0);
	CHECK_OK(daxfs_fsync(d));
	check_close(d);
	check_unmount_fsck(fs, img);
}

/* An O_PATH handle: any type (the FUSE front end keeps one for each
 * inode the kernel knows), for fstat and the attribute calls, never
 * for I/O; the changes it makes are on the media. */
Test(attr, o_path_handles)
{
	const char *img;
	daxfs *fs = fresh(&img);
	const struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	daxfs_file *f;
	struct stat st;
	char c;
	void *v;

	touch(fs, "/f");
	CHECK_OK(daxfs_symlink(fs, "/f", "/l"));
	CHECK_OK(daxfs_mknod(fs, "/fifo", S_IFIFO | 0640, 0));
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	f = check_open(fs, "/l", O_PATH | O_NOFOLLOW, 0);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert(S_ISLNK(st.st_mode) && st.st_size == 2);
	CHECK_OK(daxfs_futimens(f, ts));
	CHECK_ERR(daxfs_pread(f, &c, 1, 0), EBADF);
	check_close(f);
	f = check_open(fs, "/fifo", O_PATH, 0);
	CHECK_OK(daxfs_fchmod(f, 0600));
	CHECK_OK(daxfs_fchown(f, 4242, 4243));
	check_close(f);
	f = check_open(fs, "/f", O_PATH | O_CLOEXEC, 0);
	CHECK_ERR(daxfs_pwrite(f, "x", 1, 0), EBADF);
	CHECK_ERR(daxfs_ftruncate(f, 10), EBADF);
	CHECK_ERR(daxfs_fallocate(f, 0, 0, 4096), EBADF);
	CHECK_ERR(daxfs_map(f, 0, 4096, PROT_READ, 0, &v), EACCES);
	check_close(f);
	check_close(check_open(fs, "/d", O_PATH, 0));
	cr_assert_eq(xstat(fs, "/l").st_mtime, 2000);
	st = xstat(fs, "/fifo");
	cr_assert(st.st_mode == (S_IFIFO | 0600) && st.st_uid == 4242 &&
		  st.st_gid == 4243);
	cr_assert_eq(xstat(fs, "/f").st_size, 0);
	check_unmount_fsck(fs, img);
	struct test_dstat d = dstat(img, "/fifo");
	cr_assert(!strcmp(d.type, "FIFO") && d.mode == 0600 && d.uid == 4242 &&
		  d.gid == 4243, "debugfs: %s %o %u:%u", d.type, d.mode, d.uid,
		  d.gid);
	d = dstat(img, "/l");
	cr_assert(d.has_fastlink && !strcmp(d.fastlink, "/f") &&
		  d.mtime == 2000, "debugfs stat /l: %s %lld", d.fastlink,
		  (long long)d.mtime);
}
