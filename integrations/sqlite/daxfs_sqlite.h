/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daxfs_sqlite.h -- a SQLite VFS named "daxfs" that keeps databases in a
 * libdaxfs file system.
 *
 * Two ways to name the region of a database:
 *   - daxfs_sqlite_register(fs, ...) with a mount of your own: databases
 *     opened through the VFS without a region= parameter live in fs
 *     (which must stay mounted while they are open);
 *   - the URI parameter region=PATH (open with SQLITE_OPEN_URI, or a
 *     "file:" name where URIs are on), e.g.
 *       file:/app.db?vfs=daxfs&region=/dev/dax0.0
 *     The VFS mounts PATH once per process (read-write; add populate=1
 *     for DAXFS_MOUNT_POPULATE) and shares that mount between all the
 *     connections that name it; the last file closed unmounts it.
 * The path of the database is its path inside the file system ("/app.db";
 * a relative name is taken from the root).  Its directory must exist.
 *
 * The same code is built as a SQLite loadable extension,
 * libdaxfs_sqlite.so, whose entry point (sqlite3_daxfssqlite_init)
 * registers the VFS without a default mount:
 *       sqlite> .load ./libdaxfs_sqlite
 *       sqlite> .open file:/app.db?vfs=daxfs&region=/dev/shm/region
 *
 * Locks: a read-write libdaxfs mount belongs to one process (see
 * daxfs_mount), so SQLite's file locks and the WAL index are kept in that
 * process only: every connection of the process to the same database
 * file shares one lock (the states of SQLite's rollback-journal locking)
 * and one WAL index in DRAM.  Rollback journal and WAL modes both work,
 * with any number of connections and threads.  The URI parameter
 * shm=view keeps the WAL index in views (daxfs_map) of a "-shm" file of
 * the region instead, removed with the last connection (bench/sqlite.sh
 * measures both: see the README).
 *
 * Temporary files (temp tables, sort spills, statement journals) go to
 * SQLite's default VFS of the time of the first registration ("unix").
 *
 * Not supported: one process opening databases of the same path on two
 * different regions at the same time (the second open fails with
 * SQLITE_CANTOPEN: SQLite's xDelete and xAccess receive a bare path and
 * the VFS must tell which region holds it).
 */
#ifndef DAXFS_SQLITE_H
#define DAXFS_SQLITE_H 1

#include "daxfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Register the VFS "daxfs" (once; later calls only change the default
 * mount) and make fs the mount of databases opened without region=
 * (NULL: none, region= is then required).  make_default: also make it
 * SQLite's default VFS.  Returns SQLITE_OK or an SQLite error code.
 * Thread-safe.
 */
int daxfs_sqlite_register(daxfs *fs, int make_default);

#ifdef __cplusplus
}
#endif

#endif /* DAXFS_SQLITE_H */
