/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region.c -- regions mounted by path once per process and shared by the
 * connections that name them (URI parameter region=), the default mount
 * of daxfs_sqlite_register, and the list of open databases that tells
 * xDelete and xAccess which mount a bare path belongs to.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dsq.h"

/* A region mounted for region=: alive while files of it are open. */
struct dsq_region {
	char *path;                /* realpath of the region */
	daxfs *fs;
	int refs;                  /* open files of the VFS on fs */
	struct dsq_region *next;
};

/* Protects everything below. */
static pthread_mutex_t dsq_region_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct dsq_region *regions;
static daxfs *default_fs;
static struct dsq_file *open_dbs;   /* main databases open now */

/* Set the mount of databases opened without region= (may be NULL). */
void dsq_set_default_fs(daxfs *fs)
{
	pthread_mutex_lock(&dsq_region_mutex);
	default_fs = fs;
	pthread_mutex_unlock(&dsq_region_mutex);
}

/* Mount the region at real path rp and add it to the table: 0 or a
 * negative errno (the message logged through sqlite3_log). */
static int region_mount(const char *rp, unsigned flags, struct dsq_region **r)
{
	struct dsq_region *n = calloc(1, sizeof(*n));
	int ret;

	if (!n || !(n->path = strdup(rp))) {
		free(n);
		return -ENOMEM;
	}
	ret = daxfs_mount(rp, flags, &n->fs);
	if (ret) {
		sqlite3_log(SQLITE_CANTOPEN, "daxfs VFS: %s", daxfs_errormsg());
		free(n->path);
		free(n);
		return ret;
	}
	n->next = regions;
	regions = n;
	*r = n;
	return 0;
}

/*
 * The shared mount of the region at path (mounted with flags if it is not
 * yet), with one more reference: *r and *fs.  path NULL: the default
 * mount (*r NULL).  0 or a negative errno.
 */
int dsq_region_get(const char *path, unsigned flags, struct dsq_region **r,
		   daxfs **fs)
{
	char rp[PATH_MAX];
	struct dsq_region *n;
	int ret = 0;

	*r = NULL;
	pthread_mutex_lock(&dsq_region_mutex);
	if (!path) {
		*fs = default_fs;
		ret = default_fs ? 0 : -ENXIO;
		goto out;
	}
	if (!realpath(path, rp)) {
		ret = -errno;
		goto out;
	}
	for (n = regions; n && strcmp(n->path, rp); n = n->next)
		;
	if (!n)
		ret = region_mount(rp, flags, &n);
	if (!ret) {
		n->refs++;
		*r = n;
		*fs = n->fs;
	}
out:
	pthread_mutex_unlock(&dsq_region_mutex);
	return ret;
}

/* Drop a reference of dsq_region_get: the last one unmounts. */
void dsq_region_put(struct dsq_region *r)
{
	struct dsq_region **pp;

	if (!r)
		return;
	pthread_mutex_lock(&dsq_region_mutex);
	if (--r->refs == 0) {
		for (pp = &regions; *pp != r; pp = &(*pp)->next)
			;
		*pp = r->next;
		if (daxfs_unmount(r->fs))
			sqlite3_log(SQLITE_IOERR, "daxfs VFS: %s",
				    daxfs_errormsg());
		free(r->path);
		free(r);
	}
	pthread_mutex_unlock(&dsq_region_mutex);
}

/* Add an open main database to the list: SQLITE_OK, or SQLITE_CANTOPEN
 * when a database of the same path is open on another mount. */
int dsq_db_add(struct dsq_file *p)
{
	struct dsq_file *d;
	int rc = SQLITE_OK;

	pthread_mutex_lock(&dsq_region_mutex);
	for (d = open_dbs; d; d = d->next_db)
		if (d->fs != p->fs && !strcmp(d->path, p->path))
			break;
	if (d) {
		sqlite3_log(SQLITE_CANTOPEN, "daxfs VFS: %s is open on another "
			    "region in this process", p->path);
		rc = SQLITE_CANTOPEN;
	} else {
		p->next_db = open_dbs;
		open_dbs = p;
	}
	pthread_mutex_unlock(&dsq_region_mutex);
	return rc;
}

/* Remove an open main database from the list (if it is there). */
void dsq_db_remove(struct dsq_file *p)
{
	struct dsq_file **pp;

	pthread_mutex_lock(&dsq_region_mutex);
	for (pp = &open_dbs; *pp && *pp != p; pp = &(*pp)->next_db)
		;
	if (*pp)
		*pp = p->next_db;
	pthread_mutex_unlock(&dsq_region_mutex);
}

/* Length of the database path that file name path derives from: without
 * "-journal", "-wal", "-shm" or a super-journal's "-mjXXXXXXXXX". */
static size_t db_name_len(const char *path)
{
	static const char *const sfx[] = {"-journal", "-wal", "-shm"};
	size_t len = strlen(path), i, k;
	const char *mj = NULL, *q;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		k = strlen(sfx[i]);
		if (len > k && !strcmp(path + len - k, sfx[i]))
			return len - k;
	}
	for (q = path; (q = strstr(q, "-mj")); q++)
		mj = q;
	if (mj && !strchr(mj, '/'))
		return (size_t)(mj - path);
	return len;
}

/*
 * The mount that holds path (a full path given to xDelete, xAccess or an
 * xOpen without region=): that of the open database it belongs to, else
 * the default mount, else the only region mounted; NULL if none fits.
 * *r gets the shared region (NULL for the default mount) with one more
 * reference, for dsq_region_put.
 */
daxfs *dsq_fs_for_name(const char *path, struct dsq_region **r)
{
	size_t len = db_name_len(path);
	struct dsq_file *d;
	daxfs *fs = NULL;

	*r = NULL;
	pthread_mutex_lock(&dsq_region_mutex);
	for (d = open_dbs; d && !fs; d = d->next_db)
		if (strlen(d->path) == len && !strncmp(d->path, path, len)) {
			fs = d->fs;
			*r = d->reg;
		}
	if (!fs)
		fs = default_fs;
	if (!fs && regions && !regions->next) {
		fs = regions->fs;
		*r = regions;
	}
	if (*r)
		(*r)->refs++;
	pthread_mutex_unlock(&dsq_region_mutex);
	return fs;
}
