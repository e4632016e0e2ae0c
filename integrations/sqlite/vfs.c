/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs.c -- the sqlite3_vfs "daxfs": opening, deleting and probing files
 * in a libdaxfs file system, and its registration.  Temporary files and
 * the VFS's other duties (randomness, time, sleeping, extensions) go to
 * the default VFS found at the first registration (dsq_base_vfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daxfs_sqlite.h"
#include "dsq.h"

#define DSQ_MAX_PATH 512

sqlite3_vfs *dsq_base_vfs;

/* The SQLite code for a negative errno of libdaxfs (fallback for the
 * errors that have no code of their own); logs daxfs_errormsg(). */
int dsq_errcode(int err, int fallback)
{
	int rc = fallback;

	if (err == -ENOSPC || err == -EFBIG)
		rc = SQLITE_FULL;
	else if (err == -ENOMEM)
		rc = SQLITE_IOERR_NOMEM;
	sqlite3_log(rc, "daxfs VFS: %s", daxfs_errormsg());
	return rc;
}

/* Open flags of daxfs_open for SQLite's open flags. */
static int open_flags(int flags)
{
	int o = (flags & SQLITE_OPEN_READWRITE) ? O_RDWR : O_RDONLY;

	if (flags & SQLITE_OPEN_CREATE)
		o |= O_CREAT;
	if (flags & SQLITE_OPEN_EXCLUSIVE)
		o |= O_EXCL;
	return o;
}

/* The mount for a file xOpen opens: region= of a main database, journal
 * or WAL (SQLite gives those the database's URI parameters); for other
 * files that of the open database they belong to, or the default. */
static int open_mount(struct dsq_file *p, const char *name, int flags)
{
	const char *region = NULL;
	unsigned mflags = 0;
	int ret;

	if (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL |
		     SQLITE_OPEN_WAL)) {
		region = sqlite3_uri_parameter(name, "region");
		if (sqlite3_uri_boolean(name, "populate", 0))
			mflags |= DAXFS_MOUNT_POPULATE;
	}
	if (!region && (p->fs = dsq_fs_for_name(name, &p->reg)))
		return SQLITE_OK;
	ret = dsq_region_get(region, mflags, &p->reg, &p->fs);
	if (ret == -ENXIO)
		sqlite3_log(SQLITE_CANTOPEN, "daxfs VFS: %s: no region= and "
			    "no default mount (daxfs_sqlite_register)", name);
	return ret ? SQLITE_CANTOPEN : SQLITE_OK;
}

/* Open p->path in p->fs; read-only when a read-write open is refused
 * (read-only mount), saying so in *out_flags. */
static int open_file(struct dsq_file *p, int flags, int *out_flags)
{
	int ret = daxfs_open(p->fs, p->path, open_flags(flags), 0644, &p->f);

	if ((ret == -EROFS || ret == -EACCES) &&
	    (flags & SQLITE_OPEN_READWRITE)) {
		flags = (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY;
		ret = daxfs_open(p->fs, p->path, O_RDONLY, 0, &p->f);
	}
	if (ret) {
		sqlite3_log(SQLITE_CANTOPEN, "daxfs VFS: %s", daxfs_errormsg());
		return SQLITE_CANTOPEN;
	}
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

/* Set up p for an open of name in its mount (p->fs set): the file, and
 * for a main database its lock and its place in the list. */
static int open_daxfs(struct dsq_file *p, const char *name, int flags,
		      int *out_flags)
{
	int rc;

	p->open_flags = flags;
	p->path = sqlite3_mprintf("%s%s", name[0] == '/' ? "" : "/", name);
	if (!p->path)
		return SQLITE_NOMEM;
	if (flags & SQLITE_OPEN_MAIN_DB) {
		const char *shm = sqlite3_uri_parameter(name, "shm");

		p->shm_view = shm && !strcmp(shm, "view");
		rc = dsq_db_add(p);
		if (rc) {
			p->open_flags &= ~SQLITE_OPEN_MAIN_DB;
			return rc;
		}
	}
	rc = open_file(p, flags, out_flags);
	if (!rc && (flags & SQLITE_OPEN_MAIN_DB))
		rc = dsq_inode_get(p);
	return rc;
}

/* xOpen: a file of the region, or a temporary file of the base VFS. */
static int dsq_open(sqlite3_vfs *vfs, sqlite3_filename name,
		    sqlite3_file *pf, int flags, int *out_flags)
{
	struct dsq_file *p = (struct dsq_file *)pf;
	int rc;

	(void)vfs;
	memset(p, 0, sizeof(*p));
	if (!name || (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
			       SQLITE_OPEN_TRANSIENT_DB |
			       SQLITE_OPEN_SUBJOURNAL)))
		return dsq_base_vfs->xOpen(dsq_base_vfs, name, pf, flags,
					   out_flags);
	rc = open_mount(p, name, flags);
	if (!rc)
		rc = open_daxfs(p, name, flags, out_flags);
	/* SQLite calls xClose only when xOpen set pMethods. */
	p->base.pMethods = &dsq_io_methods;
	if (rc) {
		pf->pMethods->xClose(pf);
		pf->pMethods = NULL;
	}
	return rc;
}

/* xDelete: unlink (durable on return, so sync_dir needs nothing more). */
static int dsq_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	struct dsq_region *r;
	daxfs *fs = dsq_fs_for_name(name, &r);
	int ret = fs ? daxfs_unlink(fs, name) : -ENXIO;

	(void)vfs;
	(void)sync_dir;
	dsq_region_put(r);
	if (ret == -ENOENT)
		return SQLITE_IOERR_DELETE_NOENT;
	return ret ? dsq_errcode(ret, SQLITE_IOERR_DELETE) : SQLITE_OK;
}

