/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c -- the DAX fault path in user space (dax_iomap_fault), and the
 * operations that keep views coherent with the block map: a write that
 * fills a hole replaces zero pages, truncate unmaps, fsync writes dirty
 * entries back.
 *
 * Lock order of the fault path (the order of the seed "dax: call
 * ->iomap_begin without entry lock during dax fault"):
 *
 *   view registry (read)                 view.c, for the whole fault
 *     inode dax_sem (read)               the file system's fault wrapper
 *       ->iomap_begin() .. ->iomap_end()  one extent
 *         entry lock (DAX_LOCKED)        after iomap_begin, put before
 *                                        iomap_end; more than one only
 *                                        by trylock (batch, fault-around)
 *           mapping->views_lock          other views of the file
 *             mapping->lock              short, inside entry.c
 *
 * What is held between iomap_begin() and iomap_end(): nothing, in ext2;
 * its block-map lock is taken and dropped inside iomap_begin.  The order
 * matters anyway: pread/pwrite copy between begin and end, and that copy
 * can fault on a user buffer that is a view.  If a file system held
 * something there (ext4 holds a journal handle, and a commit waits for
 * it), a fault that took the entry lock first and then waited in
 * iomap_begin would close a cycle with a copy holding the handle and
 * waiting for that entry.  Taking entry locks only inside begin..end
 * cannot: whoever holds an entry lock already has its extent and waits
 * for nothing the copy holds.  tests/ prove it with a test-only journal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "daxfs.h"
#include "core/err.h"
#include "dax/fault.h"

struct dax_test_hooks dax_hooks;

void dax_mapping_add_view(struct dax_mapping *m, struct dax_view *v)
{
	pthread_mutex_lock(&m->views_lock);
	v->mapping = m;
	v->next = m->views;
	m->views = v;
	atomic_fetch_add(&m->nr_views, 1);
	pthread_mutex_unlock(&m->views_lock);
}

void dax_mapping_del_view(struct dax_mapping *m, struct dax_view *v)
{
	struct dax_view **pp;

	pthread_mutex_lock(&m->views_lock);
	for (pp = &m->views; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			atomic_fetch_sub(&m->nr_views, 1);
			break;
		}
	}
	pthread_mutex_unlock(&m->views_lock);
}

/* Does persisting need flushes (anything but eADR byte granularity)? */
static bool needs_flush(const struct region *rgn)
{
	return rgn->granularity != PMEM2_GRANULARITY_BYTE;
}

/* The state a block page takes in v on a fault that is not a store. */
static enum dax_page_state read_state(const struct dax_view *v)
{
	return (v->prot & PROT_WRITE) && !v->track_dirty ? DAX_PG_RW
							 : DAX_PG_RO;
}

/* The pages [*lo, *hi) of [first, first+n) that v shows (empty when
 * *lo >= *hi). */
static void view_clip(const struct dax_view *v, uint64_t first, uint64_t n,
		      uint64_t *lo, uint64_t *hi)
{
	uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT);

	*lo = first > v->pgoff ? first : v->pgoff;
	*hi = first + n < vend ? first + n : vend;
}

enum views_mode {
	VIEWS_TRUNCATE,     /* pages gone: lazy -> NONE, populate -> SIGBUS */
	VIEWS_REPLACE_ZERO, /* zero pages became blocks at dev_off */
};

/* Apply mode to every view's pages in [first, first+n).  Called with
 * the entry locks of the range held, or dax_sem held exclusively. */
static void views_update(struct dax_mapping *m, uint64_t first, uint64_t n,
			 enum views_mode mode, uint64_t dev_off)
{
	struct dax_view *v;

