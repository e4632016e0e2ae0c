/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.c -- Criterion-asserting helpers of the tests (see check.h).
 */
#define _GNU_SOURCE
#include "check.h"
#include "interop.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Return values                                                       */
/* ------------------------------------------------------------------ */

void check_errormsg(const char *what, const char *sub)
{
	const char *m = daxfs_errormsg();
	size_t n, i;
	int letters = 0;

	cr_assert(m != NULL, "daxfs_errormsg() is NULL after failing %s",
		  what);
	n = strlen(m);
	for (i = 0; i < n; i++)
		if ((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= 'A' && m[i] <= 'Z'))
			letters++;
	cr_assert(n >= 8 && letters >= 5,
		  "daxfs_errormsg() after failing %s is \"%s\", not a sentence",
		  what, m);
	if (sub)
		cr_assert(strcasestr(m, sub), "%s: daxfs_errormsg() \"%s\" "
			  "does not mention \"%s\"", what, m, sub);
}

/* ------------------------------------------------------------------ */
/* File systems                                                        */
/* ------------------------------------------------------------------ */

void check_mkfs(const char *path, uint64_t size, uint32_t block_size,
		uint32_t inodes)
{
	int r = test_mkfs(path, size, block_size, inodes);

	cr_assert_eq(r, 0,
		     "daxfs_mkfs(%s, size %" PRIu64 ", bs %u, inodes %u) = %d "
		     "(%s): \"%s\"",
		     path, size, block_size, inodes, r, test_errname(r),
		     daxfs_errormsg());
}

daxfs *check_mount(const char *path, unsigned flags)
{
	daxfs *fs = NULL;
	int r = daxfs_mount(path, flags, &fs);

	cr_assert_eq(r, 0, "daxfs_mount(%s, %#x) = %d (%s): \"%s\"", path,
		     flags, r, test_errname(r), daxfs_errormsg());
	cr_assert(fs != NULL, "daxfs_mount returned 0 but no handle");
	return fs;
}

daxfs *check_new_fs(const char *tag, uint64_t size, uint32_t block_size,
		    uint32_t inodes, const char **path_out)
{
	const char *path = test_image_path(tag);

	check_mkfs(path, size, block_size, inodes);
	if (path_out)
		*path_out = path;
	return check_mount(path, 0);
}

void check_unmount(daxfs *fs)
{
	CHECK_OK(daxfs_unmount(fs));
}

void check_unmount_fsck(daxfs *fs, const char *path)
{
	int st;

	check_unmount(fs);
	st = test_e2fsck(path, NULL);
	cr_assert_eq(st, 0, "e2fsck -fn %s exited %d (output above)", path, st);
}

daxfs_file *check_open(daxfs *fs, const char *path, int flags, mode_t mode)
{
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, path, flags, mode, &f);

	cr_assert_eq(r, 0, "daxfs_open(%s, %#o, %#o) = %d (%s): \"%s\"", path,
		     flags, (unsigned)mode, r, test_errname(r),
		     daxfs_errormsg());
	cr_assert(f != NULL, "daxfs_open(%s) returned 0 but no handle", path);
	return f;
}

void check_close(daxfs_file *f)
{
	CHECK_OK(daxfs_close(f));
}

/* daxfs_statfs into a zeroed struct, asserted to succeed. */
struct statvfs check_statfs(daxfs *fs)
{
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	CHECK_OK(daxfs_statfs(fs, &sv));
	return sv;
}

/* daxfs_map asserted to succeed and to give an address. */
void *check_map(daxfs_file *f, off_t off, size_t len, int prot,
		unsigned flags)
{
	void *p = NULL;

	CHECK_OK(daxfs_map(f, off, len, prot, flags, &p));
	cr_assert(p, "daxfs_map returned 0 but no address");
	return p;
}

uint64_t check_dumpe2fs_num(const char *img, const char *field)
{
	char *v = test_dumpe2fs_field(img, field);
	uint64_t r;

	cr_assert_not_null(v, "dumpe2fs -h %s has no \"%s\"", img, field);
	r = strtoull(v, NULL, 10);
	free(v);
	return r;
}

/* ------------------------------------------------------------------ */
/* Pattern data in libdaxfs files                                      */
/* ------------------------------------------------------------------ */

/* Size of the buffers of the pattern helpers. */
#define PATTERN_CHUNK (1u << 20)

