/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.c -- SQLite's database file locks, kept in the process.
 *
 * A read-write libdaxfs mount belongs to one process (an exclusive flock
 * of the region, daxfs_mount), so no other process can open the database
 * while we have it: the locks need only serialise this process's
 * connections.  Each database file (mount, inode number) has one
 * dsq_inode shared by all the connections that have it open, as the unix
 * VFS shares its per-inode lock between the connections of a process.
 * Its fields say who holds what: any number of SHARED holders, one
 * RESERVED, one PENDING (keeps new SHARED locks out while its holder
 * waits for the readers to leave), one EXCLUSIVE (no other holder).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dsq.h"

/* One database file of one mount. */
struct dsq_inode {
	daxfs *fs;
	uint64_t ino;
	int refs;                   /* dsq_files that point here */
	int nshared;                /* holders of SHARED or more */
	struct dsq_file *reserved;  /* holder of RESERVED, or NULL */
	struct dsq_file *pending;   /* holder of PENDING, or NULL */
	struct dsq_file *exclusive; /* holder of EXCLUSIVE, or NULL */
	struct dsq_shm *shm;        /* the WAL index (shm.c), or NULL */
	struct dsq_inode *next;
};

/* Protects every dsq_inode, the list, and the WAL indexes (shm.c). */
static pthread_mutex_t dsq_lock_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct dsq_inode *inodes;

/* Take / release dsq_lock_mutex (shm.c works under it too). */
void dsq_lock_enter(void)
{
	pthread_mutex_lock(&dsq_lock_mutex);
}

void dsq_lock_leave(void)
{
	pthread_mutex_unlock(&dsq_lock_mutex);
}

/* Where ino's WAL index hangs (under dsq_lock_mutex). */
struct dsq_shm **dsq_inode_shm(struct dsq_inode *ino)
{
	return &ino->shm;
}

/* Attach p (open, p->f set) to the dsq_inode of its file, making one if
 * it is the first: SQLITE_OK or an SQLite error code. */
int dsq_inode_get(struct dsq_file *p)
{
	struct dsq_inode *n;
	struct stat st;
	int ret = daxfs_fstat(p->f, &st);

	if (ret)
		return dsq_errcode(ret, SQLITE_IOERR_FSTAT);
	dsq_lock_enter();
	for (n = inodes; n; n = n->next)
		if (n->fs == p->fs && n->ino == (uint64_t)st.st_ino)
			break;
	if (!n && (n = calloc(1, sizeof(*n)))) {
		n->fs = p->fs;
		n->ino = st.st_ino;
		n->next = inodes;
		inodes = n;
	}
	if (n)
		n->refs++;
	p->ino = n;
	dsq_lock_leave();
	return n ? SQLITE_OK : SQLITE_NOMEM;
}

/* Detach p from its dsq_inode (its locks released first), freeing the
 * dsq_inode with the last one. */
void dsq_inode_put(struct dsq_file *p)
{
	struct dsq_inode *n = p->ino, **pp;

	if (!n)
		return;
	dsq_unlock(&p->base, SQLITE_LOCK_NONE);
	dsq_lock_enter();
	if (--n->refs == 0) {
		for (pp = &inodes; *pp != n; pp = &(*pp)->next)
			;
		*pp = n->next;
		free(n);
	}
	p->ino = NULL;
	dsq_lock_leave();
}

/* SHARED for p (holding none): refused while a writer holds PENDING or
 * EXCLUSIVE. */
static int lock_shared(struct dsq_file *p, struct dsq_inode *n)
{
	if (n->pending || n->exclusive)
		return SQLITE_BUSY;
	n->nshared++;
	p->lock = SQLITE_LOCK_SHARED;
	return SQLITE_OK;
}

/* EXCLUSIVE for p (holding SHARED or RESERVED): PENDING first, which p
 * keeps while other readers remain (SQLITE_BUSY; SQLite retries). */
static int lock_exclusive(struct dsq_file *p, struct dsq_inode *n)
{
	if (n->pending && n->pending != p)
		return SQLITE_BUSY;
	n->pending = p;
	p->lock = SQLITE_LOCK_PENDING;
	if (n->nshared > 1)
		return SQLITE_BUSY;
	n->exclusive = p;
	p->lock = SQLITE_LOCK_EXCLUSIVE;
	return SQLITE_OK;
}

/* xLock: raise p's lock to level (SHARED, RESERVED or EXCLUSIVE; SQLite
 * never asks for PENDING). */
int dsq_lock(sqlite3_file *pf, int level)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_inode *n = p->ino;
	int rc = SQLITE_OK;

	if (p->lock >= level)
		return SQLITE_OK;
	dsq_lock_enter();
	if (level == SQLITE_LOCK_SHARED) {
		rc = lock_shared(p, n);
	} else if (level == SQLITE_LOCK_RESERVED) {
		if (n->reserved || n->pending || n->exclusive)
			rc = SQLITE_BUSY;
		else {
			n->reserved = p;
			p->lock = SQLITE_LOCK_RESERVED;
		}
	} else {
		rc = lock_exclusive(p, n);
	}
	dsq_lock_leave();
	return rc;
}

/* xUnlock: lower p's lock to level (SHARED or NONE). */
int dsq_unlock(sqlite3_file *pf, int level)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_inode *n = p->ino;

	if (!n || p->lock <= level)
		return SQLITE_OK;
	dsq_lock_enter();
	if (n->reserved == p)
		n->reserved = NULL;
	if (n->pending == p)
		n->pending = NULL;
	if (n->exclusive == p)
		n->exclusive = NULL;
	if (level == SQLITE_LOCK_NONE)
		n->nshared--;
	p->lock = level;
	dsq_lock_leave();
	return SQLITE_OK;
}

/* xCheckReservedLock: does any connection hold RESERVED or more? */
int dsq_check_reserved(sqlite3_file *pf, int *out)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	struct dsq_inode *n = p->ino;

	dsq_lock_enter();
	*out = n && (n->reserved || n->pending || n->exclusive);
	dsq_lock_leave();
	return SQLITE_OK;
}