	pthread_mutex_lock(&m->views_lock);
	for (v = m->views; v; v = v->next) {
		bool pop = v->flags & 1 /* DAXFS_MAP_POPULATE */;
		uint64_t lo, hi;

		view_clip(v, first, n, &lo, &hi);

		while (lo < hi) {
			uint64_t a = lo, b;
			enum dax_page_state s = dax_view_state(v, a);
			bool hit = mode == VIEWS_TRUNCATE
					   ? s != DAX_PG_NONE && s != DAX_PG_SIGBUS
					   : s == DAX_PG_ZERO;

			for (b = a + 1; b < hi && dax_view_state(v, b) == s; b++)
				;
			lo = b;
			if (!hit)
				continue;
			if (!pop)
				dax_view_zap(v, a, b - a);
			else if (mode == VIEWS_TRUNCATE)
				dax_view_install(v, a, b - a, 0, DAX_PG_SIGBUS);
			else
				dax_view_install(v, a, b - a,
						   dev_off + ((a - first) << DAX_PAGE_SHIFT),
						   read_state(v));
		}
	}
	pthread_mutex_unlock(&m->views_lock);
}

/* A fault at pgoff failed for why (err a negative errno): record it (a
 * populating daxfs_map reports it) and return err. */
static int fault_fail(int err, uint64_t pgoff, const char *why)
{
	return err_set(err, "fault at file page %llu: %s: %s",
		       (unsigned long long)pgoff, why, strerror(-err));
}

/* Sleep for the stall test hook until it is cleared. */
static void hook_stall(const struct dax_fault_ctx *c)
{
	struct timespec ts = { 0, 1000000 };

	while (atomic_load(&dax_hooks.stall) &&
	       atomic_load(&dax_hooks.stall_ino) == c->ino)
		nanosleep(&ts, NULL);
}

/* Move the pages of v in [lo, hi) that are in state from to state to
 * (RO <-> RW), one mprotect per run; the caller holds their entry locks.
 * Returns 0 or the negative errno of the mprotect that failed. */
static int view_protect_runs(struct dax_view *v, uint64_t lo, uint64_t hi,
			     enum dax_page_state from, enum dax_page_state to)
{
	uint64_t b;
	int ret;

	for (; lo < hi; lo = b) {
		for (b = lo; b < hi && dax_view_state(v, b) == from; b++)
			;
		if (b == lo) {
			b++;
			continue;
		}
		ret = dax_view_protect(v, lo, b - lo, to);
		if (ret)
			return ret;
	}
	return 0;
}

/* The pages [*lo, *hi) of v in the write granule of pgoff. */
static void granule_of(const struct dax_view *v, uint64_t pgoff,
		       uint64_t *lo, uint64_t *hi)
{
	view_clip(v, pgoff & ~(uint64_t)(DAX_WRITE_GRANULE - 1),
		  DAX_WRITE_GRANULE, lo, hi);
}

/*
 * A store hit pgoff, a read-only page of v backed by the 4 KiB block entry
 * e, whose lock the caller holds: make it writable with the other pages of
 * its write granule (DAX_WRITE_GRANULE) that are installed read-only from
 * 4 KiB block entries free now, one mprotect per run, and mark them dirty
 * when stores need flushes.  The other entries are only tried, never
 * waited for, so the order of entry locks does not matter.  Puts every
 * entry it took, pgoff's too.  Returns 0 or -EFAULT when pgoff could not
 * be made writable.
 */
static int mkwrite_granule(struct dax_view *v, uint64_t pgoff, uint64_t e,
			   bool dirty)
{
	struct dax_mapping *m = v->mapping;
	uint64_t g = pgoff & ~(uint64_t)(DAX_WRITE_GRANULE - 1), i, b, lo, hi;
	uint64_t held[DAX_WRITE_GRANULE];
	bool got[DAX_WRITE_GRANULE] = { false };
	int ret = -EFAULT;

	granule_of(v, pgoff, &lo, &hi);
	held[pgoff - g] = e;
	got[pgoff - g] = true;
	for (i = lo; i < hi; i++) {
		if (i == pgoff || dax_view_state(v, i) != DAX_PG_RO ||
		    dax_grab_entry(m, i, false, true, &e))
			continue;
		if (dax_is_pmd(e) || dax_is_zero(e) || dax_is_empty(e) ||
		    dax_view_state(v, i) != DAX_PG_RO) {
			dax_put_entry(m, i, dax_is_empty(e) ? 0 : e);
			continue;
		}
		held[i - g] = e;
		got[i - g] = true;
	}
	/* Runs of held pages [i, b). */
	for (i = lo; i < hi; i = b + 1) {
		bool rw;

		for (b = i; b < hi && got[b - g]; b++)
			;
		if (b == i)
			continue;
		rw = dax_view_protect(v, i, b - i, DAX_PG_RW) == 0;
		if (rw)
			dax_view_prefault_write(v, i, b - i);
		if (rw && pgoff >= i && pgoff < b)
			ret = 0;
		for (; i < b; i++)
			dax_put_entry(m, i, held[i - g] |
					      (rw && dirty ? DAX_DIRTY : 0));
	}
	return ret;
}

