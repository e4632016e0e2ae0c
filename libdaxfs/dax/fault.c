/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c -- the DAX fault path in user space (dax_iomap_fault): the
 * 4 KiB fault (dax_iomap_pte_fault), the 2 MiB fault with fault-around
 * (dax_iomap_pmd_fault), both through one per-extent step
 * (dax_fault_iter); the unit fault of regions that map only in 2 MiB
 * units (dax_unit_fault); the store to a read-only page (dax_mkwrite); and
 * DAXFS_MAP_POPULATE's install of a whole view.
 *
 * Lock order: see ext2/ext2.h.  A fault runs with the view registry
 * read-locked (view.c) and the inode's dax_sem held shared (the file
 * system's fault wrapper), and follows the order of the seed "dax: call
 * ->iomap_begin without entry lock during dax fault": iomap_begin() for
 * one extent, then the entry lock, install, put the entry, then
 * iomap_end() (dax_fault_finish puts and ends, in that order).  Entry
 * locks after the first are only tried (the batch, fault-around, the
 * write granule), never waited for.  views_lock nests inside them.
 *
 * Why this order: pread/pwrite copy between begin and end, and that copy
 * can fault on a user buffer that is a view.  ext2 holds, from begin to
 * end, only the blocks it reserved for a write past EOF, which no fault
 * can reach (faults stop at EOF); but if a file system held something
 * there that others wait for (ext4 holds a journal handle, and a commit
 * waits for it), a fault that took the entry lock first and then waited
 * in iomap_begin would close a cycle with a copy holding the handle and
 * waiting for that entry.  Taking entry locks only inside begin..end
 * cannot: whoever holds an entry lock already has its extent and waits
 * for nothing the copy holds.  tests/unit/test_dax_seed.c proves it with
 * a test-only journal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "dax/fault.h"
#include "dax/mapping.h"

#if DAXFS_TEST_HOOKS
struct dax_test_hooks dax_hooks;
#endif

/*
 * One fault in progress: the kernel's vm_fault and iomap_iter in one.
 * The entry of index is held while locked; the extent in iomap is begun
 * while begun, and iomap_end then gets (pos, len, done, flags).
 */
struct dax_fault {
	struct dax_view *v;
	struct dax_mapping *m;
	const struct dax_fault_ctx *c;
	bool write;           /* a store */
	uint64_t pgoff;       /* the page, or the 2 MiB unit, faulted on */
	uint64_t end;         /* 4 KiB: the batch ends before this page */
	unsigned long seq;    /* 4 KiB, unit: fill_seq before iomap_begin */
	uint64_t pos;         /* byte offset of pgoff */
	uint64_t len;         /* bytes asked of the extent (iomap_end) */
	unsigned flags;       /* IOMAP_WRITE when the extent may allocate */
	uint64_t done;        /* bytes installed (iomap_end's written) */
	bool begun;
	struct iomap iomap;
	bool locked;
	uint64_t index;       /* the entry held */
	uint64_t entry;       /* its value, then the value to put */
};

/* Start f: a fault of v at pgoff (nothing held yet). */
static void dax_fault_init(struct dax_fault *f, struct dax_view *v,
			   uint64_t pgoff, bool write,
			   const struct dax_fault_ctx *c)
{
	*f = (struct dax_fault){
		.v = v, .m = v->mapping, .c = c, .write = write,
		.pgoff = pgoff, .pos = pgoff << DAX_PAGE_SHIFT,
	};
}

/* A fault at pgoff failed for why (err a negative errno): record it (a
 * populating daxfs_map reports it) and return err. */
static int fault_fail(int err, uint64_t pgoff, const char *why)
{
	return err_set(err, "fault at file page %llu: %s: %s",
		       (unsigned long long)pgoff, why, strerror(-err));
}

/* Does persisting need flushes (anything but eADR byte granularity)? */
static bool needs_flush(const struct region *rgn)
{
	return rgn->granularity != PMEM2_GRANULARITY_BYTE;
}

/* iomap_begin of len bytes at f->pos into f->iomap; a hole that got
 * blocks moves fill_seq (see dax_load_hole). */
static int dax_fault_begin(struct dax_fault *f, uint64_t len,
			   unsigned flags)
{
	int ret = f->c->ops->iomap_begin(f->v->inode, f->pos, len, flags,
					 &f->iomap);

	f->begun = ret == 0;
	if (!ret && (f->iomap.flags & IOMAP_F_NEW))
		atomic_fetch_add(&f->m->fill_seq, 1);
	return ret;
}

