/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_atomic.c -- daxfs_pwrite2() through the public interface:
 * DAXFS_WRITE_ATOMIC (copy-on-write of up to DAXFS_ATOMIC_WRITE_MAX
 * bytes, all of it or none of it, across a crash too) and
 * DAXFS_WRITE_LAZY (a pwrite whose fence is left to daxfs_fsync).
 *
 * What a user can check:
 *   - contents, byte for byte, against a model kept in host memory (old
 *     bytes outside the range, new bytes in it, zeros past the old EOF
 *     and in holes), the size and the free block count (statfs);
 *   - that the range's blocks really moved (debugfs "bmap" on the
 *     mounted image) and that no other block did;
 *   - the limits (DAXFS_ATOMIC_WRITE_MAX on 4 KiB blocks, 512 KiB on
 *     1 KiB blocks) and the failures (-EINVAL, -EFAULT, -ENOSPC, never a
 *     short count), each of which must change nothing, with a message
 *     that starts with "daxfs_pwrite2";
 *   - views (lazy and DAXFS_MAP_POPULATE) of the range see the new
 *     bytes, and stores through them land in the file's new blocks;
 *   - lazy writes and appends read back right, after daxfs_fsync and in
 *     the image after unmount;
 *   - a child SIGKILLed in the middle of atomic writes leaves, after the
 *     recovering mount, the range wholly old or wholly new.
 * Every test that makes a file system ends with "e2fsck -fn" on it; the
 * kernel-independent reader (debugfs cat) must agree with the model.
 * Argument errors are in test_errors_cases.h as well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#include "check.h"
#include "daxfs.h"
#include "probe.h"

#define KIB TEST_KIB
#define PG TEST_PAGE
#define FS_SIZE (32 * TEST_MIB)
#define ATOMIC DAXFS_WRITE_ATOMIC
#define LAZY DAXFS_WRITE_LAZY

