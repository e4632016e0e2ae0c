/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daxfs.h -- libdaxfs, an ext2-compatible file system served from
 * persistent memory in user space.
 *
 * libdaxfs maps a whole region (a devdax character device such as
 * /dev/dax0.0, or a regular file) once with libpmem2 and serves files from
 * it with loads, stores and cache flushes.  The on-media layout is ext2
 * (revision 1), so mke2fs, e2fsck, debugfs and the Linux ext2 driver can
 * read and check what libdaxfs writes.
 *
 * Conventions
 *   - Every call returns 0 (or a byte count) on success and a negative errno
 *     on failure.  daxfs_errormsg() then returns a sentence describing that
 *     failure of the calling thread: it starts with the call's name (and,
 *     for a call on an open file, the path it was opened with), then says
 *     what was wrong, e.g. 'daxfs_mkdir: "x" does not exist'.  Every call
 *     clears the message when it starts, so a message never belongs to an
 *     earlier call.  Errors are those Linux gives for the same request.
 *   - Paths are absolute within the file system ("/dir/file"); "." and ".."
 *     components are resolved, symbolic links are not followed (daxfs_readlink
 *     reads them).
 *   - A failed call changes nothing on the media, with one exception: a
 *     daxfs_rename that finds a directory damaged (-EUCLEAN, the file system
 *     is then marked with errors) after the new name was added may leave
 *     the new name beside the old one.
 *
 * Threading
 *   All calls are thread-safe.  Locks are per inode and per block group, so
 *   threads working on different files do not wait for each other.  A
 *   daxfs_file handle may be shared between threads; pread/pwrite carry
 *   their own offsets.  The daxfs_readdir() callback is called with no lock
 *   held and may call back into libdaxfs.
 *
 * Caveats
 *   - A region is mounted read-write by at most one daxfs handle at a
 *     time, system wide (an exclusive flock is held until daxfs_unmount):
 *     any other mount fails with -EBUSY.  Read-only mounts share it (a
 *     shared flock).  Do not mount it with the kernel at the same time.
 *   - Access times are not updated on read (as with the noatime option).
 *   - Lost memory (a poisoned line of real pmem, or a regular-file region
 *     that another process shrank under the mount): the copies of file
 *     data catch the SIGBUS.  daxfs_pread/daxfs_pwrite return -EIO (or the
 *     bytes before the bad part) with a message naming the file offset;
 *     daxfs_persist and daxfs_fsync return -EIO for stores they cannot
 *     make durable; an allocation whose new blocks cannot be zeroed fails
 *     with -EIO.  A load or store through a view of lost memory raises
 *     SIGBUS in the application, as the kernel's DAX does.  Metadata
 *     (superblock, bitmaps, inode tables, directories, indirect blocks,
 *     the journal) is read and written unguarded: lost memory there still
 *     kills the process.  daxfs_unmount writes the superblock, group
 *     descriptors and journal header, which lie at the region's start.
 *   - Crashes: every call that changes the file system is atomic across a
 *     crash (power cut or killed process) and durable when it returns; the
 *     next daxfs_mount recovers by itself (an undo journal in reserved
 *     inode 5, which daxfs_mkfs makes and a first read-write mount makes
 *     on other images): nothing acknowledged is lost, nothing is half
 *     done, and e2fsck finds nothing to fix.  Until then the image is
 *     marked with a private incompatible feature, so that the kernel and
 *     e2fsck refuse it rather than take a half-done call as valid.  Not
 *     atomic: the bytes of a pwrite that overwrites existing data (after
 *     a crash in the middle some bytes are new, some old: use
 *     daxfs_pwrite2() with DAXFS_WRITE_ATOMIC where that matters), and a
 *     pwrite that grows a file by many extents (it commits in steps: it
 *     may end at a shorter size, all of whose bytes were written), and
 *     a long daxfs_fallocate (steps too: see there).  A
 *     file system too small for the journal (about 264 KiB) has none, and
 *     its mount says so in daxfs_mount_warning().  A region left not clean by
 *     something else (the kernel's crash, errors) stays marked so through
 *     later mounts until e2fsck has checked it (daxfs_mount_warning()
 *     says so).
 *   - Durability: every call that changes the file system (mkdir, rmdir,
 *     unlink, rename, link, symlink, open with O_CREAT or O_TRUNC, pwrite,
 *     pwrite2 but with DAXFS_WRITE_LAZY, ftruncate, chmod, chown, utimens,
 *     mknod, setxattr, removexattr and their handle forms, unmount) has its
 *     change,
 *     data and metadata, persisted when it returns; stores through a view are durable after daxfs_persist()
 *     on them or daxfs_fsync() of the file.  (tests/unit/test_crash.c
 *     checks it at every fence of a workload.)  A crash in the middle of a
 *     call leaves it wholly done or not at all (see the caveat above).
 *     On a regular file outside a DAX file system,
 *     libpmem2 persists with msync (page granularity); set the environment
 *     variable PMEM2_FORCE_GRANULARITY=CACHE_LINE to emulate pmem (e.g. on
 *     /dev/shm) for tests and benchmarks.
 *   - Blocks taken ahead: a file being appended to (or written with
 *     DAXFS_WRITE_ATOMIC) holds up to 64 blocks past its end while it is
 *     open, so that appends need no allocation; daxfs_statfs counts them
 *     as used, st_blocks does not, and the last close gives them back
 *     (a crash: the next mount).  None are taken while less than a
 *     sixteenth of the file system is free, and a call that finds no
 *     free block (a write, fallocate, a create) has every open file give
 *     its back and runs once more: they never make another file's call
 *     fail with -ENOSPC.  (A store through a view into a hole, which
 *     allocates at its fault, does not wait for that: SIGBUS.)
 */
#ifndef DAXFS_H
#define DAXFS_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(DAXFS_BUILDING)
#define DAXFS_API __attribute__((visibility("default")))
#else
#define DAXFS_API
#endif

/* ------------------------------------------------------------------ */
/* Versions                                                            */
/* ------------------------------------------------------------------ */

#define DAXFS_VERSION_MAJOR 0
#define DAXFS_VERSION_MINOR 1
#define DAXFS_VERSION_PATCH 0

/* The version of the library linked at run time, as "major.minor.patch". */
DAXFS_API const char *daxfs_version(void);

/* ------------------------------------------------------------------ */
/* Handles                                                             */
/* ------------------------------------------------------------------ */

typedef struct daxfs daxfs;           /* a mounted region */
typedef struct daxfs_file daxfs_file; /* an open file */

/* ------------------------------------------------------------------ */
/* Regions: creating, mounting, discovering                            */
/* ------------------------------------------------------------------ */

/*
 * Options of daxfs_mkfs().  Zero fields take the default:
 *   size        bytes of the region to use (default: the whole region; a
 *               regular file that is smaller, or missing, is grown/created)
 *   block_size  1024, 2048 or 4096 (default 4096, which DAX mapping needs)
 *   inodes      number of inodes (default: one per 16 KiB)
 *   label       volume label, at most 16 bytes (default: none)
 */
struct daxfs_mkfs_opts {
	uint64_t size;
	uint32_t block_size;
	uint32_t inodes;
	const char *label;
};

/* Write a fresh, empty ext2 file system over the region at path. */
DAXFS_API int daxfs_mkfs(const char *path, const struct daxfs_mkfs_opts *opts);

/* Flags of daxfs_mount(). */
#define DAXFS_MOUNT_RDONLY 0x1   /* never write to the region */
#define DAXFS_MOUNT_POPULATE 0x2 /* map the whole region in at mount
				    (MADV_POPULATE_WRITE): no page fault on
				    later accesses, as on devdax; a sparse
				    regular file is allocated whole */

/*
 * Mount the ext2 file system on the region at path (a devdax character
 * device or a regular file).  A read-write mount has the region to itself
 * (system wide: an exclusive flock); read-only mounts share it (a shared
 * flock), in one process or many, while no read-write mount holds it.
 * Errors: -ENOENT, -EBUSY (held by another mount: the message names the
 * process where /proc/locks tells it),
 * -EUCLEAN/-EIO (damaged), -EOPNOTSUPP (unknown incompatible feature),
 * -EROFS (unknown read-only-compatible feature and no DAXFS_MOUNT_RDONLY).
 */
DAXFS_API int daxfs_mount(const char *path, unsigned flags, daxfs **fs);

/*
 * What daxfs_mount found and left as it was, as a sentence ("" if
 * nothing): a file system that was not cleanly unmounted and that the
 * mount could not recover itself (a crash of the kernel or of a mount
 * that found it so), or that has errors, stays marked so through the
 * mount and its unmount, for "e2fsck -p" to check, and this says so; and
 * a read-write mount that has no room for its journal says so (calls are
 * then not atomic across a crash).  Valid until daxfs_unmount.
 */
DAXFS_API const char *daxfs_mount_warning(daxfs *fs);

/*
 * Mark the file system clean, persist and release the region.  Open files
 * must be closed and views unmapped first (-EBUSY otherwise, naming which,
 * and the mount stays usable).
 */
DAXFS_API int daxfs_unmount(daxfs *fs);

/* Sizes and free counts of the file system. */
DAXFS_API int daxfs_statfs(daxfs *fs, struct statvfs *st);

/*
 * What daxfs_info() reports about a mount.  Extensible: zero the struct,
 * set size to sizeof(struct daxfs_info), and the library fills as many
 * bytes as both it and the caller know (size then says how many);
 * fields a later version adds go at the end, in place of reserved.
 */
struct daxfs_info {
	uint32_t size;        /* in: the caller's sizeof; out: bytes filled */
	uint32_t block_size;  /* bytes per block */
	uint64_t blocks;      /* blocks of the file system */
	uint64_t align;       /* the region's mapping alignment, bytes (4096,
				 or a devdax device's 2 MiB or 1 GiB) */
	uint64_t bad_blocks;  /* blocks of the region known to hold bad bytes
				 (poison the platform reported at mount, less
				 what writes have cleared since) */
	uint64_t bad_bytes;   /* bad bytes among them */
	uint32_t flags;       /* DAXFS_INFO_* */
	/* Filled when info->size covers them (the size protocol above). */
	uint32_t granularity; /* DAXFS_GRANULARITY_*: what persisting takes */
	uint32_t groups;      /* block groups */
	uint32_t blocks_per_group;
	uint32_t inodes_per_group; /* inodes: groups * inodes_per_group */
	uint32_t feature_compat;    /* the superblock's feature words, as */
	uint32_t feature_incompat;  /* dumpe2fs names them ("filetype", */
	uint32_t feature_ro_compat; /* "sparse_super", ...) */
	uint8_t uuid[16];     /* the file system's UUID */
	char label[16];       /* volume label, NUL-padded (not terminated
				 when 16 bytes long) */
	uint64_t reserved[1];
};
/* The smallest size daxfs_info() accepts: up to and including flags. */
#define DAXFS_INFO_SIZE_MIN 44u

/* daxfs_info flags. */
#define DAXFS_INFO_RDONLY 0x1       /* mounted read-only (asked, or for
				       bad metadata) */
