/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view.h -- views: ranges of a file mapped into the address space with
 * daxfs_map() (the VMAs of the DAX engine), filled by faults.
 *
 * A view reserves address space (PROT_NONE) at map time.  A page of it is
 * then, by its state:
 *   NONE    the reservation: the first touch raises SIGSEGV, which runs
 *           the fault path from libdaxfs's handler;
 *   RO/RW   a shared mapping of the region's device block (RO when stores
 *           must be tracked for fsync: the first store faults, as
 *           pfn_mkwrite);
 *   ZERO    the zero page (a read of a hole), read-only;
 *   SIGBUS  past end of file in a DAXFS_MAP_POPULATE view: a mapping of
 *           an empty memfd, so that the kernel itself raises SIGBUS at
 *           the access with no handler involved.  (Lazy views raise
 *           SIGBUS from the handler instead, after the fault path has
 *           released every lock.)
 * The state of a page changes only under the entry lock of its index (or
 * with dax_sem held exclusively, when no fault runs).
 */
#ifndef DAXFS_DAX_VIEW_H
#define DAXFS_DAX_VIEW_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "dax/entry.h"

enum dax_page_state {
	DAX_PG_NONE = 0,
	DAX_PG_RO,
	DAX_PG_RW,
	DAX_PG_ZERO,
	DAX_PG_SIGBUS,
};

struct ext2_inode_info;
struct dax_view;

/* What the file system provides to the view layer. */
struct dax_view_ops {
	/* Resolve a fault at page pgoff of the view: 0, or -EFAULT when the
	 * access must raise SIGBUS (past EOF, I/O error, no space).  Takes
	 * the file system's fault locks (dax_sem). */
	int (*fault)(struct dax_view *v, uint64_t pgoff, bool write);
	/* The view is unregistered and about to be freed: drop what it
	 * holds of the file (daxfs_unmap). */
	void (*release)(struct dax_view *v);
};

struct dax_view {
	unsigned char *addr;        /* first byte of the view */
	size_t len;                 /* bytes, a page multiple */
	void *rsv;                  /* the reservation (with alignment slack) */
	size_t rsv_len;
	uint64_t pgoff;             /* file page at addr */
	int prot;                   /* PROT_READ[|PROT_WRITE] */
	unsigned flags;             /* DAXFS_MAP_* */
	int fd;                     /* the region, for installs */
	bool track_dirty;           /* map RO first so stores are seen */
	void (*flush)(const void *, size_t); /* the region's, for persist */
	void (*drain)(void);
	struct ext2_inode_info *inode;
	uint64_t ino;               /* its number, for messages */
	struct dax_mapping *mapping;
	const struct dax_view_ops *ops;
	struct dax_view *next;    /* the inode's views, under its lock */
	uint8_t *state;             /* enum dax_page_state per page */
	atomic_long nr_sigbus;      /* pages in state SIGBUS */
};

/* Reserve address space for a view of len bytes at file page pgoff,
 * aligned so that 2 MiB units of the file fall on 2 MiB addresses. */
int dax_view_new(size_t len, uint64_t pgoff, struct dax_view **out);
/* Unreserve and free a view (it must be unregistered). */
void dax_view_delete(struct dax_view **v);

/* Make the view reachable by the fault handler (installing the handler
 * once per process) and add it to its file's views (m); or take it away
 * from both.  Both lists change only under the registry's write lock, so
 * whoever holds it for reading (dax_views_hold) may walk m->views. */
int dax_view_register(struct dax_view *v, struct dax_mapping *m);
bool dax_view_unregister(struct dax_view *v);
/* The view holding [addr, addr+len), or NULL; with the registry read-
 * locked in that case (release with dax_views_release). */
struct dax_view *dax_view_lookup(const void *addr, size_t len);
/* Keep every view alive (registry read lock) without looking one up;
 * release with dax_views_release. */
void dax_views_hold(void);
/* Let views go again: ends a hold, or a lookup that found one. */
void dax_views_release(void);

/* Install n pages from file page pgoff: the device bytes at dev_off
 * (state RO or RW), the zero page, or the SIGBUS page. */
