/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_errors.c -- errors that never lie: for every public call and each of
 * its error paths a user can reach, a failure of an unrelated call comes
 * first (daxfs_stat("/x/y") with no "/x"), then the case.  The case must
 * return exactly the errno Linux gives for the same thing (namespace cases
 * were checked against a tmpfs directory), and daxfs_errormsg() must then
 * be a sentence that differs from the earlier one, names the case's own
 * path, call or reason (the case's needle) and does not stop at a colon.
 * A failed call changes nothing: the whole tree (names, inodes, modes,
 * links, sizes, times, file contents, link targets) and the free counts
 * are the same after it, and e2fsck -fn is clean after every case.
 *
 * Public API only.  The cases are tables, one per fixture (the file
 * system a case starts from); every case runs in a process of its own
 * (Criterion's parameterized tests), on a fresh 8 MiB image, so that a
 * call that crashes fails its own case only.  Set DAXFS_ERRTEST_VERBOSE=1
 * to print every case's return value and message.
 *
 * daxfs_version(), daxfs_errormsg() and daxfs_mount_warning() cannot
 * fail; errors.no_failure checks that they leave the last message alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "check.h"
#include "daxfs.h"
#include "probe.h"

#define PG TEST_PAGE
#define IMG_SIZE (8 * TEST_MIB)
#define F_SIZE 5000   /* /f: two pages, the second one partial */
#define G_SIZE 10000  /* /d/g */
/* The largest file of the Linux ext2 driver with 4 KiB blocks. */
#define LINUX_MAXBYTES 2196873666560LL

static void suite_init(void)
{
	/* Before any daxfs_map of the process: libdaxfs chains to it. */
	test_probe_install();
}

TestSuite(errors, .init = suite_init, .fini = test_cleanup, .timeout = 120);

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

/* The file system a case starts from. */
enum fixture {
	FIX_RW,       /* the tree below, mounted read-write */
	FIX_RO,       /* the same tree, mounted read-only */
	FIX_FULL,     /* the tree, /full with one full block, no block free */
	FIX_NOINODE,  /* the tree on 16 inodes, no inode free */
	FIX_SMALLBLK, /* the tree on 1 KiB blocks */
	FIX_CORRUPT,  /* the tree, /f's first block pointer out of range */
};

/*
 * What a case works with.  The tree of every fixture:
 *   /d/ (directory)  /d/g (G_SIZE bytes)  /e/ (empty directory)
 *   /f (F_SIZE bytes)  /l -> "/f" (symlink)
 * with /f open read-only (ro), write-only (wo) and read-write (rw), and
 * /d open read-only (dh); wo and rw are NULL on a read-only mount.
 */
struct ectx {
	enum fixture fix;
	const char *img;
	daxfs *fs;
	daxfs_file *ro, *wo, *rw, *dh;
	daxfs_file *g;           /* /d/g read-write, if a setup opened it */
	void *view;              /* a view a setup made, and its length */
	size_t view_len;
	void *gone;              /* an address daxfs_unmap removed */
	void *none;              /* a PROT_NONE page: every access faults */
	const char *aux;         /* a host path a setup made */
	bool aux_absent;         /* aux did not exist: a failed call leaves
				  * it so */
	/* what a call that should have failed made, undone afterwards */
	daxfs *fs2;
	daxfs_file *opened;
	void *mapped;
	size_t mapped_len;
	struct statvfs sv;
	struct daxfs_cache_stats cs;
	struct stat st;
	struct daxfs_device dev[2];
	char buf[3 * PG];
	char longpath[PATH_MAX + 8];   /* "/aaa...", PATH_MAX bytes */
	char longname[300];            /* "/" + 256 bytes */
	char longtarget[PG + 8];       /* a symlink target of 4096 bytes */
	char longlink[128];            /* a target too long for i_block */
};

/* The tree every fixture has. */
static void build_tree(daxfs *fs)
{
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/e", 0755));
	check_create_pattern_file(fs, "/d/g", 1, G_SIZE);
	check_create_pattern_file(fs, "/f", 2, F_SIZE);
	CHECK_OK(daxfs_symlink(fs, "/f", "/l"));
}

/*
 * /full: a directory whose one block is full to the byte ("." and ".."
 * take 24 bytes; 15 entries of 247-byte names take 256 each and one of a
 * 224-byte name the last 232), so any new name in it needs a block.
 */
static void build_full_dir(daxfs *fs)
{
	char name[300];
	struct stat st;
	int i;

	CHECK_OK(daxfs_mkdir(fs, "/full", 0755));
	for (i = 0; i < 16; i++) {
		size_t n = i < 15 ? 247 : 224;

		name[0] = '/';
		memcpy(name + 1, "full/", 5);
		memset(name + 6, 'a' + i, n);
		name[6 + n] = '\0';
		CHECK_OK(daxfs_link(fs, "/d/g", name));
	}
	CHECK_OK(daxfs_stat(fs, "/full", &st));
	cr_assert_eq(st.st_size, 4096, "/full is %lld bytes, not one block",
		     (long long)st.st_size);
}

/* Write files until no block is left. */
static void fill_blocks(daxfs *fs)
{
	static char chunk[64 * 1024];
	const char *paths[] = {"/big", "/big2", "/big3"};
	struct statvfs sv;
	size_t i;

	memset(chunk, 0x5a, sizeof(chunk));
	for (i = 0; i < 3; i++) {
		daxfs_file *f = check_open(fs, paths[i], O_RDWR | O_CREAT, 0644);
		size_t n = i == 0 ? sizeof(chunk) : PG;
		off_t off = 0;
		ssize_t r;

		while ((r = daxfs_pwrite(f, chunk, n, off)) > 0)
			off += r;
		cr_assert_eq(r, -ENOSPC, "filling %s: %zd (%s): %s", paths[i],
			     r, test_errname(r), daxfs_errormsg());
		check_close(f);
	}
	CHECK_OK(daxfs_statfs(fs, &sv));
	cr_assert_eq(sv.f_bfree, 0, "%lu blocks still free",
		     (unsigned long)sv.f_bfree);
}

/* Create empty files until no inode is left. */
static void fill_inodes(daxfs *fs)
{
	char path[32];
	int i, r = 0;

	for (i = 0; i < 100000 && r == 0; i++) {
		daxfs_file *f = NULL;

		snprintf(path, sizeof(path), "/n%d", i);
		r = daxfs_open(fs, path, O_RDWR | O_CREAT, 0644, &f);
		if (r == 0)
			check_close(f);
	}
	cr_assert_eq(r, -ENOSPC, "filling inodes: %d (%s): %s", r,
		     test_errname(r), daxfs_errormsg());
}

/* Point /f's first block at a block past the end of the file system. */
static void corrupt_f(const char *img, uint64_t ino)
{
	struct check_geom g;
	uint64_t off;

	check_geom(img, &g);
	off = check_inode_off(img, &g, (uint32_t)ino);
	check_raw_put_le32(img, off + 40 /* i_block[0] */, g.blocks_count + 7);
}

/* Make the fixture's file system and open its handles. */
static void fixture_up(struct ectx *c, enum fixture fix)
{
	uint32_t bs = fix == FIX_SMALLBLK ? 1024 : 4096;
	uint32_t inodes = fix == FIX_NOINODE ? 16 : 0;
	unsigned flags = fix == FIX_RO ? DAXFS_MOUNT_RDONLY : 0;
	struct stat st;

	c->fix = fix;
	c->fs = check_new_fs("errors", IMG_SIZE, bs, inodes, &c->img);
	build_tree(c->fs);
	if (fix == FIX_FULL) {
		build_full_dir(c->fs);
		fill_blocks(c->fs);
	}
	if (fix == FIX_NOINODE)
		fill_inodes(c->fs);
	CHECK_OK(daxfs_stat(c->fs, "/f", &st));
	if (fix == FIX_RO || fix == FIX_CORRUPT) {
		check_unmount(c->fs);
		if (fix == FIX_CORRUPT)
			corrupt_f(c->img, st.st_ino);
		c->fs = check_mount(c->img, flags);
	}
	c->ro = check_open(c->fs, "/f", O_RDONLY, 0);
	if (fix != FIX_RO) {
		c->wo = check_open(c->fs, "/f", O_WRONLY, 0);
		c->rw = check_open(c->fs, "/f", O_RDWR, 0);
	}
	c->dh = check_open(c->fs, "/d", O_RDONLY, 0);
	c->none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(c->none != MAP_FAILED);
}

/* Fill the long names a case may use. */
static void fixture_names(struct ectx *c)
{
	c->longpath[0] = '/';
	memset(c->longpath + 1, 'a', PATH_MAX - 1);
	c->longpath[PATH_MAX] = '\0';
	c->longname[0] = '/';
	memset(c->longname + 1, 'n', 256);
	c->longname[257] = '\0';
	memset(c->longtarget, 't', PG);
	c->longtarget[PG] = '\0';
	memset(c->longlink, 'k', 100);
	c->longlink[100] = '\0';
}

/* Close what the case and the fixture left open, unmount, e2fsck. */
static void fixture_down(struct ectx *c)
{
	daxfs_file **fp[] = {&c->ro, &c->wo, &c->rw, &c->dh, &c->g, &c->opened};
	size_t i;

	if (c->mapped)
		CHECK_OK(daxfs_unmap(c->mapped, c->mapped_len));
	if (c->view)
		CHECK_OK(daxfs_unmap(c->view, c->view_len));
	for (i = 0; i < sizeof(fp) / sizeof(fp[0]); i++)
		if (*fp[i])
			check_close(*fp[i]);
	if (c->fs2)
		check_unmount(c->fs2);
	munmap(c->none, PG);
	if (!c->fs)
		return; /* a case unmounted it (wrongly) */
	if (c->fix == FIX_CORRUPT)
		check_unmount(c->fs); /* damaged on purpose: no e2fsck */
	else
		check_unmount_fsck(c->fs, c->img);
}

/* ------------------------------------------------------------------ */
/* The state a failed call must leave alone                            */
/* ------------------------------------------------------------------ */

struct snap {
	char *text;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void snap_add(struct snap *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->text + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		cr_assert(n >= 0);
		if (s->len + (size_t)n < s->cap)
			break;
		s->cap = (s->cap + (size_t)n) * 2;
		s->text = realloc(s->text, s->cap);
		cr_assert(s->text);
	}
	s->len += (size_t)n;
}

/* FNV-1a of a file's contents, read through the library. */
static uint64_t snap_hash(daxfs *fs, const char *path)
{
	static unsigned char buf[64 * 1024];
	daxfs_file *f = check_open(fs, path, O_RDONLY, 0);
	uint64_t h = 1469598103934665603ULL;
	off_t off = 0;
	ssize_t r, i;

	while ((r = daxfs_pread(f, buf, sizeof(buf), off)) > 0) {
		for (i = 0; i < r; i++)
			h = (h ^ buf[i]) * 1099511628211ULL;
		off += r;
	}
	CHECK_EQ(r, 0);
	check_close(f);
	return h;
}

struct names {
	char (*name)[256];
	size_t n;
};

/* daxfs_readdir callback: collect the names. */
static int names_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct names *ns = arg;

	(void)ino;
	(void)type;
	ns->name = realloc(ns->name, (ns->n + 1) * sizeof(*ns->name));
	cr_assert(ns->name);
	snprintf(ns->name[ns->n++], 256, "%s", name);
	return 0;
}

/* One line per name under dir (recursively): what stat, readlink and the
 * contents say. */
static void snap_dir(daxfs *fs, const char *dir, struct snap *s)
{
	struct names ns = {NULL, 0};
	char path[1024], target[256];
	struct stat st;
	size_t i;
	ssize_t n;

	CHECK_OK(daxfs_readdir(fs, dir, names_cb, &ns));
	for (i = 0; i < ns.n; i++) {
		if (!strcmp(ns.name[i], ".") || !strcmp(ns.name[i], ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "",
			 ns.name[i]);
		CHECK_OK(daxfs_stat(fs, path, &st));
		snap_add(s, "%s ino %llu mode %o links %llu size %lld m %lld "
			 "c %lld", path, (unsigned long long)st.st_ino,
			 st.st_mode, (unsigned long long)st.st_nlink,
			 (long long)st.st_size, (long long)st.st_mtime,
			 (long long)st.st_ctime);
		if (S_ISREG(st.st_mode))
			snap_add(s, " data %016llx",
				 (unsigned long long)snap_hash(fs, path));
		if (S_ISLNK(st.st_mode)) {
			n = daxfs_readlink(fs, path, target, sizeof(target) - 1);
			cr_assert(n >= 0);
			target[n] = '\0';
			snap_add(s, " -> %s", target);
		}
		snap_add(s, "\n");
		if (S_ISDIR(st.st_mode))
			snap_dir(fs, path, s);
	}
	free(ns.name);
}

/* The whole tree and the free counts, as text. */
static char *snapshot(daxfs *fs)
{
	struct snap s = {NULL, 0, 0};
	struct statvfs sv;
	struct stat st;

	CHECK_OK(daxfs_statfs(fs, &sv));
	CHECK_OK(daxfs_stat(fs, "/", &st));
	snap_add(&s, "free blocks %lu inodes %lu\n/ links %llu size %lld "
		 "m %lld c %lld\n", (unsigned long)sv.f_bfree,
		 (unsigned long)sv.f_ffree, (unsigned long long)st.st_nlink,
		 (long long)st.st_size, (long long)st.st_mtime,
		 (long long)st.st_ctime);
	snap_dir(fs, "/", &s);
	return s.text;
}

/* The first line where a and b differ. */
static void first_diff_line(const char *a, const char *b, char *out, size_t n)
{
	size_t i = 0, start = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n')
			start = i + 1;
		i++;
	}
	snprintf(out, n, "before: \"%.*s\" after: \"%.*s\"",
		 (int)strcspn(a + start, "\n"), a + start,
		 (int)strcspn(b + start, "\n"), b + start);
}

/* ------------------------------------------------------------------ */
/* The runner                                                          */
/* ------------------------------------------------------------------ */

/* One error path of one public call. */
struct ecase {
	const char *name;                 /* "call: situation" */
	const char *expr;                 /* the call, as written below */
	void (*setup)(struct ectx *);     /* NULL: the fixture as it is */
	long long (*call)(struct ectx *);
	int err;                          /* the errno expected (positive) */
	const char *needle;               /* the message must contain it */
};

/* The failure that comes first (on every fixture): a message about "x". */
#define PROVOKE_PATH "/x/y"

/* Does msg contain every '&'-separated part of needle (any case)? */
static bool mentions(const char *msg, const char *needle)
{
	char part[128];
	size_t n;

	while (*needle) {
		n = strcspn(needle, "&");
		snprintf(part, sizeof(part), "%.*s", (int)n, needle);
		if (!strcasestr(msg, part))
			return false;
		needle += n + (needle[n] == '&');
	}
	return true;
}

/* Does the message end in a colon (a reason left out)? */
static bool ends_in_colon(const char *m)
{
	size_t n = strlen(m);

	while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\n'))
		n--;
	return n > 0 && m[n - 1] == ':';
}

/* Check the return value and the message of one case. */
static void check_case(const struct ecase *ec, long long rc,
		       const char *before, const char *msg)
{
	cr_expect_eq(rc, -(long long)ec->err,
		     "[%s] %s = %lld (%s), expected -%s; message \"%s\"",
		     ec->name, ec->expr, rc, test_errname(rc),
		     test_errname(-(long long)ec->err), msg);
	cr_expect(strlen(msg) >= 8, "[%s] %s: message \"%s\" is empty",
		  ec->name, ec->expr, msg);
	cr_expect(strcmp(msg, before) != 0, "[%s] %s: the message is still "
		  "the earlier failure's: \"%s\"", ec->name, ec->expr, msg);
	cr_expect(mentions(msg, ec->needle), "[%s] %s: message "
		  "\"%s\" does not mention \"%s\"", ec->name, ec->expr, msg,
		  ec->needle);
	cr_expect(!ends_in_colon(msg), "[%s] %s: message \"%s\" stops at a "
		  "colon", ec->name, ec->expr, msg);
}

/* Set the fixture up, provoke, run the case, check, tear down. */
static void run_case(const struct ecase *ec, enum fixture fix)
{
	static struct ectx c;
	char before[512], msg[512], diff[600];
	char *snap0, *snap1;
	long long rc;

	memset(&c, 0, sizeof(c));
	fixture_names(&c);
	fixture_up(&c, fix);
	if (ec->setup)
		ec->setup(&c);
	snap0 = fix == FIX_CORRUPT ? NULL : snapshot(c.fs);
	CHECK_ERR_MSG(daxfs_stat(c.fs, PROVOKE_PATH, &c.st), ENOENT, "x");
	snprintf(before, sizeof(before), "%s", daxfs_errormsg());
	rc = ec->call(&c);
	snprintf(msg, sizeof(msg), "%s", daxfs_errormsg());
	if (getenv("DAXFS_ERRTEST_VERBOSE"))
		fprintf(stderr, "errors: [%s] %s = %lld (%s): \"%s\"\n",
			ec->name, ec->expr, rc, test_errname(rc), msg);
	check_case(ec, rc, before, msg);
	if (snap0 && c.fs) {
		snap1 = snapshot(c.fs);
		first_diff_line(snap0, snap1, diff, sizeof(diff));
		cr_expect_str_eq(snap0, snap1, "[%s] %s changed the file "
				 "system: %s", ec->name, ec->expr, diff);
		free(snap1);
	}
	free(snap0);
	if (c.aux_absent)
		cr_expect(access(c.aux, F_OK) != 0 && errno == ENOENT,
			  "[%s] %s left %s behind", ec->name, ec->expr, c.aux);
	fixture_down(&c);
}

/* Define a case's call as a function of the context c. */
#define EC_FN(id, setup, expr, err, needle)                                  \
	static long long call_##id(struct ectx *c)                           \
	{                                                                    \
		(void)c;                                                     \
		return (long long)(expr);                                    \
	}
/* A case's row in its table. */
#define EC_ROW(id, setup, expr, err, needle)                                 \
	{#id, #expr, setup, call_##id, err, needle},

/*
 * One parameterized test per fixture, over its table.  The parameters are
 * indices: Criterion may run a test in a fresh image of the program, where
 * the table's pointers would not hold.
 */
#define EC_GROUP(group, fix, LIST)                                           \
	LIST(EC_FN)                                                          \
	static const struct ecase group##_cases[] = {LIST(EC_ROW)};          \
	ParameterizedTestParameters(errors, group)                           \
	{                                                                    \
		static int idx[sizeof(group##_cases) /                       \
			       sizeof(group##_cases[0])];                    \
		size_t i;                                                    \
                                                                             \
		for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)           \
			idx[i] = (int)i;                                     \
		return cr_make_param_array(int, idx,                         \
					   sizeof(idx) / sizeof(idx[0]));    \
	}                                                                    \
	ParameterizedTest(int *i, errors, group)                             \
	{                                                                    \
		run_case(&group##_cases[*i], fix);                           \
	}

#include "test_errors_cases.h"

/* daxfs_version, daxfs_errormsg and daxfs_mount_warning cannot fail;
 * reading the message does not change it, nor does reading the warning. */
Test(errors, no_failure)
{
	const char *img;
	daxfs *fs = check_new_fs("errors", IMG_SIZE, 0, 0, &img);
	char before[512];
	struct stat st;

	cr_assert_str_eq(daxfs_version(), "0.1.0");
	CHECK_ERR_MSG(daxfs_stat(fs, PROVOKE_PATH, &st), ENOENT, "x");
	snprintf(before, sizeof(before), "%s", daxfs_errormsg());
	cr_assert_str_eq(daxfs_errormsg(), before);
	cr_assert_str_eq(daxfs_mount_warning(fs), "");
	cr_assert_str_eq(daxfs_mount_warning(NULL), "");
	cr_assert_str_eq(daxfs_errormsg(), before);
	check_unmount_fsck(fs, img);
}