#define DAXFS_INFO_NOT_CLEAN 0x2    /* marked not clean or with errors:
				       run e2fsck -p after daxfs_unmount */
#define DAXFS_INFO_JOURNAL 0x4      /* libdaxfs's undo journal is in use:
				       calls are atomic across a crash */
#define DAXFS_INFO_BAD_METADATA 0x8 /* metadata is in bad blocks: the
				       mount went read-only (see
				       daxfs_mount_warning) */
#define DAXFS_INFO_RECOVERED 0x10   /* this read-write mount found the
				       file system as a crash of a libdaxfs
				       mount left it, and undid or finished
				       what was in flight (journal, orphans) */
#define DAXFS_INFO_NEEDS_RECOVERY 0x20 /* a read-only mount of a file
				       system a libdaxfs mount left at a
				       crash: the next read-write mount
				       recovers it by itself (as above);
				       read-only mounts leave it as it is */
#define DAXFS_INFO_ORPHANS 0x40     /* files deleted or truncated at a crash
				       still hold blocks (the orphan chain):
				       the next read-write mount frees them */

/* daxfs_info granularity: what makes a store durable on the region. */
#define DAXFS_GRANULARITY_BYTE 1       /* nothing (eADR: caches are
					  persistent), a fence orders */
#define DAXFS_GRANULARITY_CACHE_LINE 2 /* cache-line flushes (ADR pmem, or
					  PMEM2_FORCE_GRANULARITY) */