/* The SIGBUS probe goes in before any daxfs_map of the process. */
TestSuite(atomic, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 120);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* len bytes of pattern seed as they lie at file offset off (malloc'd). */
static unsigned char *pat(size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *b = malloc(len ? len : 1);

	cr_assert(b, "out of memory for %zu bytes", len);
	test_pattern(b, len, seed, off);
	return b;
}

/* A new file path of len bytes of pattern seed, open read-write; its
 * bytes in *want (malloc'd with room for cap bytes) if want. */
static daxfs_file *pattern_file(daxfs *fs, const char *path, uint64_t seed,
				size_t len, unsigned char **want, size_t cap)
{
	daxfs_file *f = check_open(fs, path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	check_pwrite_pattern(f, seed, 0, len);
	/* Closed and opened again: no block taken ahead of the writes
	 * (ext2/prealloc.c) is left in the free counts the tests take. */
	check_close(f);
	f = check_open(fs, path, O_RDWR, 0);
	if (want) {
		*want = calloc(1, cap > len ? cap : len);
		cr_assert(*want);
		test_pattern(*want, len, seed, 0);
	}
	return f;
}

/* The model of a write: buf[0..n) at off of want (*len bytes long,
 * room enough), zeros between the old end and off. */
static void model_write(unsigned char *want, size_t *len, const void *buf,
			size_t n, size_t off)
{
	if (off > *len)
		memset(want + *len, 0, off - *len);
	memcpy(want + off, buf, n);
	if (off + n > *len)
		*len = off + n;
}

static long long size_of(daxfs_file *f)
{
	struct stat st;

	CHECK_OK(daxfs_fstat(f, &st));
	return (long long)st.st_size;
}

static unsigned long long free_blocks(daxfs *fs)
{
	return check_statfs(fs).f_bfree;
}

/* f is exactly want[0..len): its size, every byte (pread), nothing past. */
static void expect_file(daxfs_file *f, const unsigned char *want, size_t len,
			const char *when)
{
	unsigned char *got = malloc(len + 1);
	long bad;

	cr_assert(got);
	cr_assert_eq(size_of(f), (long long)len, "%s: size %lld, expected %zu",
		     when, size_of(f), len);
	CHECK_EQ(daxfs_pread(f, got, len + 1, 0), len);
	bad = test_first_diff(got, want, len);
	cr_assert_eq(bad, -1, "%s: byte %ld is %#x, expected %#x", when, bad,
		     bad >= 0 ? got[bad] : 0, bad >= 0 ? want[bad] : 0);
	free(got);
}

/* The file path of the unmounted image img, read by debugfs (no
 * libdaxfs), is exactly want[0..len). */
static void expect_debugfs_cat(const char *img, const char *path,
			       const unsigned char *want, size_t len)
{
	size_t n = 0;
	char *got = test_debugfs_cat(img, path, &n);
	long bad;

	cr_assert(got, "debugfs cat %s failed", path);
	cr_assert_eq(n, len, "debugfs cat %s: %zu bytes, expected %zu", path,
		     n, len);
	bad = test_first_diff(got, want, len);
	cr_assert_eq(bad, -1, "debugfs cat %s: byte %ld differs", path, bad);
	free(got);
}

/*
 * Physical blocks of logical blocks [first, first+n) of path, by debugfs
 * "bmap" on the image the test still has mounted (0: a hole).
 */
static void live_bmaps(const char *img, const char *path, uint32_t first,
		       uint32_t n, long long *out)
{
	char *cmds = NULL, *err = NULL, *out_text, *p, *end;
	size_t cap = 0;
	FILE *m = open_memstream(&cmds, &cap);
	uint32_t i;

	cr_assert(m);
	for (i = 0; i < n; i++)
		fprintf(m, "%sbmap %s %u", i ? "\n" : "", path, first + i);
	fclose(m);
	out_text = test_debugfs_live(img, cmds, &err);
	cr_assert(out_text && err && !err[0], "debugfs bmap on %s: %s", img,
		  err ? err : "could not run");
	p = out_text;
	for (i = 0; i < n; i++) {
		p = strstr(p, "debugfs: bmap");
		cr_assert(p, "debugfs printed no bmap %u:\n%s", i, out_text);
		p = strchr(p, '\n');
		cr_assert(p);
		out[i] = strtoll(p + 1, &end, 10);
		cr_assert(end != p + 1, "bmap %s %u: no number in\n%s", path,
			  first + i, out_text);
		p = end;
	}
	free(out_text);
	free(err);
	free(cmds);
}

/* daxfs_pwrite2 returns all of len. */
static void write2(daxfs_file *f, const void *buf, size_t len, off_t off,
		   unsigned flags)
{
	CHECK_EQ(daxfs_pwrite2(f, buf, len, off, flags), len);
}

/* The message of the failure just seen starts with the call's name. */
static void expect_msg_prefix(void)
{
	const char *m = daxfs_errormsg();

	cr_assert(!strncmp(m, "daxfs_pwrite2", 13),
		  "message \"%s\" does not start with daxfs_pwrite2", m);
}

/* ------------------------------------------------------------------ */
/* 1. Overwrite: the range moves to new blocks, nothing else changes   */
/* ------------------------------------------------------------------ */

#define OW_FILE (256 * KIB)
#define OW_OFF (96 * KIB) /* logical blocks 24..39 */
#define OW_LEN (64 * KIB)
#define OW_FIRST (OW_OFF / PG)
#define OW_NB (OW_LEN / PG)

/* 64 KiB in the middle of a 256 KiB file: contents, size, free count,
 * every block of the range moved and its neighbours did not; e2fsck and
 * debugfs cat agree. */
Test(atomic, overwrite_moves_the_range_and_keeps_the_rest)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *want, *buf = pat(OW_LEN, 2, OW_OFF);
	daxfs_file *f = pattern_file(fs, "/f", 1, OW_FILE, &want, OW_FILE);
	long long before[OW_NB + 2], after[OW_NB + 2];
	unsigned long long free0 = free_blocks(fs);
	size_t len = OW_FILE;
	uint32_t i;

	live_bmaps(img, "/f", OW_FIRST - 1, OW_NB + 2, before);
	write2(f, buf, OW_LEN, OW_OFF, ATOMIC);
	model_write(want, &len, buf, OW_LEN, OW_OFF);
	expect_file(f, want, len, "after the atomic overwrite");
	live_bmaps(img, "/f", OW_FIRST - 1, OW_NB + 2, after);
	for (i = 1; i <= OW_NB; i++)
		cr_assert(after[i] > 0 && after[i] != before[i],
			  "block %u of the range stayed at %lld (now %lld)",
			  OW_FIRST - 1 + i, before[i], after[i]);
	cr_assert_eq(after[0], before[0], "the block before the range moved");
	cr_assert_eq(after[OW_NB + 1], before[OW_NB + 1],
		     "the block after the range moved");
	check_close(f); /* (gives back blocks taken ahead: ext2/prealloc.c) */
	cr_assert_eq(free_blocks(fs), free0, "free blocks %llu, were %llu",
		     free_blocks(fs), free0);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/f", want, len);
	free(want);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 2. Unaligned head and tail                                          */
/* ------------------------------------------------------------------ */

/* 5000 bytes at 1000 of a 3-block file, then 100 bytes inside the last
 * block: the bytes of the blocks outside the write keep their values. */
Test(atomic, unaligned_head_and_tail_keep_old_bytes)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *want, *a = pat(5000, 2, 1000), *b = pat(100, 3, 8300);
	daxfs_file *f = pattern_file(fs, "/f", 1, 3 * PG, &want, 3 * PG);
	unsigned long long free0 = free_blocks(fs);
	size_t len = 3 * PG;

	write2(f, a, 5000, 1000, ATOMIC);
	model_write(want, &len, a, 5000, 1000);
	expect_file(f, want, len, "after 5000 bytes at 1000");
	write2(f, b, 100, 8300, ATOMIC);
	model_write(want, &len, b, 100, 8300);
	expect_file(f, want, len, "after 100 bytes at 8300");
	check_close(f); /* (gives back blocks taken ahead: ext2/prealloc.c) */
	cr_assert_eq(free_blocks(fs), free0);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/f", want, len);
	free(want);
	free(a);
	free(b);
}

/* ------------------------------------------------------------------ */
/* 3. Writes that extend the file                                      */
/* ------------------------------------------------------------------ */

/* One atomic write at off of n bytes (seed) into f, checked against the
 * model and against the free count: it takes exactly `taken` blocks. */
static void extend_step(daxfs *fs, daxfs_file *f, unsigned char *want,
			size_t *len, size_t off, size_t n, uint64_t seed,
			unsigned long long taken)
{
	unsigned char *buf = pat(n, seed, off);
	unsigned long long free0 = free_blocks(fs);
	char when[96];

	write2(f, buf, n, (off_t)off, ATOMIC);
	model_write(want, len, buf, n, off);
	snprintf(when, sizeof(when), "after %zu bytes at %zu", n, off);
	expect_file(f, want, *len, when);
	cr_assert_eq(free0 - free_blocks(fs), taken,
		     "%s: %llu blocks taken, expected %llu", when,
		     free0 - free_blocks(fs), taken);
	free(buf);
}

/* Across EOF (old bytes kept, size grows), inside the last block past EOF
 * (the gap reads zeros), then entirely past EOF (a hole between, zeros,
 * no block for it). */
Test(atomic, extending_writes_grow_the_size)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *want;
	daxfs_file *f = pattern_file(fs, "/f", 1, 10000, &want, 64 * KIB);
	size_t len = 10000;
	long long hole[3];

	/* 8000..17000: blocks 1 and 2 replaced, 3 and 4 new */
	extend_step(fs, f, want, &len, 8000, 9000, 2, 2);
	/* 17100..17200: in block 4, past EOF; 17000..17099 reads zeros */
	extend_step(fs, f, want, &len, 17100, 100, 3, 0);
	/* 40123..45123: blocks 9..11, a hole of blocks 5..8 before it */
	extend_step(fs, f, want, &len, 40123, 5000, 4, 3);
	cr_assert_eq(len, 45123);
	live_bmaps(img, "/f", 5, 3, hole);
	cr_assert(!hole[0] && !hole[1] && !hole[2],
		  "the gap got blocks: %lld %lld %lld", hole[0], hole[1],
		  hole[2]);
	check_close(f);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/f", want, len);
	free(want);
}

