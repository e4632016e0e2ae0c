/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_int.h -- what crash.c (recording, crash images, checking) and
 * crash_model.c (the model of the tree, the workload, the walk of an
 * image) share.  Not for tests: they use crash.h.
 */
#ifndef DAXFS_TEST_CRASH_INT_H
#define DAXFS_TEST_CRASH_INT_H 1

#include <stdbool.h>
#include <stdint.h>

#include "crash.h"
#include "daxfs.h"

#define M_PATH 64       /* longest path of the workload, NUL included */
#define M_TARGET 128    /* longest symlink target, NUL included */
#define M_ENTS 96       /* names in the tree ("/" and lost+found too) */
#define M_OBJS 96       /* files, directories, symlinks */
#define M_WRITES 10     /* writes remembered per file */
#define M_FILE_MAX (96 * 1024) /* largest file (crosses into indirect) */
#define M_DATA_MAX (1536 * 1024) /* all files' bytes: the region is 4 MiB */

/* One write of the pattern seed at [off, off+len) (test_pattern()). */
struct mwrite {
	uint64_t off, len, seed;
};

/* A file, directory or symlink (an inode) of the model. */
struct mobj {
	char type;              /* 0 free, 'f' file, 'd' directory, 'l' link */
	unsigned nlink;         /* files: names of it; else computed */
	uint64_t size;          /* files */
	int nw;                 /* writes, oldest first, clipped to size */
	struct mwrite w[M_WRITES];
	char target[M_TARGET];  /* symlinks */
};

/* One name: an absolute path and the object it names. */
struct ment {
	char path[M_PATH];
	int obj;
};

/* The tree as the workload left it after some operations. */
struct model {
	int nent;
	struct ment ent[M_ENTS];
	struct mobj obj[M_OBJS];
	unsigned next_name;     /* names are made unique by a counter */
};

/* One operation of the workload. */
struct crash_op {
	int kind;               /* enum crash_kind */
	char a[M_PATH];         /* the path it acts on (from, target) */
	char b[M_PATH];         /* the second path (to, link) */
	char target[M_TARGET];  /* symlink's target */
	uint64_t off, len, seed;/* writes: range and pattern; truncate: off */
};

/* The model of a fresh file system: "/" and "/lost+found". */
void model_init(struct model *m);

/* Choose operation number i of the seeded workload for the tree m (which
 * it does not change). */
void model_gen(const struct model *m, uint64_t *rng, int i,
	       struct crash_op *op);

/* Apply op to the model. */
void model_apply(struct model *m, const struct crash_op *op);

/* Run op on fs: 0, or a negative errno (daxfs_errormsg() says why). */
int model_exec(daxfs *fs, const struct crash_op *op);

/* "mkdir /d3", "append /d3/f5 [4096,+100)": op in words, into buf. */
const char *model_describe(const struct crash_op *op, char *buf, size_t n);

/* Verdicts of crash_judge(). */
enum crash_verdict {
	CV_OLD,        /* the tree is the model before the op in flight */
	CV_NEW,        /* ... after it */
	CV_HALF,       /* only paths the op touches differ, but not wholly */
	CV_LOST,       /* a path no op in flight touches is wrong */
	CV_MOUNT_FAIL, /* daxfs_mount failed with a negative errno */
	CV_NVERDICT
};

/*
 * Walk the mounted fs (every name, stat, file contents, symlink targets)
 * and judge it against before (the model when op, the one in flight,
 * started) and after (when it returned).  A name that is in neither
 * state is the op's half-done work if op changes it or names it (an
 * argument, inside or the parent of one, another name of its inode),
 * else acknowledged state lost.  why gets the first difference found.
 */
int crash_judge(daxfs *fs, const struct model *before,
		const struct model *after, const struct crash_op *op,
		char *why, size_t n);

#endif /* DAXFS_TEST_CRASH_INT_H */