#define DAXFS_GRANULARITY_PAGE 3       /* msync of whole pages (a regular
					  file that is not on pmem) */

/*
 * Report the geometry, state and known bad blocks of a mount into *info
 * (see struct daxfs_info for the size protocol).
 *
 * Bad blocks: daxfs_mount reads the platform's list of bad blocks
 * (libpmem2; a regular file of a file system that is not pmem has none).
 * One in the primary superblock or group descriptors fails the mount
 * with -EIO; one in other metadata makes it read-only, and
 * daxfs_mount_warning() names it; one in file data is mapped out: a
 * daxfs_pread of it fails with -EIO, naming the file offset (a read
 * that reaches it after good bytes returns those first, as read(2)
 * does), a view's access to it raises SIGBUS, and the rest of the file
 * stays readable.  A daxfs_pwrite that covers a bad block whole clears it
 * (the count here drops); one that covers part of it fails with -EIO,
 * writing nothing.
 *
 * Errors: -EINVAL (fs or info NULL, info->size below DAXFS_INFO_SIZE_MIN).
 */
DAXFS_API int daxfs_info(daxfs *fs, struct daxfs_info *info);

/*
 * The inode cache.  libdaxfs keeps in DRAM the inodes it has used (and a
 * directory's index of names); those that no open file, view or call in
 * progress refers to are evicted, least recently used first, when the
 * cache's bytes pass a limit, and read from the media again on their next
 * use (daxfs_stat of a file the cache does not hold reads it from the
 * media without caching it).  The default limit is 64 MiB plus 1/512 of
 * the region's size.
 * The cache's bytes include its hash table (fixed at mount: 4 to 8 bytes
 * per inode of the file system, at most 8 MiB), so that the limit bounds all
 * the DRAM the cache takes, whatever the number of files; a limit below
 * the table keeps no unused inode.  Inodes in use are never evicted: with
 * more of them than the limit holds, the cache goes past it until they
 * are released.
 */
