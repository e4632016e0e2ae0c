/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dsq.h -- the private parts of the daxfs SQLite VFS (daxfs_sqlite.h).
 *
 * vfs.c     the sqlite3_vfs: open, delete, access, full path, registration
 * file.c    the sqlite3_io_methods of a libdaxfs file
 * lock.c    one lock per database file and process (SQLite's lock states)
 * shm.c     the WAL index of a database, in DRAM or in views
 * region.c  regions mounted by path, shared, and the open databases' names
 * ext.c     the loadable extension's entry point (extension build only)
 *
 * Lock order: dsq_region_mutex (region.c) before dsq_lock_mutex (lock.c);
 * libdaxfs calls are made with neither held, except daxfs_mount/unmount
 * (under dsq_region_mutex), daxfs_fstat in dsq_inode_get, and the -shm
 * file's calls of a view-backed WAL index (shm.c, under dsq_lock_mutex:
 * libdaxfs never calls back into the VFS).
 */
#ifndef DAXFS_DSQ_H
#define DAXFS_DSQ_H 1

#include <stdint.h>

#include "daxfs.h"
#include "dsq_api.h"

struct dsq_region;
struct dsq_inode;

/* An open file of the VFS (SQLite's sqlite3_file).  Temporary files are
 * the default VFS's files laid over the same memory instead. */
struct dsq_file {
	sqlite3_file base;        /* pMethods: &dsq_io_methods */
	daxfs *fs;                /* the mount holding the file */
	daxfs_file *f;
	struct dsq_region *reg;   /* the shared mount, or NULL (default fs) */
	struct dsq_inode *ino;    /* main databases: lock and WAL index */
	char *path;               /* full path in fs (sqlite3_malloc) */
	int open_flags;           /* SQLITE_OPEN_* given to xOpen */
	sqlite3_int64 grown;      /* a WAL: its size is known to reach this
				     (file.c, wal_grow); 0: ask */
	int lock;                 /* SQLITE_LOCK_*: what this one holds */
	int shm_mapped;           /* counted in ino's WAL index */
	int shm_view;             /* main databases: shm=view given, the WAL
				     index in views of a -shm file */
	uint16_t shm_shared;      /* WAL-index lock slots held shared */
	uint16_t shm_excl;        /* and exclusively */
	struct dsq_file *next_db; /* region.c: the list of open databases */
};

/* vfs.c */
extern sqlite3_vfs *dsq_base_vfs;
int dsq_errcode(int err, int fallback);

/* file.c */
extern const sqlite3_io_methods dsq_io_methods;

/* lock.c */
int dsq_inode_get(struct dsq_file *p);
void dsq_inode_put(struct dsq_file *p);
int dsq_lock(sqlite3_file *pf, int level);
int dsq_unlock(sqlite3_file *pf, int level);
int dsq_check_reserved(sqlite3_file *pf, int *out);
void dsq_lock_enter(void);
void dsq_lock_leave(void);
/* The WAL index of ino (shm.c), NULL until mapped; set under the lock. */
struct dsq_shm **dsq_inode_shm(struct dsq_inode *ino);

/* shm.c */
int dsq_shm_map(sqlite3_file *pf, int region, int size, int extend,
		void volatile **pp);
int dsq_shm_lock(sqlite3_file *pf, int ofst, int n, int flags);
void dsq_shm_barrier(sqlite3_file *pf);
int dsq_shm_unmap(sqlite3_file *pf, int delete_flag);

/* region.c */
int dsq_region_get(const char *path, unsigned flags, struct dsq_region **r,
		   daxfs **fs);
void dsq_region_put(struct dsq_region *r);
void dsq_set_default_fs(daxfs *fs);
int dsq_db_add(struct dsq_file *p);
void dsq_db_remove(struct dsq_file *p);
daxfs *dsq_fs_for_name(const char *path, struct dsq_region **r);

#endif /* DAXFS_DSQ_H */
