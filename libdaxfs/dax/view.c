/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view.c -- view reservations, the process-wide registry of views, the
 * SIGSEGV/SIGBUS handlers that turn first touches into faults, and the
 * mmap/mprotect calls that install pages.
 *
 * Lock order: see ext2/ext2.h.  This file takes the view registry lock,
 * the outermost lock of the fault path: read-locked for a whole fault, so
 * a view cannot be unmapped under a fault that uses it; daxfs_map and
 * daxfs_unmap take it for writing.  The file system's fault locks
 * (dax_sem, then the DAX engine's) nest inside it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/region.h"
#include "dax/copy.h"
#include "dax/mapping.h"
#include "dax/view.h"

atomic_long dax_nr_views;

static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct dax_view **registry;   /* sorted by addr */
static size_t registry_n, registry_cap;

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static struct sigaction old_segv, old_bus;
static int handler_err;
static atomic_bool handler_ready;      /* installed: copies are guarded */
static int sigbus_fd = -1;             /* an empty memfd: SIGBUS on touch */

/* The innermost guarded copy in progress on this thread
 * (dax_copy_guarded), and where the last one that failed faulted. */
static __thread sigjmp_buf *guard_jb;
static __thread volatile sig_atomic_t guard_armed;
static __thread void *guard_addr;
static __thread int guard_sig;

int dax_view_new(size_t len, uint64_t pgoff, struct dax_view **out)
{
	struct dax_view *v;
	uintptr_t a, want;

	v = mem_zalloc(sizeof(*v));
	if (!v)
		return err_set(-ENOMEM, "out of memory");
	v->state = mem_zalloc(len >> DAX_PAGE_SHIFT);
	if (!v->state) {
		mem_free(v);
		return err_set(-ENOMEM, "out of memory for %zu pages",
				 len >> DAX_PAGE_SHIFT);
	}
	v->rsv_len = len + DAX_PMD_SIZE;
	v->rsv = mmap(NULL, v->rsv_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->rsv == MAP_FAILED) {
		mem_free(v->state);
		mem_free(v);
		return err_set(-ENOMEM, "no address space for %zu bytes",
				 len);
	}
	/* addr == file offset modulo 2 MiB, so 2 MiB units can be PMDs. */
	a = (uintptr_t)v->rsv;
	want = (pgoff << DAX_PAGE_SHIFT) & (DAX_PMD_SIZE - 1);
	a = ((a + DAX_PMD_SIZE - 1) & ~(uintptr_t)(DAX_PMD_SIZE - 1)) + want;
	if (a - (uintptr_t)v->rsv >= DAX_PMD_SIZE)
		a -= DAX_PMD_SIZE;
	v->addr = (unsigned char *)a;
	v->len = len;
	v->pgoff = pgoff;
	*out = v;
	return 0;
}

void dax_view_delete(struct dax_view **vp)
{
	struct dax_view *v = *vp;

	if (!v)
		return;
	munmap(v->rsv, v->rsv_len);
	mem_free(v->state);
	mem_free(v);
	*vp = NULL;
}

/* Is the fault a store?  (x86-64: bit 1 of the page fault error code.) */
static bool fault_is_write(void *uc, const struct dax_view *v)
{
#if defined(__x86_64__)
	(void)v;
	return ((ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR] & 2;
#else
	(void)uc;
	return v->prot & PROT_WRITE; /* unknown: assume a store if allowed */
#endif
}

/* Pass a signal that is not ours to the handler installed before us. */
static void chain(int sig, siginfo_t *si, void *uc, struct sigaction *old)
{
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* Returning re-executes the access: it now gets the default
		 * action (core dump), as without libdaxfs. */
		signal(sig, SIG_DFL);
	} else {
		old->sa_handler(sig);
	}
}

/* Leave a guarded copy that faulted at addr: unblock sig (the handler
 * runs with it blocked) and jump back to dax_copy_guarded, which tells
 * -EIO from -EFAULT by addr. */
static void guard_escape(int sig, void *addr)
{
	sigset_t s;

	guard_armed = 0;
	guard_addr = addr;
	guard_sig = sig;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	siglongjmp(*guard_jb, 1);
}

/* A fault in a guarded copy: dax_copy_nt's is sent to its failure exit
 * (true: return from the handler), dax_copy_guarded's jumps back to it
 * (no return); false when no copy is guarded. */
static bool guard_leave(int sig, void *addr, void *uc)
{
	if (dax_copy_fixup(uc))
		return true;
	if (guard_armed)
		guard_escape(sig, addr);
	return false;
}

/* Run the fault path for a touch of v at page pgoff.  A guarded copy
 * that touched a view is not the fault path's: the guard is off while
 * the fault runs (its own guarded copies nest), so that a fault in its
 * unguarded parts never jumps away with its locks held. */
static int view_fault(struct dax_view *v, uint64_t pgoff, bool write)
{
	sig_atomic_t armed = guard_armed;
	int ret;

	guard_armed = 0;
	ret = v->ops->fault(v, pgoff, write);
	guard_armed = armed;
	return ret;
}

static void dax_sigsegv(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct dax_view *v = dax_view_lookup(si->si_addr, 1);

	if (v) {
		uint64_t pgoff = v->pgoff + (((unsigned char *)si->si_addr -
					      v->addr) >> DAX_PAGE_SHIFT);
		bool write = fault_is_write(uc, v);
		int ret = 0;

		if (!write || (v->prot & PROT_WRITE))
			ret = view_fault(v, pgoff, write);
		else
			ret = -EACCES; /* a store into a read-only view */
		dax_views_release();
		if (ret < 0 && ret != -EACCES &&
		    guard_leave(sig, si->si_addr, uc)) {
			errno = saved;
			return;
		}
		if (ret < 0 && ret != -EACCES) {
			/* Every lock is released: now raise SIGBUS at the
			 * address, as the kernel does past EOF. */
			siginfo_t bus;

			memset(&bus, 0, sizeof(bus));
			bus.si_signo = SIGBUS;
			bus.si_code = BUS_ADRERR;
			bus.si_addr = si->si_addr;
			syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(),
				SIGBUS, &bus);
		}
		if (ret != -EACCES) {
			errno = saved;
			return; /* the access is retried */
		}
	}
	if (guard_leave(sig, si->si_addr, uc)) { /* a bad buffer, lost media */
		errno = saved;
		return;
	}
	errno = saved;
	chain(sig, si, uc, &old_segv);
}

