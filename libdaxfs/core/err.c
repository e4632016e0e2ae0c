/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c -- the thread-local message behind daxfs_errormsg(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* Each thread's state (err.h says what the fields are). */
__thread struct err_state err_tls;

/* Write "call \"subject\": " into buf; returns its length. */
static size_t err_prefix(const struct err_state *e, char *buf, size_t size)
{
	int n;

	if (!e->call)
		return 0;
	if (e->subject)
		n = snprintf(buf, size, "%s \"%.200s\": ", e->call, e->subject);
	else
		n = snprintf(buf, size, "%s: ", e->call);
	return n < 0 ? 0 : ((size_t)n < size ? (size_t)n : size - 1);
}

int err_set(int code, const char *fmt, ...)
{
	struct err_state *e = &err_tls;
	size_t n = err_prefix(e, e->msg, sizeof(e->msg));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
	e->reason = n;
	return code;
}

void err_fallback(long ret)
{
	err_set((int)ret, "%s (no further detail)", strerror((int)-ret));
}

const char *err_msg(void)
{
	return err_tls.msg;
}

const char *err_reason(void)
{
	return err_tls.msg[0] ? err_tls.msg + err_tls.reason : "";
}
