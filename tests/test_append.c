/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_append.c -- appends into blocks taken ahead (ext2/prealloc.c):
 * what a user sees of them (contents, st_size and st_blocks while the
 * file is open, the free count after its close, debugfs and e2fsck -fn
 * after unmount), that no other way of growing the file reads the old
 * bytes of blocks taken ahead (a write past EOF, ftruncate up, fallocate,
 * an atomic write), that bytes past EOF in a view of the last page read
 * as zeros after unaligned appends, and crashes with blocks taken ahead:
 * an image copied while the file is open (what a crash of the process
 * leaves on /dev/shm), and a writer killed with SIGKILL between appends;
 * the next daxfs_mount gives the blocks back, keeps every acknowledged
 * append, and e2fsck -fn is clean.  The crash states at every fence are
 * in tests/unit/test_crash.c (appends that keep their file open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"

#define BS 4096u
#define GARBAGE 0xAB /* what an earlier file left in the blocks */

TestSuite(append, .fini = test_cleanup, .timeout = 300);

/* Fill all the free space with GARBAGE through a file, then remove it:
 * every block taken ahead later is one that held it. */
static void leave_garbage(daxfs *fs)
{
	unsigned char *buf = malloc(1 << 20);
	daxfs_file *f = check_open(fs, "/garbage", O_CREAT | O_RDWR, 0644);
	uint64_t off = 0;
	ssize_t n;

	cr_assert(buf);
	memset(buf, GARBAGE, 1 << 20);
	while ((n = daxfs_pwrite(f, buf, 1 << 20, (off_t)off)) > 0)
		off += (uint64_t)n;
	cr_assert_eq(n, -ENOSPC, "filling: %s", daxfs_errormsg());
	check_close(f);
	CHECK_OK(daxfs_unlink(fs, "/garbage"));
	free(buf);
}

/* Append n records of len bytes of pattern seed to f, at EOF (*size). */
static void append_pattern(daxfs_file *f, uint64_t seed, uint64_t *size,
			   size_t len, int n)
{
	unsigned char *buf = malloc(len);
	int i;

	cr_assert(buf);
	for (i = 0; i < n; i++) {
		test_pattern(buf, len, seed, *size);
		CHECK_EQ(daxfs_pwrite(f, buf, len, (off_t)*size), (ssize_t)len);
		*size += len;
	}
	free(buf);
}

/* The 512-byte units a file of size bytes takes with 4 KiB blocks: its
 * data blocks and their indirect blocks (up to 4 GiB). */
static long long blocks_for(uint64_t size)
{
	uint64_t n = (size + BS - 1) / BS, ind = n > 12;

	if (n > 12 + 1024) /* the double indirect block and its leaves */
		ind += 1 + (n - 12 - 1024 + 1023) / 1024;
	return (long long)(n + ind) * (BS / 512);
}

Test(append, blocks_taken_ahead_are_invisible_and_given_back)
{
	const char *p;
	daxfs *fs = check_new_fs("apv", 64 * TEST_MIB, BS, 0, &p);
	struct statvfs s0 = check_statfs(fs), s1;
	daxfs_file *f = check_open(fs, "/log", O_CREAT | O_RDWR, 0644);
	struct test_dstat ds;
	uint64_t size = 0;
	struct stat st;

	append_pattern(f, 3, &size, BS, 100);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, (off_t)size);
	cr_assert_eq(st.st_blocks, blocks_for(size), "st_blocks %lld, want "
		     "%lld", (long long)st.st_blocks, blocks_for(size));
	/* Taken ahead: more than the file's own blocks are in use. */
	s1 = check_statfs(fs);
	cr_assert_gt(s0.f_bfree - s1.f_bfree,
		     (unsigned long)blocks_for(size) / 8);
	check_pread_pattern(f, 3, 0, size);
	check_close(f);
	s1 = check_statfs(fs);
	cr_assert_eq(s0.f_bfree - s1.f_bfree,
		     (unsigned long)blocks_for(size) / 8,
		     "after close %lu blocks in use, the file has %lld",
		     s0.f_bfree - s1.f_bfree, blocks_for(size) / 8);
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_stat(p, "/log", &ds), 0);
	cr_assert_eq(ds.size, size);
	cr_assert_eq(ds.blockcount, (uint64_t)blocks_for(size));
	fs = check_mount(p, 0);
	check_pattern_file(fs, "/log", 3, size);
	check_unmount_fsck(fs, p);
}

