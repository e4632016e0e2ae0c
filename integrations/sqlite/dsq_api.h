/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dsq_api.h -- SQLite's API as the VFS sees it: <sqlite3.h> when linked
 * with libsqlite3 (the C library), the routines table of <sqlite3ext.h>
 * when built as a loadable extension (DAXFS_SQLITE_EXTENSION).
 */
#ifndef DAXFS_DSQ_API_H
#define DAXFS_DSQ_API_H 1

#ifdef DAXFS_SQLITE_EXTENSION
#include <sqlite3ext.h>
#ifndef DSQ_API_DEFINE
SQLITE_EXTENSION_INIT3
#endif
#else
#include <sqlite3.h>
#endif

#endif /* DAXFS_DSQ_API_H */
