/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * interop_util.h -- helpers for the interoperability tests: temporary
 * images on /dev/shm, running the real e2fsprogs tools (mke2fs, e2fsck,
 * debugfs, dumpe2fs) and the kernel's mount, deterministic data patterns,
 * and comparing a libdaxfs tree with a host directory.
 *
 * Every function here is prefixed iu_ so that it cannot clash with the
 * other helpers linked into the same static test library.
 */
#ifndef INTEROP_UTIL_H
#define INTEROP_UTIL_H 1

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "daxfs.h"

/* ------------------------------------------------------------------ */
/* Assertions on libdaxfs calls                                        */
/* ------------------------------------------------------------------ */

/* Assert that a libdaxfs call returns exactly 0. */
#define IU_OK(call)                                                          \
	do {                                                                 \
		long long iu_r_ = (long long)(call);                         \
		cr_assert_eq(iu_r_, 0, "%s = %lld (%s): %s", #call, iu_r_,   \
			     iu_r_ < 0 ? strerror((int)-iu_r_) : "?",        \
			     daxfs_errormsg());                              \
	} while (0)

/* Assert that a libdaxfs call returns exactly the value want. */
#define IU_EQ(call, want)                                                    \
	do {                                                                 \
		long long iu_r_ = (long long)(call);                         \
		long long iu_w_ = (long long)(want);                         \
		cr_assert_eq(iu_r_, iu_w_,                                   \
			     "%s = %lld (%s), want %lld: %s", #call, iu_r_,  \
			     iu_r_ < 0 ? strerror((int)-iu_r_) : "ok",       \
			     iu_w_, daxfs_errormsg());                       \
	} while (0)

/* ------------------------------------------------------------------ */
/* Temporary files                                                     */
/* ------------------------------------------------------------------ */

/*
 * A new unique path "/dev/shm/daxfs-iu-TAG-PID-XXXXXX".  The file is
 * created empty (so the name is reserved); the path is remembered and
 * removed by iu_cleanup().  Returns a malloc'd string owned by the helper
 * list (do not free).
 */
const char *iu_tmp_image(const char *tag);

/* The same, but a path that does not exist (for "missing file" cases). */
const char *iu_tmp_missing(const char *tag);

/* A new unique empty directory under /dev/shm, removed recursively by
 * iu_cleanup(). */
const char *iu_tmp_dir(const char *tag);

/* Unmount everything iu_kmount() mounted, detach their loop devices and
 * remove every temporary path made above.  Safe to call more than once. */
void iu_cleanup(void);

/* Remove a path recursively (like rm -rf); 0 on success. */
int iu_rm_rf(const char *path);

/* ------------------------------------------------------------------ */
/* Running commands                                                    */
/* ------------------------------------------------------------------ */

/*
 * Run argv[0] with the arguments argv (NULL-terminated) without a shell.
 * If out is not NULL, *out receives the child's stdout (malloc'd, NUL
 * terminated, binary safe with *outlen).  If err is not NULL it receives
 * stderr likewise; otherwise stderr is captured and dropped.
 * Returns the exit status (0..255), 128+signal if killed, -1 if it could
 * not be run.
 */
int iu_run(const char *const argv[], char **out, size_t *outlen, char **err);

/* Run "/bin/sh -c CMD" (printf format).  Output is captured and printed to
 * stderr when the status is non-zero.  Returns the exit status. */
int iu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run "/bin/sh -c CMD" and return its stdout (malloc'd, NUL terminated;
 * *len gets the length if len is not NULL), or NULL if the status was not
 * zero. */