/* ------------------------------------------------------------------ */
/* 4. Over holes                                                       */
/* ------------------------------------------------------------------ */

/* A 1 MiB sparse file with blocks 0 and 128 only; an atomic write of
 * 100 KiB over blocks 125..150 (one of them mapped) fills the 25 holes
 * and nothing else; holes around read zeros. */
Test(atomic, over_holes_of_a_sparse_file)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	daxfs_file *f = check_open(fs, "/s", O_RDWR | O_CREAT, 0644);
	unsigned char *want = calloc(1, TEST_MIB);
	unsigned char *b0 = pat(PG, 1, 0), *b128 = pat(PG, 1, 128 * PG);
	unsigned char *buf = pat(100 * KIB, 2, 500 * KIB + 77);
	size_t len = TEST_MIB;
	unsigned long long free0;

	cr_assert(want);
	CHECK_OK(daxfs_ftruncate(f, TEST_MIB));
	write2(f, b0, PG, 0, 0);
	write2(f, b128, PG, 128 * PG, 0);
	memcpy(want, b0, PG);
	memcpy(want + 128 * PG, b128, PG);
	free0 = free_blocks(fs);
	write2(f, buf, 100 * KIB, 500 * KIB + 77, ATOMIC);
	model_write(want, &len, buf, 100 * KIB, 500 * KIB + 77);
	expect_file(f, want, len, "after the write over holes");
	cr_assert_eq(free0 - free_blocks(fs), 25,
		     "%llu blocks taken, 25 holes were filled",
		     free0 - free_blocks(fs));
	check_close(f);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/s", want, len);
	free(want);
	free(b0);
	free(b128);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 5. The largest atomic write                                         */