/* A store to a read-only installed block page (pfn_mkwrite): mark the
 * entry dirty and let stores through, with the rest of its 2 MiB entry
 * or of its write granule. */
static int dax_mkwrite(struct dax_view *v, uint64_t pgoff,
		       const struct dax_fault_ctx *c)
{
	struct dax_mapping *m = v->mapping;
	bool dirty = needs_flush(c->rgn);
	uint64_t e, lo, hi;
	int ret;

	ret = dax_grab_entry(m, pgoff, false, false, &e);
	if (ret)
		return -EFAULT;
	if (dax_view_state(v, pgoff) != DAX_PG_RO || dax_is_zero(e) ||
	    dax_is_empty(e)) {
		/* Changed meanwhile: the retried store faults again. */
		dax_put_entry(m, pgoff, dax_is_empty(e) ? 0 : e);
		return 0;
	}
	if (!dax_is_pmd(e))
		return mkwrite_granule(v, pgoff, e, dirty);
	/* A 2 MiB entry: its whole unit; the stores are likely near pgoff. */
	view_clip(v, pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1), DAX_PMD_PAGES,
		  &lo, &hi);
	ret = view_protect_runs(v, lo, hi, DAX_PG_RO, DAX_PG_RW);
	if (!ret) {
		granule_of(v, pgoff, &lo, &hi);
		dax_view_prefault_write(v, lo, hi - lo);
	}
	if (!ret && dirty)
		e |= DAX_DIRTY;
	dax_put_entry(m, pgoff, e);
	return ret ? -EFAULT : 0;
}

/* The bytes from the 2 MiB unit at unit that a load fault may install:
 * whole units of the view below EOF, at most DAX_PMD_AROUND of them. */
static uint64_t pmd_around_len(const struct dax_view *v, uint64_t unit,
			       uint64_t isize)
{
	uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT);
	uint64_t eof = isize >> DAX_PAGE_SHIFT, n = 1;

	while (n < DAX_PMD_AROUND &&
	       unit + (n + 1) * DAX_PMD_PAGES <= vend &&
	       unit + (n + 1) * DAX_PMD_PAGES <= eof)
		n++;
	return n * DAX_PMD_SIZE;
}

/*
 * Lock the entries of the units after unit that a fault-around may
 * install (fault-around: see DAX_PMD_AROUND): up to the first that is
 * busy, has 4 KiB entries, is installed in v already, or holds another
 * block than dev maps it to.  Trylocks only: the caller holds the
 * unit's entry lock, and a thread holding one of these may be waiting
 * for it.  Returns how many were locked; their values are in e[1..].
 */
static uint64_t pmd_grab_around(struct dax_view *v, uint64_t unit,
				uint64_t dev, uint64_t nunits, uint64_t *e)
{
	uint64_t k;

	for (k = 1; k < nunits; k++) {
		uint64_t u = unit + k * DAX_PMD_PAGES;
		uint64_t blk = (dev >> DAX_PAGE_SHIFT) + k * DAX_PMD_PAGES;

		if (dax_grab_entry(v->mapping, u, true, true, &e[k]))
			break;
		if (dax_view_state(v, u) != DAX_PG_NONE ||
		    (!dax_is_empty(e[k]) && dax_block(e[k]) != blk)) {
			dax_put_entry(v->mapping, u,
					dax_is_empty(e[k]) ? 0 : e[k]);
			break;
		}
	}
	return k - 1;
}

