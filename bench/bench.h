/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h -- the benchmark's backends: one small file API (open, pread,
 * pwrite, append, persist, create, stat, unlink, rename, map) implemented by
 * libdaxfs, the kernel (tmpfs and a loop-mounted ext2), libext2fs and the
 * memcpy limits, so that every operation is written once and timed the
 * same way on each of them.
 */
#ifndef DAXFS_BENCH_H
#define DAXFS_BENCH_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KIB (1024ULL)
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

/* Open flags of the bench API. */
#define BF_RDWR 0x1
#define BF_CREAT 0x2
#define BF_TRUNC 0x4
#define BF_APPEND 0x8

/* The columns of the report, in order. */
enum {
	B_DAXFS,
	B_TMPFS,
	B_KEXT2,
	B_E2FS,
	B_MEMCPY,
	B_PMEM2,
	NB
};

struct backend {
	int id;                 /* B_* */
	const char *name;       /* column title */
	char root[256];         /* path prefix of its files */
	bool mt;                /* may be called from several threads */
	bool slow;              /* run fewer operations per sample */
	void *priv;

	int (*open)(struct backend *be, const char *path, int flags, void **fh);
	int (*close)(struct backend *be, void *fh);
	ssize_t (*pread)(void *fh, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(void *fh, const void *buf, size_t len, off_t off);
	ssize_t (*append)(void *fh, const void *buf, size_t len);
	/* A write that a crash leaves all done or not at all (libdaxfs:
	 * DAXFS_WRITE_ATOMIC); NULL when the backend has none. */
	ssize_t (*pwrite_atomic)(void *fh, const void *buf, size_t len,
				 off_t off);
	/* Make what was written through fh durable; NULL when every write
	 * is durable when it returns. */
	int (*persist)(void *fh);
	int (*create)(struct backend *be, const char *path); /* + close */
	int (*stat)(struct backend *be, const char *path);
	int (*unlink)(struct backend *be, const char *path);
	/* Rename a file to a name that does not exist (same directory in
	 * the bench); NULL when the backend cannot. */
	int (*rename)(struct backend *be, const char *from, const char *to);
	int (*mkdir)(struct backend *be, const char *path);
	int (*map)(void *fh, size_t len, bool populate, void **addr);
	int (*unmap)(void *addr, size_t len);
	/* A sentence about error err (a negative value returned above). */
	const char *(*errstr)(struct backend *be, int err);
};

/* backends.c */
int be_daxfs_init(struct backend *be, const char *region, const char *root);
int be_daxfs_fini(struct backend *be);
void be_posix_init(struct backend *be, int id, const char *name,
		   const char *root);
int be_mem_init(struct backend *mc, struct backend *pm, const char *file,
		size_t slot_size, int nslots);
void be_mem_fini(struct backend *mc);
/* The store granularity libpmem2 chose for the limit mapping. */
const char *be_mem_granularity(struct backend *mc);

/* be_ext2fs.c */
int be_e2fs_init(struct backend *be, const char *image, const char *root,
		 char *why, size_t whylen);
int be_e2fs_fini(struct backend *be);

#endif
