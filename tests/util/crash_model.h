/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_model.h -- the model of a tree that the crash tests judge file
 * systems against (tests/util/crash_model.c): the operation kinds, the
 * seeded workload (which operation, on what), what each operation does to
 * the model and to a file system, the walk of a mounted image and the
 * judge that compares it with the model before and after an operation in
 * flight.  It uses the public API only (no test hooks): the crash-state
 * harness (crash.c, unit tests) and the process-kill test (test_kill.c)
 * both build on it.
 */
#ifndef DAXFS_TEST_CRASH_MODEL_H
#define DAXFS_TEST_CRASH_MODEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daxfs.h"

/* Operation kinds: the rows of the tables. */
enum crash_kind {
	CK_MOUNT,        /* daxfs_mount of the fresh image */
	CK_CREATE,       /* open O_CREAT|O_EXCL, close */
	CK_MKDIR,
	CK_SYMLINK,      /* fast (in the inode) or slow (a block) */
	CK_LINK,
	CK_UNLINK,
	CK_RMDIR,
	CK_RENAME_NEW,   /* a file to a new name, maybe another directory */
	CK_RENAME_FILE,  /* a file over another file */
	CK_RENAME_DIR,   /* a directory over an empty directory */
	CK_RENAME_MOVE,  /* a directory into another one ("..") */
	CK_TRUNC_UP,
	CK_TRUNC_DOWN,
	CK_WRITE_ALLOC,  /* a write past EOF, leaving a hole */
	CK_APPEND,
	CK_OVERWRITE,    /* bytes written before */
	CK_ATOMIC,       /* daxfs_pwrite2 DAXFS_WRITE_ATOMIC over bytes
			    written before, maybe past EOF */
	CK_LAZY,         /* daxfs_pwrite2 DAXFS_WRITE_LAZY over bytes
			    written before, then daxfs_fsync */
	CK_FALLOC,       /* daxfs_fallocate mode 0, maybe past EOF */
	CK_PUNCH,        /* daxfs_fallocate PUNCH_HOLE|KEEP_SIZE: whole
			    blocks and ends of at most 1 KiB (one step) */
	CK_CHMOD,        /* any of 07777 (an access ACL follows) */
	CK_CHOWN,        /* owner and/or group (set-user-ID cleared) */
	CK_UTIMENS,      /* explicit access and modification times */
	CK_MKNOD,        /* a FIFO or a character device */
	CK_SETXATTR,     /* user.*: new or replaced, 1 B to 1.5 KiB */
	CK_RMXATTR,      /* daxfs_removexattr (an ACL too) */
	CK_ACL,          /* setxattr system.posix_acl_access: sets the
			    mode; one the mode says whole is not kept */
	CK_UNMOUNT,
	CK_NKINDS
};

/* "create", "rename-dir", ... */
const char *crash_kind_name(int kind);

#define M_GEN_PATH 64   /* longest path the workload makes, NUL included */
#define M_PATH 72       /* path buffers: room for a caller's prefix */
#define M_TARGET 128    /* longest symlink target, NUL included */
#define M_ENTS 96       /* names in the tree ("/" and lost+found too) */
#define M_OBJS 96       /* files, directories, symlinks */
#define M_WRITES 10     /* writes remembered per file */
#define M_FILE_MAX (96 * 1024) /* largest file (crosses into indirect) */
#define M_DATA_MAX (1536 * 1024) /* all files' bytes: the region is 4 MiB */
#define M_XATTRS 6      /* extended attributes per object */
#define M_XNAME 24      /* longest attribute name, NUL included */
#define M_XBLOCK 3600   /* most bytes of an object's attributes (names and
			   values as the calls carry them): a 4 KiB block */

/* One write of the pattern seed at [off, off+len) (test_pattern()); seed
 * 0: zeros (a punched hole). */
struct mwrite {
	uint64_t off, len, seed;
};

/* An extended attribute: a user.* value of the pattern seed (len
 * bytes), or an access ACL (acl_*() in crash_model.c: seed holds its
 * entries' permissions and the named user). */
struct mxattr {
	char name[M_XNAME];
	uint32_t len;
	uint64_t seed;
};

