/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_err.c -- white-box tests of core/err.c: err_set returns the code it
 * is given and records the formatted sentence that daxfs_errormsg()
 * returns; a long message is cut, not overflowed; the message belongs to
 * the calling thread, so another thread's failure never shows in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "core/err.h"
#include "check.h"

TestSuite(err, .timeout = 30);

Test(err, returns_the_code_and_records_the_sentence)
{
	cr_assert_eq(err_set(-ENOENT, "daxfs_open: \"%s\" does not exist",
			     "/a/b"), -ENOENT);
	cr_assert_str_eq(daxfs_errormsg(),
			 "daxfs_open: \"/a/b\" does not exist");
	cr_assert_eq(err_set(-EIO, "block %u of inode %d", 7u, 12), -EIO);
	cr_assert_str_eq(daxfs_errormsg(), "block 7 of inode 12");
	/* The pointer is stable: the same thread-local buffer. */
	cr_assert_eq(daxfs_errormsg(), daxfs_errormsg());
}

Test(err, long_messages_are_cut_and_terminated)
{
	char big[2000];
	size_t n;

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(err_set(-EINVAL, "%s", big), -EINVAL);
	n = strlen(daxfs_errormsg());
	/* err.c keeps 512 bytes: 511 characters and the NUL. */
	cr_assert_eq(n, 511, "message of %zu characters", n);
	cr_assert_eq(strspn(daxfs_errormsg(), "m"), 511);
}

struct other {
	char first[64]; /* the thread's message before any failure */
	char after[64];
};

/* A thread that fails on its own. */
static void *other_main(void *arg)
{
	struct other *o = arg;

	strncpy(o->first, daxfs_errormsg(), sizeof(o->first) - 1);
	err_set(-EBUSY, "the other thread's failure");
	strncpy(o->after, daxfs_errormsg(), sizeof(o->after) - 1);
	return NULL;
}

Test(err, each_thread_has_its_own_message)
{
	struct other o = { 0 };
	pthread_t t;

	err_set(-ENOSPC, "this thread's failure");
	cr_assert_eq(pthread_create(&t, NULL, other_main, &o), 0);
	pthread_join(t, NULL);
	cr_assert_str_eq(o.first, "", "a new thread inherited \"%s\"",
			 o.first);
	cr_assert_str_eq(o.after, "the other thread's failure");
	cr_assert_str_eq(daxfs_errormsg(), "this thread's failure");
}