int dax_view_install(struct dax_view *v, uint64_t pgoff, uint64_t n,
		       uint64_t dev_off, enum dax_page_state st);
/* Put n pages from pgoff back to NONE (unmap them). */
int dax_view_zap(struct dax_view *v, uint64_t pgoff, uint64_t n);
/* Change n installed pages between RO and RW. */
int dax_view_protect(struct dax_view *v, uint64_t pgoff, uint64_t n,
		       enum dax_page_state st);
/* Fill the page tables of n writable pages from pgoff now, so the stores
 * that follow take no fault in the kernel.  A hint: failures are ignored. */
void dax_view_prefault_write(struct dax_view *v, uint64_t pgoff,
			       uint64_t n);

/* Persist the stores in [addr, addr+len) of v: only its writable pages
 * are flushed (others hold no stores, and touching them would fault).
 * 0, or -EIO with the message set when the memory behind a page is lost
 * (poison, or a region file shrunk under the mount): the other pages are
 * persisted all the same. */
int dax_view_persist(struct dax_view *v, const void *addr, size_t len);

static inline bool dax_view_has(const struct dax_view *v, uint64_t pgoff)
{
	return pgoff >= v->pgoff && pgoff < v->pgoff + (v->len >> DAX_PAGE_SHIFT);
}

/* The state of a page (changed under its entry lock; read anywhere). */
static inline enum dax_page_state dax_view_state(const struct dax_view *v,
						   uint64_t pgoff)
{
	return __atomic_load_n(&v->state[pgoff - v->pgoff], __ATOMIC_RELAXED);
}

/* The pages [*lo, *hi) of [first, first+n) that v shows (empty when
 * *lo >= *hi). */
static inline void dax_view_clip(const struct dax_view *v, uint64_t first,
				 uint64_t n, uint64_t *lo, uint64_t *hi)
{
	uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT);

	*lo = first > v->pgoff ? first : v->pgoff;
	*hi = first + n < vend ? first + n : vend;
}

/* The state a block page takes in v on a fault that is not a store:
 * read-only when v tracks stores (or is read-only), writable otherwise. */
static inline enum dax_page_state dax_view_read_state(const struct dax_view *v)
{
	return (v->prot & PROT_WRITE) && !v->track_dirty ? DAX_PG_RW
							 : DAX_PG_RO;
}

/* Move the pages of v in [lo, hi) that are in state from to state to
 * (RO <-> RW), one mprotect per run; the caller holds their entry locks.
 * Returns 0 or the negative errno of the mprotect that failed. */
int dax_view_protect_runs(struct dax_view *v, uint64_t lo, uint64_t hi,
			  enum dax_page_state from, enum dax_page_state to);

/* Number of live views in the process (cheap check on the I/O path). */
extern atomic_long dax_nr_views;

/*
 * Install the SIGSEGV/SIGBUS handlers once per process (mount and the
 * first view call it): from then on dax_copy_guarded() catches faults.
 * 0 or a negative errno with the message set.
 */
int dax_handlers_init(void);

/*
 * Copy len bytes from src to dst, or from dst to pmem, where the user's
 * buffer may be a view or any bad address, and the region's side may be
 * lost media.  A fault stops the copy: on the user's side (a view page
 * that must raise SIGBUS, an unmapped or read-only page) this returns
 * -EFAULT (as copy_from_user); in the mapping of a region (region_holds:
 * a poisoned line, or a region file another process shrank) -EIO (as
 * copy_mc).  What the copy did before the fault is undefined (memcpy may
 * go in any order); dax_guard_fault() tells where it faulted.  The caller
 * sets the message.  Guarded copies nest (the fault path runs its own
 * inside a copy that touched a view).  Unguarded before
 * dax_handlers_init().
 */
int dax_copy_guarded(void *dst, const void *src, size_t len,
		       void (*copy)(void *ctx, void *dst, const void *src,
				    size_t len),
		       void *ctx);

/* Where the last guarded copy of this thread that failed faulted: the
 * address (si_addr) and the signal (SIGSEGV or SIGBUS). */
void dax_guard_fault(const void **addr, int *sig);

#endif
