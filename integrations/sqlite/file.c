/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file.c -- the sqlite3_io_methods of a file in a libdaxfs file system.
 *
 * Durability.  Every daxfs_pwrite is durable, data and size, when it
 * returns, and a crash leaves each write that grows a file at a size all
 * of whose bytes were written; so writes reach the media in the order
 * SQLite makes them, and xSync (daxfs_fsync) has little left to do.  The
 * writes use no DAXFS_WRITE_LAZY: a lazy journal or WAL write is durable
 * only at the next daxfs_fsync, which would be correct only if we did not
 * claim SQLITE_IOCAP_SEQUENTIAL; with the claim SQLite skips the journal
 * sync before it overwrites database pages, and the rollback journal's
 * header rewrite and sync (SAFE_APPEND), which is what makes a
 * transaction cheap here.  See dsq_device_characteristics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dsq.h"

/* xClose: close the file (unlinking it if it was opened to be deleted on
 * close), release its lock, its database entry and its mount. */
static int dsq_close(sqlite3_file *pf)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	int ret = 0;

	if (p->ino)
		dsq_inode_put(p);
	if (p->open_flags & SQLITE_OPEN_MAIN_DB)
		dsq_db_remove(p);
	if (p->f)
		ret = daxfs_close(p->f);
	if (p->f && !ret && (p->open_flags & SQLITE_OPEN_DELETEONCLOSE))
		ret = daxfs_unlink(p->fs, p->path);
	if (ret)
		sqlite3_log(SQLITE_IOERR_CLOSE, "daxfs VFS: %s",
			    daxfs_errormsg());
	dsq_region_put(p->reg);
	sqlite3_free(p->path);
	p->f = NULL;
	p->path = NULL;
	return ret ? SQLITE_IOERR_CLOSE : SQLITE_OK;
}

/* xRead: amt bytes at off; a read past the end of file zero-fills the
 * rest and says SQLITE_IOERR_SHORT_READ, as SQLite requires. */
static int dsq_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	size_t done = 0;
	ssize_t n;

	while (done < (size_t)amt) {
		n = daxfs_pread(p->f, (char *)buf + done, amt - done,
				off + done);
		if (n < 0)
			return dsq_errcode(n, SQLITE_IOERR_READ);
		if (n == 0)
			break;
		done += n;
	}
	if (done == (size_t)amt)
		return SQLITE_OK;
	memset((char *)buf + done, 0, amt - done);
	return SQLITE_IOERR_SHORT_READ;
}

/* A WAL grows by whole chunks of zeroed blocks (daxfs_fallocate). */
#define WAL_CHUNK (2 << 20)

/*
 * Before a write that reaches end in a WAL: if it would grow the file,
 * allocate zeroed blocks up to the next WAL_CHUNK boundary first, so the
 * frames go into blocks the file has (a plain overwrite: no journal
 * commit per frame) instead of each commit appending.  SQLite reads a
 * WAL's frames only as far as their salts and checksums hold: the zeros
 * past the last frame end it, as does a frame a crash cut short.
 */
static int wal_grow(struct dsq_file *p, sqlite3_int64 end)
{
	sqlite3_int64 to;
	struct stat st;
	int ret;

	if (!(p->open_flags & SQLITE_OPEN_WAL) || end <= p->grown)
		return 0;
	ret = daxfs_fstat(p->f, &st);
	if (!ret && end > st.st_size) {
		to = (end + WAL_CHUNK - 1) / WAL_CHUNK * WAL_CHUNK;
		ret = daxfs_fallocate(p->f, 0, st.st_size, to - st.st_size);
		st.st_size = ret ? st.st_size : to;
	}
	p->grown = st.st_size;
	return ret == -ENOSPC ? 0 : ret; /* then it appends as before */
}