#define LOGS 8

/* Write 64 KiB records of zeros to a new file until the space runs out:
 * the blocks it got. */
static uint64_t fill_blocks(daxfs *fs, const char *path)
{
	static const unsigned char zero[64 << 10];
	daxfs_file *f = check_open(fs, path, O_CREAT | O_RDWR, 0644);
	uint64_t off = 0;
	ssize_t n;

	while ((n = daxfs_pwrite(f, zero, sizeof(zero), (off_t)off)) > 0)
		off += (uint64_t)n;
	cr_assert_eq(n, -ENOSPC, "filling: %s", daxfs_errormsg());
	check_close(f);
	return off / BS;
}

/* Files held open with blocks taken ahead of their appends do not make
 * another file's writes fail early: at -ENOSPC they give them back and
 * the write runs again, so a file filling the space gets every block
 * that is not the logs' own (it got none of those held ahead before). */
Test(append, blocks_held_ahead_do_not_fail_another_write)
{
	const char *p;
	daxfs *fs = check_new_fs("aprc", 64 * TEST_MIB, BS, 0, &p);
	struct statvfs s0 = check_statfs(fs), s1;
	daxfs_file *log[LOGS];
	uint64_t size[LOGS] = { 0 }, own = 0, held, got;
	char path[16];
	int i;

	for (i = 0; i < LOGS; i++) {
		snprintf(path, sizeof(path), "/log%d", i);
		log[i] = check_open(fs, path, O_CREAT | O_RDWR, 0644);
		append_pattern(log[i], 10 + i, &size[i], BS, 100);
		own += blocks_for(size[i]) / 8;
	}
	s1 = check_statfs(fs);
	held = s0.f_bfree - s1.f_bfree - own;
	cr_assert_geq(held, LOGS * 8, "only %llu blocks taken ahead",
		      (unsigned long long)held);
	/* The filler's blocks with its indirect ones: all but the last
	 * block or two (a block that needs a new indirect block too). */
	got = blocks_for(fill_blocks(fs, "/fill") * BS) / 8;
	cr_assert_geq(got + 2, s1.f_bfree + held, "the filler got %llu "
		      "blocks of %llu free and %llu held ahead",
		      (unsigned long long)got, (unsigned long long)s1.f_bfree,
		      (unsigned long long)held);
	for (i = 0; i < LOGS; i++) {
		check_pread_pattern(log[i], 10 + i, 0, size[i]);
		check_close(log[i]);
	}
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	for (i = 0; i < LOGS; i++) {
		snprintf(path, sizeof(path), "/log%d", i);
		check_pattern_file(fs, path, 10 + i, size[i]);
	}
	check_unmount_fsck(fs, p);
}

/* A file system whose free blocks are all taken, but for those that
 * logs held open have taken ahead. */
struct held {
	daxfs *fs;
	const char *img;
	daxfs_file *log[LOGS];
	uint64_t size[LOGS];
};

/* Make h: logs held open with blocks taken ahead (seeds 20..), /x with
 * two attributes and an ACL, then every free block taken by /fill. */