char *iu_sh_capture(size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* e2fsprogs                                                           */
/* ------------------------------------------------------------------ */

/* mke2fs -q -F -t ext2 -b BS [extra...] IMAGE SIZE_KIB"k".  extra may be
 * NULL.  Returns the exit status (output printed on failure). */
int iu_mke2fs(const char *img, unsigned bs, uint64_t size_bytes,
	      const char *const extra[]);

/* e2fsck -fn IMAGE; prints its output to stderr when the status is not
 * 0.  Returns the exit status. */
int iu_e2fsck(const char *img);

/* e2fsck -fn IMAGE, returning its exit status and its combined output
 * (malloc'd) in *out. */
int iu_e2fsck_out(const char *img, char **out);

/* debugfs -R CMD IMAGE: returns stdout (malloc'd, binary safe, *len set
 * if len != NULL); *err (if err != NULL) gets stderr without the version
 * banner line.  Returns NULL only if debugfs could not be run. */
char *iu_debugfs(const char *img, const char *cmd, size_t *len, char **err);

/*
 * debugfs -w -f CMDFILE IMAGE with the newline-separated commands cmds.
 * Returns 0 when debugfs exited 0 and printed nothing to stderr besides its
 * version banner; otherwise prints what it said and returns non-zero.
 */
int iu_debugfs_w(const char *img, const char *cmds);

/*
 * debugfs -f CMDFILE IMAGE (read-only) with the newline-separated commands
 * cmds.  Returns its stdout (malloc'd), in which debugfs echoes every
 * command as a line "debugfs: CMD" before the command's output; NULL if
 * debugfs could not be run.  *err (if not NULL) gets stderr without the
 * version banner.
 */
char *iu_debugfs_batch(const char *img, const char *cmds, char **err);

/* A file's inode as debugfs "stat" shows it. */
struct iu_dstat {
	char type[16];     /* "regular", "directory", "symlink", ... */
	unsigned mode;     /* permission bits (Mode: field, octal) */
	unsigned links;    /* Links: */
	uint64_t size;     /* Size: */
	unsigned flags;    /* Flags: (hex) */
	uint64_t ino;      /* Inode: */
	uint64_t blockcount; /* Blockcount: (512-byte units) */
	char fastlink[64]; /* Fast link dest, "" if none */
	bool has_fastlink;
	int64_t atime, mtime, ctime; /* seconds (the 32-bit on-disk fields) */
	unsigned uid, gid;
};

/* debugfs -R "stat PATH": 0 and *st on success, -1 if not found. */
int iu_debugfs_stat(const char *img, const char *path, struct iu_dstat *st);

/* Parse one "stat" output block (as printed by debugfs). 0 on success. */
int iu_parse_dstat(const char *text, struct iu_dstat *st);

/* The target of the symlink PATH as debugfs sees it (malloc'd), or NULL. */
char *iu_debugfs_readlink(const char *img, const char *path);

/* debugfs -R "cat PATH": the file's bytes (malloc'd), NULL if not found. */
char *iu_debugfs_cat(const char *img, const char *path, size_t *len);

/* One entry of debugfs "ls -p". */
struct iu_dent {
	uint64_t ino;
	unsigned mode; /* full mode, type bits included */
	char name[256];
	uint64_t size; /* as shown (0 when not shown) */
};

/* debugfs -R "ls -p DIR": fills *ents (malloc'd array) and returns the
 * number of entries ("." and ".." included), or -1 on error. */
int iu_debugfs_ls(const char *img, const char *dir, struct iu_dent **ents);

/* debugfs -R "bmap PATH LBLK": the physical block, 0 for a hole, -1 on
 * error. */
long long iu_debugfs_bmap(const char *img, const char *path, uint64_t lblk);

/* The value of a dumpe2fs -h field ("Filesystem state", "Block size", ...)
 * with surrounding blanks removed (malloc'd), or NULL. */
char *iu_dumpe2fs_field(const char *img, const char *field);

/* ------------------------------------------------------------------ */
/* The kernel                                                          */
/* ------------------------------------------------------------------ */

/* Whether we are root and "mount -t ext2 -o loop" works here; when it
 * does not, *why gets a reason (static string or malloc'd). */
bool iu_kernel_mount_works(const char **why);

/* mount -t ext2 -o loop[,ro] IMG MNT.  Remembered for iu_cleanup(). */
int iu_kmount(const char *img, const char *mnt, bool ro);

/* umount MNT (and forget it).  Returns the exit status. */
int iu_kumount(const char *mnt);

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

/* Fill buf with the pattern of stream seed starting at absolute offset
 * off: byte i is a function of (seed, off + i) only, so any range of a
 * file can be regenerated. */
void iu_fill(void *buf, size_t len, uint64_t seed, uint64_t off);

/* Index of the first differing byte of a and b, or (size_t)-1. */
size_t iu_first_diff(const void *a, const void *b, size_t len);

/* Create (or replace) the host file path with size bytes of iu_fill(seed)
 * data.  0 on success. */
int iu_write_host_file(const char *path, uint64_t size, uint64_t seed);

/* Read a whole host file into a malloc'd buffer; NULL on error. */
char *iu_read_host_file(const char *path, size_t *len);

/* Write len bytes to a host file (create/truncate).  0 on success. */
int iu_write_host_bytes(const char *path, const void *buf, size_t len);

/* A small deterministic PRNG (splitmix64). */
uint64_t iu_rand(uint64_t *state);

/* ------------------------------------------------------------------ */
/* Comparing trees                                                     */
/* ------------------------------------------------------------------ */

#define IU_CMP_MODE 0x1     /* compare permission bits */
#define IU_CMP_NLINK 0x2    /* compare link counts */
#define IU_CMP_SKIP_LF 0x4  /* ignore lost+found in the top directory */

/*
 * Compare the libdaxfs tree at fsdir with the host tree at hostdir:
 * the same names in every directory, the same types, the same sizes and
 * bytes of regular files, the same symlink targets (and modes/link counts
 * per flags).  Returns 0 if equal; otherwise -1 with a description of the
 * first difference in msg.  *nfiles (if not NULL) counts compared entries.
 */
int iu_compare_tree(daxfs *fs, const char *fsdir, const char *hostdir,
		    unsigned flags, char *msg, size_t msglen, size_t *nfiles);

/*
 * Compare two host trees (e.g. the expected staging directory and a kernel
 * mount of the image) the same way: names, types, sizes, bytes, symlink
 * targets, and modes/link counts per flags.  IU_CMP_SKIP_LF ignores
 * lost+found at the top of either.  0 if equal, else -1 and msg.
 */
int iu_compare_host_trees(const char *want, const char *got, unsigned flags,
			  char *msg, size_t msglen, size_t *nfiles);

/* Read a whole libdaxfs file (at most max bytes) into a malloc'd buffer.
 * Returns the number of bytes read or a negative errno. */
ssize_t iu_dax_read_all(daxfs *fs, const char *path, char **buf, size_t max);

/* Create/replace a libdaxfs file with len bytes of buf.  Returns 0 or a
 * negative errno. */
int iu_dax_write_file(daxfs *fs, const char *path, const void *buf,
		      size_t len, mode_t mode);

/* Names of a libdaxfs directory ("." and ".." excluded), sorted,
 * malloc'd array of malloc'd strings; returns the count or a negative
 * errno.  types[i] / inos[i] get the readdir type / inode if not NULL. */
int iu_dax_list(daxfs *fs, const char *dir, char ***names, unsigned **types,
		uint64_t **inos);

void iu_free_list(char **names, int n);

#endif /* INTEROP_UTIL_H */