/* SIGBUS: in a guarded copy, lost media or a view page past EOF; else
 * not ours (an application's view access past EOF included). */
static void dax_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (guard_leave(sig, si->si_addr, uc))
		return;
	chain(sig, si, uc, &old_bus);
}

static void handler_install(void)
{
	struct sigaction sa;

	sigbus_fd = memfd_create("daxfs-sigbus", MFD_CLOEXEC);
	if (sigbus_fd < 0) {
		handler_err = -errno;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = dax_sigsegv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) < 0) {
		handler_err = -errno;
		return;
	}
	sa.sa_sigaction = dax_sigbus;
	if (sigaction(SIGBUS, &sa, &old_bus) < 0) {
		handler_err = -errno;
		return;
	}
	atomic_store(&handler_ready, true);
}

int dax_handlers_init(void)
{
	pthread_once(&handler_once, handler_install);
	if (handler_err)
		return err_set(handler_err, "cannot install libdaxfs's "
				 "SIGSEGV/SIGBUS handlers: %s",
				 strerror(-handler_err));
	return 0;
}

int dax_view_register(struct dax_view *v, struct dax_mapping *m)
{
	size_t i;

	if (dax_handlers_init())
		return err_set(handler_err, "cannot install the fault "
				 "handler: %s", strerror(-handler_err));
	pthread_rwlock_wrlock(&registry_lock);
	if (registry_n == registry_cap) {
		size_t cap = registry_cap ? registry_cap * 2 : 16;
		void *p = mem_realloc(registry, cap * sizeof(*registry));

		if (!p) {
			pthread_rwlock_unlock(&registry_lock);
			return err_set(-ENOMEM, "out of memory");
		}
		registry = p;
		registry_cap = cap;
	}
	for (i = registry_n; i > 0 && registry[i - 1]->addr > v->addr; i--)
		registry[i] = registry[i - 1];
	registry[i] = v;
	registry_n++;
	atomic_fetch_add(&dax_nr_views, 1);
	dax_mapping_add_view(m, v);
	pthread_rwlock_unlock(&registry_lock);
	return 0;
}

