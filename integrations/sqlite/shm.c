/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shm.c -- the WAL index ("-shm") of a database: in DRAM, or (shm=view)
 * in views of a -shm file of the region.
 *
 * SQLite's WAL index is a cache of the WAL's frame positions that SQLite
 * can always rebuild from the WAL file (it does after a crash, or when it
 * finds the index empty).  Only the connections of this process can open
 * the database (a read-write mount is exclusive to one process, see
 * lock.c), so the index need not be visible to other processes nor survive
 * the last connection: by default it lives in heap memory, one per
 * database file, shared by every connection of the process, and goes
 * with the last xShmUnmap.  No -shm file is made in the file system.
 *
 * With the URI parameter shm=view the regions are instead views
 * (daxfs_map) of "<database>-shm" in the region, truncated to empty when
 * the process first maps it and removed with the last xShmUnmap, as the
 * unix VFS keeps its -shm file (a crash leaves it behind; the next first
 * mapping empties it).  Stores to it are never flushed: nothing needs
 * them durable.  It exists to measure the two (bench/sqlite.sh): the
 * views add page faults at first touch and cache misses on the region's
 * memory for data that needs no persistence, so DRAM is the default.  A
 * region that maps only in 2 MiB units cannot map 32 KiB regions: there
 * shm=view falls back to DRAM.
 *
 * The eight lock slots of SQLite's WAL-index protocol are counted per
 * database (slot[i]: readers holding it shared, or -1 while a connection
 * holds it exclusively); each connection records its own slots in
 * shm_shared/shm_excl.  Everything here runs under dsq_lock_mutex.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "dsq.h"

/* The WAL index of one database file. */
struct dsq_shm {
	int refs;                      /* connections that mapped it */
	int nregion;                   /* regions allocated */
	int size;                      /* bytes per region (SQLite: 32 KiB) */
	void **region;                 /* nregion zeroed regions */
	int slot[SQLITE_SHM_NLOCK];    /* readers, or -1: exclusive */
	daxfs *fs;                     /* shm=view: the -shm file's mount, */
	daxfs_file *file;              /* the file (NULL: in DRAM) */
	char *path;                    /* and its path */
};

/* Open (emptied) the -shm file of p's database for s: s->file stays
 * NULL (the index in DRAM) if it cannot be made. */
static void shm_view_open(struct dsq_shm *s, struct dsq_file *p)
{
	s->path = sqlite3_mprintf("%s-shm", p->path);
	if (s->path && daxfs_open(p->fs, s->path, O_RDWR | O_CREAT | O_TRUNC,
				  0644, &s->file) == 0) {
		s->fs = p->fs;
		return;
	}
	sqlite3_log(SQLITE_IOERR_SHMOPEN, "daxfs VFS: %s: the WAL index "
		    "stays in DRAM: %s", p->path, daxfs_errormsg());
	sqlite3_free(s->path);
	s->path = NULL;
	s->file = NULL;
}

/* Region i of the -shm file (size bytes, zeros when new), mapped. */
static void *shm_view_region(struct dsq_shm *s, int i, int size)
{
	off_t end = (off_t)(i + 1) * size;
	struct stat st;
	void *a;

	if (daxfs_fstat(s->file, &st) || (st.st_size < end &&
					  daxfs_ftruncate(s->file, end)) ||
	    daxfs_map(s->file, (off_t)i * size, (size_t)size,
		      PROT_READ | PROT_WRITE, 0, &a)) {
		sqlite3_log(SQLITE_IOERR_SHMMAP, "daxfs VFS: %s: %s", s->path,
			    daxfs_errormsg());
		return NULL;
	}
	return a;
}

/* Unmap s's views, close and remove the -shm file. */
static void shm_view_close(struct dsq_shm *s)
{
	int i;

	for (i = 0; i < s->nregion; i++)
		if (s->region[i])
			daxfs_unmap(s->region[i], (size_t)s->size);
	daxfs_close(s->file);
	daxfs_unlink(s->fs, s->path);
	sqlite3_free(s->path);
}

/* Grow s to hold regions [0, upto] of size bytes: SQLITE_OK or
 * SQLITE_NOMEM. */
static int shm_grow(struct dsq_shm *s, int upto, int size)
{
	void **r = realloc(s->region, sizeof(void *) * (upto + 1));

	if (!r)
		return SQLITE_NOMEM;
	s->region = r;
	s->size = size;
	while (s->nregion <= upto) {
		/* SQLite wants 8-byte aligned regions: calloc gives 16,
		 * views a page. */
		r[s->nregion] = s->file ? shm_view_region(s, s->nregion, size)
					: calloc(1, size);
		if (!r[s->nregion] && s->file && s->nregion == 0) {
			/* No view at all (a region mapping only in 2 MiB
			 * units): the index in DRAM after all. */
			shm_view_close(s);
			s->file = NULL;
			s->path = NULL;
			continue;
		}
		if (!r[s->nregion])
			return s->file ? SQLITE_IOERR_SHMMAP : SQLITE_NOMEM;
		s->nregion++;
	}
	return SQLITE_OK;
}

/* The WAL index of p's file, made (empty) at its first mapping, with p
 * counted in it; NULL when out of memory. */
static struct dsq_shm *shm_attach(struct dsq_file *p)
{
	struct dsq_shm **sp = dsq_inode_shm(p->ino);