/* ------------------------------------------------------------------ */

/*
 * On a bs-byte-block file system: max bytes at off (0 or unaligned) of a
 * 2 MiB file work; max + 1 fail with -EINVAL and change nothing; a
 * zero-length atomic write returns 0.
 */
static void limit_case(uint32_t bs, size_t max, off_t off)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, bs, 0, &img);
	unsigned char *want, *buf = pat(max + 1, 2, (uint64_t)off);
	daxfs_file *f = pattern_file(fs, "/f", 1, 2 * TEST_MIB, &want, 0);
	size_t len = 2 * TEST_MIB;
	unsigned long long free0 = free_blocks(fs), free1;

	write2(f, buf, max, off, ATOMIC);
	model_write(want, &len, buf, max, (size_t)off);
	expect_file(f, want, len, "after the largest atomic write");
	free1 = free_blocks(fs);
	test_pattern(buf, max + 1, 3, (uint64_t)off);
	CHECK_ERR_MSG(daxfs_pwrite2(f, buf, max + 1, off, ATOMIC), EINVAL,
		      "atomic");
	expect_msg_prefix();
	expect_file(f, want, len, "after a too long atomic write");
	cr_assert_eq(free_blocks(fs), free1);
	CHECK_EQ(daxfs_pwrite2(f, buf, 0, off, ATOMIC), 0);
	expect_file(f, want, len, "after an empty atomic write");
	check_close(f); /* (gives back blocks taken ahead: ext2/prealloc.c) */
	cr_assert_eq(free_blocks(fs), free0);
	check_unmount_fsck(fs, img);
	free(want);
	free(buf);
}

/* 4 KiB blocks: DAXFS_ATOMIC_WRITE_MAX (1 MiB), aligned. */
Test(atomic, max_on_4k_blocks)
{
	cr_assert_eq(DAXFS_ATOMIC_WRITE_MAX, TEST_MIB);
	limit_case(4096, DAXFS_ATOMIC_WRITE_MAX, 0);
}

/* 4 KiB blocks: 1 MiB at an unaligned offset (257 blocks). */
Test(atomic, max_on_4k_blocks_unaligned)
{
	limit_case(4096, DAXFS_ATOMIC_WRITE_MAX, 3 * PG + 5);
}

/* 1 KiB blocks: 512 KiB, aligned. */
Test(atomic, max_on_1k_blocks)
{
	limit_case(1024, 512 * KIB, 0);
}

/* 1 KiB blocks: 512 KiB at an unaligned offset (513 blocks). */
Test(atomic, max_on_1k_blocks_unaligned)
{
	limit_case(1024, 512 * KIB, 3 * KIB + 5);
}

/* The largest file of the Linux ext2 driver with 4 KiB blocks. */
#define LINUX_MAXBYTES 2196873666560LL

/* An atomic write that would cross the largest file size cannot be
 * done whole: it fails (-EFBIG, or -EINVAL as Linux's RWF_ATOMIC),
 * never a short count, and changes nothing. */
Test(atomic, across_the_largest_file_size_is_not_short)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *buf = pat(2 * PG, 2, 0), *want;
	daxfs_file *f = pattern_file(fs, "/f", 1, 5000, &want, 5000);
	unsigned long long free0 = free_blocks(fs);

	CHECK_ERR2(daxfs_pwrite2(f, buf, 2 * PG, LINUX_MAXBYTES - PG, ATOMIC),
		   EFBIG, EINVAL);
	expect_msg_prefix();
	expect_file(f, want, 5000, "after the write across the largest size");
	cr_assert_eq(free_blocks(fs), free0);
	check_close(f);
	check_unmount_fsck(fs, img);
	free(want);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 6. A bad source buffer                                              */
/* ------------------------------------------------------------------ */

/* Three pages whose middle one cannot be read (munmap'd by the caller
 * with 3 * PG). */