/* A file, directory, symlink or special file (an inode) of the model. */
struct mobj {
	char type;              /* 0 free, 'f' file, 'd' directory, 'l' link,
				   'p' FIFO, 'c' character device */
	unsigned nlink;         /* files: names of it; else computed */
	uint64_t size;          /* files */
	int nw;                 /* writes, oldest first, clipped to size */
	struct mwrite w[M_WRITES];
	char target[M_TARGET];  /* symlinks */
	uint32_t mode;          /* permission bits (07777) */
	uint32_t uid, gid;
	bool tknown;            /* atime and mtime are a utimens's, and no
				   operation changed mtime since */
	int64_t atime, mtime;
	uint32_t major, minor;  /* devices */
	int nx;                 /* extended attributes, in no order */
	struct mxattr x[M_XATTRS];
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
	char fixed[M_PATH];     /* a directory never renamed or removed */
	char held[M_PATH];      /* the file the last operation appended or
				   wrote atomically to: its handle stays
				   open for more (model_exec), so that they
				   use blocks taken ahead (ext2/prealloc.c) */
};

/* One operation of the workload. */
struct crash_op {
	int kind;               /* enum crash_kind */
	char a[M_PATH];         /* the path it acts on (from, target) */
	char b[M_PATH];         /* the second path (to, link) */
	char target[M_TARGET];  /* symlink's target */
	uint64_t off, len, seed;/* writes: range and pattern; truncate: off;
				   setxattr, acl: value's length and seed */
	uint32_t mode;          /* chmod; mknod: with the type */
	uint32_t uid, gid;      /* chown ((uint32_t)-1 keeps); mknod: major,
				   minor */
	int64_t atime, mtime;   /* utimens (seconds; seed: nanoseconds) */
	char name[M_XNAME];     /* setxattr, removexattr, acl */
};

/* The model of a fresh file system: "/" and "/lost+found". */
void model_init(struct model *m);

/* The files "/v0".."/v2" that share one attribute block (user.shared),
 * as the kernel's mbcache shares identical blocks: crash_seed_shared()
 * made them on the image; add them to the model m. */
void model_shared(struct model *m);

/* Make those files under dir ("" for "/") of the unmounted image img:
 * created and given the attribute through libdaxfs (which never shares
 * a block), then the first one's block given to the others and its
 * refcount set with debugfs and a store, as the kernel leaves them.
 * 0, or -1 with a message on stderr. */
int crash_seed_shared(const char *img, const char *dir);

/* Choose operation number i of the seeded workload for the tree m (which
 * it does not change). */
void model_gen(const struct model *m, uint64_t *rng, int i,
	       struct crash_op *op);

/* Apply op to the model. */
void model_apply(struct model *m, const struct crash_op *op);

/* Run op on fs: 0, or a negative errno (daxfs_errormsg() says why).  An
 * append or an atomic write leaves its file open in the calling thread
 * until the thread's next operation, unless that is another of them to
 * the same file. */
int model_exec(daxfs *fs, const struct crash_op *op);

/* Close the file the thread's last append left open (before unmount):
 * 0 or a negative errno. */
int model_exec_end(void);

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

#define M_WALK (4 * M_ENTS + 8) /* names a walk holds: four trees */

/* One name found by the walk. */
struct gent {
	char path[M_PATH];
	char type;              /* 'f', 'd', 'l', 'p', 'c', '?' (unreadable) */
	unsigned nlink;
	uint64_t size, ino;
	bool dotdot_ok;         /* directories: ".." names the parent */
	unsigned char *data;    /* files: contents; links: target */
	uint32_t mode, uid, gid, major, minor;
	int64_t atime, mtime;
	int nx;                 /* extended attributes: nx of "name\0",
				   4-byte length, value, in xattr */
	unsigned char *xattr;
};

/* What the walk found; overflow when it was more than M_WALK names. */
struct gtree {
	int n;
	struct gent e[M_WALK];
	bool overflow;
	char why[128];
};

/* Walk the mounted fs from "/": every name, stat, file contents, symlink
 * targets.  Returns a calloc'd tree (NULL if out of memory); the contents
 * it read are not freed (the walk runs in a child that exits). */
struct gtree *crash_walk(daxfs *fs);

/*
 * Judge the walked tree t against before (the model when op, the one in
 * flight, started) and after (when it returned); op may name no path (an
 * empty a: nothing in flight).  A name that is in neither state is the
 * op's half-done work if op changes it or names it (an argument, inside
 * or the parent of one, another name of its inode), else acknowledged
 * state lost.  why gets the first difference found.
 */
int crash_judge_tree(const struct gtree *t, const struct model *before,
		     const struct model *after, const struct crash_op *op,
		     char *why, size_t n);

/* crash_walk + crash_judge_tree: a CV_* verdict. */
int crash_judge(daxfs *fs, const struct model *before,
		const struct model *after, const struct crash_op *op,
		char *why, size_t n);

#endif /* DAXFS_TEST_CRASH_MODEL_H */
