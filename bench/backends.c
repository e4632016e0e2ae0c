/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backends.c -- the bench API over libdaxfs, over system calls (tmpfs and
 * the kernel's ext2 on a loop device) and over a plain mapping (memcpy and
 * libpmem2's persisting memcpy: the limits).
 *
 * Paths given to these functions are complete (the caller prefixes
 * be->root), so no path is built inside a timed loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <daxfs.h>
#include <libpmem2.h>

#include "bench.h"

static __thread char errbuf[512];

/* ------------------------------------------------------------------ */
/* libdaxfs                                                            */
/* ------------------------------------------------------------------ */

static int dx_open(struct backend *be, const char *path, int flags, void **fh)
{
	int fl = (flags & BF_RDWR) ? O_RDWR : O_RDONLY;

	if (flags & BF_CREAT)
		fl |= O_CREAT;
	if (flags & BF_TRUNC)
		fl |= O_TRUNC;
	if (flags & BF_APPEND)
		fl |= O_APPEND;
	return daxfs_open(be->priv, path, fl, 0644, (daxfs_file **)fh);
}

static int dx_close(struct backend *be, void *fh)
{
	(void)be;
	return daxfs_close(fh);
}

static ssize_t dx_pread(void *fh, void *buf, size_t len, off_t off)
{
	return daxfs_pread(fh, buf, len, off);
}

static ssize_t dx_pwrite(void *fh, const void *buf, size_t len, off_t off)
{
	return daxfs_pwrite(fh, buf, len, off);
}

static ssize_t dx_append(void *fh, const void *buf, size_t len)
{
	return daxfs_pwrite(fh, buf, len, 0); /* O_APPEND: off ignored */
}

/* All or nothing across a crash: copy-on-write, one journal commit. */
static ssize_t dx_pwrite_atomic(void *fh, const void *buf, size_t len,
				off_t off)
{
	return daxfs_pwrite2(fh, buf, len, off, DAXFS_WRITE_ATOMIC);
}

static int dx_create(struct backend *be, const char *path)
{
	daxfs_file *f;
	int ret = daxfs_open(be->priv, path, O_WRONLY | O_CREAT | O_EXCL,
			     0644, &f);

	if (ret)
		return ret;
	return daxfs_close(f);
}

static int dx_stat(struct backend *be, const char *path)
{
	struct stat st;

	return daxfs_stat(be->priv, path, &st);
}

static int dx_unlink(struct backend *be, const char *path)
{
	return daxfs_unlink(be->priv, path);
}

static int dx_rename(struct backend *be, const char *from, const char *to)
{
	return daxfs_rename(be->priv, from, to);
}

static int dx_mkdir(struct backend *be, const char *path)
{
	return daxfs_mkdir(be->priv, path, 0755);
}

static int dx_map(void *fh, size_t len, bool populate, void **addr)
{
	return daxfs_map(fh, 0, len, PROT_READ | PROT_WRITE,
			 populate ? DAXFS_MAP_POPULATE : 0, addr);
}

static int dx_unmap(void *addr, size_t len)
{
	return daxfs_unmap(addr, len);
}

static const char *dx_errstr(struct backend *be, int err)
{
	(void)be;
	snprintf(errbuf, sizeof(errbuf), "%s (%s)", daxfs_errormsg(),
		 strerror(-err));
	return errbuf;
}

int be_daxfs_init(struct backend *be, const char *region, const char *root)
{
	daxfs *fs;
	int ret;

	memset(be, 0, sizeof(*be));
	/* Mapped in whole at mount: no page fault during the measurements,
	 * as on devdax. */
	ret = daxfs_mount(region, DAXFS_MOUNT_POPULATE, &fs);
	if (ret)
		return ret;
	be->id = B_DAXFS;
	be->name = "libdaxfs";
	snprintf(be->root, sizeof(be->root), "%s", root);
	be->mt = true;
	be->priv = fs;
	be->open = dx_open;
	be->close = dx_close;
	be->pread = dx_pread;
	be->pwrite = dx_pwrite;
	be->append = dx_append;
	be->pwrite_atomic = dx_pwrite_atomic;
	be->persist = NULL; /* a returned daxfs_pwrite is durable */
	be->create = dx_create;
	be->stat = dx_stat;
	be->unlink = dx_unlink;
	be->rename = dx_rename;
	be->mkdir = dx_mkdir;
	be->map = dx_map;
	be->unmap = dx_unmap;
	be->errstr = dx_errstr;
	return 0;
}

int be_daxfs_fini(struct backend *be)
{
	int ret = daxfs_unmount(be->priv);

	be->priv = NULL;
	return ret;
}

/* ------------------------------------------------------------------ */
/* System calls (tmpfs, kernel ext2)                                   */
/* ------------------------------------------------------------------ */

struct pfh {
	int fd;
};

static int px_open(struct backend *be, const char *path, int flags, void **fh)
{
	int fl = ((flags & BF_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	struct pfh *p;
	int fd;

	(void)be;
	if (flags & BF_CREAT)
		fl |= O_CREAT;
	if (flags & BF_TRUNC)
		fl |= O_TRUNC;
	if (flags & BF_APPEND)
		fl |= O_APPEND;
	fd = open(path, fl, 0644);
	if (fd < 0)
		return -errno;
	p = malloc(sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;
	*fh = p;
	return 0;
}

static int px_close(struct backend *be, void *fh)
{
	struct pfh *p = fh;
	int ret = close(p->fd) ? -errno : 0;

	(void)be;
	free(p);
	return ret;
}

static ssize_t px_pread(void *fh, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(((struct pfh *)fh)->fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static ssize_t px_pwrite(void *fh, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(((struct pfh *)fh)->fd, buf, len, off);

	return n < 0 ? -errno : n;
}

static ssize_t px_append(void *fh, const void *buf, size_t len)
{
	ssize_t n = write(((struct pfh *)fh)->fd, buf, len);

	return n < 0 ? -errno : n;
}

static int px_persist(void *fh)
{
	return fdatasync(((struct pfh *)fh)->fd) ? -errno : 0;
}

static int px_create(struct backend *be, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	(void)be;
	if (fd < 0)
		return -errno;
	return close(fd) ? -errno : 0;
}

static int px_stat(struct backend *be, const char *path)
{
	struct stat st;

	(void)be;
	return stat(path, &st) ? -errno : 0;
}

static int px_unlink(struct backend *be, const char *path)
{
	(void)be;
	return unlink(path) ? -errno : 0;
}

static int px_rename(struct backend *be, const char *from, const char *to)
{
	(void)be;
	return rename(from, to) ? -errno : 0;
}

static int px_mkdir(struct backend *be, const char *path)
{
	(void)be;
	return mkdir(path, 0755) ? -errno : 0;
}

static int px_map(void *fh, size_t len, bool populate, void **addr)
{
	void *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (populate ? MAP_POPULATE : 0),
		       ((struct pfh *)fh)->fd, 0);

	if (a == MAP_FAILED)
		return -errno;
	*addr = a;
	return 0;
}

static int px_unmap(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

static const char *px_errstr(struct backend *be, int err)
{
	(void)be;
	snprintf(errbuf, sizeof(errbuf), "%s", strerror(-err));
	return errbuf;
}

void be_posix_init(struct backend *be, int id, const char *name,
		   const char *root)
{
	memset(be, 0, sizeof(*be));
	be->id = id;
	be->name = name;
	snprintf(be->root, sizeof(be->root), "%s", root);
	be->mt = true;
	be->open = px_open;
	be->close = px_close;
	be->pread = px_pread;
	be->pwrite = px_pwrite;
	be->append = px_append;
	be->persist = px_persist;
	be->create = px_create;
	be->stat = px_stat;
	be->unlink = px_unlink;
	be->rename = px_rename;
	be->mkdir = px_mkdir;
	be->map = px_map;
	be->unmap = px_unmap;
	be->errstr = px_errstr;
}

/* ------------------------------------------------------------------ */
/* The limits: memcpy and pmem2's memcpy on one pmem2 mapping          */
/* ------------------------------------------------------------------ */

#define MEM_MAXSLOTS 16

struct memctx {
	int fd;
	struct pmem2_source *src;
	struct pmem2_map *map;
	char *base;
	size_t slot_size;
	int nslots;
	char *names[MEM_MAXSLOTS]; /* a "file" is a slot of the mapping */
	pmem2_memcpy_fn memcpy_fn;
};

struct mfh {
	struct memctx *m;
	char *base;
	size_t cur; /* append position */
};

static int mem_open(struct backend *be, const char *path, int flags, void **fh)
{
	struct memctx *m = be->priv;
	struct mfh *h;
	int i;

	for (i = 0; i < m->nslots && m->names[i]; i++)
		if (!strcmp(m->names[i], path))
			break;
	if (i == m->nslots)
		return -ENOSPC;
	if (!m->names[i]) {
		if (!(flags & BF_CREAT))
			return -ENOENT;
		m->names[i] = strdup(path);
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->base = m->base + (size_t)i * m->slot_size;
	*fh = h;
	return 0;
}

static int mem_close(struct backend *be, void *fh)
{
	(void)be;
	free(fh);
	return 0;
}

static ssize_t mem_pread(void *fh, void *buf, size_t len, off_t off)
{
	struct mfh *h = fh;

	if ((size_t)off + len > h->m->slot_size)
		return -EINVAL;
	memcpy(buf, h->base + off, len);
	return len;
}

static ssize_t mc_pwrite(void *fh, const void *buf, size_t len, off_t off)
{
	struct mfh *h = fh;

	if ((size_t)off + len > h->m->slot_size)
		return -EINVAL;
	memcpy(h->base + off, buf, len);
	return len;
}

static ssize_t pm_pwrite(void *fh, const void *buf, size_t len, off_t off)
{
	struct mfh *h = fh;

	if ((size_t)off + len > h->m->slot_size)
		return -EINVAL;
	h->m->memcpy_fn(h->base + off, buf, len, 0);
	return len;
}

static ssize_t mc_append(void *fh, const void *buf, size_t len)
{
	struct mfh *h = fh;
	ssize_t n = mc_pwrite(fh, buf, len, h->cur);

	if (n > 0)
		h->cur += n;
	return n;
}

static ssize_t pm_append(void *fh, const void *buf, size_t len)
{
	struct mfh *h = fh;
	ssize_t n = pm_pwrite(fh, buf, len, h->cur);

	if (n > 0)
		h->cur += n;
	return n;
}

static int mem_unlink(struct backend *be, const char *path)
{
	struct memctx *m = be->priv;

	for (int i = 0; i < m->nslots && m->names[i]; i++)
		if (!strcmp(m->names[i], path))
			return 0; /* the slot stays reserved for that name */
	return -ENOENT;
}

static const char *mem_errstr(struct backend *be, int err)
{
	(void)be;
	snprintf(errbuf, sizeof(errbuf), "%s (%s)", strerror(-err),
		 pmem2_errormsg());
	return errbuf;
}

int be_mem_init(struct backend *mc, struct backend *pm, const char *file,
		size_t slot_size, int nslots)
{
	struct memctx *m = calloc(1, sizeof(*m));
	struct pmem2_config *cfg = NULL;
	int ret;

	if (!m)
		return -ENOMEM;
	if (nslots > MEM_MAXSLOTS)
		nslots = MEM_MAXSLOTS;
	m->slot_size = slot_size;
	m->nslots = nslots;
	m->fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (m->fd < 0)
		return -errno;
	/* Allocated up front, and (below) mapped in whole, as the region. */
	ret = posix_fallocate(m->fd, 0, (off_t)slot_size * nslots);
	if (ret)
		return -ret;
	ret = pmem2_source_from_fd(&m->src, m->fd);
	if (!ret)
		ret = pmem2_config_new(&cfg);
	if (!ret)
		ret = pmem2_config_set_required_store_granularity(
			cfg, PMEM2_GRANULARITY_PAGE);
	if (!ret)
		ret = pmem2_map_new(&m->map, cfg, m->src);
	if (cfg)
		pmem2_config_delete(&cfg);
	if (ret) {
		fprintf(stderr, "pmem2 mapping of %s: %s\n", file,
			pmem2_errormsg());
		return ret < 0 ? ret : -EIO;
	}
	m->base = pmem2_map_get_address(m->map);
	m->memcpy_fn = pmem2_get_memcpy_fn(m->map);
	if (madvise(m->base, slot_size * nslots, MADV_POPULATE_WRITE))
		return -errno;

	memset(mc, 0, sizeof(*mc));
	mc->id = B_MEMCPY;
	mc->name = "memcpy";
	mc->mt = true;
	mc->priv = m;
	mc->open = mem_open;
	mc->close = mem_close;
	mc->pread = mem_pread;
	mc->pwrite = mc_pwrite;
	mc->append = mc_append;
	mc->unlink = mem_unlink;
	mc->errstr = mem_errstr;

	*pm = *mc;
	pm->id = B_PMEM2;
	pm->name = "pmem2";
	pm->pread = NULL; /* reads are the memcpy column */
	pm->pwrite = pm_pwrite;
	pm->append = pm_append;
	return 0;
}

const char *be_mem_granularity(struct backend *mc)
{
	struct memctx *m = mc->priv;

	switch (pmem2_map_get_store_granularity(m->map)) {
	case PMEM2_GRANULARITY_BYTE:
		return "BYTE (eADR: no flush)";
	case PMEM2_GRANULARITY_CACHE_LINE:
		return "CACHE_LINE (ADR: cache-line flush + fence)";
	case PMEM2_GRANULARITY_PAGE:
		return "PAGE (msync)";
	default:
		return "?";
	}
}

void be_mem_fini(struct backend *mc)
{
	struct memctx *m = mc->priv;

	if (!m)
		return;
	pmem2_map_delete(&m->map);
	pmem2_source_delete(&m->src);
	close(m->fd);
	for (int i = 0; i < m->nslots; i++)
		free(m->names[i]);
	free(m);
	mc->priv = NULL;
}