static unsigned char *bad_buffer(void)
{
	unsigned char *b = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert(b != MAP_FAILED);
	test_pattern(b, 3 * PG, 9, 0);
	cr_assert_eq(mprotect(b + PG, PG, PROT_NONE), 0);
	return b;
}

/*
 * An atomic write of 3 pages from bad_buffer() at off into a file of
 * size bytes of pattern (holes: made by ftruncate, no block at all):
 * -EFAULT, and the contents, size and free count as they were.
 */
static void bad_buffer_case(off_t off, size_t size, bool holes)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *bad = bad_buffer(), *want = calloc(1, size);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	unsigned long long free0;
	struct stat st0, st1;

	cr_assert(want);
	if (holes) {
		CHECK_OK(daxfs_ftruncate(f, (off_t)size));
	} else {
		check_pwrite_pattern(f, 1, 0, size);
		test_pattern(want, size, 1, 0);
	}
	free0 = free_blocks(fs);
	CHECK_OK(daxfs_fstat(f, &st0));
	CHECK_ERR_MSG(daxfs_pwrite2(f, bad, 3 * PG, off, ATOMIC), EFAULT,
		      "address");
	expect_msg_prefix();
	expect_file(f, want, size, "after -EFAULT");
	CHECK_OK(daxfs_fstat(f, &st1));
	cr_assert_eq(free_blocks(fs), free0, "free blocks %llu, were %llu "
		     "(the file's st_blocks %lld, were %lld)", free_blocks(fs),
		     free0, (long long)st1.st_blocks,
		     (long long)st0.st_blocks);
	check_close(f);
	check_unmount_fsck(fs, img);
	munmap(bad, 3 * PG);
	free(want);
}

/* Overwriting mapped blocks of a 256 KiB file, unaligned. */
Test(atomic, bad_buffer_overwrite_changes_nothing)
{
	bad_buffer_case(8 * KIB + 100, 256 * KIB, false);
}

/* Across EOF: the size stays, no block is kept past it. */
Test(atomic, bad_buffer_extending_changes_nothing)
{
	bad_buffer_case(250 * KIB, 256 * KIB, false);
}

/* Over holes (a sparse file): no hole is filled. */
Test(atomic, bad_buffer_over_holes_changes_nothing)
{
	bad_buffer_case(64 * KIB, 256 * KIB, true);
}

/* ------------------------------------------------------------------ */
/* 7. Views                                                            */
/* ------------------------------------------------------------------ */

#define V_PAGES 16
#define V_LEN (V_PAGES * PG)

/* The four views of f: lazy and populated, read-only and writable. */
struct views {
	unsigned char *v[4];
};
static const char *const view_name[4] = {
	"lazy read-only", "populated read-only", "lazy writable",
	"populated writable",
};

static void views_map(daxfs_file *f, struct views *vs)
{
	int i;

	for (i = 0; i < 4; i++)
		vs->v[i] = check_map(f, 0, V_LEN,
				     i < 2 ? PROT_READ : PROT_READ | PROT_WRITE,
				     i % 2 ? DAXFS_MAP_POPULATE : 0);
}

/* Every view shows want[0..V_LEN) (read through its pointer). */
static void views_expect(const struct views *vs, const unsigned char *want,
			 const char *when)
{
	long bad;
	int i;

	for (i = 0; i < 4; i++) {
		bad = test_first_diff(vs->v[i], want, V_LEN);
		cr_assert_eq(bad, -1, "%s: the %s view differs at byte %ld",
			     when, view_name[i], bad);
	}
}

/* A store of n bytes of value c at off through view i, persisted: pread
 * sees it. */
static void view_store(daxfs_file *f, struct views *vs, int i, size_t off,
		       unsigned char c, unsigned char *want)
{
	unsigned char got[64];
	size_t n = sizeof(got);

	memset(vs->v[i] + off, c, n);
	CHECK_OK(daxfs_persist(vs->v[i] + off, n));
	memset(want + off, c, n);
	CHECK_EQ(daxfs_pread(f, got, n, (off_t)off), n);
	cr_assert_eq(test_first_diff(got, want + off, n), -1,
		     "pread does not see the store through the %s view",
		     view_name[i]);
}

/* Views mapped and read before atomic writes show their new bytes;
 * stores through the writable ones afterwards land in the file (its new
 * blocks: pread, and debugfs after unmount, see them). */