/* Try a 2 MiB install of the unit holding pgoff, and for a load of the
 * units after it (fault-around); 0 when done, 1 to fall back to 4 KiB
 * pages. */
static int dax_fault_pmd(struct dax_view *v, uint64_t pgoff, bool write,
			 const struct dax_fault_ctx *c)
{
	struct dax_mapping *m = v->mapping;
	uint64_t unit = pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1);
	uint64_t pos = unit << DAX_PAGE_SHIFT, dev, len = DAX_PMD_SIZE;
	uint64_t e[DAX_PMD_AROUND], n = 0, k;
	unsigned flags = write ? IOMAP_WRITE : 0;
	enum dax_page_state st;
	struct iomap iomap;
	int ret, result = 1;

	if (atomic_load(&dax_hooks.no_pmd) ||
	    !dax_view_has(v, unit) ||
	    !dax_view_has(v, unit + DAX_PMD_PAGES - 1) ||
	    c->isize < pos + DAX_PMD_SIZE)
		return 1;
	if (!write)
		len = pmd_around_len(v, unit, c->isize);
	ret = c->ops->iomap_begin(v->inode, pos, len, flags, &iomap);
	if (ret)
		return 1;
	if (iomap.flags & IOMAP_F_NEW)
		atomic_fetch_add(&m->fill_seq, 1);
	dev = iomap.addr + (pos - iomap.offset);
	if (iomap.type != IOMAP_MAPPED || iomap.offset > pos ||
	    iomap.offset + iomap.length < pos + DAX_PMD_SIZE ||
	    (dev & (DAX_PMD_SIZE - 1)))
		goto finish_iomap;
	if (dax_grab_entry(m, unit, true, false, &e[0]))
		goto finish_iomap; /* 4 KiB entries in the unit */
	st = write ? DAX_PG_RW : read_state(v);
	if (!dax_is_empty(e[0]) && dax_block(e[0]) != dev >> DAX_PAGE_SHIFT) {
		dax_put_entry(m, unit, e[0]); /* stale: let 4 KiB sort it */
		goto finish_iomap;
	}
	/* Units of the extent after this one, under their entry locks. */
	if (len > iomap.offset + iomap.length - pos)
		len = (iomap.offset + iomap.length - pos) & ~(DAX_PMD_SIZE - 1);
	n = 1 + pmd_grab_around(v, unit, dev, len / DAX_PMD_SIZE, e);
	if (dax_view_install(v, unit, n * DAX_PMD_PAGES, dev, st) == 0) {
		for (k = 0; k < n; k++) {
			e[k] = dax_is_empty(e[k]) ? 0 : e[k] & DAX_DIRTY;
			if (st == DAX_PG_RW && needs_flush(c->rgn))
				e[k] |= DAX_DIRTY;
			e[k] |= dax_make((dev >> DAX_PAGE_SHIFT) +
					 k * DAX_PMD_PAGES, DAX_PMD);
		}
		result = 0;
	} else {
		for (k = 0; k < n; k++)
			if (dax_is_empty(e[k]))
				e[k] = 0;
	}
	for (k = 0; k < n; k++)
		dax_put_entry(m, unit + k * DAX_PMD_PAGES, e[k]);
finish_iomap:
	if (c->ops->iomap_end)
		c->ops->iomap_end(v->inode, pos, len,
				  result ? 0 : n * DAX_PMD_SIZE, flags, &iomap);
	return result;
}

/* The 4 KiB fault: one extent, as many pages of it as the entry locks
 * allow. */