/* Lock the entry of f->pgoff (the 2 MiB unit's with pmd); -EEXIST when
 * a 2 MiB grab meets 4 KiB entries. */
static int dax_fault_grab(struct dax_fault *f, bool pmd)
{
	int ret = dax_grab_entry(f->m, f->pgoff, pmd, false, &f->entry);

	f->locked = ret == 0;
	f->index = f->pgoff;
	return ret;
}

/*
 * The one exit of both faults: put the entry, then end the extent (the
 * seed's order).  The fault is done and cannot be undone (another thread
 * may use the mapping already): an error from iomap_end is ignored, as
 * in the kernel.
 */
static void dax_fault_finish(struct dax_fault *f)
{
	if (f->locked)
		dax_put_entry(f->m, f->index,
			      dax_is_empty(f->entry) ? 0 : f->entry);
	if (f->begun && f->c->ops->iomap_end)
		f->c->ops->iomap_end(f->v->inode, f->pos, f->len, f->done,
				     f->flags, &f->iomap);
}

/* The entry of block blk once installed (size: 0, or DAX_PMD for a 2 MiB
 * unit): dirty if it was, or if it is writable now (rw) and stores need
 * flushes (flush). */
static uint64_t installed_entry(uint64_t blk, uint64_t size, bool was_dirty,
				bool rw, bool flush)
{
	bool dirty = was_dirty || (rw && flush);

	return dax_make(blk, size | (dirty ? DAX_DIRTY : 0));
}

/* The pages [*lo, *hi) of v in the write granule of pgoff. */
static void granule_of(const struct dax_view *v, uint64_t pgoff,
		       uint64_t *lo, uint64_t *hi)
{
	dax_view_clip(v, pgoff & ~(uint64_t)(DAX_WRITE_GRANULE - 1),
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
	dax_view_clip(v, pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1), DAX_PMD_PAGES,
		      &lo, &hi);
	ret = dax_view_protect_runs(v, lo, hi, DAX_PG_RO, DAX_PG_RW);
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

/*
 * Install the 2 MiB unit of f from dev (its entry held), and for a load
 * the units after it that the extent maps (fault-around), under their
 * entry locks, which it puts; f->entry gets the unit's new value.
 * Returns 0, or 1 to fall back to 4 KiB pages.
 */
static int dax_insert_pmd(struct dax_fault *f, uint64_t dev)
{
	uint64_t e[DAX_PMD_AROUND], n, k;
	uint64_t ext_end = f->iomap.offset + f->iomap.length;
	enum dax_page_state st = f->write ? DAX_PG_RW
					  : dax_view_read_state(f->v);
	bool ok, flush = needs_flush(f->c->rgn);

	if (!dax_is_empty(f->entry) &&
	    dax_block(f->entry) != dev >> DAX_PAGE_SHIFT)
		return 1; /* stale: let 4 KiB sort it */
	if (f->len > ext_end - f->pos)
		f->len = (ext_end - f->pos) & ~(DAX_PMD_SIZE - 1);
	e[0] = f->entry;
	n = 1 + pmd_grab_around(f->v, f->pgoff, dev, f->len / DAX_PMD_SIZE, e);
	ok = dax_view_install(f->v, f->pgoff, n * DAX_PMD_PAGES, dev, st) == 0;
	for (k = 0; k < n; k++) {
		if (ok)
			e[k] = installed_entry((dev >> DAX_PAGE_SHIFT) +
						       k * DAX_PMD_PAGES, DAX_PMD,
					       !dax_is_empty(e[k]) &&
						       dax_is_dirty(e[k]),
					       st == DAX_PG_RW, flush);
		else if (dax_is_empty(e[k]))
			e[k] = 0;
		if (k)
			dax_put_entry(f->m, f->pgoff + k * DAX_PMD_PAGES, e[k]);
	}
	f->entry = e[0];
	f->done = ok ? n * DAX_PMD_SIZE : 0;
	return ok ? 0 : 1;
}

/* A 4 KiB fault whose grab returned a 2 MiB entry (locked at its unit):
 * install the page's part of it. */
static int dax_fault_pmd_part(struct dax_fault *f)
{
	uint64_t dev = (dax_block(f->entry) +
			(f->pgoff & (DAX_PMD_PAGES - 1))) << DAX_PAGE_SHIFT;
	enum dax_page_state st = f->write ? DAX_PG_RW
					  : dax_view_read_state(f->v);
	int ret;

	f->index = f->pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1);
	ret = dax_view_install(f->v, f->pgoff, 1, dev, st);
	if (ret)
		return fault_fail(ret, f->pgoff, "cannot map it");
	if (st == DAX_PG_RW && needs_flush(f->c->rgn))
		f->entry |= DAX_DIRTY;
	return 0;
}