struct daxfs_cache_stats {
	uint64_t limit;       /* the budget, bytes */
	uint64_t bytes;       /* DRAM the cache takes: the table and the
				 cached inodes (each counted when it was
				 last released), bytes as the allocator
				 hands them out (size classes included) */
	uint64_t inodes;      /* inodes cached */
	uint64_t unused;      /* of them, referenced by nothing (evictable) */
	uint64_t evictions;   /* inodes evicted since mount */
	uint64_t table;       /* of bytes, the hash table's (fixed) */
	uint64_t reserved[2];
};

/* Set the inode cache's budget to bytes and evict down to it now (0
 * keeps no unused inode: each is evicted at its release).  0, or
 * -EINVAL. */
DAXFS_API int daxfs_set_cache_limit(daxfs *fs, size_t bytes);

/* Fill *st with what the inode cache holds now.  0, or -EINVAL. */
DAXFS_API int daxfs_cache_stats(daxfs *fs, struct daxfs_cache_stats *st);

/* A devdax device found on this machine. */
struct daxfs_device {
	char path[64];       /* e.g. "/dev/dax0.0" */
	uint64_t size;       /* bytes */
	uint64_t align;      /* mapping alignment, bytes */
	int numa_node;       /* -1 when unknown */
};

/*
 * List the devdax devices of this machine into devs[0..max).  Returns the
 * number found (which may exceed max); 0 on a machine with none.
 */
DAXFS_API int daxfs_devices(struct daxfs_device *devs, int max);

/* ------------------------------------------------------------------ */
/* Namespace                                                           */
/* ------------------------------------------------------------------ */

DAXFS_API int daxfs_mkdir(daxfs *fs, const char *path, mode_t mode);
DAXFS_API int daxfs_rmdir(daxfs *fs, const char *path);
DAXFS_API int daxfs_unlink(daxfs *fs, const char *path);
/* Rename; replaces an existing target by POSIX rules. */
DAXFS_API int daxfs_rename(daxfs *fs, const char *from, const char *to);
/* Hard link: to becomes another name of the file from. */
DAXFS_API int daxfs_link(daxfs *fs, const char *from, const char *to);
DAXFS_API int daxfs_symlink(daxfs *fs, const char *target, const char *path);
/* Copy at most len bytes of the link's target (no NUL added). */
DAXFS_API ssize_t daxfs_readlink(daxfs *fs, const char *path, char *buf,
				 size_t len);