static int dax_fault_pte(struct dax_view *v, uint64_t pgoff, bool write,
			 const struct dax_fault_ctx *c, bool *retry)
{
	struct dax_mapping *m = v->mapping;
	uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT);
	uint64_t eof = (c->isize + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT;
	uint64_t end = pgoff + DAX_FAULT_BATCH, pos = pgoff << DAX_PAGE_SHIFT;
	unsigned flags = write ? IOMAP_WRITE : 0;
	uint64_t e, dev, blk, n, i, gend;
	/* Per page of the batch: was the entry new, was it dirty (bitmaps,
	 * small enough for a signal stack). */
	uint64_t was_empty[DAX_FAULT_BATCH / 64] = { 0 };
	uint64_t was_dirty[DAX_FAULT_BATCH / 64] = { 0 };
	enum dax_page_state st;
	struct iomap iomap;
	bool entry_first = atomic_load(&dax_hooks.entry_lock_first);
	unsigned long seq;
	int ret, result = -EFAULT;

	end = end < vend ? end : vend;
	end = end < eof ? end : eof;
	if (entry_first) { /* test only: the order the seed removed */
		if (dax_grab_entry(m, pgoff, false, false, &e))
			return -EFAULT;
	}
	/*
	 * Look the batch up without allocating; a store into a hole then
	 * allocates its one page only (as the kernel's write fault does).
	 */
	seq = atomic_load(&m->fill_seq);
	ret = c->ops->iomap_begin(v->inode, pos, (end - pgoff) << DAX_PAGE_SHIFT,
				  0, &iomap);
	if (!ret && write && iomap.type != IOMAP_MAPPED) {
		if (c->ops->iomap_end)
			c->ops->iomap_end(v->inode, pos, 0, 0, 0, &iomap);
		ret = c->ops->iomap_begin(v->inode, pos, DAX_PAGE_SIZE, flags,
					  &iomap);
		if (!ret && (iomap.flags & IOMAP_F_NEW))
			atomic_fetch_add(&m->fill_seq, 1);
	} else {
		flags = 0;
	}
	if (ret) {
		if (entry_first)
			dax_put_entry(m, pgoff, dax_is_empty(e) ? 0 : e);
		return ret; /* the file system set the message */
	}
	if (iomap.offset > pos || iomap.offset + iomap.length <= pos) {
		if (entry_first)
			dax_put_entry(m, pgoff, dax_is_empty(e) ? 0 : e);
		result = fault_fail(-EIO, pgoff, "the file system gave an "
				    "extent that does not hold it");
		goto finish_iomap;
	}
	if ((iomap.offset + iomap.length) >> DAX_PAGE_SHIFT < end)
		end = (iomap.offset + iomap.length) >> DAX_PAGE_SHIFT;
	if (!entry_first && (ret = dax_grab_entry(m, pgoff, false, false,
						   &e))) {
		result = fault_fail(ret, pgoff, "no mapping index entry");
		goto finish_iomap;
	}
	hook_stall(c);

	if (dax_is_pmd(e) && !dax_is_empty(e)) {
		/* A 2 MiB entry covers the page: install its part. */
		dev = (dax_block(e) + (pgoff & (DAX_PMD_PAGES - 1)))
		      << DAX_PAGE_SHIFT;
		st = write ? DAX_PG_RW : read_state(v);
		ret = dax_view_install(v, pgoff, 1, dev, st);
		result = ret ? fault_fail(ret, pgoff, "cannot map it") : 0;
		if (!ret && st == DAX_PG_RW && needs_flush(c->rgn))
			e |= DAX_DIRTY;
		dax_put_entry(m, pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1), e);
		goto finish_iomap;
	}
	if (iomap.type != IOMAP_MAPPED) {
		/*
		 * A hole, read.  If a write gave it blocks since our
		 * iomap_begin (fill_seq moved), start over: the zero page
		 * would hide its data.  A write after this point finds our
		 * entry and replaces the zero page (dax_invalidate_zero).
		 * No iomap_begin under the entry lock.
		 */
		if (write || atomic_load(&m->fill_seq) != seq) {
			dax_put_entry(m, pgoff, dax_is_empty(e) ? 0 : e);
			*retry = !write;
			if (write)
				result = fault_fail(-EIO, pgoff, "a store "
						    "found no block");
			goto finish_iomap;
		}
		ret = dax_view_install(v, pgoff, 1, 0, DAX_PG_ZERO);
		result = ret ? fault_fail(ret, pgoff, "cannot map the zero "
					  "page") : 0;
		if (!ret)
			e = DAX_ZERO_PAGE;
		dax_put_entry(m, pgoff, dax_is_empty(e) ? 0 : e);
		goto finish_iomap;
	}

	dev = iomap.addr + (pos - iomap.offset);
	blk = dev >> DAX_PAGE_SHIFT;
	if (dax_is_zero(e)) /* a hole was filled: no view may keep zeros */
		views_update(m, pgoff, 1, VIEWS_REPLACE_ZERO, dev);
