/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_model_int.h -- private to the crash harness's model
 * (crash_model.c), workload (crash_gen.c) and judge (crash_judge.c): the
 * helpers they share.
 */
#ifndef DAXFS_TEST_CRASH_MODEL_INT_H
#define DAXFS_TEST_CRASH_MODEL_INT_H 1

#include <stdbool.h>
#include <stdint.h>

#include "crash_model.h"

/* Values of the model's extended attributes and ACLs. */
#define ACL_NAME "system.posix_acl_access"
#define ACL_EQUIV (1ULL << 32) /* an ACL of owner, group, other only */
#define M_XVAL 4096            /* a value's buffer */
#define SHARED_NAME "user.shared"
#define SHARED_LEN 48
#define SHARED_SEED 0x5eedULL
#define NSHARED 3              /* files of the shared block */

/* Helpers of crash_model.c (each with its comment there). */
unsigned m_dir_nlink(const struct model *m, const char *dir);
bool m_empty(const struct model *m, const char *dir);
int m_find(const struct model *m, const char *path);
const char *m_parent(const char *path, char *buf);
void m_render(const struct mobj *o, unsigned char *buf);
char m_type(const struct model *m, int i);
bool m_under(const char *path, const char *dir);
uint32_t x_bytes(const struct mobj *o, const char *name, uint32_t len);
int x_find(const struct mobj *o, const char *name);
void x_render(const struct mxattr *x, unsigned char *buf);
uint32_t acl_len(uint64_t seed);

#endif