Test(atomic, views_see_atomic_writes)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *want, *buf;
	daxfs_file *f = pattern_file(fs, "/f", 1, V_LEN, &want, V_LEN);
	size_t len = V_LEN, off;
	struct views vs;
	int round, i;

	views_map(f, &vs);
	views_expect(&vs, want, "before");
	for (round = 0; round < 3; round++) {
		off = (size_t)(round * 4 + 2) * PG + 100 * (size_t)round;
		buf = pat(5 * PG, 10 + round, off);
		write2(f, buf, 5 * PG, (off_t)off, ATOMIC);
		model_write(want, &len, buf, 5 * PG, off);
		views_expect(&vs, want, "after an atomic write");
		for (i = 2; i < 4; i++)
			view_store(f, &vs, i, off + PG * (size_t)i + 7,
				   (unsigned char)(0xA0 + round * 4 + i), want);
		views_expect(&vs, want, "after the stores");
		free(buf);
	}
	for (i = 0; i < 4; i++)
		CHECK_OK(daxfs_unmap(vs.v[i], V_LEN));
	expect_file(f, want, len, "at the end");
	check_close(f);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/f", want, len);
	free(want);
}

/* ------------------------------------------------------------------ */
/* 8. Lazy writes                                                      */
/* ------------------------------------------------------------------ */

#define LZ_FILE (256 * KIB)

/* 300 lazy writes at seeded offsets, an fsync, then lazy appends (one
 * leaving a gap): contents right through pread, after fsync, and in the
 * image after unmount. */
Test(atomic, lazy_writes_then_fsync)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", FS_SIZE, 4096, 0, &img);
	unsigned char *want, *buf = malloc(8 * KIB);
	daxfs_file *f = pattern_file(fs, "/f", 1, LZ_FILE, &want, 2 * LZ_FILE);
	uint64_t rng = 0x1A2Bu;
	size_t len = LZ_FILE, off, n;
	int i;

	cr_assert(buf);
	for (i = 0; i < 300; i++) {
		n = 1 + test_rand(&rng) % (8 * KIB);
		off = test_rand(&rng) % (LZ_FILE - n);
		test_pattern(buf, n, 100 + (uint64_t)i, off);
		write2(f, buf, n, (off_t)off, LAZY);
		model_write(want, &len, buf, n, off);
	}
	expect_file(f, want, len, "after the lazy writes");
	CHECK_OK(daxfs_fsync(f));
	expect_file(f, want, len, "after fsync");
	test_pattern(buf, 5000, 500, len);
	write2(f, buf, 5000, (off_t)len, LAZY); /* an append */
	model_write(want, &len, buf, 5000, len);
	test_pattern(buf, 3000, 501, len + 20000);
	write2(f, buf, 3000, (off_t)(len + 20000), LAZY); /* past a gap */
	model_write(want, &len, buf, 3000, len + 20000);
	CHECK_OK(daxfs_fsync(f));
	expect_file(f, want, len, "after the lazy appends");
	check_close(f);
	check_unmount_fsck(fs, img);
	expect_debugfs_cat(img, "/f", want, len);
	free(want);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 9. No space                                                         */
/* ------------------------------------------------------------------ */

#define NS_FILE (64 * KIB) /* 16 blocks */

/* Fill fs with /filler, 4 KiB at a time, until fewer than 8 blocks are
 * free (or the allocator says ENOSPC first). */
static void fill_up(daxfs *fs)
{
	daxfs_file *g = check_open(fs, "/filler", O_RDWR | O_CREAT, 0644);
	unsigned char *buf = pat(PG, 7, 0);
	off_t off = 0;
	ssize_t r = 0;

	while (free_blocks(fs) >= 8 &&
	       (r = daxfs_pwrite(g, buf, PG, off)) == (ssize_t)PG)
		off += (off_t)PG;
	cr_assert(r == (ssize_t)PG || r == -ENOSPC, "filling: %zd (%s): %s",
		  r, test_errname(r), daxfs_errormsg());
	check_close(g);
	free(buf);
}

/*
 * An atomic write of 16 blocks into /f (holes: a sparse /f, which the
 * write must fill) with fewer than 16 blocks free: -ENOSPC, nothing
 * changed (not even a hole filled); a plain pwrite over mapped blocks
 * works (it needs no block); once space is freed the atomic write works.
 */