DAXFS_API int daxfs_stat(daxfs *fs, const char *path, struct stat *st);

/* File types passed to the daxfs_readdir() callback (as in dirent.h). */
#define DAXFS_DT_UNKNOWN 0
#define DAXFS_DT_FIFO 1
#define DAXFS_DT_CHR 2
#define DAXFS_DT_DIR 4
#define DAXFS_DT_BLK 6
#define DAXFS_DT_REG 8
#define DAXFS_DT_LNK 10
#define DAXFS_DT_SOCK 12

/*
 * Call fn for every entry of the directory, "." and ".." included.  A
 * non-zero return from fn stops the walk and is returned.
 */
DAXFS_API int daxfs_readdir(daxfs *fs, const char *path,
			    int (*fn)(void *arg, const char *name,
				      uint64_t ino, unsigned type),
			    void *arg);

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* flags: O_RDONLY|O_WRONLY|O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND;
 * or O_PATH: a handle of any file type for daxfs_fstat and the attribute
 * calls (daxfs_fchmod, daxfs_fchown, daxfs_futimens), never for I/O. */
DAXFS_API int daxfs_open(daxfs *fs, const char *path, int flags, mode_t mode,
			 daxfs_file **f);
DAXFS_API int daxfs_close(daxfs_file *f);
/*
 * Read and write at off.  Errors: -EBADF (handle not open for it),
 * -EINVAL (off < 0, len > SSIZE_MAX), -EISDIR (pread of a directory;
 * a directory is never open for writing), -EFAULT when buf cannot be
 * accessed (or the bytes done before the bad part), -EFBIG (pwrite past
 * the largest ext2 file, as the Linux driver computes it), -ENOSPC, -EIO
 * where the file's memory is lost (poison; see Caveats; or the bytes
 * done before it).  A
 * write that fails or stops short keeps no block past the end of file.
 * With O_APPEND, off is ignored and data goes at the end of the file.
 */
DAXFS_API ssize_t daxfs_pread(daxfs_file *f, void *buf, size_t len, off_t off);
DAXFS_API ssize_t daxfs_pwrite(daxfs_file *f, const void *buf, size_t len,
			       off_t off);

/* daxfs_pwrite2 flags. */
#define DAXFS_WRITE_ATOMIC 0x1u  /* all of it, or none, across a crash */
#define DAXFS_WRITE_LAZY   0x2u  /* durable at the next daxfs_fsync */
/* The largest DAXFS_WRITE_ATOMIC write (512 KiB on 1 KiB blocks). */
#define DAXFS_ATOMIC_WRITE_MAX (1u << 20)

/*
 * daxfs_pwrite with flags (0: daxfs_pwrite itself).
 *   DAXFS_WRITE_ATOMIC: after a crash the file holds either all of the
 *     write or none of it (and its old size), for writes of up to
 *     DAXFS_ATOMIC_WRITE_MAX bytes: the new bytes go to new blocks, which
 *     one journal commit puts in place of the old ones (copy-on-write),
 *     so a database needs no double-write buffer.  Returns len or an
 *     error, never a short count; views of the range see the new bytes
 *     when it returns.  Errors as daxfs_pwrite's, and -EINVAL (longer
 *     than the largest atomic write, or with DAXFS_WRITE_LAZY), -ENOSPC
 *     also when the free space is too fragmented for it, -EOPNOTSUPP on a
 *     file system too small for a journal (daxfs_mount_warning says so)
 *     or, on a region that maps in 2 MiB units, a file with views.
 *   DAXFS_WRITE_LAZY: the bytes are flushed but the fence that makes
 *     them durable is left to the next daxfs_fsync of the file (or any
 *     later call that changes the file system), for bulk loads, scratch
 *     files and group commit; a write that grows the file still fences
 *     before the size covers it, so a crash never shows bytes that were
 *     not written.
 * Unknown flags: -EINVAL.
 */