/* xWrite: amt bytes at off, durable on return. */
static int dsq_write(sqlite3_file *pf, const void *buf, int amt,
		     sqlite3_int64 off)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	size_t done = 0;
	ssize_t n = wal_grow(p, off + amt);

	if (n < 0)
		return dsq_errcode(n, SQLITE_IOERR_WRITE);
	while (done < (size_t)amt) {
		n = daxfs_pwrite(p->f, (const char *)buf + done, amt - done,
				 off + done);
		if (n < 0)
			return dsq_errcode(n, SQLITE_IOERR_WRITE);
		done += n;
	}
	return SQLITE_OK;
}

/* xTruncate: set the size (durable on return). */
static int dsq_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	int ret = daxfs_ftruncate(p->f, size);

	p->grown = 0;
	return ret ? dsq_errcode(ret, SQLITE_IOERR_TRUNCATE) : SQLITE_OK;
}

/*
 * xSync: daxfs_fsync of the file (whatever the flags: a "data only" sync
 * is no cheaper).  The directory needs no sync: creating, renaming and
 * unlinking files are durable when the libdaxfs calls return.
 */
static int dsq_sync(sqlite3_file *pf, int flags)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	int ret = daxfs_fsync(p->f);

	(void)flags;
	return ret ? dsq_errcode(ret, SQLITE_IOERR_FSYNC) : SQLITE_OK;
}

/* xFileSize. */
static int dsq_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct stat st;
	int ret = daxfs_fstat(p->f, &st);

	if (ret)
		return dsq_errcode(ret, SQLITE_IOERR_FSTAT);
	*size = st.st_size;
	return SQLITE_OK;
}

/* xFileControl: the VFS's name; nothing else is implemented. */
static int dsq_file_control(sqlite3_file *pf, int op, void *arg)
{
	(void)pf;
	if (op == SQLITE_FCNTL_VFSNAME) {
		*(char **)arg = sqlite3_mprintf("daxfs");
		return SQLITE_OK;
	}
	return SQLITE_NOTFOUND;
}

/* xSectorSize: a store to pmem disturbs no byte around it (see below);
 * 512 is the smallest size SQLite takes. */
static int dsq_sector_size(sqlite3_file *pf)
{
	(void)pf;
	return 512;
}

/*
 * xDeviceCharacteristics: exactly what libdaxfs guarantees (daxfs.h,
 * "Crashes" and "Durability"):
 *   SQLITE_IOCAP_SEQUENTIAL: every write is durable when it returns, so
 *     writes reach the media in the order they were made.
 *   SQLITE_IOCAP_SAFE_APPEND: a write that grows a file is fenced before
 *     the size covers it: after a crash the file never holds bytes that
 *     were not written (a long append may end shorter, never with garbage).
 *   SQLITE_IOCAP_POWERSAFE_OVERWRITE: a write changes only its own bytes;
 *     nothing around them is rewritten, so a crash cannot damage them.
 * Not claimed:
 *   SQLITE_IOCAP_ATOMIC*: an overwrite is not atomic (a crash in its
 *     middle leaves some bytes new, some old);
 *   SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN: an open file can be unlinked;
 *   SQLITE_IOCAP_BATCH_ATOMIC: there is no batch-atomic write.
 */
static int dsq_device_characteristics(sqlite3_file *pf)
{
	(void)pf;
	return SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_SAFE_APPEND |
	       SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

const sqlite3_io_methods dsq_io_methods = {
	.iVersion = 2,
	.xClose = dsq_close,
	.xRead = dsq_read,
	.xWrite = dsq_write,
	.xTruncate = dsq_truncate,
	.xSync = dsq_sync,
	.xFileSize = dsq_file_size,
	.xLock = dsq_lock,
	.xUnlock = dsq_unlock,
	.xCheckReservedLock = dsq_check_reserved,
	.xFileControl = dsq_file_control,
	.xSectorSize = dsq_sector_size,
	.xDeviceCharacteristics = dsq_device_characteristics,
	.xShmMap = dsq_shm_map,
	.xShmLock = dsq_shm_lock,
	.xShmBarrier = dsq_shm_barrier,
	.xShmUnmap = dsq_shm_unmap,
};