/*
 * A 4 KiB load of a hole (dax_load_hole): the zero page.  If a write
 * gave the hole blocks since our iomap_begin (fill_seq moved), start
 * over (returns 1): the zero page would hide its data.  A write after
 * this point finds our entry and replaces the zero page
 * (dax_invalidate_zero).  No iomap_begin under the entry lock.
 */
static int dax_load_hole(struct dax_fault *f)
{
	int ret;

	if (f->write) /* the write's iomap_begin gave no block */
		return fault_fail(-EIO, f->pgoff, "a store found no block");
	if (atomic_load(&f->m->fill_seq) != f->seq)
		return 1;
	ret = dax_view_install(f->v, f->pgoff, 1, 0, DAX_PG_ZERO);
	if (ret)
		return fault_fail(ret, f->pgoff, "cannot map the zero page");
	f->entry = DAX_ZERO_PAGE;
	return 0;
}

/* The entries of a 4 KiB fault's batch: per page, was the entry new,
 * was it dirty (bitmaps, small enough for a signal stack). */
struct pte_batch {
	uint64_t was_empty[DAX_FAULT_BATCH / 64];
	uint64_t was_dirty[DAX_FAULT_BATCH / 64];
};

/* Note in b what the entry value e of batch page i was. */
static void batch_note(struct pte_batch *b, uint64_t i, uint64_t e)
{
	if (dax_is_empty(e))
		b->was_empty[i / 64] |= 1ULL << (i % 64);
	if (dax_is_dirty(e))
		b->was_dirty[i / 64] |= 1ULL << (i % 64);
}