void check_pwrite_pattern(daxfs_file *f, uint64_t seed, off_t off,
			  size_t len)
{
	unsigned char *buf = malloc(PATTERN_CHUNK);
	size_t done, n;
	ssize_t w;

	cr_assert(buf);
	for (done = 0; done < len; done += n) {
		n = len - done < PATTERN_CHUNK ? len - done : PATTERN_CHUNK;
		test_pattern(buf, n, seed, (uint64_t)off + done);
		w = daxfs_pwrite(f, buf, n, off + (off_t)done);
		cr_assert_eq(w, (ssize_t)n,
			     "daxfs_pwrite(%zu bytes @ %lld) = %zd (%s): \"%s\"",
			     n, (long long)(off + (off_t)done), w,
			     test_errname(w), daxfs_errormsg());
	}
	free(buf);
}

void check_pread_pattern(daxfs_file *f, uint64_t seed, off_t off,
			 size_t len)
{
	unsigned char *buf = malloc(PATTERN_CHUNK);
	size_t done, n;
	ssize_t r;
	long bad;

	cr_assert(buf);
	for (done = 0; done < len; done += n) {
		n = len - done < PATTERN_CHUNK ? len - done : PATTERN_CHUNK;
		memset(buf, 0xA5, n);
		r = daxfs_pread(f, buf, n, off + (off_t)done);
		cr_assert_eq(r, (ssize_t)n,
			     "daxfs_pread(%zu bytes @ %lld) = %zd (%s): \"%s\"",
			     n, (long long)(off + (off_t)done), r,
			     test_errname(r), daxfs_errormsg());
		bad = test_pattern_mismatch(buf, n, seed, (uint64_t)off + done);
		cr_assert(bad < 0,
			  "data differs at file offset %lld (seed %" PRIu64 ")",
			  (long long)(off + (off_t)done) + bad, seed);
	}
	free(buf);
}

void check_pread_zeros(daxfs_file *f, uint64_t off, uint64_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	long bad;

	cr_assert(buf);
	CHECK_EQ(daxfs_pread(f, buf, len, (off_t)off), (ssize_t)len);
	bad = test_first_nonzero(buf, len);
	cr_assert_eq(bad, -1, "byte %llu reads %#x, not 0",
		     (unsigned long long)(off + bad), buf[bad]);
	free(buf);
}

void check_create_pattern_file(daxfs *fs, const char *path, uint64_t seed,
			       size_t len)
{
	daxfs_file *f = check_open(fs, path, O_CREAT | O_WRONLY | O_TRUNC,
				   0644);

	check_pwrite_pattern(f, seed, 0, len);
	check_close(f);
}

void check_pattern_file(daxfs *fs, const char *path, uint64_t seed,
			size_t len)
{
	daxfs_file *f = check_open(fs, path, O_RDONLY, 0);
	struct stat st;
	char c;

	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, (off_t)len, "%s: size %lld, expected %zu",
		     path, (long long)st.st_size, len);
	check_pread_pattern(f, seed, 0, len);
	CHECK_EQ(daxfs_pread(f, &c, 1, (off_t)len), 0);
	check_close(f);
}

/* test_compare_tree with modes and link counts, lost+found skipped. */
void check_same_tree(daxfs *fs, const char *hostdir, const char *when)
{
	char msg[2048];
	size_t n = 0;
	int rc = test_compare_tree(fs, "/", hostdir,
				   TEST_CMP_MODE | TEST_CMP_NLINK |
					   TEST_CMP_SKIP_LF,
				   msg, sizeof(msg), &n);

	cr_assert_eq(rc, 0, "%s: the libdaxfs tree differs from %s: %s", when,
		     hostdir, msg);
	cr_log_info("%s: %zu entries equal\n", when, n);
}

/* ------------------------------------------------------------------ */
/* Raw image access                                                    */
/* ------------------------------------------------------------------ */

unsigned char *check_read_file(const char *path, size_t *len)
{
	char *buf = test_read_file(path, len);

	cr_assert(buf, "read %s: %s", path, strerror(errno));
	return (unsigned char *)buf;
}

void check_file_is(const char *path, const unsigned char *buf, size_t len)
{
	size_t n;
	unsigned char *now = check_read_file(path, &n);
	long i;

	cr_assert_eq(n, len, "%s: size changed from %zu to %zu", path, len, n);
	i = test_first_diff(now, buf, len);
	free(now);
	cr_assert(i < 0, "%s changed: first differing byte at offset %ld "
		  "(block %ld of 1K)", path, i, i / 1024);
}

