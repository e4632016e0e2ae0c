/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c -- daxfs_errormsg() and the thread-local message it returns. */
#include <stdarg.h>
#include <stdio.h>

#include "daxfs.h"
#include "core/err.h"

static __thread char err_buf[512];

/* Record a message for the calling thread; returns code unchanged. */
int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	return code;
}

/* The calling thread's last failure, as a sentence. */
DAXFS_API const char *daxfs_errormsg(void)
{
	return err_buf;
}
