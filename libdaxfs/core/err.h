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

/* Record a printf-style message for this thread and return code (< 0). */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A public call starts: forget the last message; call is its name (a
 * string literal), subject the path of the handle it works on or NULL.
 */
void err_begin(const char *call, const char *subject);

/*
 * The public call ends with ret: a negative ret that no err_set()
 * described gets a generic sentence, so no failure has an empty message.
 * Returns ret.
 */
long err_end(long ret);

/* The calling thread's message ("" if the last call succeeded). */
const char *err_msg(void);

/* The sentence of the thread's message without the call's prefix, for a
 * caller that wraps a lower failure in a sentence of its own. */
const char *err_reason(void);

#endif
