/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region_rec.c -- the persistence recorder of test builds (region_rec.h
 * describes the model).  Compiled to nothing in the release build.
 */
#include "core/region_rec.h"

#if DAXFS_TEST_HOOKS

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/region.h"

/* The recorder's one state (libpmem2's function types take no context). */
static struct {
	atomic_int busy;             /* a wrapper is recording (overlaps) */
	bool armed;                  /* record the next region_open */
	struct region *r;            /* the region recorded, or NULL */
	unsigned char *shadow;       /* what is persisted */
	size_t size;                 /* bytes of the region (and shadow) */
	dev_t dev;                   /* the region's file, to find views */
	ino_t ino;
	struct region_rec_line *lines; /* in flight, in first-flush order */
	size_t n;                    /* lines in flight */
	uint32_t *slot;              /* per region line: index + 1 in lines */
	region_rec_fence_fn fn;
	void *arg;
	atomic_bool drop;            /* the self-test switch */
	struct region_rec_stats st;
	/* libpmem2's own functions, which the wrappers call */
	pmem2_flush_fn flush;
	pmem2_drain_fn drain;
	pmem2_memcpy_fn memcpy;
	pmem2_memset_fn memset;
} rec;

/* Start recording a wrapper's call; false (counted) if another runs. */
static bool rec_enter(void)
{
	if (!rec.r)
		return false;
	if (atomic_exchange(&rec.busy, 1)) {
		rec.st.overlaps++;
		return false;
	}
	return true;
}

/* End recording a wrapper's call. */
static void rec_leave(void)
{
	atomic_store(&rec.busy, 0);
}

/* Parse a hexadecimal (base 16) or decimal number at *p, advancing it. */
static unsigned long long parse_num(const char **p, int base)
{
	unsigned long long v = 0;
	const char *s = *p;

	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			break;
		v = v * base + d;
	}
	*p = s;
	return v;
}

/*
 * The region offset that address a maps through a view (an mmap of the
 * region's file elsewhere), from /proc/self/maps; with read(2) and no
 * stdio, as it may run in the fault handler.  False if none maps it.
 */
static bool view_offset(uintptr_t a, size_t *off)
{
	static char buf[1 << 18];
	ssize_t len = 0, k;
	const char *p, *end;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (k = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += k;
	close(fd);
	buf[len] = 0;
	for (p = buf, end = buf + len; p < end; p = strchr(p, '\n') + 1) {
		unsigned long long lo, hi, foff, maj, mnr, ino;

		lo = parse_num(&p, 16);
		p++;
		hi = parse_num(&p, 16);
		p += 6; /* " rw-s " */
		foff = parse_num(&p, 16);
		p++;
		maj = parse_num(&p, 16);
		p++;
		mnr = parse_num(&p, 16);
		p++;
		ino = parse_num(&p, 10);
		if (a >= lo && a < hi && ino == rec.ino &&
		    makedev(maj, mnr) == rec.dev) {
			*off = foff + (a - lo);
			return true;
		}
		if (!strchr(p, '\n'))
			break;
	}
	return false;
}

/* Region offset of p (in the region's mapping or a view), or false. */
static bool rec_offset(const void *p, size_t *off)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)rec.r->base;

	if (a >= b && a < b + rec.size) {
		*off = a - b;
		return true;
	}
	return view_offset(a, off) && *off < rec.size;
}

/* Snapshot the lines of [p, p+len) as in flight. */
static void rec_flush_range(const void *p, size_t len, bool data)
{
	size_t off, line, end;

	if (!len)
		return;
	rec.st.flushes++;
	if (atomic_load(&rec.drop)) {
		rec.st.dropped++;
		return;
	}
	if (!rec_offset(p, &off)) {
		rec.st.outside++;
		return;
	}
	end = off + len < rec.size ? off + len : rec.size;
	for (line = off & ~(size_t)(REGION_REC_LINE - 1); line < end;
	     line += REGION_REC_LINE) {
		size_t i = line / REGION_REC_LINE;
		size_t n = rec.size - line < REGION_REC_LINE
			   ? rec.size - line : REGION_REC_LINE;
		struct region_rec_line *l;

		if (!rec.slot[i]) {
			rec.slot[i] = ++rec.n;
			rec.lines[rec.n - 1].off = line;
			rec.lines[rec.n - 1].data = false;
		}
		l = &rec.lines[rec.slot[i] - 1];
		l->data = data; /* the last store into the line says */
		memset(l->bytes, 0, sizeof(l->bytes));
		memcpy(l->bytes, rec.r->base + line, n);
		rec.st.lines++;
	}
}