static void full_but_held(const char *tag, struct held *h)
{
	static const unsigned char zero[BS];
	daxfs_file *fill;
	uint64_t off = 0;
	char path[32];
	int i;

	h->fs = check_new_fs(tag, 64 * TEST_MIB, BS, 0, &h->img);
	for (i = 0; i < LOGS; i++) {
		snprintf(path, sizeof(path), "/log%d", i);
		h->log[i] = check_open(h->fs, path, O_CREAT | O_RDWR, 0644);
		h->size[i] = 0;
		append_pattern(h->log[i], 20 + i, &h->size[i], BS, 100);
	}
	CHECK_OK(daxfs_mkdir(h->fs, "/x", 0755));
	CHECK_OK(daxfs_setxattr(h->fs, "/x", "user.a", "AAAA", 4, 0));
	CHECK_OK(daxfs_setxattr(h->fs, "/x", "user.b", "BBBB", 4, 0));
	CHECK_OK(daxfs_setxattr(h->fs, "/x", "system.posix_acl_access",
				test_acl_xattr, sizeof(test_acl_xattr), 0));
	fill = check_open(h->fs, "/fill", O_CREAT | O_RDWR, 0644);
	while (check_statfs(h->fs).f_bfree > 0) {
		CHECK_EQ(daxfs_pwrite(fill, zero, BS, (off_t)off), BS);
		off += BS;
	}
	check_close(fill);
}

/* h's logs read back and closed; e2fsck -fn clean. */
static void close_logs(struct held *h)
{
	int i;

	for (i = 0; i < LOGS; i++) {
		check_pread_pattern(h->log[i], 20 + i, 0, h->size[i]);
		check_close(h->log[i]);
	}
	check_unmount_fsck(h->fs, h->img);
}

/* The same for a namespace change: with the free blocks used up but for
 * those the logs hold ahead, directories (a block each) are still made,
 * out of those, and a call that succeeded on its second run leaves no
 * message. */
Test(append, blocks_held_ahead_do_not_fail_a_mkdir)
{
	struct held h;
	char path[32];
	int dirs = 0, ret;

	full_but_held("aprm", &h);
	do {
		snprintf(path, sizeof(path), "/dir%d", dirs);
		ret = daxfs_mkdir(h.fs, path, 0755);
		if (!ret)
			cr_assert_str_empty(daxfs_errormsg(), "mkdir %s: %s",
					    path, daxfs_errormsg());
	} while (ret == 0 && ++dirs < LOGS * 8);
	cr_assert_eq(dirs, LOGS * 8, "%d directories made, then %d: %s",
		     dirs, ret, daxfs_errormsg());
	close_logs(&h);
}

/* And for the removal of an extended attribute, which writes what is left
 * of the attribute block to a new block. */
Test(append, blocks_held_ahead_do_not_fail_a_removexattr)
{
	struct held h;
	char v[8];

	full_but_held("aprx", &h);
	CHECK_OK(daxfs_removexattr(h.fs, "/x", "user.a"));
	cr_assert_str_empty(daxfs_errormsg());
	CHECK_ERR(daxfs_getxattr(h.fs, "/x", "user.a", v, sizeof(v)), ENODATA);
	CHECK_EQ(daxfs_getxattr(h.fs, "/x", "user.b", v, sizeof(v)), 4);
	cr_assert_eq(memcmp(v, "BBBB", 4), 0);
	close_logs(&h);
}

/* And for a chmod of a file with an ACL, whose entries it rewrites into a
 * new attribute block. */
Test(append, blocks_held_ahead_do_not_fail_a_chmod)
{
	struct held h;
	uint8_t v[sizeof(test_acl_xattr)];

	full_but_held("aprc", &h);
	CHECK_OK(daxfs_chmod(h.fs, "/x", 0751));
	cr_assert_str_empty(daxfs_errormsg());
	CHECK_EQ(daxfs_getxattr(h.fs, "/x", "system.posix_acl_access", v,
				sizeof(v)), (ssize_t)sizeof(v));
	cr_assert(v[6] == 7 && v[30] == 5 && v[38] == 1, "ACL after chmod "
		  "0751: owner %u, mask %u, other %u", v[6], v[30], v[38]);
	close_logs(&h);
}

