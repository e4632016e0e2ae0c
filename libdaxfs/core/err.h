/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * err.h -- the thread-local last-error message behind daxfs_errormsg().
 *
 * Every public call starts with err_begin(), which forgets the message of
 * any earlier call, and ends with err_end().  Every failing path returns a
 * negative errno through err_set() at the place where the failure is
 * found, which also records a sentence for the calling thread, as
 * pmem2_errormsg() does.  While a public call runs, err_set() puts the
 * call's name (and the path of the file handle it works on) in front of
 * the sentence, so the sentence itself says only what went wrong.
 */
#ifndef DAXFS_CORE_ERR_H
#define DAXFS_CORE_ERR_H

#include <stddef.h>

/* Record a printf-style message for this thread and return code (< 0). */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One thread's error state (err.c); the public calls set and clear it on
 * every call, so it is one TLS block, reached inline. */
struct err_state {
	const char *call;    /* the public call in progress, or NULL */
	const char *subject; /* the path of its file handle, or NULL */
	size_t reason;       /* where the sentence starts after the prefix */
	char msg[512];
};

extern __thread struct err_state err_tls;

/* Give a failure that no err_set() described a generic sentence. */
void err_fallback(long ret);

/*
 * A public call starts: forget the last message; call is its name (a
 * string literal), subject the path of the handle it works on or NULL.
 */
static inline void err_begin(const char *call, const char *subject)
{
	struct err_state *e = &err_tls;

	e->call = call;
	e->subject = subject;
	e->msg[0] = '\0';
}

/*
 * The public call ends with ret: a negative ret that no err_set()
 * described gets a generic sentence, so no failure has an empty message.
 * Returns ret.
 */
static inline long err_end(long ret)
{
	struct err_state *e = &err_tls;

	if (__builtin_expect(ret < 0, 0) && !e->msg[0])
		err_fallback(ret);
	e->call = NULL;
	e->subject = NULL;
	return ret;
}

/* The public call runs once more (api/vfs.h vfs_reclaimed): forget the
 * first attempt's message, so that a retry that succeeds leaves none. */
static inline void err_retry(void)
{
	err_tls.msg[0] = '\0';
}

/* The calling thread's message ("" if the last call succeeded). */
const char *err_msg(void);

/* The sentence of the thread's message without the call's prefix, for a
 * caller that wraps a lower failure in a sentence of its own. */
const char *err_reason(void);

#endif