static void enospc_case(bool holes)
{
	const char *img;
	daxfs *fs = check_new_fs("atomic", 8 * TEST_MIB, 4096, 0, &img);
	unsigned char *want = calloc(1, NS_FILE), *buf = pat(NS_FILE, 2, 0);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	size_t len = NS_FILE;
	unsigned long long free0;

	cr_assert(want);
	if (holes) {
		CHECK_OK(daxfs_ftruncate(f, NS_FILE));
	} else {
		check_pwrite_pattern(f, 1, 0, NS_FILE);
		test_pattern(want, NS_FILE, 1, 0);
	}
	fill_up(fs);
	free0 = free_blocks(fs);
	cr_assert(free0 < NS_FILE / PG, "%llu blocks still free", free0);
	CHECK_ERR(daxfs_pwrite2(f, buf, NS_FILE, 0, ATOMIC), ENOSPC);
	expect_msg_prefix();
	expect_file(f, want, len, "after -ENOSPC");
	cr_assert_eq(free_blocks(fs), free0, "free blocks %llu, were %llu",
		     free_blocks(fs), free0);
	if (!holes) {
		write2(f, buf, NS_FILE, 0, 0);
		model_write(want, &len, buf, NS_FILE, 0);
		expect_file(f, want, len, "after a plain overwrite");
	}
	CHECK_OK(daxfs_unlink(fs, "/filler"));
	test_pattern(buf, NS_FILE, 3, 0);
	write2(f, buf, NS_FILE, 0, ATOMIC);
	model_write(want, &len, buf, NS_FILE, 0);
	expect_file(f, want, len, "after the atomic write with room");
	check_close(f);
	check_unmount_fsck(fs, img);
	free(want);
	free(buf);
}

/* Over mapped blocks (an overwrite needs as many new blocks). */
Test(atomic, enospc_changes_nothing)
{
	enospc_case(false);
}

/* Over holes. */
Test(atomic, enospc_over_holes_changes_nothing)
{
	enospc_case(true);
}

/* ------------------------------------------------------------------ */
/* 10. Killed in the middle                                            */
/* ------------------------------------------------------------------ */

#define K_ROUNDS 50
#define K_FILE (256 * KIB)
#define K_OFF 40000          /* the range: unaligned at both ends */
#define K_LEN 100000
#define K_BASE 1000          /* the seed of the file as made */
#define K_MAX_DELAY_US 3000

/* What the child says it is doing (shared memory). */
struct kshared {
	atomic_int ready;        /* mounted, /f open */
	atomic_ullong started;   /* the seed of the write under way */
	atomic_ullong done;      /* the seed of the last write returned */
};

/* The bytes of write number seed: distinct 64-bit words, cheap to make
 * (the child should spend its time in daxfs_pwrite2, where the kill is
 * meant to land), never two writes alike at any word. */
static void stamp(unsigned char *buf, uint64_t seed)
{
	uint64_t w;
	size_t i;

	for (i = 0; i < K_LEN; i += sizeof(w)) {
		w = (seed << 24 | i / 8) * 0x9E3779B97F4A7C15ULL | 1;
		memcpy(buf + i, &w, K_LEN - i < sizeof(w) ? K_LEN - i
							 : sizeof(w));
	}
}

/* The child: mount, then atomic writes of seeds seed0, seed0 + 1, ...
 * into the range until it is killed.  Never returns. */
static void kill_child(const char *img, struct kshared *sh, uint64_t seed0)
{
	unsigned char *buf = malloc(K_LEN);
	daxfs_file *f = NULL;
	daxfs *fs = NULL;
	uint64_t s;

	if (!buf || daxfs_mount(img, 0, &fs) ||
	    daxfs_open(fs, "/f", O_RDWR, 0, &f))
		_exit(TEST_SETUP_EXIT);
	atomic_store(&sh->ready, 1);
	for (s = seed0;; s++) {
		stamp(buf, s);
		atomic_store(&sh->started, s);
		if (daxfs_pwrite2(f, buf, K_LEN, K_OFF, ATOMIC) != K_LEN)
			_exit(TEST_BADDATA_EXIT);
		atomic_store(&sh->done, s);
	}
}

/* Fork the child writing from seed0, SIGKILL it delay_us after it is
 * ready (10 s at most); it must die of the SIGKILL. */
static void kill_round(const char *img, struct kshared *sh, uint64_t seed0,
		       long delay_us)
{
	double t0 = test_now();
	pid_t pid, gone = 0;
	int status = 0;

	atomic_store(&sh->ready, 0);
	fflush(stderr);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		kill_child(img, sh, seed0);
	while (!atomic_load(&sh->ready) && test_now() - t0 < 10 &&
	       (gone = waitpid(pid, &status, WNOHANG)) == 0)
		test_sleep_us(50);
	if (gone != pid) { /* still running: kill it */
		test_sleep_us(delay_us);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0)
			cr_assert_eq(errno, EINTR);
	}
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "the child did not die of SIGKILL: status %#x (exit %d)",
		  status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* What the range holds after write seed (K_BASE: as the file was made). */
