/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_view.c -- white-box tests of dax/view.c on a host file, with a
 * fake fault operation instead of ext2: a view's reservation and its 2 MiB
 * alignment, the registry (register, lookup, unregister), the page states
 * that install, zap and protect leave, the SIGSEGV handler running the
 * view's fault operation on a first touch (and raising SIGBUS when it
 * says -EFAULT), dax_view_persist flushing only writable pages, and
 * dax_copy_guarded returning -EFAULT on a source that faults and -EIO
 * on lost memory of an open region (its file shrunk), nested too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/region.h"
#include "dax/entry.h"
#include "dax/view.h"
#include "check.h"
#include "probe.h"

/* libdaxfs chains SIGBUS to the probes' handler, installed first. */
TestSuite(view, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

#define PG TEST_PAGE
#define NPG 8
#define SEED 42

/* What the fake fault operation does at a file page. */
enum fake_mode { FAKE_MAP = 0, FAKE_ZERO, FAKE_EFAULT };

static enum fake_mode fake_mode[NPG];
static atomic_int fake_faults, fake_writes;
static atomic_long flushed_bytes;
static atomic_int flush_calls, drain_calls;

/* The fake ->fault: map the file's page, the zero page, or say -EFAULT.
 * Runs in the SIGSEGV handler, as ext2_dax_fault does. */
static int fake_fault(struct dax_view *v, uint64_t pgoff, bool write)
{
	atomic_fetch_add(&fake_faults, 1);
	if (write)
		atomic_fetch_add(&fake_writes, 1);
	if (fake_mode[pgoff] == FAKE_EFAULT)
		return -EFAULT;
	if (fake_mode[pgoff] == FAKE_ZERO && !write)
		return dax_view_install(v, pgoff, 1, 0, DAX_PG_ZERO);
	/* The file's page; a store into a hole gets it too. */
	return dax_view_install(v, pgoff, 1, pgoff * PG,
				write ? DAX_PG_RW : DAX_PG_RO);
}

static const struct dax_view_ops fake_ops = { .fault = fake_fault };

/* Counting stand-ins for the region's flush and drain. */
static void fake_flush(const void *p, size_t len)
{
	(void)p;
	atomic_fetch_add(&flush_calls, 1);
	atomic_fetch_add(&flushed_bytes, (long)len);
}

static void fake_drain(void)
{
	atomic_fetch_add(&drain_calls, 1);
}

/* A view of file pages [pgoff, pgoff+n) of a pattern file, with its
 * mapping; registered if reg. */
struct vfix {
	const char *path;
	int fd;
	struct dax_mapping m;
	struct dax_view *v;
};

static void vfix_setup(struct vfix *x, uint64_t pgoff, uint64_t n, int prot,
		       bool reg)
{
	x->path = test_image_path("view");
	cr_assert_eq(test_write_pattern_file(x->path, NPG * PG, SEED), 0);
	x->fd = open(x->path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(x->fd, 0);
	CHECK_OK(dax_mapping_init(&x->m));
	CHECK_OK(dax_view_new(n * PG, pgoff, &x->v));
	x->v->fd = x->fd;
	x->v->prot = prot;
	x->v->ops = &fake_ops;
	x->v->flush = fake_flush;
	x->v->drain = fake_drain;
	if (reg)
		CHECK_OK(dax_view_register(x->v, &x->m));
}

static void vfix_teardown(struct vfix *x)
{
	if (x->v->mapping)
		cr_assert(dax_view_unregister(x->v));
	dax_view_delete(&x->v);
	cr_assert_null(x->v);
	dax_mapping_destroy(&x->m);
	close(x->fd);
}

/* Byte i of file page pg as the pattern file holds it. */
static unsigned char file_byte(uint64_t pg, size_t i)
{
	unsigned char b;

	test_pattern(&b, 1, SEED, pg * PG + i);
	return b;
}

Test(view, new_reserves_len_aligned_to_the_file_offset)
{
	struct dax_view *v = NULL;

	CHECK_OK(dax_view_new(5 * PG, 3, &v));
	cr_assert_eq(v->len, 5 * PG);
	cr_assert_eq(v->pgoff, 3);
	/* Address == file offset modulo 2 MiB, so PMDs can be used. */
	cr_assert_eq((uintptr_t)v->addr % DAX_PMD_SIZE, 3 * PG);
	cr_assert((unsigned char *)v->rsv <= v->addr &&
		  v->addr + v->len <= (unsigned char *)v->rsv + v->rsv_len);
	for (uint64_t p = 3; p < 8; p++)
		cr_assert_eq(dax_view_state(v, p), DAX_PG_NONE);
	cr_assert(dax_view_has(v, 3) && dax_view_has(v, 7));
	cr_assert(!dax_view_has(v, 2) && !dax_view_has(v, 8));
	dax_view_delete(&v);
	cr_assert_null(v);
	dax_view_delete(&v); /* accepts NULL */
}

Test(view, register_lookup_unregister)
{
	struct vfix x;
	long before = atomic_load(&dax_nr_views);
	unsigned char *a;

	vfix_setup(&x, 0, 4, PROT_READ, false);
	a = x.v->addr;
	cr_assert_null(dax_view_lookup(a, 1), "found before register");
	CHECK_OK(dax_view_register(x.v, &x.m));
	cr_assert_eq(atomic_load(&dax_nr_views), before + 1);
	cr_assert_eq(atomic_load(&x.m.nr_views), 1);
	cr_assert_eq(x.v->mapping, &x.m);
	cr_assert_eq(x.m.views, x.v);
	cr_assert_eq(dax_view_lookup(a + 4 * PG - 1, 1), x.v);
	dax_views_release();
	cr_assert_eq(dax_view_lookup(a, 4 * PG), x.v);
	dax_views_release();
	cr_assert_null(dax_view_lookup(a + 4 * PG - 10, 20), "past the end");
	cr_assert_null(dax_view_lookup(a - 1, 1), "before the start");
	cr_assert(dax_view_unregister(x.v));
	cr_assert(!dax_view_unregister(x.v), "unregistered twice");
	cr_assert_null(dax_view_lookup(a, 1));
	cr_assert_eq(atomic_load(&dax_nr_views), before);
	cr_assert_eq(atomic_load(&x.m.nr_views), 0);
	cr_assert_null(x.m.views);
	x.v->mapping = NULL;
	vfix_teardown(&x);
}

Test(view, lookup_finds_each_of_several_views)
{
	struct dax_mapping m;
	struct dax_view *v[5];
	int i;

	CHECK_OK(dax_mapping_init(&m));
	for (i = 0; i < 5; i++) {
		CHECK_OK(dax_view_new((size_t)(i + 1) * PG, (uint64_t)i, &v[i]));
		v[i]->ops = &fake_ops;
	}
	/* Registered out of address order: the registry sorts. */
	for (i = 4; i >= 0; i -= 2)
		CHECK_OK(dax_view_register(v[i], &m));
	for (i = 1; i < 5; i += 2)
		CHECK_OK(dax_view_register(v[i], &m));
	cr_assert_eq(atomic_load(&m.nr_views), 5);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(dax_view_lookup(v[i]->addr + v[i]->len / 2, 1),
			     v[i], "view %d", i);
		dax_views_release();
	}
	cr_assert(dax_view_unregister(v[2]));
	cr_assert_null(dax_view_lookup(v[2]->addr, 1));
	for (i = 0; i < 5; i++) {
		if (i != 2)
			cr_assert(dax_view_unregister(v[i]));
		dax_view_delete(&v[i]);
	}
	dax_mapping_destroy(&m);
}

Test(view, install_zap_protect_set_the_page_states)
{
	struct vfix x;
	unsigned char *a, c = 0, raw;

	vfix_setup(&x, 0, NPG, PROT_READ | PROT_WRITE, true);
	a = x.v->addr;
	CHECK_OK(dax_view_install(x.v, 0, 2, 0, DAX_PG_RW));
	cr_assert_eq(dax_view_state(x.v, 0), DAX_PG_RW);
	cr_assert_eq(dax_view_state(x.v, 1), DAX_PG_RW);
	cr_assert_eq(a[PG + 7], file_byte(1, 7));
	/* A store through an RW page is a store to the file. */
	a[5] = 0x5A;
	cr_assert_eq(pread(x.fd, &raw, 1, 5), 1);
	cr_assert_eq(raw, 0x5A);
	/* Page 2 shows file page 6: dev_off is where the bytes are. */
	CHECK_OK(dax_view_install(x.v, 2, 1, 6 * PG, DAX_PG_RO));
	cr_assert_eq(dax_view_state(x.v, 2), DAX_PG_RO);
	cr_assert_eq(a[2 * PG + 9], file_byte(6, 9));
	CHECK_OK(dax_view_install(x.v, 3, 1, 0, DAX_PG_ZERO));
	cr_assert_eq(dax_view_state(x.v, 3), DAX_PG_ZERO);
	cr_assert_eq(test_first_nonzero(a + 3 * PG, PG), -1);
	CHECK_OK(dax_view_protect(x.v, 0, 1, DAX_PG_RO));
	cr_assert_eq(dax_view_state(x.v, 0), DAX_PG_RO);
	cr_assert_eq(a[5], 0x5A);
	/* SIGBUS pages are counted and raise SIGBUS themselves. */
	CHECK_OK(dax_view_install(x.v, 4, 2, 0, DAX_PG_SIGBUS));
	cr_assert_eq(atomic_load(&x.v->nr_sigbus), 2);
	cr_assert_eq(test_probe_read(a + 4 * PG, &c), -1);
	cr_assert_eq(atomic_load(&fake_faults), 0, "no fault op ran");
	CHECK_OK(dax_view_zap(x.v, 0, NPG));
	cr_assert_eq(atomic_load(&x.v->nr_sigbus), 0);
	for (uint64_t p = 0; p < NPG; p++)
		cr_assert_eq(dax_view_state(x.v, p), DAX_PG_NONE);
	vfix_teardown(&x);
}

Test(view, first_touch_runs_the_fault_operation)
{
	struct vfix x;
	unsigned char *a, c = 0;

	fake_mode[3] = FAKE_ZERO;
	fake_mode[4] = FAKE_EFAULT;
	vfix_setup(&x, 2, 4, PROT_READ | PROT_WRITE, true);
	a = x.v->addr; /* file page 2 */
	cr_assert_eq(a[11], file_byte(2, 11));
	cr_assert_eq(atomic_load(&fake_faults), 1);
	cr_assert_eq(atomic_load(&fake_writes), 0, "a load taken for a store");
	cr_assert_eq(dax_view_state(x.v, 2), DAX_PG_RO);
	cr_assert_eq(a[12], file_byte(2, 12));
	cr_assert_eq(atomic_load(&fake_faults), 1, "an installed page faulted");
	/* A hole reads zeros; a store there then maps the file's page. */
	cr_assert_eq(a[PG + 1], 0);
	cr_assert_eq(dax_view_state(x.v, 3), DAX_PG_ZERO);
	a[PG + 1] = 0x77;
	cr_assert_eq(dax_view_state(x.v, 3), DAX_PG_RW);
	cr_assert_geq(atomic_load(&fake_writes), 1);
	cr_assert_eq(a[PG + 2], file_byte(3, 2));
	/* -EFAULT from the fault op: SIGBUS at the access. */
	cr_assert_eq(test_probe_read(a + 2 * PG, &c), -1);
	cr_assert_eq(dax_view_state(x.v, 4), DAX_PG_NONE);
	vfix_teardown(&x);
}

Test(view, persist_flushes_only_writable_pages)
{
	struct vfix x;

	vfix_setup(&x, 0, 4, PROT_READ | PROT_WRITE, true);
	CHECK_OK(dax_view_install(x.v, 0, 1, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(x.v, 1, 1, PG, DAX_PG_RO));
	CHECK_OK(dax_view_install(x.v, 3, 1, 3 * PG, DAX_PG_RW));
	/* From the middle of page 0 to the middle of page 3. */
	dax_view_persist(x.v, x.v->addr + 100, 3 * PG);
	cr_assert_eq(atomic_load(&flush_calls), 2);
	cr_assert_eq(atomic_load(&flushed_bytes), (PG - 100) + 100);
	cr_assert_eq(atomic_load(&drain_calls), 1);
	cr_assert_eq(atomic_load(&fake_faults), 0, "persist touched a page");
	vfix_teardown(&x);
}

/* dax_copy_guarded's copy: plain memcpy. */
static void copy_plain(void *ctx, void *dst, const void *src, size_t len)
{
	(void)ctx;
	memcpy(dst, src, len);
}

Test(view, copy_guarded_returns_efault_on_a_faulting_source)
{
	unsigned char src[64], dst[64] = { 0 }, c = 0;
	unsigned char *none;
	struct vfix x;

	/* The guard is armed while views exist. */
	fake_mode[1] = FAKE_EFAULT;
	vfix_setup(&x, 0, 2, PROT_READ, true);
	test_pattern(src, sizeof(src), 7, 0);
	CHECK_OK(dax_copy_guarded(dst, src, sizeof(src), copy_plain, NULL));
	cr_assert_eq(memcmp(dst, src, sizeof(src)), 0);
	/* A view page whose fault says -EFAULT (past EOF). */
	CHECK_EQ(dax_copy_guarded(dst, x.v->addr + PG, 64, copy_plain, NULL),
		 -EFAULT);
	/* Memory no view covers (an unmapped user buffer). */
	none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(none, MAP_FAILED);
	CHECK_EQ(dax_copy_guarded(dst, none, 64, copy_plain, NULL), -EFAULT);
	CHECK_EQ(dax_copy_guarded(none, src, 64, copy_plain, NULL), -EFAULT);
	munmap(none, PG);
	/* The thread is fine afterwards: signals unblocked, guard reusable. */
	CHECK_OK(dax_copy_guarded(dst, x.v->addr, 64, copy_plain, NULL));
	cr_assert_eq(dst[3], file_byte(0, 3));
	cr_assert_eq(test_probe_read(x.v->addr + PG, &c), -1);
	vfix_teardown(&x);
}

/* A nested guarded copy (the fault path's, inside a copy that touched a
 * view): the inner one faults and returns; the outer goes on. */
struct nest {
	unsigned char *bad;
	int inner;
};

static void copy_nested(void *ctx, void *dst, const void *src, size_t len)
{
	struct nest *n = ctx;
	unsigned char c[8];

	n->inner = dax_copy_guarded(c, n->bad, sizeof(c), copy_plain, NULL);
	memcpy(dst, src, len);
}

/*
 * A fault in the mapping of an open region is lost memory: -EIO, and
 * dax_guard_fault says where (a region file shrunk by someone else
 * raises the same SIGBUS as a poisoned line).  Outside it, -EFAULT.
 */
Test(view, copy_guarded_returns_eio_on_lost_region_memory)
{
	const char *p = test_image_path("lost");
	unsigned char dst[64], src[64] = { 1 };
	struct region *r = NULL;
	struct nest n;
	const void *addr;
	int sig;

	cr_assert_eq(test_write_pattern_file(p, 4 * PG, 5), 0);
	CHECK_OK(dax_handlers_init());
	CHECK_OK(region_open(p, false, &r));
	cr_assert_eq(truncate(p, 2 * PG), 0);
	CHECK_OK(dax_copy_guarded(dst, r->base + PG, 64, copy_plain, NULL));
	CHECK_EQ(dax_copy_guarded(dst, r->base + 3 * PG + 8, 64, copy_plain,
				  NULL), -EIO);
	dax_guard_fault(&addr, &sig);
	cr_assert_eq(addr, r->base + 3 * PG + 8);
	cr_assert_eq(sig, SIGBUS);
	CHECK_EQ(dax_copy_guarded(r->base + 2 * PG, src, 64, copy_plain,
				  NULL), -EIO);
	n.bad = r->base + 2 * PG;
	CHECK_OK(dax_copy_guarded(dst, src, sizeof(src), copy_nested, &n));
	CHECK_EQ(n.inner, -EIO);
	cr_assert_eq(dst[0], 1, "the outer copy went on");
	region_close(&r);
	/* Unmapped now, and no region's: a bad buffer. */
	CHECK_EQ(dax_copy_guarded(dst, n.bad, 64, copy_plain, NULL), -EFAULT);
}