#define BIT_SET(map, i) ((map)[(i) / 64] |= 1ULL << ((i) % 64))
#define BIT_GET(map, i) (((map)[(i) / 64] >> ((i) % 64)) & 1)
	if (dax_is_empty(e))
		BIT_SET(was_empty, 0);
	if (dax_is_dirty(e))
		BIT_SET(was_dirty, 0);
	for (n = 1; pgoff + n < end; n++) {
		if (dax_grab_entry(m, pgoff + n, false, true, &e))
			break;
		if (dax_is_pmd(e) || dax_is_zero(e) ||
		    (!dax_is_empty(e) && dax_block(e) != blk + n)) {
			dax_put_entry(m, pgoff + n, dax_is_empty(e) ? 0 : e);
			break;
		}
		if (dax_is_empty(e))
			BIT_SET(was_empty, n);
		if (dax_is_dirty(e))
			BIT_SET(was_dirty, n);
	}
	st = read_state(v);
	ret = dax_view_install(v, pgoff, n, dev, write ? DAX_PG_RW : st);
	gend = DAX_WRITE_GRANULE - (pgoff & (DAX_WRITE_GRANULE - 1));
	if (!ret && write && st != DAX_PG_RW && n > gend)
		/* Stores are tracked: writable to the end of the faulting
		 * page's granule, read-only after it. */
		ret = dax_view_protect(v, pgoff + gend, n - gend, st);
	if (!ret && write && st != DAX_PG_RW)
		dax_view_prefault_write(v, pgoff, n < gend ? n : gend);
	for (i = 0; i < n; i++) {
		uint64_t ne = 0;

		if (!ret || !BIT_GET(was_empty, i)) {
			bool rw = !ret &&
				  dax_view_state(v, pgoff + i) == DAX_PG_RW;

			ne = dax_make(blk + i, BIT_GET(was_dirty, i) ? DAX_DIRTY
								   : 0);
			if (rw && needs_flush(c->rgn))
				ne |= DAX_DIRTY;
		}
		dax_put_entry(m, pgoff + i, ne);
	}
	result = ret ? fault_fail(ret, pgoff, "cannot map its blocks") : 0;
finish_iomap:
	if (c->ops->iomap_end) {
		/*
		 * The fault is done and cannot be undone (another thread may
		 * use the mapping already): an error from iomap_end is
		 * ignored, as in the kernel.
		 */
		c->ops->iomap_end(v->inode, pos, DAX_PAGE_SIZE,
				  result ? 0 : DAX_PAGE_SIZE, flags, &iomap);
	}
	return result;
}

int dax_iomap_fault(struct dax_view *v, uint64_t pgoff, bool write,
			  const struct dax_fault_ctx *c)
{
	enum dax_page_state s;
	bool retry;
	int ret;

	do {
		retry = false;
		if ((pgoff << DAX_PAGE_SHIFT) >= c->isize)
			return -EFAULT; /* SIGBUS past EOF */
		s = dax_view_state(v, pgoff);
		if (write && s == DAX_PG_RO)
			return dax_mkwrite(v, pgoff, c);
		if (s == DAX_PG_RW || (!write && (s == DAX_PG_RO ||
						  s == DAX_PG_ZERO)))
			return 0; /* another thread installed it meanwhile */
		if (dax_fault_pmd(v, pgoff, write, c) == 0)
			return 0;
		ret = dax_fault_pte(v, pgoff, write, c, &retry);
	} while (retry);
	return ret;
}

