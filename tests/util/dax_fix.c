/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax_fix.c -- a mapping and views on a host file, without ext2 (see
 * dax_fix.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common.h"
#include "dax_fix.h"

atomic_int dax_fix_faults;

/* The fix's ->fault: the device page of the same index. */
static int fix_fault(struct dax_view *v, uint64_t pgoff, bool write)
{
	atomic_fetch_add(&dax_fix_faults, 1);
	return dax_view_install(v, pgoff, 1, pgoff << DAX_PAGE_SHIFT,
				write ? DAX_PG_RW : DAX_PG_RO);
}

static const struct dax_view_ops fix_ops = { .fault = fix_fault };

int dax_fix_open(struct dax_fix *x, uint64_t pages, uint64_t seed)
{
	x->path = test_image_path("daxfix");
	x->seed = seed;
	if (!x->path || test_write_pattern_file(x->path, pages * TEST_PAGE,
						seed))
		return -EIO;
	x->fd = open(x->path, O_RDWR | O_CLOEXEC);
	if (x->fd < 0)
		return -errno;
	return dax_mapping_init(&x->m);
}

struct dax_view *dax_fix_view(struct dax_fix *x, uint64_t pgoff,
			      uint64_t n, int prot, unsigned flags,
			      bool track_dirty)
{
	struct dax_view *v;

	if (dax_view_new(n * TEST_PAGE, pgoff, &v))
		return NULL;
	v->fd = x->fd;
	v->prot = prot;
	v->flags = flags;
	v->track_dirty = track_dirty;
	v->ops = &fix_ops;
	if (dax_view_register(v, &x->m)) {
		dax_view_delete(&v);
		return NULL;
	}
	return v;
}

void dax_fix_view_delete(struct dax_view **v)
{
	if (*v && (*v)->mapping)
		dax_view_unregister(*v);
	dax_view_delete(v);
}

void dax_fix_close(struct dax_fix *x)
{
	dax_mapping_destroy(&x->m);
	close(x->fd);
}

int dax_fix_set_entry(struct dax_mapping *m, uint64_t index, bool pmd,
		      uint64_t value)
{
	uint64_t e;
	int ret = dax_grab_entry(m, index, pmd, false, &e);

	if (ret)
		return ret;
	if (e != DAX_EMPTY) {
		dax_put_entry(m, index, e);
		return -EEXIST;
	}
	dax_put_entry(m, index, value);
	return 0;
}

const char *dax_fix_states(const struct dax_view *v, uint64_t pgoff,
			   uint64_t n)
{
	static char s[64];
	uint64_t i;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	for (i = 0; i < n; i++)
		s[i] = "Nrwzb"[dax_view_state(v, pgoff + i)];
	s[n] = 0;
	return s;
}
