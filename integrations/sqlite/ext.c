/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ext.c -- the entry point of the loadable extension libdaxfs_sqlite.so.
 *
 * SQLite derives the entry point from the file name: "libdaxfs_sqlite.so"
 * loses its directory, "lib" and everything from the first ".", keeps
 * the letters, lower-cased: sqlite3_daxfssqlite_init.  It registers the
 * VFS with no default mount (databases name their region with region=)
 * and asks SQLite to keep the library loaded after the connection that
 * loaded it closes, since the VFS outlives it.
 */
#define DSQ_API_DEFINE 1
#include "dsq_api.h"
SQLITE_EXTENSION_INIT1

#include "daxfs_sqlite.h"

int sqlite3_daxfssqlite_init(sqlite3 *db, char **err,
			     const sqlite3_api_routines *api);

/* Called by SQLite's sqlite3_load_extension (".load" in the shell). */
__attribute__((visibility("default")))
int sqlite3_daxfssqlite_init(sqlite3 *db, char **err,
			     const sqlite3_api_routines *api)
{
	int rc;

	(void)db;
	SQLITE_EXTENSION_INIT2(api);
	rc = daxfs_sqlite_register(NULL, 0);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("daxfs: cannot register the VFS");
		return rc;
	}
	return SQLITE_OK_LOAD_PERMANENTLY;
}