DAXFS_API ssize_t daxfs_pwrite2(daxfs_file *f, const void *buf, size_t len,
				off_t off, unsigned flags);
DAXFS_API int daxfs_ftruncate(daxfs_file *f, off_t size);
/*
 * fallocate(2) on f: mode is 0 or the FALLOC_FL_* flags of
 * <linux/falloc.h> (<fcntl.h> with _GNU_SOURCE) that ext2 can store:
 *   0: zeroed blocks for the holes of [off, off+len) (data already there
 *     stays); the size grows to off+len if that is larger.
 *   FALLOC_FL_KEEP_SIZE: the same within the end of file; a range that
 *     reaches past it: -EOPNOTSUPP (ext2 cannot keep blocks past EOF).
 *   FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE: the blocks of the range
 *     are freed, the partial blocks at its ends zeroed; the range reads
 *     as zeros, the size does not change.  Indirect blocks are kept.
 *   FALLOC_FL_ZERO_RANGE (optionally |FALLOC_FL_KEEP_SIZE): the range
 *     reads as zeros afterwards, with zeroed blocks allocated for it (a
 *     punch, then an allocation); the size grows to off+len unless
 *     FALLOC_FL_KEEP_SIZE (then the part past EOF is left alone).
 * On a region that maps only in units larger than a block (devdax with
 * align=2M), allocations fill whole aligned units (so the file maps with
 * 2 MiB mappings) and a punch frees whole units only, zeroing the rest
 * of its range.
 * Views: a punched range is unmapped from every view before its blocks
 * are freed (the next touch faults: zeros, or a new block for a store);
 * no view ever reaches a freed block.  Serialised with faults like
 * truncate (the inode's I/O lock, then its fault lock, exclusively).
 * Crashes: each call commits in steps, each of them whole: an allocation
 * grows the size only over blocks already allocated and zeroed (small
 * calls are one step: atomic); after a crash in a punch its range reads
 * as old bytes or zeros step by step, never as freed or foreign data.
 * Errors (those of Linux): -EINVAL (off < 0, len <= 0; COLLAPSE or
 * INSERT with other flags), -EOPNOTSUPP (unknown flags, PUNCH_HOLE
 * without KEEP_SIZE, PUNCH_HOLE with ZERO_RANGE, COLLAPSE, INSERT,
 * UNSHARE, NO_HIDE_STALE, KEEP_SIZE alone past EOF), -EBADF (not open for
 * writing: so always for a directory), -ENODEV (not a regular file),
 * -EFBIG (off+len
 * overflows or passes the largest ext2 file), -ENOSPC (the step that
 * failed keeps no block past the end of file).
 */
DAXFS_API int daxfs_fallocate(daxfs_file *f, int mode, off_t off, off_t len);
/* Make everything written to the file durable.  f may be a directory
 * opened O_RDONLY (its entries are durable when the calls that changed
 * them return: this only fences).  Errors: -EINVAL (f NULL), -EIO (a
 * store through a view cannot be flushed: lost memory). */
DAXFS_API int daxfs_fsync(daxfs_file *f);
DAXFS_API int daxfs_fstat(daxfs_file *f, struct stat *st);

/* ------------------------------------------------------------------ */
/* Attributes: mode, owner, times, special files, extended attributes  */
/* ------------------------------------------------------------------ */

/*
 * These calls change what an inode stores besides its data, each one
 * atomic across a crash and durable when it returns.  libdaxfs checks no
 * permission (the process that mounts a region owns all of it): a
 * program serving other users checks with daxfs_access() or leaves it to
 * the kernel (daxfs-fuse mounts with default_permissions).  Paths are
 * absolute and, as everywhere in libdaxfs, symbolic links are not
 * followed: a call on a link changes the link itself.  Errors of every
 * call on a path: -EINVAL (fs or path NULL, path not absolute), -ENOENT,
 * -ENOTDIR, -ENAMETOOLONG (the path walk), -EROFS (read-only mount, for
 * the calls that change something: after the path is found), -EUCLEAN
 * (damaged metadata: the file system is marked with errors); a call on a
 * handle: -EINVAL (f NULL), -EROFS.
 */

