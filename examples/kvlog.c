/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvlog.c -- a key-value store kept as an append-only log in a libdaxfs
 * file, with its index in DRAM.
 *
 *   kvlog REGION put KEY VALUE   append a record (a later put of the same
 *                                key replaces the value)
 *   kvlog REGION get KEY         print the value of KEY (exit 1: not found)
 *   kvlog REGION list            print every KEY=VALUE, sorted by key
 *
 * What it shows:
 *   - appending with daxfs_pwrite on a file opened with O_APPEND: each
 *     record is one call, durable when the call returns (no fsync needed);
 *   - rebuilding an index at start-up by scanning the log with daxfs_pread:
 *     a small hash table maps each key to where its latest value lies in
 *     the log, and get reads just that value;
 *   - a torn last record: a record is [magic, key length, value length,
 *     CRC-32][key][value].  A crash in the middle of an append can leave a
 *     log whose last record is incomplete; the scan stops at the first
 *     record that is short or whose checksum does not match, ignores the
 *     rest, and put cuts it off (daxfs_ftruncate) before appending;
 *   - making the file system when the region has none (see example.h).
 *
 * Run it on a region file in /dev/shm (PMEM2_FORCE_GRANULARITY=CACHE_LINE
 * makes libpmem2 flush cache lines there, as on persistent memory):
 *
 *   export PMEM2_FORCE_GRANULARITY=CACHE_LINE
 *   kvlog /dev/shm/kv.img put colour blue
 *   kvlog /dev/shm/kv.img put size 42
 *   kvlog /dev/shm/kv.img get colour        # blue
 *   kvlog /dev/shm/kv.img list
 *   debugfs -R "stat /kvlog" /dev/shm/kv.img   # the log is a plain file
 *
 * Records are written in the byte order of the machine.
 */
#include "example.h"

#define LOG_PATH "/kvlog"
#define REC_MAGIC 0x4b564c31u /* "KVL1" */
#define KEY_MAX 1024u
#define VALUE_MAX (64u << 10)
#define BUCKETS 1024u

/* A record's header; the key and the value follow it.  crc is the CRC-32
 * of the first 12 bytes of the header, the key and the value. */
struct rec_hdr {
	uint32_t magic;
	uint32_t klen;
	uint32_t vlen;
	uint32_t crc;
};

/* An entry of the DRAM index: where the latest value of key lies. */
struct entry {
	struct entry *next; /* the next entry of the same bucket */
	char *key;
	off_t voff;         /* offset of the value in the log */
	uint32_t vlen;
};

/* The open log and its index. */
struct kvlog {
	daxfs_file *f;
	off_t end;          /* end of the last whole record */
	off_t size;         /* size of the log file (past end: torn) */
	size_t nkeys, nrecords;
	struct entry *bucket[BUCKETS];
};

/* CRC-32 (the polynomial of zlib and ext4), continuing from crc. */
static uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

/* The checksum of a record: header (without crc), key and value. */
static uint32_t rec_crc(const struct rec_hdr *h, const void *kv)
{
	uint32_t crc = crc32_update(0, h, offsetof(struct rec_hdr, crc));

	return crc32_update(crc, kv, (size_t)h->klen + h->vlen);
}

/* FNV-1a hash of a key, for the bucket. */
static size_t key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h % BUCKETS;
}

/* The index entry of key, or NULL. */
static struct entry *index_find(struct kvlog *kv, const char *key)
{
	struct entry *e = kv->bucket[key_hash(key, strlen(key))];

	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	return e;
}

/* Record that the latest value of key (klen bytes) is at voff. */
static void index_set(struct kvlog *kv, const char *key, size_t klen,
		      off_t voff, uint32_t vlen)
{
	size_t b = key_hash(key, klen);
	struct entry *e = kv->bucket[b];

	while (e && (strlen(e->key) != klen || memcmp(e->key, key, klen)))
		e = e->next;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->key = strndup(key, klen)))
			die_sys("kvlog", "malloc");
		e->next = kv->bucket[b];
		kv->bucket[b] = e;
		kv->nkeys++;
	}
	e->voff = voff;
	e->vlen = vlen;
}

/* Read the record at off into *h and buf (KEY_MAX + VALUE_MAX bytes).
 * Returns its length, or 0 if there is no whole, intact record there. */
static size_t rec_read(daxfs_file *f, off_t off, off_t size,
		       struct rec_hdr *h, char *buf)
{
	ssize_t n = daxfs_pread(f, h, sizeof(*h), off);

	if (n < 0)
		die("kvlog", n);
	if (n != sizeof(*h) || h->magic != REC_MAGIC || h->klen == 0 ||
	    h->klen > KEY_MAX || h->vlen > VALUE_MAX)
		return 0;
	size_t len = sizeof(*h) + h->klen + h->vlen;
	if (off + (off_t)len > size)
		return 0;
	n = daxfs_pread(f, buf, len - sizeof(*h), off + sizeof(*h));
	if (n < 0)
		die("kvlog", n);
	if ((size_t)n != len - sizeof(*h) || rec_crc(h, buf) != h->crc)
		return 0;
	return len;
}

/* Scan the log from the start and fill the index.  Stops at the first
 * record that is not whole and intact: that is a torn last record. */