bool dax_view_unregister(struct dax_view *v)
{
	bool found;
	size_t i;

	pthread_rwlock_wrlock(&registry_lock);
	for (i = 0; i < registry_n && registry[i] != v; i++)
		;
	found = i < registry_n;
	if (found) {
		memmove(&registry[i], &registry[i + 1],
			(registry_n - i - 1) * sizeof(*registry));
		registry_n--;
		atomic_fetch_sub(&dax_nr_views, 1);
		dax_mapping_del_view(v->mapping, v);
	}
	pthread_rwlock_unlock(&registry_lock);
	return found;
}

struct dax_view *dax_view_lookup(const void *addr, size_t len)
{
	const unsigned char *a = addr;
	size_t lo = 0, hi;

	pthread_rwlock_rdlock(&registry_lock);
	hi = registry_n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct dax_view *v = registry[mid];

		if (a < v->addr)
			hi = mid;
		else if (a >= v->addr + v->len)
			lo = mid + 1;
		else if (len <= (size_t)(v->addr + v->len - a))
			return v; /* registry stays read-locked */
		else
			break;
	}
	pthread_rwlock_unlock(&registry_lock);
	return NULL;
}

void dax_views_hold(void)
{
	pthread_rwlock_rdlock(&registry_lock);
}

void dax_views_release(void)
{
	pthread_rwlock_unlock(&registry_lock);
}

static inline unsigned char *page_addr(struct dax_view *v, uint64_t pgoff)
{
	return v->addr + ((pgoff - v->pgoff) << DAX_PAGE_SHIFT);
}

/* Record that pages [pgoff, pgoff+n) of v are now in state st. */
static void states_set(struct dax_view *v, uint64_t pgoff, uint64_t n,
		       enum dax_page_state st)
{
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *s = &v->state[pgoff - v->pgoff + i];

		if (__atomic_load_n(s, __ATOMIC_RELAXED) == DAX_PG_SIGBUS)
			atomic_fetch_sub(&v->nr_sigbus, 1);
		__atomic_store_n(s, st, __ATOMIC_RELAXED);
	}
	if (st == DAX_PG_SIGBUS)
		atomic_fetch_add(&v->nr_sigbus, n);
}