/* Is bit i of the bitmap map set? */
static bool batch_bit(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* Hold, after f->pgoff's entry, the entries of the pages up to f->end
 * that are free now and hold nothing or the next blocks of the extent
 * (blk + i): trylocks only, up to the first that is not.  Returns how
 * many entries are held, f->pgoff's included. */
static uint64_t pte_grab_batch(const struct dax_fault *f, uint64_t blk,
			       struct pte_batch *b)
{
	struct dax_mapping *m = f->m;
	uint64_t pgoff = f->pgoff, end = f->end, n, e;

	batch_note(b, 0, f->entry);
	for (n = 1; pgoff + n < end; n++) {
		if (dax_grab_entry(m, pgoff + n, false, true, &e))
			break;
		if (dax_is_pmd(e) || dax_is_zero(e) ||
		    (!dax_is_empty(e) && dax_block(e) != blk + n)) {
			dax_put_entry(m, pgoff + n, dax_is_empty(e) ? 0 : e);
			break;
		}
		batch_note(b, n, e);
	}
	return n;
}

/* Install n pages from f->pgoff at dev.  A store makes them writable;
 * when stores are tracked, only to the end of the faulting page's write
 * granule (prefaulted), read-only after it. */
static int pte_install(struct dax_fault *f, uint64_t dev, uint64_t n)
{
	enum dax_page_state st = dax_view_read_state(f->v);
	uint64_t gend = DAX_WRITE_GRANULE -
			(f->pgoff & (DAX_WRITE_GRANULE - 1));
	int ret;

	ret = dax_view_install(f->v, f->pgoff, n, dev,
			       f->write ? DAX_PG_RW : st);
	if (!ret && f->write && st != DAX_PG_RW && n > gend)
		ret = dax_view_protect(f->v, f->pgoff + gend, n - gend, st);
	if (!ret && f->write && st != DAX_PG_RW)
		dax_view_prefault_write(f->v, f->pgoff, n < gend ? n : gend);
	return ret;
}

/* The entry of batch page i after the install (ok: it succeeded): the
 * block, or 0 if the page had no entry and the install failed. */
static uint64_t batch_entry(const struct pte_batch *b, uint64_t i,
			    uint64_t blk, bool ok, bool rw, bool flush)
{
	if (!ok && batch_bit(b->was_empty, i))
		return 0;
	return installed_entry(blk + i, 0, batch_bit(b->was_dirty, i),
			       ok && rw, flush);
}

/*
 * Install the mapped extent from dev at f->pgoff, with the pages after
 * it whose entries pte_grab_batch gets, and put those entries (f->entry
 * gets the first page's new value): the blocks installed, or what they
 * held if the install failed.
 */
static int dax_insert_pte(struct dax_fault *f, uint64_t dev)
{
	struct pte_batch b = { 0 };
	struct dax_mapping *m = f->m;
	struct dax_view *v = f->v;
	uint64_t blk = dev >> DAX_PAGE_SHIFT, pgoff = f->pgoff, n, i;
	bool ok, flush = needs_flush(f->c->rgn);
	int ret;

	n = pte_grab_batch(f, blk, &b);
	ret = pte_install(f, dev, n);
	ok = ret == 0;
	f->entry = batch_entry(&b, 0, blk, ok,
			       dax_view_state(v, pgoff) == DAX_PG_RW, flush);
	for (i = 1; i < n; i++)
		dax_put_entry(m, pgoff + i,
			      batch_entry(&b, i, blk, ok,
					  dax_view_state(v, pgoff + i) ==
						  DAX_PG_RW,
					  flush));
	return ok ? 0 : fault_fail(ret, pgoff, "cannot map its blocks");
}

/*
 * The per-extent step of both faults (fs/dax.c's dax_fault_iter): with
 * the extent in f->iomap begun and f's entry held, install what the
 * extent holds at f->pgoff, and leave in f->entry the value to put.
 * Returns 0 when installed; 1 when a 2 MiB fault must fall back to
 * 4 KiB pages or a 4 KiB load must start over; a negative errno with the
 * message set.
 */
static int dax_fault_iter(struct dax_fault *f, bool pmd)
{
	uint64_t dev = f->iomap.addr + (f->pos - f->iomap.offset);

	if (pmd)
		return dax_insert_pmd(f, dev);
	if (dax_is_pmd(f->entry) && !dax_is_empty(f->entry))
		return dax_fault_pmd_part(f);
	if (f->iomap.type != IOMAP_MAPPED)
		return dax_load_hole(f);
	/* A hole was filled: no view may keep zeros. */
	if (dax_is_zero(f->entry))
		dax_mapping_update_views(f->m, f->pgoff, 1,
					 DAX_VIEWS_REPLACE_ZERO, dev);
	return dax_insert_pte(f, dev);
}

/* Can the unit of f be installed whole: allowed, inside the view, and
 * below EOF? */
static bool pmd_fits_view(const struct dax_fault *f)
{
	return !dax_hook_no_pmd() && dax_view_has(f->v, f->pgoff) &&
	       dax_view_has(f->v, f->pgoff + DAX_PMD_PAGES - 1) &&
	       f->c->isize >= f->pos + DAX_PMD_SIZE;
}

/* Does the begun extent map the whole unit of f to an aligned 2 MiB of
 * the device? */
static bool pmd_fits_extent(const struct dax_fault *f)
{
	uint64_t dev = f->iomap.addr + (f->pos - f->iomap.offset);

	return f->iomap.type == IOMAP_MAPPED && f->iomap.offset <= f->pos &&
	       f->iomap.offset + f->iomap.length >= f->pos + DAX_PMD_SIZE &&
	       !(dev & (DAX_PMD_SIZE - 1));
}

/* The 2 MiB fault (dax_iomap_pmd_fault): the unit holding pgoff, and for
 * a load the units after it.  Returns 0 when done, 1 to fall back to
 * 4 KiB pages. */
static int dax_iomap_pmd_fault(struct dax_view *v, uint64_t pgoff,
			       bool write, const struct dax_fault_ctx *c)
{
	struct dax_fault f;
	int ret = 1;

	dax_fault_init(&f, v, pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1), write, c);
	if (!pmd_fits_view(&f))
		goto out;
	f.len = write ? DAX_PMD_SIZE : pmd_around_len(v, f.pgoff, c->isize);
	f.flags = IOMAP_FAULT | (write ? IOMAP_WRITE : 0);
	if (dax_fault_begin(&f, f.len, f.flags) || !pmd_fits_extent(&f))
		goto out;
	if (dax_fault_grab(&f, true))
		goto out; /* 4 KiB entries in the unit */
	ret = dax_fault_iter(&f, true);
out:
	dax_fault_finish(&f);
	return ret;
}