/* Set the permission bits (07777; the file type is kept) and the change
 * time. */
DAXFS_API int daxfs_chmod(daxfs *fs, const char *path, mode_t mode);
DAXFS_API int daxfs_fchmod(daxfs_file *f, mode_t mode);
/* Set the owner and group; (uid_t)-1 or (gid_t)-1 keeps that one.  A
 * change of owner or group of a non-directory clears its set-user-ID bit
 * (and set-group-ID when group-executable), as Linux does. */
DAXFS_API int daxfs_chown(daxfs *fs, const char *path, uid_t uid, gid_t gid);
DAXFS_API int daxfs_fchown(daxfs_file *f, uid_t uid, gid_t gid);
/*
 * Set the access and modification times as utimensat(2): times NULL sets
 * both to now; a tv_nsec of UTIME_NOW sets that one to now, UTIME_OMIT
 * keeps it.  The change time becomes now.  ext2 stores seconds (the
 * 128-byte inode has no nanoseconds; the larger inodes' extra fields are
 * ext4's): nanoseconds are dropped, and seconds outside a signed 32-bit
 * count clamped, as the Linux ext2 driver does.  Errors: -EINVAL (a
 * tv_nsec that is none of those).
 */
DAXFS_API int daxfs_utimens(daxfs *fs, const char *path,
			    const struct timespec times[2]);
DAXFS_API int daxfs_futimens(daxfs_file *f, const struct timespec times[2]);
/*
 * Create a special file as mknod(2): mode's type is S_IFIFO, S_IFSOCK,
 * S_IFCHR or S_IFBLK (dev is then the device number), S_IFREG or 0 (an
 * empty regular file); the permission bits as given (no umask).
 * Errors: -EPERM (S_IFDIR: use daxfs_mkdir), -EINVAL (another type, or a
 * device number larger than ext2's 32-bit form: major < 4096, minor <
 * 2^20), -EEXIST, -ENOSPC, -EMLINK as daxfs_mkdir.
 */
DAXFS_API int daxfs_mknod(daxfs *fs, const char *path, mode_t mode, dev_t dev);
/*
 * Extended attributes, as getxattr(2) and the others, stored in the ext2
 * attribute block (the layout the kernel's driver and e2fsprogs use; a
 * block shared by several inodes is copied on change).  Names are
 * "user.*", "trusted.*", "security.*", "system.posix_acl_access" and
 * "system.posix_acl_default" (values of the latter two in the xattr form
 * of an ACL, version 2, stored in ext2's form).  All of a file's
 * attributes share one block: names and values together take at most a
 * block.  daxfs_getxattr copies the value (size 0: returns its length);
 * daxfs_listxattr the names, each ended by NUL (size 0: their length);
 * flags of daxfs_setxattr are 0, XATTR_CREATE or XATTR_REPLACE
 * (<sys/xattr.h>).  Errors: -ENODATA (no such attribute; XATTR_REPLACE
 * or remove of a missing one), -EEXIST (XATTR_CREATE of an existing
 * one), -ERANGE (size too small for the value or the list; a name empty
 * or longer than 255 bytes), -EOPNOTSUPP (a prefix ext2 does not store),
 * -EINVAL (unknown flags; value NULL with a size; a prefix with no name
 * after it; an ACL value that is not one), -E2BIG (a value larger than
 * XATTR_SIZE_MAX), -EPERM (user.* on a file that is neither regular nor
 * a directory), -EACCES (a default ACL on a non-directory), -ENOSPC (the
 * attributes would not fit in a block, or no free block), -ENOMEM.
 */
DAXFS_API ssize_t daxfs_getxattr(daxfs *fs, const char *path,
				 const char *name, void *value, size_t size);
DAXFS_API int daxfs_setxattr(daxfs *fs, const char *path, const char *name,
			     const void *value, size_t size, int flags);
DAXFS_API ssize_t daxfs_listxattr(daxfs *fs, const char *path, char *list,
				  size_t size);
DAXFS_API int daxfs_removexattr(daxfs *fs, const char *path,
				const char *name);
