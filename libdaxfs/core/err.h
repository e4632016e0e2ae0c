/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * err.h -- the thread-local last-error message behind daxfs_errormsg().
 *
 * Every failing path returns a negative errno through err_set(), which
 * also records a sentence for the calling thread, as pmem2_errormsg() does.
 */
#ifndef DAXFS_CORE_ERR_H
#define DAXFS_CORE_ERR_H

/* Record a printf-style message for this thread and return code (< 0). */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
