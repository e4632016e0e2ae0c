/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * badblocks.c -- the bad blocks of a region, known in DRAM (see
 * badblocks.h): loading them from libpmem2 (or, in test builds, from
 * DAXFS_TEST_BADBLOCKS), looking ranges up, clearing them.
 */
#include <errno.h>
#include <libpmem2.h>
#include <stdlib.h>
#include <string.h>

#include "core/badblocks.h"
#include "core/err.h"
#include "core/mem.h"

/* Make room for want ranges; false when out of memory. */
static bool bb_reserve(struct badblocks *bb, size_t want)
{
	struct badblocks_range *r;
	size_t cap = bb->cap ? bb->cap : 8;

	if (want <= bb->cap)
		return true;
	while (cap < want)
		cap *= 2;
	r = mem_realloc(bb->r, cap * sizeof(*r));
	if (!r)
		return false;
	bb->r = r;
	bb->cap = cap;
	return true;
}

/* Append [off, off+len), clamped to size bytes; sorted later. */
static int bb_push(struct badblocks *bb, uint64_t off, uint64_t len,
		   size_t size)
{
	size_t n = atomic_load(&bb->nranges);

	if (off >= size || len == 0)
		return 0;
	if (len > size - off)
		len = size - off;
	if (!bb_reserve(bb, n + 1))
		return err_set(-ENOMEM, "out of memory for the bad block list");
	bb->r[n] = (struct badblocks_range){ off, len };
	atomic_store(&bb->nranges, n + 1);
	return 0;
}

