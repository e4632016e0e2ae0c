/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.h -- test helpers that need no Criterion (tests/util/common.c).
 *
 * Both the Criterion tests and the standalone ThreadSanitizer programs of
 * tests/tsan/ link these (Criterion cannot run under TSan).  Nothing here
 * asserts: a helper returns a status, -1 or NULL and leaves the verdict to
 * the caller.  The asserting wrappers of the Criterion tests are in
 * check.h; the SIGBUS probes, the watchdog and forked scenarios in probe.h.
 *
 * Layout: errors and time; temporary paths on /dev/shm; running programs;
 * e2fsprogs as oracles (mke2fs, e2fsck, debugfs, dumpe2fs); deterministic
 * data; host files; mkfs + mount without assertions.
 */
#ifndef DAXFS_TEST_COMMON_H
#define DAXFS_TEST_COMMON_H 1

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daxfs.h"

#define TEST_KIB (1024ULL)
#define TEST_MIB (1024ULL * 1024ULL)
#define TEST_PAGE 4096ULL

/* ---- errors and time ------------------------------------------------ */

/* "ENOENT" for -ENOENT, "OK" for values >= 0, "errno N" otherwise. */
const char *test_errname(long long rc);

/* Monotonic seconds. */
double test_now(void);

/* Sleep ms milliseconds / us microseconds (no signal ends it early). */
void test_sleep_ms(long ms);
void test_sleep_us(long us);

/*
 * The first failure of several threads: test_fail() keeps the first
 * message (with daxfs_errormsg() appended) and counts them all.
 */
struct test_err {
	atomic_int count;
	char msg[1024];
};
__attribute__((format(printf, 2, 3))) void test_fail(struct test_err *e,
						     const char *fmt, ...);

/*
 * If from recorded a failure, record it in to too, as "WHO: its message"
 * (from's message already holds its thread's daxfs_errormsg()).  Returns
 * whether from had failed.
 */
bool test_fail_pass(struct test_err *to, const char *who,
		    const struct test_err *from);

/* ---- temporary paths on /dev/shm ------------------------------------ */

/*
 * Write into buf a path under /dev/shm that no other test, process or call
 * uses: "/dev/shm/daxfs-test-TAG-PID-N" (N counts up per process).  The file
 * is not created; any stale file of that name is removed.  Returns buf.
 * Regions on /dev/shm are RAM: run with PMEM2_FORCE_GRANULARITY=CACHE_LINE
 * (ctest sets it; the helpers below set it when unset) to emulate pmem.
 */
char *test_shm_path(char *buf, size_t len, const char *tag);

/* True if path names a test_shm_path() of a process that is gone. */
bool test_shm_path_stale(const char *path);

/*
 * Unique paths from test_shm_path() that are remembered and removed
 * (recursively) by test_cleanup().  The strings live until then.
 * test_image_path() does not create the file, test_tmp_file() creates it
 * empty, test_tmp_dir() creates a directory (both: NULL on failure).  The
 * first call of a process also removes what crashed test processes left.
 */
const char *test_image_path(const char *tag);
const char *test_tmp_file(const char *tag);
const char *test_tmp_dir(const char *tag);

/*
 * Remove every path the calling process made above; use it as a suite's
 * .fini.  It also runs at exit.  Safe to call more than once.
 */
void test_cleanup(void);

/* Remove /dev/shm entries of test processes that are gone (see above). */
void test_remove_stale(void);

/* Remove a path recursively (like rm -rf); 0 on success or if missing. */
int test_rm_rf(const char *path);

/*
 * Write into buf the path of the helper program NAME (tests/progs/NAME.c),
 * built in the tests build directory that ctest passes in the environment
 * variable DAXFS_TEST_BIN.  Returns buf, or NULL if DAXFS_TEST_BIN is unset.
 */
char *test_prog_path(char *buf, size_t len, const char *name);

/* ---- running programs ----------------------------------------------- */

/* test_run() flag: stderr goes into *out, interleaved with stdout. */
#define TEST_RUN_MERGE 0x1