/*
 * Mapping units.  A region whose every mapping must be 2 MiB-aligned (a
 * devdax device with align=2M, a hugetlbfs file) can never install a 4
 * KiB page of a block: there every fault is a unit fault (dax_unit_fault),
 * which installs the whole 2 MiB unit holding the page, or fails (SIGBUS
 * to the application, the message saying why).  A unit is installed when
 * it lies below EOF and the file maps it with one 2 MiB-aligned extent
 * (its blocks, under a 2 MiB entry), or is a hole throughout (a load: the
 * zero page under a 2 MiB zero entry; a store: the file system allocates
 * an aligned run for it).  daxfs_map checks the units of a view first.
 */
static bool unit_mode(const struct dax_fault_ctx *c)
{
	return c->rgn->align > DAX_PAGE_SIZE;
}

/* A unit of f that cannot be installed, and why (err with a message
 * naming the unit and what to do). */
static int unit_fail(const struct dax_fault *f, int err, const char *why)
{
	return err_set(err, "file offset %llu: its 2 MiB unit %s, and the "
		       "region maps only whole 2 MiB units (fallocate the "
		       "file or write it in 2 MiB pieces, or use a device "
		       "with 4 KiB alignment)", (unsigned long long)f->pos,
		       why);
}

/* A load of a unit that is a hole throughout: the zero page for all of
 * it, under a 2 MiB zero entry.  Returns 1 to start over if a write gave
 * the hole blocks since our iomap_begin (see dax_load_hole). */
static int unit_load_hole(struct dax_fault *f)
{
	int ret;

	if (f->iomap.offset > f->pos ||
	    f->iomap.offset + f->iomap.length < f->pos + DAX_PMD_SIZE)
		return unit_fail(f, -EOPNOTSUPP, "is partly allocated");
	if (dax_fault_grab(f, true))
		return unit_fail(f, -EOPNOTSUPP, "has 4 KiB entries");
	if (atomic_load(&f->m->fill_seq) != f->seq ||
	    (!dax_is_empty(f->entry) && !dax_is_zero(f->entry)))
		return 1;
	ret = dax_view_install(f->v, f->pgoff, DAX_PMD_PAGES, 0, DAX_PG_ZERO);
	if (ret)
		return fault_fail(ret, f->pgoff, "cannot map the zero page");
	f->entry = DAX_PMD | DAX_ZERO_PAGE;
	return 0;
}

/* Install the unit of f, which the begun extent maps whole and aligned
 * (with fault-around for a load); views that show it as zeros lose them. */
static int unit_map(struct dax_fault *f)
{
	uint64_t dev = f->iomap.addr + (f->pos - f->iomap.offset);

	if (dax_fault_grab(f, true))
		return unit_fail(f, -EOPNOTSUPP, "has 4 KiB entries");
	if (dax_is_zero(f->entry)) {
		dax_mapping_update_views(f->m, f->pgoff, DAX_PMD_PAGES,
					 DAX_VIEWS_REPLACE_ZERO, dev);
		f->entry = DAX_EMPTY;
	}
	if (dax_insert_pmd(f, dev))
		return fault_fail(-EIO, f->pgoff, "cannot map its 2 MiB unit");
	return 0;
}

/* The fault of a region that maps only in 2 MiB units (see above).
 * Returns 0, 1 to start over, or a negative errno with the message. */
static int dax_unit_fault(struct dax_view *v, uint64_t pgoff, bool write,
			  const struct dax_fault_ctx *c)
{
	struct dax_fault f;
	int ret;

	dax_fault_init(&f, v, pgoff & ~(uint64_t)(DAX_PMD_PAGES - 1), write, c);
	if (c->isize < f.pos + DAX_PMD_SIZE || !dax_view_has(v, f.pgoff) ||
	    !dax_view_has(v, f.pgoff + DAX_PMD_PAGES - 1))
		return unit_fail(&f, -EOPNOTSUPP, "reaches past the end of "
				 "the file or of the view");
	f.len = write ? DAX_PMD_SIZE : pmd_around_len(v, f.pgoff, c->isize);
	f.flags = IOMAP_FAULT | (write ? IOMAP_WRITE : 0);
	f.seq = atomic_load(&f.m->fill_seq);
	ret = dax_fault_begin(&f, f.len, f.flags);
	if (ret)
		goto out; /* the file system set the message */
	if (f.iomap.type != IOMAP_MAPPED)
		ret = write ? fault_fail(-EIO, pgoff, "a store found no block")
			    : unit_load_hole(&f);
	else if (!pmd_fits_extent(&f))
		ret = unit_fail(&f, -EOPNOTSUPP,
				"is not one 2 MiB-aligned extent");
	else
		ret = unit_map(&f);
out:
	dax_fault_finish(&f);
	return ret;
}