	if (!*sp) {
		*sp = calloc(1, sizeof(**sp));
		if (*sp && p->shm_view)
			shm_view_open(*sp, p);
	}
	if (*sp && !p->shm_mapped) {
		p->shm_mapped = 1;
		(*sp)->refs++;
	}
	return *sp;
}

/* xShmMap: *pp = region number region (size bytes) of the WAL index,
 * allocated if extend, else NULL when it does not exist yet. */
int dsq_shm_map(sqlite3_file *pf, int region, int size, int extend,
		void volatile **pp)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_shm *s;
	int rc = SQLITE_OK;

	*pp = NULL;
	if (!p->ino)
		return SQLITE_IOERR_SHMMAP;
	dsq_lock_enter();
	s = shm_attach(p);
	if (!s)
		rc = SQLITE_NOMEM;
	else if (region >= s->nregion && extend)
		rc = shm_grow(s, region, size);
	if (s && region < s->nregion)
		*pp = s->region[region];
	dsq_lock_leave();
	return rc;
}

/* Can p take slots mask exclusively: no other holder of any of them? */
static int shm_excl_free(struct dsq_shm *s, struct dsq_file *p, int ofst,
			 int n)
{
	int i;

	for (i = ofst; i < ofst + n; i++) {
		int mine = (p->shm_shared >> i) & 1;

		if ((p->shm_excl >> i) & 1)
			continue;
		if (s->slot[i] - mine != 0)
			return 0;
	}
	return 1;
}

/* Take slots [ofst, ofst+n) shared or exclusively for p. */
static int shm_take(struct dsq_shm *s, struct dsq_file *p, int ofst, int n,
		    int excl)
{
	uint16_t mask = (uint16_t)(((1u << n) - 1) << ofst);
	int i;

	if (!excl) {
		/* SQLite takes one slot at a time shared. */
		if ((p->shm_shared | p->shm_excl) & mask)
			return SQLITE_OK;
		if (s->slot[ofst] < 0)
			return SQLITE_BUSY;
		s->slot[ofst]++;
		p->shm_shared |= mask;
		return SQLITE_OK;
	}
	if (!shm_excl_free(s, p, ofst, n))
		return SQLITE_BUSY;
	for (i = ofst; i < ofst + n; i++) {
		if ((p->shm_shared >> i) & 1)
			s->slot[i]--;
		s->slot[i] = -1;
	}
	p->shm_shared &= ~mask;
	p->shm_excl |= mask;
	return SQLITE_OK;
}

/* Release p's slots of [ofst, ofst+n). */
static void shm_release(struct dsq_shm *s, struct dsq_file *p, int ofst,
			int n)
{
	int i;

	for (i = ofst; i < ofst + n; i++) {
		if ((p->shm_excl >> i) & 1)
			s->slot[i] = 0;
		else if ((p->shm_shared >> i) & 1)
			s->slot[i]--;
	}
	p->shm_shared &= ~(uint16_t)(((1u << n) - 1) << ofst);
	p->shm_excl &= ~(uint16_t)(((1u << n) - 1) << ofst);
}

/* xShmLock: lock or unlock WAL-index slots [ofst, ofst+n). */
int dsq_shm_lock(sqlite3_file *pf, int ofst, int n, int flags)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_shm *s;
	int rc = SQLITE_OK;

	if (ofst < 0 || n < 1 || ofst + n > SQLITE_SHM_NLOCK)
		return SQLITE_IOERR_SHMLOCK;
	dsq_lock_enter();
	s = p->ino && p->shm_mapped ? *dsq_inode_shm(p->ino) : NULL;
	if (!s)
		rc = SQLITE_IOERR_SHMLOCK;
	else if (flags & SQLITE_SHM_UNLOCK)
		shm_release(s, p, ofst, n);
	else
		rc = shm_take(s, p, ofst, n, !!(flags & SQLITE_SHM_EXCLUSIVE));
	dsq_lock_leave();
	return rc;
}

/* xShmBarrier: order the WAL-index accesses before it against those
 * after it, between threads (a full fence, and the mutex for good
 * measure, as the unix VFS does; ThreadSanitizer models the mutex, not
 * the fence, so its builds have the mutex alone). */
void dsq_shm_barrier(sqlite3_file *pf)
{
	(void)pf;
#ifndef __SANITIZE_THREAD__
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
	dsq_lock_enter();
	dsq_lock_leave();
}

/* xShmUnmap: p stops using the WAL index; the last user frees it (the
 * index is rebuilt from the WAL by the next connection). */
int dsq_shm_unmap(sqlite3_file *pf, int delete_flag)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_shm **sp;
	int i;

	(void)delete_flag;
	if (!p->ino || !p->shm_mapped)
		return SQLITE_OK;
	dsq_lock_enter();
	sp = dsq_inode_shm(p->ino);
	shm_release(*sp, p, 0, SQLITE_SHM_NLOCK);
	p->shm_mapped = 0;
	if (--(*sp)->refs == 0) {
		if ((*sp)->file)
			shm_view_close(*sp);
		else
			for (i = 0; i < (*sp)->nregion; i++)
				free((*sp)->region[i]);
		free((*sp)->region);
		free(*sp);
		*sp = NULL;
	}
	dsq_lock_leave();
	return SQLITE_OK;
}
