/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region.c -- opening, mapping and locking a region with libpmem2, and
 * discovering devdax devices with libdaxctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>

#include "daxfs.h"
#include "core/badblocks.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/region.h"
#include "core/region_rec.h"

/* Every region mapped in the process (several mounts may coexist),
 * linked by next_mapped, for region_holds. */
static pthread_rwlock_t mapped_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct region *mapped_head;

/* Add r, now mapped, to the process's mapped regions. */
static void region_list_add(struct region *r)
{
	pthread_rwlock_wrlock(&mapped_lock);
	r->next_mapped = mapped_head;
	mapped_head = r;
	pthread_rwlock_unlock(&mapped_lock);
}

/* Take r out of the mapped regions (before it is unmapped); a region
 * that was never added is not found and nothing changes. */
static void region_list_del(struct region *r)
{
	struct region **pp;

	pthread_rwlock_wrlock(&mapped_lock);
	for (pp = &mapped_head; *pp && *pp != r; pp = &(*pp)->next_mapped)
		;
	if (*pp)
		*pp = r->next_mapped;
	pthread_rwlock_unlock(&mapped_lock);
}

bool region_holds(const void *addr)
{
	const unsigned char *a = addr;
	struct region *r;
	bool found = false;

	pthread_rwlock_rdlock(&mapped_lock);
	for (r = mapped_head; r && !found; r = r->next_mapped)
		found = a >= r->base && a < r->base + r->size;
	pthread_rwlock_unlock(&mapped_lock);
	return found;
}

/* Translate a libpmem2 failure into a negative errno with a message. */
static int region_pmem2_err(int ret, const char *what, const char *path)
{
	/* libpmem2 returns a negative errno or one of its own codes. */
	int e = ret < 0 && ret > -4096 ? ret : -EIO;
	const char *why = pmem2_errormsg();
	char buf[64];

	if (ret == PMEM2_E_LENGTH_UNALIGNED || ret == PMEM2_E_OFFSET_UNALIGNED ||
	    ret == PMEM2_E_SOURCE_EMPTY || ret == PMEM2_E_INVALID_FILE_TYPE)
		e = -EINVAL;
	/* libpmem2 does not always set a message, nor clear an old one: say
	 * what the codes we know mean ourselves. */
	if (ret == PMEM2_E_INVALID_FILE_TYPE)
		why = "it is neither a regular file nor a devdax device";
	else if (ret == PMEM2_E_SOURCE_EMPTY)
		why = "it is empty";
	else if (!why || !*why) {
		if (ret < 0 && ret > -4096)
			why = strerror(-ret);
		else {
			snprintf(buf, sizeof(buf), "libpmem2 error %d", ret);
			why = buf;
		}
	}
	return err_set(e, "%s of region %s failed: %s", what, path, why);
}

#define HUGETLBFS_MAGIC_ 0x958458f6 /* linux/magic.h */

/*
 * The region's mapping alignment: the device's (libpmem2 reads it from
 * sysfs) or, for a regular file, its file system's page size where that
 * is a huge page (hugetlbfs refuses every mmap that is not aligned to
 * it, as a devdax device does; libpmem2 reports 4 KiB there).
 */
static int region_alignment(struct region *r, const char *path)
{
	struct statfs sfs;
	int ret = pmem2_source_alignment(r->src, &r->align);

	if (ret)
		return region_pmem2_err(ret, "reading the alignment", path);
	if (!r->devdax && fstatfs(r->fd, &sfs) == 0 &&
	    (unsigned long)sfs.f_type == HUGETLBFS_MAGIC_ &&
	    (size_t)sfs.f_bsize > r->align)
		r->align = (size_t)sfs.f_bsize;
	if (r->align & (r->align - 1))
		return err_set(-EINVAL, "%s: mapping alignment %zu is not a "
			       "power of two", path, r->align);
	return 0;
}

/* Map the opened region whole, shared, with the protection asked. */
static int region_map(struct region *r, const char *path)
{
	struct pmem2_config *cfg = NULL;
	int ret;

	ret = pmem2_source_from_fd(&r->src, r->fd);
	if (ret)
		return region_pmem2_err(ret, "opening", path);
	ret = region_alignment(r, path);
	if (ret)
		return ret;
	ret = pmem2_config_new(&cfg);
	if (ret)
		return region_pmem2_err(ret, "configuring", path);
	/* Any granularity will do: we persist with whatever libpmem2 says. */
	pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
	pmem2_config_set_sharing(cfg, PMEM2_SHARED);
	if (r->rdonly)
		pmem2_config_set_protection(cfg, PMEM2_PROT_READ);
	ret = pmem2_map_new(&r->map, cfg, r->src);
	pmem2_config_delete(&cfg);
	if (ret)
		return region_pmem2_err(ret, "mapping", path);

	r->base = pmem2_map_get_address(r->map);
	r->size = pmem2_map_get_size(r->map);
	r->granularity = pmem2_map_get_store_granularity(r->map);
	r->persist = pmem2_get_persist_fn(r->map);
	r->flush = pmem2_get_flush_fn(r->map);
	r->drain = pmem2_get_drain_fn(r->map);
	r->memcpy = pmem2_get_memcpy_fn(r->map);
	r->memset = pmem2_get_memset_fn(r->map);
	r->nt_copy = r->granularity != PMEM2_GRANULARITY_PAGE;
	region_list_add(r);
	return region_rec_install(r); /* test builds: the recorder */
}