/*
 * access(2): may the process (its real user and group ids, and its
 * supplementary groups) read (R_OK), write (W_OK) or execute (X_OK)
 * path by its permission bits (F_OK, 0: does it exist)?  Root may read
 * and write anything and execute what has an execute bit.  Errors:
 * -EACCES, -EROFS (W_OK on a read-only mount), -EINVAL (unknown mode
 * bits).
 */
DAXFS_API int daxfs_access(daxfs *fs, const char *path, int mode);

/* ------------------------------------------------------------------ */
/* Direct mappings (DAX)                                               */
/* ------------------------------------------------------------------ */

/*
 * daxfs_map() gives the application load/store access to file data in
 * place: the returned range (a "view") maps the region's blocks of the
 * file.  Views are filled lazily: the first touch of a page runs the DAX
 * fault path from a SIGSEGV handler that libdaxfs installs once per
 * process, at the first daxfs_mount (it passes every other fault to the
 * handler installed before it; the same handler turns a bad buffer given
 * to daxfs_pread/daxfs_pwrite into -EFAULT).  DAXFS_MAP_POPULATE installs the whole range at map time instead
 * and needs no handler, for applications that own SIGSEGV.
 *
 * Semantics follow mmap(MAP_SHARED) of a DAX file:
 *   - reads of holes see zeros; the first store into a hole allocates a
 *     zeroed block (no space: SIGBUS);
 *   - pread/pwrite and views see each other's data at once;
 *   - an access past the end of file raises SIGBUS, after libdaxfs has
 *     released every lock (a SIGBUS handler may siglongjmp away);
 *   - truncate unmaps the pages past the new size; a view never reaches a
 *     freed block;
 *   - stores through a view are durable after daxfs_persist() on their
 *     range, or daxfs_fsync() of the file.
 * A view outlives daxfs_close() of its file; daxfs_unmount() fails with
 * -EBUSY while views are alive.  Requires 4 KiB blocks and pages.
 *
 * Regions that map only in 2 MiB units (a devdax device with align=2M,
 * the default of ndctl; a file of hugetlbfs): the kernel refuses every
 * smaller mapping there, so views install whole 2 MiB units.  off and
 * len must be multiples of 2 MiB (-EINVAL), and every unit of the range
 * below EOF must lie wholly below EOF and be either a hole throughout or
 * one 2 MiB-aligned extent of the file (-EOPNOTSUPP, the message naming
 * the unit).  Files written in 2 MiB pieces, or with their units filled
 * by daxfs_fallocate, map whole: on such a region an allocation at a
 * unit's start is aligned, and a write or a store into a hole unit below
 * EOF gives it the whole unit.  A load of a hole unit maps zeros; a store
 * allocates the unit.  Truncate unmaps the unit that holds the new EOF
 * whole (accesses to it raise SIGBUS, also below EOF); an atomic write
 * (which moves blocks) is refused while the file has views.  Regions
 * aligned above 2 MiB (1 GiB): no views (-EOPNOTSUPP); pread and pwrite
 * work on every region.
 * Buffers given to daxfs_pread/daxfs_pwrite may be views (of any file):
 * a part that cannot be accessed makes the call return -EFAULT (or the
 * bytes done before it).
 */
#define DAXFS_MAP_POPULATE 0x1

/* Map len bytes of f from off (page-aligned); prot is PROT_READ or
 * PROT_READ|PROT_WRITE.  Errors: -EINVAL (alignment, zero length,
 * unknown flags), -EACCES (PROT_WRITE on a read-only handle or mount),
 * -ENOMEM (no address space), -EOPNOTSUPP (block size not 4 KiB). */
DAXFS_API int daxfs_map(daxfs_file *f, off_t off, size_t len, int prot,
			unsigned flags, void **addr);
/* Remove a whole view: addr and len as returned by/given to daxfs_map. */
DAXFS_API int daxfs_unmap(void *addr, size_t len);
/* Make stores to [addr, addr+len) of a view durable.  -EIO when the
 * memory behind some of them is lost (see Caveats); the rest are made
 * durable all the same. */
DAXFS_API int daxfs_persist(const void *addr, size_t len);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* A sentence about the calling thread's last failure ("" if none). */
DAXFS_API const char *daxfs_errormsg(void);

#ifdef __cplusplus
}
#endif

#endif /* DAXFS_H */