/* xAccess: as the unix VFS, an empty regular file does not "exist" (a
 * journal left empty is not hot). */
static int dsq_access(sqlite3_vfs *vfs, const char *name, int what,
		      int *out)
{
	struct dsq_region *r;
	daxfs *fs = dsq_fs_for_name(name, &r);
	struct stat st;
	int ret = fs ? daxfs_stat(fs, name, &st) : -ENXIO;

	(void)vfs;
	dsq_region_put(r);
	*out = 0;
	if (ret)
		return SQLITE_OK;
	if (what == SQLITE_ACCESS_EXISTS)
		*out = !S_ISREG(st.st_mode) || st.st_size > 0;
	else if (what == SQLITE_ACCESS_READWRITE)
		*out = (st.st_mode & 0222) != 0;
	else
		*out = 1;
	return SQLITE_OK;
}

/* xFullPathname: paths are absolute in the file system ("x" is "/x"). */
static int dsq_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
			     char *out)
{
	(void)vfs;
	if (strlen(name) + 2 > (size_t)n)
		return SQLITE_CANTOPEN;
	sqlite3_snprintf(n, out, "%s%s", name[0] == '/' ? "" : "/", name);
	return SQLITE_OK;
}

/* The rest is the base VFS's. */
static void *dsq_dlopen(sqlite3_vfs *v, const char *f)
{
	(void)v;
	return dsq_base_vfs->xDlOpen(dsq_base_vfs, f);
}

static void dsq_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	(void)v;
	dsq_base_vfs->xDlError(dsq_base_vfs, n, msg);
}

static void (*dsq_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
	(void)v;
	return dsq_base_vfs->xDlSym(dsq_base_vfs, h, s);
}

static void dsq_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	dsq_base_vfs->xDlClose(dsq_base_vfs, h);
}

static int dsq_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return dsq_base_vfs->xRandomness(dsq_base_vfs, n, out);
}

static int dsq_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return dsq_base_vfs->xSleep(dsq_base_vfs, us);
}

static int dsq_current_time(sqlite3_vfs *v, double *t)
{
	(void)v;
	return dsq_base_vfs->xCurrentTime(dsq_base_vfs, t);
}

static int dsq_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	(void)v;
	return dsq_base_vfs->xCurrentTimeInt64(dsq_base_vfs, t);
}

/* xGetLastError: the calling thread's libdaxfs message. */
static int dsq_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	if (n > 0)
		sqlite3_snprintf(n, out, "%s", daxfs_errormsg());
	return 0;
}

static sqlite3_vfs dsq_vfs = {
	.iVersion = 2,
	.mxPathname = DSQ_MAX_PATH,
	.zName = "daxfs",
	.xOpen = dsq_open,
	.xDelete = dsq_delete,
	.xAccess = dsq_access,
	.xFullPathname = dsq_full_pathname,
	.xDlOpen = dsq_dlopen,
	.xDlError = dsq_dlerror,
	.xDlSym = dsq_dlsym,
	.xDlClose = dsq_dlclose,
	.xRandomness = dsq_randomness,
	.xSleep = dsq_sleep,
	.xCurrentTime = dsq_current_time,
	.xGetLastError = dsq_last_error,
	.xCurrentTimeInt64 = dsq_current_time64,
};

static pthread_mutex_t dsq_register_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Register the VFS (first call) and set the default mount. */
int daxfs_sqlite_register(daxfs *fs, int make_default)
{
	int rc = SQLITE_OK;

	pthread_mutex_lock(&dsq_register_mutex);
	if (!dsq_base_vfs) {
		dsq_base_vfs = sqlite3_vfs_find(NULL);
		if (!dsq_base_vfs || dsq_base_vfs->iVersion < 2)
			rc = SQLITE_ERROR;
		else if (dsq_base_vfs->szOsFile > (int)sizeof(struct dsq_file))
			dsq_vfs.szOsFile = dsq_base_vfs->szOsFile;
		else
			dsq_vfs.szOsFile = sizeof(struct dsq_file);
	}
	if (rc == SQLITE_OK) {
		dsq_set_default_fs(fs);
		rc = sqlite3_vfs_register(&dsq_vfs, make_default);
	}
	if (rc != SQLITE_OK)
		dsq_base_vfs = NULL;
	pthread_mutex_unlock(&dsq_register_mutex);
	return rc;
}