/* Who holds a flock on the file of st, from /proc/locks: "process N
 * (comm)" into buf, or "" where that cannot be known (another mount
 * namespace, no /proc). */
static void region_holder(const struct stat *st, char *buf, size_t len)
{
	char line[256], want[64], comm[64] = "", path[64];
	unsigned long pid = 0;
	FILE *f = fopen("/proc/locks", "re");

	buf[0] = 0;
	if (!f)
		return;
	snprintf(want, sizeof(want), " %02x:%02x:%lu ", major(st->st_dev),
		 minor(st->st_dev), (unsigned long)st->st_ino);
	while (!pid && fgets(line, sizeof(line), f))
		if (strstr(line, "FLOCK") && strstr(line, want))
			sscanf(line, "%*s %*s %*s %*s %lu", &pid);
	fclose(f);
	if (!pid)
		return;
	snprintf(path, sizeof(path), "/proc/%lu/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (comm[0])
		snprintf(buf, len, " (by process %lu, %s)", pid, comm);
	else
		snprintf(buf, len, " (by process %lu)", pid);
}

/*
 * The flock that keeps mounts apart, system wide (flock conflicts between
 * two open file descriptions even within one process): a read-write
 * mount (or mkfs) takes it exclusive, a read-only mount shared, so any
 * number of read-only mounts run together while no read-write one does.
 */
static int region_lock(struct region *r, const char *path,
		       const struct stat *st)
{
	char who[128];

	if (flock(r->fd, (r->rdonly ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return err_set(-errno, "cannot lock region %s: %s", path,
			       strerror(errno));
	region_holder(st, who, sizeof(who));
	return err_set(-EBUSY, "region %s is in use%s: %s", path, who,
		       r->rdonly ? "a read-write mount (or mkfs) holds it"
				 : "mounted already (read-only mounts may "
				   "share it, a read-write one may not)");
}

const char *region_resolve_path(const char *path, char *buf, size_t n)
{
	if (!strchr(path, '/') && !strncmp(path, "dax", 3) &&
	    access(path, F_OK) != 0) {
		snprintf(buf, n, "/dev/%s", path);
		return buf;
	}
	return path;
}

int region_open(const char *path, bool rdonly, struct region **out)
{
	struct region *r;
	struct stat st;
	int ret;

	r = mem_zalloc(sizeof(*r));
	if (!r)
		return err_set(-ENOMEM, "out of memory opening region %s", path);
	r->rdonly = rdonly;
	r->fd = open(path, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (r->fd < 0) {
		ret = err_set(-errno, "cannot open region %s: %s", path,
				strerror(errno));
		r->fd = -1;
		goto fail;
	}
	if (fstat(r->fd, &st) < 0) {
		ret = err_set(-errno, "cannot stat region %s: %s", path,
				strerror(errno));
		goto fail;
	}
	if (S_ISCHR(st.st_mode)) {
		r->devdax = true;
	} else if (!S_ISREG(st.st_mode)) {
		ret = err_set(-EINVAL, "region %s is neither a devdax device "
				"nor a regular file", path);
		goto fail;
	} else if (st.st_size == 0) {
		ret = err_set(-EUCLEAN, "region %s is empty: no file system "
				"(make one with daxfs_mkfs)", path);
		goto fail;
	}
	ret = region_lock(r, path, &st);
	if (ret)
		goto fail;
	ret = region_map(r, path);
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	region_close(&r);
	return ret;
}

int region_populate(struct region *r)
{
	int advice = r->rdonly ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;

	if (madvise(r->base, r->size, advice) == 0)
		return 0;
	return err_set(-errno, "cannot populate the mapping of the region "
		       "(%zu bytes): %s%s", r->size, strerror(errno),
		       errno == EINVAL ? " (MADV_POPULATE_* needs Linux 5.14)"
				       : "");
}

void region_close(struct region **rp)
{
	struct region *r = *rp;

	if (!r)
		return;
	region_rec_forget(r);
	badblocks_delete(&r->bad);
	region_list_del(r);
	if (r->map)
		pmem2_map_delete(&r->map);
	if (r->src)
		pmem2_source_delete(&r->src);
	if (r->fd >= 0)
		close(r->fd); /* drops the flock */
	mem_free(r);
	*rp = NULL;
}

int region_load_badblocks(struct region *r)
{
	return badblocks_load(r->src, r->size, &r->bad);
}

/* List devdax devices with libdaxctl; 0 when the machine has none. */
int region_devices(struct daxfs_device *devs, int max)
{
	struct daxctl_ctx *ctx;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	int n = 0;

	if (daxctl_new(&ctx) < 0)
		return err_set(-ENOMEM, "cannot create a libdaxctl context");
	daxctl_region_foreach(ctx, region) {
		daxctl_dev_foreach(region, dev) {
			const char *name = daxctl_dev_get_devname(dev);

			if (!name || !daxctl_dev_is_enabled(dev))
				continue;
			if (n < max) {
				struct daxfs_device *d = &devs[n];

				memset(d, 0, sizeof(*d));
				snprintf(d->path, sizeof(d->path), "/dev/%s", name);
				d->size = daxctl_dev_get_size(dev);
				d->align = daxctl_dev_get_align(dev);
				d->numa_node = daxctl_dev_get_target_node(dev);
			}
			n++;
		}
	}
	daxctl_unref(ctx);
	return n;
}