static void range_seed(unsigned char *buf, uint64_t seed)
{
	if (seed == K_BASE)
		test_pattern(buf, K_LEN, K_BASE, K_OFF);
	else
		stamp(buf, seed);
}

/* After round r: the recovering mount leaves /f of its size, the base
 * pattern outside the range and wholly `done` or wholly `started` in it;
 * e2fsck is clean after the unmount.  The seed found. */
static uint64_t kill_check(const char *img, const struct kshared *sh, int r)
{
	uint64_t done = atomic_load(&sh->done);
	uint64_t started = atomic_load(&sh->started);
	daxfs *fs = check_mount(img, 0);
	daxfs_file *f = check_open(fs, "/f", O_RDONLY, 0);
	unsigned char *got = malloc(K_FILE + 1), *want = malloc(K_LEN);
	long bd, bs, bad;

	cr_assert(got && want);
	cr_assert_str_eq(daxfs_mount_warning(fs), "", "round %d: warning", r);
	CHECK_EQ(daxfs_pread(f, got, K_FILE + 1, 0), K_FILE);
	bad = test_pattern_mismatch(got, K_OFF, K_BASE, 0);
	cr_assert_eq(bad, -1, "round %d: byte %ld before the range changed", r,
		     bad);
	bad = test_pattern_mismatch(got + K_OFF + K_LEN, K_FILE - K_OFF - K_LEN,
				    K_BASE, K_OFF + K_LEN);
	cr_assert_eq(bad, -1, "round %d: byte %ld after the range changed", r,
		     bad);
	range_seed(want, done);
	bd = test_first_diff(got + K_OFF, want, K_LEN);
	range_seed(want, started);
	bs = test_first_diff(got + K_OFF, want, K_LEN);
	cr_assert(bd == -1 || bs == -1, "round %d: the range is neither "
		  "write %llu (differs at %ld) nor write %llu (at %ld)", r,
		  (unsigned long long)done, bd, (unsigned long long)started,
		  bs);
	check_close(f);
	check_unmount_fsck(fs, img);
	free(got);
	free(want);
	return bd == -1 ? done : started;
}

/* A child doing atomic writes of a 100000-byte range, SIGKILLed at seeded
 * moments K_ROUNDS times: never a mix of two writes, never older than
 * the last one that returned, the rest of the file untouched. */
Test(atomic, killed_writer_leaves_old_or_new, .timeout = 300)
{
	const char *img;
	daxfs *fs = check_new_fs("atomkill", 16 * TEST_MIB, 4096, 0, &img);
	struct kshared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t rng = 0xC0FFEE, seed = K_BASE, next = K_BASE + 1, found;
	int r, newer = 0;

	cr_assert(sh != MAP_FAILED);
	check_create_pattern_file(fs, "/f", K_BASE, K_FILE);
	check_unmount(fs);
	for (r = 0; r < K_ROUNDS; r++) {
		atomic_store(&sh->started, seed);
		atomic_store(&sh->done, seed);
		kill_round(img, sh, next,
			   (long)(test_rand(&rng) % K_MAX_DELAY_US));
		next = atomic_load(&sh->started) + 1;
		found = kill_check(img, sh, r);
		newer += found != seed;
		seed = found;
	}
	cr_assert(newer > 0, "no atomic write returned in %d rounds",
		  K_ROUNDS);
	munmap(sh, sizeof(*sh));
}

/* A file system too small for a journal: no write can be atomic, and an
 * atomic one says so instead of writing in place. */
Test(atomic, refused_without_a_journal)
{
	const char *p = test_image_path("nojournal");
	daxfs *fs;
	daxfs_file *f;
	char buf[8] = { 0 };

	check_mkfs(p, 64 * TEST_KIB, 1024, 0);
	fs = check_mount(p, 0);
	cr_assert(strstr(daxfs_mount_warning(fs), "journal"),
		  "warning: \"%s\"", daxfs_mount_warning(fs));
	f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	CHECK_EQ(daxfs_pwrite(f, "old", 3, 0), 3);
	CHECK_EQ(daxfs_pwrite2(f, "new", 3, 0, DAXFS_WRITE_ATOMIC),
		 -EOPNOTSUPP);
	check_errormsg("atomic write without a journal", "no journal");
	CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), 0), 3);
	CHECK_EQ(memcmp(buf, "old", 3), 0);
	check_close(f);
	check_unmount_fsck(fs, p);
}