static void log_scan(struct kvlog *kv)
{
	struct stat st;
	struct rec_hdr h;
	char *buf = malloc(KEY_MAX + VALUE_MAX);
	size_t len;
	int ret = daxfs_fstat(kv->f, &st);

	if (ret < 0)
		die("kvlog", ret);
	if (!buf)
		die_sys("kvlog", "malloc");
	kv->size = st.st_size;
	while ((len = rec_read(kv->f, kv->end, kv->size, &h, buf)) != 0) {
		index_set(kv, buf, h.klen, kv->end + sizeof(h) + h.klen, h.vlen);
		kv->end += len;
		kv->nrecords++;
	}
	free(buf);
	fprintf(stderr, "kvlog: index rebuilt from %zu records (%zu keys)\n",
		kv->nrecords, kv->nkeys);
	if (kv->end < kv->size)
		fprintf(stderr, "kvlog: ignoring a torn record at offset %jd "
			"(%jd bytes)\n", (intmax_t)kv->end,
			(intmax_t)(kv->size - kv->end));
}

/* Append one record; a torn tail, if any, is cut off first. */
static void cmd_put(struct kvlog *kv, const char *key, const char *value)
{
	struct rec_hdr h = { REC_MAGIC, strlen(key), strlen(value), 0 };
	size_t len = sizeof(h) + h.klen + h.vlen;
	char *rec;
	int ret;

	if (!(rec = malloc(len)))
		die_sys("kvlog", "malloc");
	memcpy(rec + sizeof(h), key, h.klen);
	memcpy(rec + sizeof(h) + h.klen, value, h.vlen);
	h.crc = rec_crc(&h, rec + sizeof(h));
	memcpy(rec, &h, sizeof(h));
	if (kv->end < kv->size && (ret = daxfs_ftruncate(kv->f, kv->end)) < 0)
		die("kvlog", ret);
	/* O_APPEND: the offset is ignored, the record goes at the end. */
	ssize_t n = daxfs_pwrite(kv->f, rec, len, 0);
	if (n < 0)
		die("kvlog", n);
	free(rec);
	printf("put %s at offset %jd (%zu bytes)\n", key, (intmax_t)kv->end,
	       len);
}

/* Print the value of entry e, which the log holds at e->voff. */
static void value_print(struct kvlog *kv, const struct entry *e)
{
	char *v = malloc(e->vlen + 1);
	ssize_t n;

	if (!v)
		die_sys("kvlog", "malloc");
	if ((n = daxfs_pread(kv->f, v, e->vlen, e->voff)) < 0)
		die("kvlog", n);
	printf("%.*s\n", (int)n, v);
	free(v);
}

/* Print the value of key: the index says where it is in the log. */
static int cmd_get(struct kvlog *kv, const char *key)
{
	struct entry *e = index_find(kv, key);

	if (!e) {
		fprintf(stderr, "kvlog: %s: not found\n", key);
		return 1;
	}
	value_print(kv, e);
	return 0;
}

/* qsort comparison of two entries by key. */
static int entry_cmp(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->key,
		      (*(struct entry *const *)b)->key);
}

/* Print every key with its value, sorted by key. */
static int cmd_list(struct kvlog *kv)
{
	struct entry **all = calloc(kv->nkeys + 1, sizeof(*all));
	size_t n = 0;

	if (!all)
		die_sys("kvlog", "malloc");
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct entry *e = kv->bucket[b]; e; e = e->next)
			all[n++] = e;
	qsort(all, n, sizeof(*all), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		printf("%s=", all[i]->key);
		value_print(kv, all[i]);
	}
	free(all);
	return 0;
}

/* Free the index. */
static void index_free(struct kvlog *kv)
{
	for (size_t b = 0; b < BUCKETS; b++)
		while (kv->bucket[b]) {
			struct entry *e = kv->bucket[b];
			kv->bucket[b] = e->next;
			free(e->key);
			free(e);
		}
}

/* Run one command on the open log. */
static int run(struct kvlog *kv, int argc, char **argv)
{
	if (strcmp(argv[2], "put") == 0 && argc == 5) {
		cmd_put(kv, argv[3], argv[4]);
		return 0;
	}
	if (strcmp(argv[2], "get") == 0 && argc == 4)
		return cmd_get(kv, argv[3]);
	return cmd_list(kv);
}

int main(int argc, char **argv)
{
	if (argc < 3 || !((strcmp(argv[2], "put") == 0 && argc == 5) ||
			  (strcmp(argv[2], "get") == 0 && argc == 4) ||
			  (strcmp(argv[2], "list") == 0 && argc == 3))) {
		fprintf(stderr, "usage: kvlog REGION put KEY VALUE\n"
			"       kvlog REGION get KEY\n"
			"       kvlog REGION list\n");
		return 1;
	}
	if (argc == 5 && (!*argv[3] || strlen(argv[3]) > KEY_MAX ||
			  strlen(argv[4]) > VALUE_MAX)) {
		fprintf(stderr, "kvlog: the key must have 1 to %u bytes and "
			"the value at most %u\n", KEY_MAX, VALUE_MAX);
		return 1;
	}
	daxfs *fs = example_mount("kvlog", argv[1], 0);
	struct kvlog *kv = calloc(1, sizeof(*kv));
	if (!kv)
		die_sys("kvlog", "malloc");
	int ret = daxfs_open(fs, LOG_PATH, O_RDWR | O_CREAT | O_APPEND, 0644,
			     &kv->f);
	if (ret < 0)
		die("kvlog", ret);
	log_scan(kv);
	int rc = run(kv, argc, argv);
	index_free(kv);
	if ((ret = daxfs_close(kv->f)) < 0)
		die("kvlog", ret);
	example_unmount("kvlog");
	free(kv);
	return rc;
}