void check_raw_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert(fd >= 0, "open(%s): %s", path, strerror(errno));
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	cr_assert_eq(n, (ssize_t)len, "pread(%s, %zu @ %" PRIu64 ") = %zd",
		     path, len, off, n);
}

void check_raw_write(const char *path, uint64_t off, const void *buf,
		     size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert(fd >= 0, "open(%s): %s", path, strerror(errno));
	n = pwrite(fd, buf, len, (off_t)off);
	close(fd);
	cr_assert_eq(n, (ssize_t)len, "pwrite(%s, %zu @ %" PRIu64 ") = %zd",
		     path, len, off, n);
}

/* Little-endian fields of a buffer. */
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t check_raw_le32(const char *path, uint64_t off)
{
	unsigned char b[4];

	check_raw_read(path, off, b, 4);
	return le32(b);
}

uint16_t check_raw_le16(const char *path, uint64_t off)
{
	unsigned char b[2];

	check_raw_read(path, off, b, 2);
	return le16(b);
}

void check_raw_put_le32(const char *path, uint64_t off, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	check_raw_write(path, off, b, 4);
}

void check_raw_put_le16(const char *path, uint64_t off, uint16_t v)
{
	unsigned char b[2] = { v, v >> 8 };

	check_raw_write(path, off, b, 2);
}

/* One step of the file hash. */
static uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x87c37b91114253d5ULL;
	h = (h << 31) | (h >> 33);
	return h * 0x4cf5ad432745937fULL + 0x52dce729;
}

uint64_t check_hash_file(const char *path)
{
	size_t len, i;
	unsigned char *buf = check_read_file(path, &len);
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, buf + i, 8);
		h = hash_mix(h, w);
	}
	for (; i < len; i++)
		h = hash_mix(h, buf[i] | 0x100);
	free(buf);
	return hash_mix(h, len);
}

void check_geom(const char *path, struct check_geom *g)
{
	unsigned char sb[1024], gd[32];

	check_raw_read(path, 1024, sb, sizeof(sb));
	cr_assert_eq(le16(sb + 56), 0xEF53, "%s: no ext2 magic", path);
	memset(g, 0, sizeof(*g));
	g->inodes_count = le32(sb + 0);
	g->blocks_count = le32(sb + 4);
	g->first_data_block = le32(sb + 20);
	g->block_size = 1024u << le32(sb + 24);
	g->blocks_per_group = le32(sb + 32);
	g->inodes_per_group = le32(sb + 40);
	g->inode_size = le32(sb + 76) >= 1 ? le16(sb + 88) : 128;
	cr_assert(g->blocks_per_group && g->inodes_per_group);
	g->groups = (g->blocks_count - g->first_data_block +
		     g->blocks_per_group - 1) / g->blocks_per_group;
	g->gdt_off = (uint64_t)(g->first_data_block + 1) * g->block_size;
	check_raw_read(path, g->gdt_off, gd, sizeof(gd));
	g->block_bitmap0 = le32(gd + 0);
	g->inode_bitmap0 = le32(gd + 4);
	g->inode_table0 = le32(gd + 8);
}

uint64_t check_inode_off(const char *path, const struct check_geom *g,
			 uint32_t ino)
{
	uint32_t grp = (ino - 1) / g->inodes_per_group;
	uint32_t idx = (ino - 1) % g->inodes_per_group;
	unsigned char gd[32];

	check_raw_read(path, g->gdt_off + 32ULL * grp, gd, sizeof(gd));
	return (uint64_t)le32(gd + 8) * g->block_size +
	       (uint64_t)idx * g->inode_size;
}

uint32_t check_first_block(const char *image, const char *path)
{
	char cmd[512], *err = NULL, *out, *line, *nl, *end;
	unsigned long b = 0;

	snprintf(cmd, sizeof(cmd), "blocks %s", path);
	out = test_debugfs_live(image, cmd, &err); /* may be mounted */
	cr_assert(out && !err[0], "debugfs -R '%s' %s failed: %s", cmd, image,
		  err ? err : "could not run");
	for (line = out; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		b = strtoul(line, &end, 10);
		if (end != line && b)
			break;
	}
	cr_assert(b != 0, "debugfs -R '%s' %s gave no block: %s", cmd, image,
		  out);
	free(out);
	free(err);
	return (uint32_t)b;
}

void check_copy_image(const char *src, const char *dst)
{
	size_t len;
	char *img = test_read_file(src, &len);

	cr_assert(img, "cannot read %s", src);
	cr_assert_eq(test_write_file(dst, img, len), 0, "cannot write %s",
		     dst);
	free(img);
}
