/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entry.c -- the mapping index and its entry locks.
 *
 * Entries live in chunks of 512 words, one chunk per 2 MiB unit of the
 * file, so that a PMD entry and the 4 KiB entries of its unit are found
 * together (chunk->pmd).  Sleeping on a locked entry uses a hashed table
 * of futex words (dax.c's wait_table): a waiter samples the slot's
 * sequence number under m->lock, drops the lock and futex-waits on the
 * sample; unlocking bumps the sequence and wakes the slot if it has
 * waiters.  Uncontended, no system call is made.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/mem.h"
#include "dax/entry.h"

struct dax_chunk {
	uint64_t pmd;                 /* PMD entry of the unit, or 0 */
	uint32_t nr;                  /* 4 KiB entries present */
	uint64_t e[DAX_PMD_PAGES];    /* 4 KiB entries */
};

#define DAX_WAIT_TABLE_BITS 8
struct dax_wait_slot {
	atomic_uint seq;
	atomic_int waiters;
} __attribute__((aligned(64)));

static struct dax_wait_slot dax_wait_table[1 << DAX_WAIT_TABLE_BITS];

static struct dax_wait_slot *wait_slot(struct dax_mapping *m, uint64_t index)
{
	uint64_t h = ((uintptr_t)m >> 6) ^ (index * 0x9E3779B97F4A7C15ULL);

	return &dax_wait_table[(h >> 32) & ((1 << DAX_WAIT_TABLE_BITS) - 1)];
}

int dax_mapping_init(struct dax_mapping *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->views_lock, NULL);
	return -pthread_mutex_init(&m->lock, NULL);
}

void dax_mapping_destroy(struct dax_mapping *m)
{
	uint64_t i;

	for (i = 0; i < m->nchunks; i++)
		mem_free(m->chunks[i]);
	mem_free(m->chunks);
	m->chunks = NULL;
	m->nchunks = 0;
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->views_lock);
}

/* The chunk of unit c, created when create; NULL if absent or out of
 * memory.  Called with m->lock held. */
static struct dax_chunk *chunk_get(struct dax_mapping *m, uint64_t c,
				   bool create)
{
	if (c >= m->nchunks) {
		uint64_t n = m->nchunks ? m->nchunks : 16;
		struct dax_chunk **t;

		if (!create)
			return NULL;
		while (n <= c)
			n *= 2;
		t = mem_realloc(m->chunks, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + m->nchunks, 0, (n - m->nchunks) * sizeof(*t));
		m->chunks = t;
		m->nchunks = n;
	}
	if (!m->chunks[c] && create)
		m->chunks[c] = mem_zalloc(sizeof(struct dax_chunk));
	return m->chunks[c];
}

/* The word of the entry covering index: the PMD one if present. */
static uint64_t *entry_slot(struct dax_chunk *ch, uint64_t index)
{
	if (ch->pmd)
		return &ch->pmd;
	return &ch->e[index & (DAX_PMD_PAGES - 1)];
}

/* Sleep until the slot's sequence moves past seq.  Called unlocked. */
static void wait_on(struct dax_wait_slot *ws, unsigned seq)
{
	syscall(SYS_futex, &ws->seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
}

int dax_grab_entry(struct dax_mapping *m, uint64_t index, bool pmd,
		     bool trylock, uint64_t *out)
{
	uint64_t c;
	struct dax_wait_slot *ws;
	struct dax_chunk *ch;
	uint64_t *slot;
	unsigned seq;

	c = index / DAX_PMD_PAGES;
	for (;;) {
		pthread_mutex_lock(&m->lock);
		ch = chunk_get(m, c, true);
		if (!ch) {
			pthread_mutex_unlock(&m->lock);
			return -ENOMEM;
		}
		if (pmd && !ch->pmd && ch->nr) {
			pthread_mutex_unlock(&m->lock);
			return -EEXIST; /* 4 KiB entries in the unit */
		}
		slot = pmd ? &ch->pmd : entry_slot(ch, index);
		if (!dax_is_locked(*slot)) {
			if (!*slot) {
				*slot = DAX_EMPTY;
				if (slot != &ch->pmd)
					ch->nr++;
				atomic_fetch_add(&m->nr_entries, 1);
			}
			*slot |= DAX_LOCKED;
			*out = *slot & ~DAX_LOCKED;
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
		if (trylock) {
			pthread_mutex_unlock(&m->lock);
			return -EBUSY;
		}
		/* Sleep on the index of the locked entry (the unit's first
		 * page for a PMD entry), as the unlocker wakes it. */
		ws = wait_slot(m, slot == &ch->pmd ? c * DAX_PMD_PAGES : index);
		atomic_fetch_add(&ws->waiters, 1);
		seq = atomic_load(&ws->seq);
		pthread_mutex_unlock(&m->lock);
		wait_on(ws, seq);
		atomic_fetch_sub(&ws->waiters, 1);
	}
}

void dax_put_entry(struct dax_mapping *m, uint64_t index, uint64_t value)
{
	uint64_t c = index / DAX_PMD_PAGES, old;
	struct dax_wait_slot *ws;
	struct dax_chunk *ch;
	uint64_t *slot;
	bool was_pmd;

	pthread_mutex_lock(&m->lock);
	ch = chunk_get(m, c, false);
	slot = entry_slot(ch, index);
	old = *slot;
	was_pmd = slot == &ch->pmd;
	if (dax_is_dirty(old) && !dax_is_dirty(value))
		atomic_fetch_sub(&m->nr_dirty, 1);
	else if (!dax_is_dirty(old) && dax_is_dirty(value))
		atomic_fetch_add(&m->nr_dirty, 1);
	value &= ~DAX_LOCKED;
	if (!value) {
		atomic_fetch_sub(&m->nr_entries, 1);
		if (!was_pmd)
			ch->nr--;
	}
	*slot = value;
	ws = wait_slot(m, was_pmd ? c * DAX_PMD_PAGES : index);
	atomic_fetch_add(&ws->seq, 1);
	pthread_mutex_unlock(&m->lock);
	if (atomic_load(&ws->waiters))
		syscall(SYS_futex, &ws->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
			NULL, 0);
}

uint64_t dax_peek_entry(struct dax_mapping *m, uint64_t index)
{
	struct dax_chunk *ch;
	uint64_t v = 0;

	pthread_mutex_lock(&m->lock);
	ch = chunk_get(m, index / DAX_PMD_PAGES, false);
	if (ch)
		v = *entry_slot(ch, index);
	pthread_mutex_unlock(&m->lock);
	return v;
}

uint64_t dax_next_entry(struct dax_mapping *m, uint64_t *index,
			  uint64_t end)
{
	uint64_t i = *index, v = 0;

	pthread_mutex_lock(&m->lock);
	while (i < end && !v) {
		uint64_t c = i / DAX_PMD_PAGES;
		struct dax_chunk *ch = c < m->nchunks ? m->chunks[c] : NULL;

		if (c >= m->nchunks)
			break;
		if (!ch || (!ch->pmd && !ch->nr)) {
			i = (c + 1) * DAX_PMD_PAGES;
			continue;
		}
		if (ch->pmd) {
			v = ch->pmd;
			if (i < c * DAX_PMD_PAGES)
				i = c * DAX_PMD_PAGES;
			break;
		}
		for (; i < (c + 1) * DAX_PMD_PAGES && i < end; i++) {
			v = ch->e[i & (DAX_PMD_PAGES - 1)];
			if (v)
				break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (v)
		*index = i;
	return v;
}