static int bb_cmp(const void *a, const void *b)
{
	const struct badblocks_range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sort the ranges and merge those that overlap or touch. */
static void bb_normalize(struct badblocks *bb)
{
	size_t n = atomic_load(&bb->nranges), i, k = 0;

	if (n == 0)
		return;
	qsort(bb->r, n, sizeof(*bb->r), bb_cmp);
	for (i = 1; i < n; i++) {
		struct badblocks_range *last = &bb->r[k];
		uint64_t end = bb->r[i].off + bb->r[i].len;

		if (bb->r[i].off <= last->off + last->len) {
			if (end > last->off + last->len)
				last->len = end - last->off;
		} else {
			bb->r[++k] = bb->r[i];
		}
	}
	atomic_store(&bb->nranges, k + 1);
}

/* The platform's list of src.  A source libpmem2 cannot ask (a regular
 * file of a file system that is not pmem) has no known bad block. */
static int bb_load_platform(struct badblocks *bb, struct pmem2_source *src,
			    size_t size)
{
	struct pmem2_badblock_context *ctx = NULL;
	struct pmem2_badblock b;
	int ret = 0;

	if (pmem2_badblock_context_new(&ctx, src))
		return 0;
	while (!ret && pmem2_badblock_next(ctx, &b) == 0)
		ret = bb_push(bb, b.offset, b.length, size);
	pmem2_badblock_context_delete(&ctx);
	bb->src = src;
	return ret;
}

#if DAXFS_TEST_HOOKS
/* Test builds: DAXFS_TEST_BADBLOCKS="off:len,..." replaces the platform's
 * list; 1 when it was set, 0 when not, or -EINVAL. */
static int bb_load_test_env(struct badblocks *bb, size_t size)
{
	const char *s = getenv("DAXFS_TEST_BADBLOCKS");
	char *end;
	int ret = 0;

	if (!s)
		return 0;
	while (*s && !ret) {
		uint64_t off = strtoull(s, &end, 0), len;

		if (*end != ':')
			return err_set(-EINVAL, "DAXFS_TEST_BADBLOCKS: expected "
				       "off:len at \"%.40s\"", s);
		len = strtoull(end + 1, &end, 0);
		if (*end && *end != ',')
			return err_set(-EINVAL, "DAXFS_TEST_BADBLOCKS: expected "
				       "',' at \"%.40s\"", end);
		ret = bb_push(bb, off, len, size);
		s = *end ? end + 1 : end;
	}
	return ret ? ret : 1;
}
#else
/* Release build: no injected list. */
static inline __attribute__((always_inline)) int
bb_load_test_env(struct badblocks *bb, size_t size)
{
	(void)bb;
	(void)size;
	return 0;
}
#endif

int badblocks_load(struct pmem2_source *src, size_t size,
		   struct badblocks **out)
{
	struct badblocks *bb = mem_zalloc(sizeof(*bb));
	int ret;

	if (!bb)
		return err_set(-ENOMEM, "out of memory for the bad block list");
	pthread_mutex_init(&bb->lock, NULL);
	ret = bb_load_test_env(bb, size);
	if (ret == 0)
		ret = bb_load_platform(bb, src, size);
	if (ret < 0) {
		badblocks_delete(&bb);
		return ret;
	}
	bb_normalize(bb);
	*out = bb;
	return 0;
}

void badblocks_delete(struct badblocks **bbp)
{
	struct badblocks *bb = *bbp;

	if (!bb)
		return;
	pthread_mutex_destroy(&bb->lock);
	mem_free(bb->r);
	mem_free(bb);
	*bbp = NULL;
}

/* Index of the first range that ends after off (n if none); lock held. */
static size_t bb_search(const struct badblocks *bb, uint64_t off)
{
	size_t lo = 0, hi = atomic_load(&bb->nranges);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bb->r[mid].off + bb->r[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool badblocks_find(struct badblocks *bb, uint64_t off, uint64_t len,
		    uint64_t *hit)
{
	bool found = false;
	size_t i;

	if (!badblocks_any(bb) || len == 0)
		return false;
	pthread_mutex_lock(&bb->lock);
	i = bb_search(bb, off);
	if (i < atomic_load(&bb->nranges) && bb->r[i].off < off + len) {
		*hit = bb->r[i].off > off ? bb->r[i].off : off;
		found = true;
	}
	pthread_mutex_unlock(&bb->lock);
	return found;
}

bool badblocks_get(struct badblocks *bb, size_t i, struct badblocks_range *out)
{
	bool ok;

	pthread_mutex_lock(&bb->lock);
	ok = i < atomic_load(&bb->nranges);
	if (ok)
		*out = bb->r[i];
	pthread_mutex_unlock(&bb->lock);
	return ok;
}

/* Clear [off, off+len) on the platform (a platform list); 0 or -EIO. */
static int bb_clear_platform(struct badblocks *bb, uint64_t off, uint64_t len)
{
	struct pmem2_badblock_context *ctx = NULL;
	struct pmem2_badblock b = { .offset = off, .length = len };
	int ret;

	ret = pmem2_badblock_context_new(&ctx, bb->src);
	if (!ret)
		ret = pmem2_badblock_clear(ctx, &b);
	pmem2_badblock_context_delete(&ctx);
	if (ret)
		return err_set(-EIO, "cannot clear the bad bytes [%llu, +%llu) "
			       "of the region: %s", (unsigned long long)off,
			       (unsigned long long)len, pmem2_errormsg());
	return 0;
}

/* Take [off, end) out of range i, which holds it; lock held, room for
 * one more range reserved.  Returns the index of the next range. */
static size_t bb_cut(struct badblocks *bb, size_t i, uint64_t off,
		     uint64_t end)
{
	struct badblocks_range *r = &bb->r[i];
	uint64_t rend = r->off + r->len;
	size_t n = atomic_load(&bb->nranges);

	if (r->off < off && rend > end) { /* a hole in the middle: split */
		memmove(&bb->r[i + 2], &bb->r[i + 1],
			(n - i - 1) * sizeof(*r));
		r->len = off - r->off;
		bb->r[i + 1] = (struct badblocks_range){ end, rend - end };
		atomic_store(&bb->nranges, n + 1);
		return i + 2;
	}
	if (r->off < off) {
		r->len = off - r->off;
		return i + 1;
	}
	if (rend > end) {
		r->len = rend - end;
		r->off = end;
		return i + 1;
	}
	memmove(r, r + 1, (n - i - 1) * sizeof(*r));
	atomic_store(&bb->nranges, n - 1);
	return i;
}

int badblocks_clear(struct badblocks *bb, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	size_t i;
	int ret = 0;

	if (!badblocks_any(bb) || len == 0)
		return 0;
	pthread_mutex_lock(&bb->lock);
	if (!bb_reserve(bb, atomic_load(&bb->nranges) + 1))
		ret = err_set(-ENOMEM, "out of memory for the bad block list");
	i = bb_search(bb, off);
	while (!ret && i < atomic_load(&bb->nranges) && bb->r[i].off < end) {
		uint64_t a = bb->r[i].off > off ? bb->r[i].off : off;
		uint64_t rend = bb->r[i].off + bb->r[i].len;
		uint64_t b = rend < end ? rend : end;

		/* An injected list (no source) needs no clearing: writing
		 * the bytes is what makes such media good. */
		if (bb->src)
			ret = bb_clear_platform(bb, a, b - a);
		if (!ret)
			i = bb_cut(bb, i, a, b);
	}
	pthread_mutex_unlock(&bb->lock);
	return ret;
}

void badblocks_count(struct badblocks *bb, uint32_t unit, uint64_t *units,
		     uint64_t *bytes)
{
	uint64_t last = UINT64_MAX, u = 0, b = 0;
	size_t i, n;

	*units = *bytes = 0;
	if (!badblocks_any(bb))
		return;
	pthread_mutex_lock(&bb->lock);
	n = atomic_load(&bb->nranges);
	for (i = 0; i < n; i++) {
		uint64_t first = bb->r[i].off / unit;
		uint64_t end = (bb->r[i].off + bb->r[i].len - 1) / unit;

		u += end - first + 1 - (first == last); /* shared unit once */
		last = end;
		b += bb->r[i].len;
	}
	pthread_mutex_unlock(&bb->lock);
	*units = u;
	*bytes = b;
}