/*
 * Run argv (NULL-terminated) without a shell; argv[0] is looked up in PATH,
 * /usr/sbin and /sbin.  The child's stdin is /dev/null, its environment
 * ours in the C locale without pagers.  *out (if out) gets its stdout,
 * malloc'd, NUL-terminated and binary safe with *outlen (if outlen); *err
 * (if err) its stderr likewise, else stderr is dropped; with
 * TEST_RUN_MERGE stderr goes into *out instead (err must be NULL).
 * Returns the exit status, 128+signal if killed, -1 if it could not run.
 */
int test_run(const char *const argv[], unsigned flags, char **out,
	     size_t *outlen, char **err);

/* Run "/bin/sh -c CMD" (printf format): the exit status.  Its stdout and
 * stderr are printed to stderr when the status is not 0. */
__attribute__((format(printf, 1, 2))) int test_sh(const char *fmt, ...);

/* Run "/bin/sh -c CMD": its stdout (malloc'd, *len set if len), or NULL
 * (what it printed shown on stderr) if the status was not 0. */
__attribute__((format(printf, 2, 3))) char *test_sh_capture(size_t *len,
							    const char *fmt,
							    ...);

/* ---- e2fsprogs ------------------------------------------------------ */

/* "mke2fs -q -F -t ext2 -b BS [extra...] IMG SIZE_KIB"k"" (extra may be
 * NULL).  Returns the exit status; the output is printed on failure. */
int test_mke2fs(const char *img, unsigned bs, uint64_t size_bytes,
		const char *const extra[]);

/*
 * "e2fsck -fn IMG": the exit status.  With out, *out gets its output
 * (stdout and stderr, malloc'd); without, the output is printed to stderr
 * when the status is not 0.
 */
int test_e2fsck(const char *img, char **out);

/*
 * "debugfs -R CMD IMG": its stdout (malloc'd, binary safe, *len set if
 * len); *err (if err) gets stderr without the version banner.  NULL only
 * if debugfs could not be run.
 */
char *test_debugfs(const char *img, const char *cmd, size_t *len, char **err);

/*
 * debugfs CMD on an image the test still has mounted: opened with
 * "open -f", past the INCOMPAT bit libdaxfs sets while mounted (which
 * stops e2fsprogs, as it should, everywhere else).  Output as
 * test_debugfs_batch.
 */
char *test_debugfs_live(const char *img, const char *cmd, char **err);

/* Where libdaxfs's undo journal (inode 5's blocks, contiguous) lies in
 * img (unmounted): 0, or -1 if it has none. */
int test_log_extent(const char *img, uint64_t *off, uint64_t *len);

/*
 * "debugfs -f CMDFILE IMG" (read-only) with the newline-separated commands
 * cmds.  Returns its stdout (malloc'd), in which debugfs echoes every
 * command as a line "debugfs: CMD" before the command's output; NULL if
 * debugfs could not be run.  *err (if err) gets stderr without the banner.
 */
char *test_debugfs_batch(const char *img, const char *cmds, char **err);

/*
 * "debugfs -w -f CMDFILE IMG" with the newline-separated commands cmds.
 * Returns 0 when debugfs exited 0 and printed nothing to stderr besides its
 * version banner; otherwise prints what it said and returns non-zero.
 */
int test_debugfs_w(const char *img, const char *cmds);

/* A file's inode as debugfs "stat" shows it. */
struct test_dstat {
	char type[16];       /* "regular", "directory", "symlink", ... */
	unsigned mode;       /* permission bits (Mode: field, octal) */
	unsigned links;      /* Links: */
	uint64_t size;       /* Size: */
	unsigned flags;      /* Flags: (hex) */
	uint64_t ino;        /* Inode: */
	uint64_t blockcount; /* Blockcount: (512-byte units) */
	char fastlink[64];   /* Fast link dest, "" if none */
	bool has_fastlink;
	int64_t atime, mtime, ctime; /* seconds (the 32-bit on-disk fields) */
	unsigned uid, gid;
};

/* Parse one "stat" output block (as printed by debugfs).  0 on success. */
int test_parse_dstat(const char *text, struct test_dstat *st);