/* Populating stopped at page pg with err: the message says it was the
 * map call, and keeps why the fault path found (it set a message at
 * every failure). */
static int populate_fail(int err, uint64_t pg)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", err_reason());
	return err_set(err, "cannot populate file page %llu: %s",
		       (unsigned long long)pg, why);
}

int dax_populate(struct dax_view *v, uint64_t first, uint64_t end,
		       int (*fault)(struct dax_view *, uint64_t, bool),
		       uint64_t isize)
{
	uint64_t eof = (isize + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT, pg, e;
	bool write = v->prot & PROT_WRITE;
	int ret;

	for (pg = first; pg < end; pg++) {
		if (dax_view_state(v, pg) != DAX_PG_NONE)
			continue;
		if (pg >= eof) {
			ret = dax_grab_entry(v->mapping, pg, false, false, &e);
			if (!ret) {
				ret = dax_view_install(v, pg, 1, 0,
						       DAX_PG_SIGBUS);
				dax_put_entry(v->mapping, pg,
					      dax_is_empty(e) ? 0 : e);
			}
			if (ret)
				fault_fail(ret, pg, "cannot map the page "
					   "past EOF");
		} else {
			ret = fault(v, pg, write);
		}
		if (ret)
			return populate_fail(ret, pg);
	}
	return 0;
}

void dax_invalidate_zero(struct dax_mapping *m, uint64_t first,
			       uint64_t n, uint64_t dev_off)
{
	uint64_t i = first, e;

	if (!atomic_load(&m->nr_entries))
		return;
	/*
	 * Every present entry is grabbed, locked ones included: a read fault
	 * that looked at the hole before our allocation may be about to
	 * install the zero page; once it has put its entry we see it here.
	 */
	while (dax_next_entry(m, &i, first + n)) {
		if (dax_grab_entry(m, i, false, false, &e)) {
			i++;
			continue;
		}
		if (dax_is_zero(e)) {
			views_update(m, i, 1, VIEWS_REPLACE_ZERO,
				     dev_off + ((i - first) << DAX_PAGE_SHIFT));
			e = 0;
		}
		dax_put_entry(m, i, dax_is_empty(e) ? 0 : e);
		i++;
	}
}

/* Turn the 2 MiB entry of unit into 4 KiB entries for its pages below
 * first (the pages at and past first are being truncated).  Views keep
 * their mappings of the pages below: the blocks stay. */
static void split_pmd(struct dax_mapping *m, uint64_t unit, uint64_t first)
{
	uint64_t e, i, blk, dirty;

	if (dax_grab_entry(m, unit, false, false, &e))
		return;
	if (!dax_is_pmd(e) || dax_is_empty(e)) {
		dax_put_entry(m, unit, dax_is_empty(e) ? 0 : e);
		return;
	}
	blk = dax_block(e);
	dirty = e & DAX_DIRTY;
	dax_put_entry(m, unit, 0);
	for (i = unit; i < first; i++) {
		if (dax_grab_entry(m, i, false, false, &e))
			continue;
		dax_put_entry(m, i, dax_make(blk + (i - unit), dirty));
	}
}

void dax_truncate(struct dax_mapping *m, uint64_t first)
{
	uint64_t idx, e, unit = first & ~(uint64_t)(DAX_PMD_PAGES - 1);

	if (unit < first && dax_is_pmd(dax_peek_entry(m, first)))
		split_pmd(m, unit, first);
	if (atomic_load(&m->nr_views))
		views_update(m, first, UINT64_MAX / 2 - first, VIEWS_TRUNCATE, 0);
	idx = first;
	while (dax_next_entry(m, &idx, UINT64_MAX)) {
		if (dax_grab_entry(m, idx, false, false, &e))
			break;
		dax_put_entry(m, idx, 0);
		idx = dax_is_pmd(e) ? (idx | (DAX_PMD_PAGES - 1)) + 1 : idx + 1;
	}
}

/*
 * Write-protect, in every view that tracks stores, the writable pages of
 * [first, first+n), one mprotect per run.  Returns true if some of them
 * stay writable (a view that does not track stores, or an mprotect that
 * failed, its error then in *err): their entries must stay dirty.
 * Called with the entries of the range held.
 */
static bool views_wrprotect(struct dax_mapping *m, uint64_t first,
			    uint64_t n, int *err)
{
	struct dax_view *v;
	bool keep = false;

	pthread_mutex_lock(&m->views_lock);
	for (v = m->views; v; v = v->next) {
		uint64_t lo, hi;

		view_clip(v, first, n, &lo, &hi);
		if (v->track_dirty) {
			int ret = view_protect_runs(v, lo, hi, DAX_PG_RW,
						    DAX_PG_RO);

			if (ret) {
				*err = ret;
				keep = true;
			}
			continue;
		}
		for (; lo < hi && !keep; lo++)
			keep = dax_view_state(v, lo) == DAX_PG_RW;
	}
	pthread_mutex_unlock(&m->views_lock);
	return keep;
}

/* Dirty 4 KiB entries written back together (held at once). */
#define WRITEBACK_BATCH 64

int dax_writeback(struct dax_mapping *m, struct region *rgn)
{
	uint64_t idx = 0, e;
	int err = 0;

	if (!atomic_load(&m->nr_dirty))
		return 0;
	while ((e = dax_next_entry(m, &idx, UINT64_MAX))) {
		uint64_t held[WRITEBACK_BATCH], first = idx, n = 1, i;
		bool keep;

		if (dax_is_pmd(e)) {
			first = idx & ~(uint64_t)(DAX_PMD_PAGES - 1);
			n = DAX_PMD_PAGES;
		}
		if (!dax_is_dirty(e) || dax_grab_entry(m, idx, false, false, &e)) {
			idx = first + n;
			continue;
		}
		if (!dax_is_dirty(e) || dax_is_empty(e)) {
			dax_put_entry(m, first, dax_is_empty(e) ? 0 : e);
			idx = first + n;
			continue;
		}
		/* A run of dirty 4 KiB entries after it: taken if free. */
		held[0] = e;
		if (!dax_is_pmd(e)) {
			for (; n < WRITEBACK_BATCH; n++) {
				uint64_t e2;

				if (dax_grab_entry(m, first + n, false, true,
						     &e2))
					break;
				if (dax_is_pmd(e2) || dax_is_empty(e2) ||
				    !dax_is_dirty(e2)) {
					dax_put_entry(m, first + n,
							dax_is_empty(e2) ? 0 : e2);
					break;
				}
				held[n] = e2;
			}
		}
		/*
		 * Write-protect first, then flush (dax_writeback_one's order):
		 * a store after the protection faults, and waits for our
		 * entry lock to dirty the entry again; a store before it is
		 * in the flush.
		 */
		keep = views_wrprotect(m, first, n, &err);
		if (dax_is_pmd(e)) {
			rgn->flush(rgn->base + (dax_block(e) << DAX_PAGE_SHIFT),
				   DAX_PMD_SIZE);
			dax_put_entry(m, first, keep ? e : e & ~DAX_DIRTY);
		} else {
			for (i = 0; i < n; i++) {
				rgn->flush(rgn->base + (dax_block(held[i]) <<
							DAX_PAGE_SHIFT),
					   DAX_PAGE_SIZE);
				dax_put_entry(m, first + i,
						keep ? held[i]
						     : held[i] & ~DAX_DIRTY);
			}
		}
		idx = first + n;
	}
	rgn->drain();
	if (err)
		return err_set(err, "fsync: the stores are flushed, but pages "
			       "of a view could not be write-protected to "
			       "track the next ones (%s); they stay dirty",
			       strerror(-err));
	return 0;
}