/* An appender of the race below: 4 KiB records of its pattern until the
 * space runs out; *size is what was acknowledged. */
struct racer {
	daxfs_file *f;
	uint64_t seed, size;
	ssize_t last;
};

static void *race_append(void *arg)
{
	struct racer *r = arg;
	unsigned char buf[BS];

	for (;;) {
		test_pattern(buf, BS, r->seed, r->size);
		r->last = daxfs_pwrite(r->f, buf, BS, (off_t)r->size);
		if (r->last != BS)
			return NULL;
		r->size += BS;
	}
}

/* Appenders racing to the end of the space, each taking blocks ahead,
 * and the first to find no free block taking back those the others hold
 * while they append into them (one to three files in the runs checked):
 * every acknowledged append reads back, each stops only at -ENOSPC with
 * the space used up, and e2fsck is clean. */
Test(append, appenders_racing_to_enospc)
{
	const char *p;
	daxfs *fs = check_new_fs("aprr", 32 * TEST_MIB, BS, 0, &p);
	struct racer r[4];
	pthread_t t[4];
	char path[16];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/race%d", i);
		r[i] = (struct racer){ .seed = 30 + i };
		r[i].f = check_open(fs, path, O_CREAT | O_RDWR, 0644);
		cr_assert_eq(pthread_create(&t[i], NULL, race_append, &r[i]),
			     0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(r[i].last, -ENOSPC, "appender %d ended with %zd",
			     i, r[i].last);
		check_pread_pattern(r[i].f, r[i].seed, 0, r[i].size);
		check_close(r[i].f);
	}
	cr_assert_leq(check_statfs(fs).f_bfree, 8, "%lu blocks left free",
		      (unsigned long)check_statfs(fs).f_bfree);
	check_unmount_fsck(fs, p);
}

Test(append, growing_otherwise_reads_zeros_not_old_blocks)
{
	const char *p;
	daxfs *fs = check_new_fs("apz", 32 * TEST_MIB, BS, 0, &p);
	char path[32];
	unsigned char one = 1;
	daxfs_file *f;
	uint64_t size;
	int way;

	leave_garbage(fs);
	for (way = 0; way < 4; way++) {
		snprintf(path, sizeof(path), "/f%d", way);
		f = check_open(fs, path, O_CREAT | O_RDWR, 0644);
		size = 0;
		append_pattern(f, 5, &size, BS, 8); /* blocks taken ahead */
		if (way == 0) { /* a write past EOF, leaving a gap */
			CHECK_EQ(daxfs_pwrite2(f, &one, 1, 20 * BS, 0), 1);
		} else if (way == 1) {
			CHECK_OK(daxfs_ftruncate(f, 20 * BS));
		} else if (way == 2) {
			CHECK_OK(daxfs_fallocate(f, 0, (off_t)size, 12 * BS));
		} else {
			daxfs_file *g = check_open(fs, path, O_RDWR, 0);

			CHECK_EQ(daxfs_pwrite2(g, &one, 1, 20 * BS,
					       DAXFS_WRITE_ATOMIC), 1);
			check_close(g);
		}
		check_pread_zeros(f, size, 20 * BS - size);
		check_pread_pattern(f, 5, 0, size);
		check_close(f);
	}
	check_unmount_fsck(fs, p);
}