/*
 * Begin the 4 KiB fault's extent: look the batch up without allocating;
 * a store into a hole then allocates its one page only (as the kernel's
 * write fault does).
 */
static int dax_pte_begin(struct dax_fault *f)
{
	int ret = dax_fault_begin(f, (f->end - f->pgoff) << DAX_PAGE_SHIFT, 0);

	if (ret || !f->write || f->iomap.type == IOMAP_MAPPED)
		return ret;
	if (f->c->ops->iomap_end)
		f->c->ops->iomap_end(f->v->inode, f->pos, 0, 0, 0, &f->iomap);
	f->flags = IOMAP_FAULT | IOMAP_WRITE;
	return dax_fault_begin(f, DAX_PAGE_SIZE, f->flags);
}

/* The 4 KiB fault (dax_iomap_pte_fault): one extent, as many pages of it
 * from pgoff as the entry locks allow.  Returns 0, 1 to start over, or a
 * negative errno with the message set where it was found. */
static int dax_iomap_pte_fault(struct dax_view *v, uint64_t pgoff,
			       bool write, const struct dax_fault_ctx *c)
{
	uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT);
	uint64_t eof = (c->isize + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT;
	uint64_t ext_end;
	struct dax_fault f;
	int ret = -EFAULT;

	dax_fault_init(&f, v, pgoff, write, c);
	f.end = pgoff + DAX_FAULT_BATCH;
	f.end = f.end < vend ? f.end : vend;
	f.end = f.end < eof ? f.end : eof;
	f.len = DAX_PAGE_SIZE;
	if (dax_hook_entry_lock_first() && dax_fault_grab(&f, false))
		goto out; /* test only: the order the seed removed */
	f.seq = atomic_load(&f.m->fill_seq);
	ret = dax_pte_begin(&f);
	if (ret)
		goto out; /* the file system set the message */
	ext_end = f.iomap.offset + f.iomap.length;
	if (f.iomap.offset > f.pos || ext_end <= f.pos) {
		ret = fault_fail(-EIO, pgoff, "the file system gave an extent "
				 "that does not hold it");
		goto out;
	}
	if (ext_end >> DAX_PAGE_SHIFT < f.end)
		f.end = ext_end >> DAX_PAGE_SHIFT;
	if (!f.locked) {
		ret = dax_fault_grab(&f, false);
		if (ret) {
			ret = fault_fail(ret, pgoff, "no mapping index entry");
			goto out;
		}
	}
	dax_hook_stall(c->ino);
	ret = dax_fault_iter(&f, false);
	f.done = ret ? 0 : DAX_PAGE_SIZE;
out:
	dax_fault_finish(&f);
	return ret;
}

/* Resolve a fault at pgoff of v (see fault.h): a store to a read-only
 * page, else the 2 MiB fault, else the 4 KiB one (on a region that maps
 * in units, the unit fault alone), started over while a hole read raced
 * with a write. */
int dax_iomap_fault(struct dax_view *v, uint64_t pgoff, bool write,
		    const struct dax_fault_ctx *c)
{
	enum dax_page_state s;
	int ret;

	do {
		if ((pgoff << DAX_PAGE_SHIFT) >= c->isize)
			return -EFAULT; /* SIGBUS past EOF */
		s = dax_view_state(v, pgoff);
		if (write && s == DAX_PG_RO)
			return dax_mkwrite(v, pgoff, c);
		if (s == DAX_PG_RW || (!write && (s == DAX_PG_RO ||
						  s == DAX_PG_ZERO)))
			return 0; /* another thread installed it meanwhile */
		if (unit_mode(c))
			ret = dax_unit_fault(v, pgoff, write, c);
		else if (dax_iomap_pmd_fault(v, pgoff, write, c) == 0)
			return 0;
		else
			ret = dax_iomap_pte_fault(v, pgoff, write, c);
	} while (ret == 1);
	return ret;
}

/* Populating stopped at page pg with err: the message says so, and keeps
 * why the fault path found (it set a message at every failure). */
static int populate_fail(int err, uint64_t pg)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", err_reason());
	return err_set(err, "cannot populate file page %llu: %s",
		       (unsigned long long)pg, why);
}

/* Install the pages [first, end) of v: a fault for each page below EOF
 * not installed yet, the SIGBUS page past it. */
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