int dax_view_install(struct dax_view *v, uint64_t pgoff, uint64_t n,
		       uint64_t dev_off, enum dax_page_state st)
{
	unsigned char *a = page_addr(v, pgoff);
	size_t len = n << DAX_PAGE_SHIFT;
	void *p;

	switch (st) {
	case DAX_PG_RO:
	case DAX_PG_RW:
		p = mmap(a, len, st == DAX_PG_RW ? PROT_READ | PROT_WRITE
						: PROT_READ,
			 MAP_SHARED | MAP_FIXED, v->fd, dev_off);
		break;
	case DAX_PG_ZERO:
		p = mmap(a, len, PROT_READ, MAP_PRIVATE | MAP_FIXED |
			 MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		break;
	case DAX_PG_SIGBUS:
		p = mmap(a, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 sigbus_fd, 0);
		break;
	default:
		return dax_view_zap(v, pgoff, n);
	}
	if (p == MAP_FAILED)
		return -errno;
	states_set(v, pgoff, n, st);
	return 0;
}

int dax_view_zap(struct dax_view *v, uint64_t pgoff, uint64_t n)
{
	void *p = mmap(page_addr(v, pgoff), n << DAX_PAGE_SHIFT, PROT_NONE,
		       MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	states_set(v, pgoff, n, DAX_PG_NONE);
	return 0;
}

int dax_view_protect(struct dax_view *v, uint64_t pgoff, uint64_t n,
		       enum dax_page_state st)
{
	if (mprotect(page_addr(v, pgoff), n << DAX_PAGE_SHIFT,
		     st == DAX_PG_RW ? PROT_READ | PROT_WRITE : PROT_READ) < 0)
		return -errno;
	states_set(v, pgoff, n, st);
	return 0;
}

int dax_view_protect_runs(struct dax_view *v, uint64_t lo, uint64_t hi,
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

/*
 * After mprotect() to read-write, a shared file mapping keeps its page
 * table entries read-only until each page's first store, which then
 * faults in the kernel (write notification), about as dear as the
 * signal we just took.  MADV_POPULATE_WRITE (Linux 5.14) does those
 * faults in one call.
 */
void dax_view_prefault_write(struct dax_view *v, uint64_t pgoff,
			       uint64_t n)
{
#ifdef MADV_POPULATE_WRITE
	int saved = errno; /* called from the fault handler */

	(void)madvise(page_addr(v, pgoff), n << DAX_PAGE_SHIFT,
		      MADV_POPULATE_WRITE);
	errno = saved;
#else
	(void)v; (void)pgoff; (void)n;
#endif
}

/* dax_copy_guarded's callback for persisting: flush [dst, dst+len). */
static void flush_range(void *ctx, void *dst, const void *src, size_t len)
{
	struct dax_view *v = ctx;

	(void)src;
	v->flush(dst, len);
}

/* Flush n bytes at a of page pg of v if it is writable.  False when
 * the memory behind it is gone (a SIGBUS from the kernel on an installed
 * page: poison, or a region file shrunk under the mount). */
static bool persist_page(struct dax_view *v, const unsigned char *a,
			 size_t n, uint64_t pg)
{
	const void *addr;
	int sig;

	/* Guarded: a truncate may unmap the page meanwhile, and then there
	 * is nothing left to persist there. */
	if (dax_view_state(v, pg) != DAX_PG_RW ||
	    !dax_copy_guarded((void *)a, NULL, n, flush_range, v))
		return true;
	dax_guard_fault(&addr, &sig);
	return sig != SIGBUS || dax_view_state(v, pg) != DAX_PG_RW;
}

int dax_view_persist(struct dax_view *v, const void *addr, size_t len)
{
	const unsigned char *a = addr, *end = a + len, *bad = NULL;
	uint64_t pg = v->pgoff + ((uint64_t)(a - v->addr) >> DAX_PAGE_SHIFT);

	while (a < end) {
		const unsigned char *pend = v->addr +
			((pg - v->pgoff + 1) << DAX_PAGE_SHIFT);
		size_t n = (pend < end ? pend : end) - a;

		if (!persist_page(v, a, n, pg) && !bad)
			bad = a; /* the other pages are persisted still */
		a += n;
		pg++;
	}
	v->drain();
	if (!bad)
		return 0;
	return err_set(-EIO, "I/O error: the memory behind offset %llu of "
		       "inode %llu (view address %p) is lost or poisoned; "
		       "its stores cannot be persisted",
		       (unsigned long long)((v->pgoff << DAX_PAGE_SHIFT) +
					    (uint64_t)(bad - v->addr)),
		       (unsigned long long)v->ino, (const void *)bad);
}

void dax_guard_fault(const void **addr, int *sig)
{
	*addr = guard_addr;
	*sig = guard_sig;
}

int dax_copy_guarded(void *dst, const void *src, size_t len,
		       void (*copy)(void *ctx, void *dst, const void *src,
				    size_t len),
		       void *ctx)
{
	sigjmp_buf jb, *outer = guard_jb;
	sig_atomic_t outer_armed = guard_armed;

	if (!atomic_load_explicit(&handler_ready, memory_order_relaxed)) {
		copy(ctx, dst, src, len);
		return 0;
	}
	if (sigsetjmp(jb, 0)) {
		guard_jb = outer;
		guard_armed = outer_armed;
		return region_holds(guard_addr) ? -EIO : -EFAULT;
	}
	guard_jb = &jb;
	guard_armed = 1;
	copy(ctx, dst, src, len);
	guard_armed = outer_armed;
	guard_jb = outer;
	return 0;
}