/* A fence: the crash point, then the lines in flight become persisted. */
static void rec_fence(void)
{
	size_t i;

	rec.st.fences++;
	if (rec.fn)
		rec.fn(rec.arg, rec.shadow, rec.size, rec.lines, rec.n);
	for (i = 0; i < rec.n; i++) {
		const struct region_rec_line *l = &rec.lines[i];
		size_t n = rec.size - l->off < REGION_REC_LINE
			   ? rec.size - l->off : REGION_REC_LINE;

		memcpy(rec.shadow + l->off, l->bytes, n);
		rec.slot[l->off / REGION_REC_LINE] = 0;
	}
	rec.n = 0;
}

/* The wrappers that region_rec_install() puts into struct region.
 * flush: snapshot the lines. */
static void rec_flush(const void *p, size_t len)
{
	rec.flush(p, len);
	if (!rec_enter())
		return;
	rec_flush_range(p, len, false);
	rec_leave();
}

/* drain: a fence. */
static void rec_drain(void)
{
	rec.drain();
	if (!rec_enter())
		return;
	rec_fence();
	rec_leave();
}

/* persist: flush + drain (libpmem2's persist is exactly that, msync
 * included on page granularity). */
static void rec_persist(const void *p, size_t len)
{
	rec_flush(p, len);
	rec_drain();
}

/* After a mem* call stored [dst, dst+len): flush and fence as flags say. */
static void rec_mem_done(void *dst, size_t len, unsigned flags, bool data)
{
	if (!rec_enter())
		return;
	if (!(flags & PMEM2_F_MEM_NOFLUSH))
		rec_flush_range(dst, len, data);
	if (!(flags & PMEM2_F_MEM_NODRAIN))
		rec_fence();
	rec_leave();
}

/* memcpy: the copy's lines are data lines (they may tear). */
static void *rec_memcpy(void *dst, const void *src, size_t len,
			unsigned flags)
{
	void *ret = rec.memcpy(dst, src, len, flags);

	rec_mem_done(dst, len, flags, true);
	return ret;
}

/* memset: zeroing of new blocks and inodes. */
static void *rec_memset(void *dst, int c, size_t len, unsigned flags)
{
	void *ret = rec.memset(dst, c, len, flags);

	rec_mem_done(dst, len, flags, false);
	return ret;
}

/* Free what recording a region needs. */
static void rec_free(void)
{
	mem_free(rec.shadow);
	mem_free(rec.lines);
	mem_free(rec.slot);
	rec.shadow = NULL;
	rec.lines = NULL;
	rec.slot = NULL;
	rec.n = 0;
	rec.r = NULL;
}

int region_rec_start(region_rec_fence_fn fn, void *arg)
{
	if (rec.armed || rec.r)
		return err_set(-EBUSY, "the recorder is armed already");
	memset(&rec.st, 0, sizeof(rec.st));
	rec.fn = fn;
	rec.arg = arg;
	atomic_store(&rec.drop, false);
	rec.armed = true;
	return 0;
}

void region_rec_stop(void)
{
	rec.armed = false;
	rec_free();
}

void region_rec_drop_flushes(bool on)
{
	atomic_store(&rec.drop, on);
}

struct region_rec_stats region_rec_get_stats(void)
{
	struct region_rec_stats s = rec.st;

	s.recording = rec.r != NULL;
	return s;
}

int region_rec_install(struct region *r)
{
	size_t nlines = (r->size + REGION_REC_LINE - 1) / REGION_REC_LINE;
	struct stat st;

	if (!rec.armed || r->rdonly)
		return 0;
	if (fstat(r->fd, &st) < 0)
		return err_set(-errno, "recorder: cannot stat the region");
	rec.shadow = mem_alloc(r->size);
	rec.lines = mem_alloc(nlines * sizeof(*rec.lines));
	rec.slot = mem_zalloc(nlines * sizeof(*rec.slot));
	if (!rec.shadow || !rec.lines || !rec.slot) {
		rec_free();
		return err_set(-ENOMEM, "recorder: out of memory");
	}
	memcpy(rec.shadow, r->base, r->size);
	rec.size = r->size;
	rec.dev = st.st_dev;
	rec.ino = st.st_ino;
	rec.flush = r->flush;
	rec.drain = r->drain;
	rec.memcpy = r->memcpy;
	rec.memset = r->memset;
	r->persist = rec_persist;
	r->flush = rec_flush;
	r->drain = rec_drain;
	r->memcpy = rec_memcpy;
	r->memset = rec_memset;
	r->nt_copy = false; /* every copy through rec_memcpy */
	rec.armed = false;
	rec.r = r;
	return 0;
}

void region_rec_forget(struct region *r)
{
	if (rec.r == r)
		rec_free();
}

#endif /* DAXFS_TEST_HOOKS */