Test(append, unaligned_appends_leave_zeros_past_eof)
{
	const char *p;
	daxfs *fs = check_new_fs("apu", 32 * TEST_MIB, BS, 0, &p);
	daxfs_file *f;
	uint64_t size = 0;
	unsigned char *v;
	long bad;

	leave_garbage(fs);
	f = check_open(fs, "/u", O_CREAT | O_RDWR, 0644);
	append_pattern(f, 7, &size, 1000, 37); /* 37000 bytes */
	check_pread_pattern(f, 7, 0, size);
	v = check_map(f, 0, 10 * BS, PROT_READ, 0);
	bad = test_first_nonzero(v + size, 10 * BS - size);
	cr_assert_eq(bad, -1, "byte %llu past EOF reads %#x through a view",
		     (unsigned long long)(size + bad), v[size + bad]);
	CHECK_OK(daxfs_unmap(v, 10 * BS));
	check_close(f);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_pattern_file(fs, "/u", 7, size);
	check_unmount_fsck(fs, p);
}

Test(append, crash_with_blocks_taken_ahead_recovers)
{
	const char *p, *q = test_image_path("apc-copy");
	daxfs *fs = check_new_fs("apc", 32 * TEST_MIB, BS, 0, &p);
	daxfs_file *f = check_open(fs, "/log", O_CREAT | O_RDWR, 0644);
	struct test_dstat ds;
	uint64_t size = 0;

	append_pattern(f, 9, &size, 3000, 50);
	check_copy_image(p, q); /* the process dies here */
	check_close(f);
	check_unmount(fs);
	fs = check_mount(q, 0);
	check_pattern_file(fs, "/log", 9, size);
	check_unmount_fsck(fs, q);
	cr_assert_eq(test_debugfs_stat(q, "/log", &ds), 0);
	cr_assert_eq(ds.blockcount, (uint64_t)blocks_for(size),
		     "blocks past EOF survived the recovery");
}

/* The child of killed_appender: appends 4 KiB records to /log (O_APPEND)
 * for ever, counting the acknowledged ones in *acked (the file holds that
 * many when it starts). */
static void appender(const char *img, _Atomic long *acked)
{
	unsigned char buf[BS];
	daxfs_file *f;
	daxfs *fs;
	long i;

	if (daxfs_mount(img, 0, &fs) ||
	    daxfs_open(fs, "/log", O_CREAT | O_RDWR | O_APPEND, 0644, &f))
		_exit(2);
	for (i = atomic_load(acked);; i++) {
		test_pattern(buf, BS, 11, (uint64_t)i * BS);
		if (daxfs_pwrite(f, buf, BS, 0) != BS)
			_exit(3);
		atomic_store(acked, i + 1);
	}
}

Test(append, killed_appender_keeps_acknowledged_appends)
{
	const char *p;
	daxfs *fs = check_new_fs("apk", 64 * TEST_MIB, BS, 0, &p);
	_Atomic long *acked = mmap(NULL, sizeof(*acked), PROT_READ |
				   PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				   -1, 0);
	struct test_dstat ds;
	struct stat st;
	daxfs_file *f;
	int round, status;
	long n;
	pid_t pid;

	cr_assert(acked != MAP_FAILED);
	check_unmount(fs);
	for (round = 0; round < 5; round++) {
		pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0)
			appender(p, acked);
		while (atomic_load(acked) < 150 * (round + 1))
			test_sleep_us(200);
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFSIGNALED(status), "appender exited %d",
			  WEXITSTATUS(status));
		n = atomic_load(acked);
		fs = check_mount(p, 0);
		f = check_open(fs, "/log", O_RDONLY, 0);
		CHECK_OK(daxfs_fstat(f, &st));
		/* Every acknowledged append; at most the one in flight. */
		cr_assert(st.st_size == n * BS || st.st_size == (n + 1) * BS,
			  "size %lld after %ld acknowledged appends",
			  (long long)st.st_size, n);
		check_pread_pattern(f, 11, 0, (uint64_t)st.st_size);
		atomic_store(acked, st.st_size / BS);
		check_close(f);
		check_unmount_fsck(fs, p);
		cr_assert_eq(test_debugfs_stat(p, "/log", &ds), 0);
		cr_assert_eq(ds.blockcount, (uint64_t)blocks_for(ds.size));
	}
	munmap(acked, sizeof(*acked));
}