/* debugfs -R "stat PATH": 0 and *st on success, -1 if not found. */
int test_debugfs_stat(const char *img, const char *path,
		      struct test_dstat *st);

/* The target of the symlink PATH as debugfs sees it (malloc'd), or NULL. */
char *test_debugfs_readlink(const char *img, const char *path);

/* debugfs -R "cat PATH": the file's bytes (malloc'd), NULL if not found. */
char *test_debugfs_cat(const char *img, const char *path, size_t *len);

/* One entry of debugfs "ls -p". */
struct test_dent {
	uint64_t ino;
	unsigned mode; /* full mode, type bits included */
	char name[256];
	uint64_t size; /* as shown (0 when not shown) */
};

/*
 * Parse the output of debugfs "ls -p": fills *ents (malloc'd array) and
 * returns the number of entries ("." and ".." included, empty slots of
 * inode 0 not).
 */
int test_parse_ls(const char *text, struct test_dent **ents);

/* debugfs -R "ls -p DIR" parsed as above, or -1 on error. */
int test_debugfs_ls(const char *img, const char *dir,
		    struct test_dent **ents);

/* debugfs -R "bmap PATH LBLK": the physical block, 0 for a hole, -1 on
 * error. */
long long test_debugfs_bmap(const char *img, const char *path, uint64_t lblk);

/* The value of a "dumpe2fs -h" field ("Filesystem state", "Block size",
 * no colon) with surrounding blanks removed (malloc'd), or NULL. */
char *test_dumpe2fs_field(const char *img, const char *field);

/* ---- directories -------------------------------------------------- */

/* A daxfs_readdir() callback that counts the entries other than "." and
 * ".." into the int that arg points to. */
int test_count_cb(void *arg, const char *name, uint64_t ino, unsigned type);

/* ---- deterministic data --------------------------------------------- */

/* splitmix64 step: a small deterministic PRNG. */
uint64_t test_rand(uint64_t *state);

/* An ACL in the xattr form of system.posix_acl_access (version 2): owner
 * rw, user 1000 r, group r, mask r, other none. */
extern const uint8_t test_acl_xattr[44];

/* Fill buf with the bytes at offsets [off, off+len) of pattern seed: byte
 * i depends on (seed, off + i) only, so any range can be regenerated, and
 * is never 0, so a pattern is never mistaken for a hole. */
void test_pattern(void *buf, size_t len, uint64_t seed, uint64_t off);

/* Index of the first byte of buf that differs from the pattern, or -1. */
long test_pattern_mismatch(const void *buf, size_t len, uint64_t seed,
			   uint64_t off);

/* Index of the first non-zero byte, or -1. */
long test_first_nonzero(const void *buf, size_t len);

/* Index of the first byte where a and b differ, or -1. */
long test_first_diff(const void *a, const void *b, size_t len);

/* ---- host files ----------------------------------------------------- */

/* A whole file in a malloc'd, NUL-terminated buffer (*len set if len);
 * NULL on error. */
char *test_read_file(const char *path, size_t *len);

/* Create or replace the file path with len bytes of buf.  0 or -1. */
int test_write_file(const char *path, const void *buf, size_t len);

/* Create or replace the file path with size bytes of pattern seed.  0 or
 * -1. */
int test_write_pattern_file(const char *path, uint64_t size, uint64_t seed);

/* Size of a file, -1 if missing. */
long long test_file_size(const char *path);

/* The process's anonymous resident memory (RssAnon of /proc/self/status),
 * bytes; 0 if it cannot be read.  A region on /dev/shm is shared memory
 * and not counted. */
uint64_t test_rss_anon(void);

/* ---- libdaxfs without assertions ------------------------------------ */

/* daxfs_mkfs with these options (0 = default): its result. */
int test_mkfs(const char *path, uint64_t size, uint32_t block_size,
	      uint32_t inodes);

/* test_mkfs, then daxfs_mount(path, 0, fs): 0 or the negative errno of
 * the step that failed. */
int test_mkfs_mount(const char *path, uint64_t size, uint32_t block_size,
		    uint32_t inodes, daxfs **fs);

#endif /* DAXFS_TEST_COMMON_H */
