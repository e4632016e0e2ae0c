/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * copy.c -- the copy of a write's bytes into the region
 * (dax_copy_to_pmem takes it where it can), guarded the way the kernel
 * guards copy_mc and copy_from_user: by where it faults, not by a setjmp
 * taken before it.
 *
 * dax_copy_guarded (view.c) arms a sigsetjmp for every copy, so that a
 * fault on the user's buffer or on lost media jumps back out of libpmem2's
 * memcpy.  On the 4 KiB overwrite that arming (the jump buffer, the
 * thread's guard) is a tenth of the call.  Here the copy is a leaf
 * routine of ours that touches neither the stack nor a callee-saved
 * register, with a failure exit beside it: the signal handlers
 * (view.c) ask dax_copy_fixup() whether the faulting instruction lies
 * in it and, if so, resume the thread at that exit, which returns 1 to
 * the caller (the kernel's exception table, one entry long).  A fault
 * on a view is still served first and the load retried.
 *
 * It stores with non-temporal 16-byte stores (movntdq), which reach the
 * media at the next fence without a flush, as libpmem2's memcpy does
 * for all but short copies.  So it stands for the region's memcpy only
 * where that needs no msync (cache-line or byte store granularity) and
 * the persistence recorder of test builds is not watching (it records
 * what passes through struct region: region_rec.c clears nt_copy), for
 * 64-byte aligned destinations and lengths that are a multiple of 64.
 * x86-64 only; elsewhere dax_copy_nt always declines.
 */
#include <stdint.h>
#include <ucontext.h>

#include "dax/copy.h"

#if defined(__x86_64__)

/*
 * dax_nt_copy64(dst %rdi, src %rsi, len %rdx): len > 0, a multiple of
 * 64; dst 16-byte aligned.  Returns 0, or 1 from dax_nt_copy64_fault
 * when a load or store faulted (dax_copy_fixup).  Clobbers rax and
 * xmm0-3 (caller-saved).
 */
__asm__(".pushsection .text\n"
	".p2align 4\n"
	".globl dax_nt_copy64\n"
	".hidden dax_nt_copy64\n"
	".type dax_nt_copy64, @function\n"
	"dax_nt_copy64:\n"
	"	.cfi_startproc\n"
	"	xor %eax, %eax\n"
	"1:	movdqu (%rsi,%rax), %xmm0\n"
	"	movdqu 16(%rsi,%rax), %xmm1\n"
	"	movdqu 32(%rsi,%rax), %xmm2\n"
	"	movdqu 48(%rsi,%rax), %xmm3\n"
	"	movntdq %xmm0, (%rdi,%rax)\n"
	"	movntdq %xmm1, 16(%rdi,%rax)\n"
	"	movntdq %xmm2, 32(%rdi,%rax)\n"
	"	movntdq %xmm3, 48(%rdi,%rax)\n"
	"	add $64, %rax\n"
	"	cmp %rdx, %rax\n"
	"	jb 1b\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".globl dax_nt_copy64_fault\n"
	".hidden dax_nt_copy64_fault\n"
	"dax_nt_copy64_fault:\n"
	"	mov $1, %eax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size dax_nt_copy64, .-dax_nt_copy64\n"
	".popsection\n");

int dax_nt_copy64(void *dst, const void *src, size_t len);
extern const char dax_nt_copy64_fault[];

bool dax_copy_nt(void *dst, const void *src, size_t len)
{
	return len && !(len & 63) && !((uintptr_t)dst & 63) &&
	       dax_nt_copy64(dst, src, len) == 0;
}

bool dax_copy_fixup(void *uc)
{
	greg_t *ip = &((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	uintptr_t at = (uintptr_t)*ip;

	if (at < (uintptr_t)dax_nt_copy64 ||
	    at >= (uintptr_t)dax_nt_copy64_fault)
		return false;
	*ip = (greg_t)(uintptr_t)dax_nt_copy64_fault;
	return true;
}

#else /* no such copy: the callers take the guarded memcpy */

bool dax_copy_nt(void *dst, const void *src, size_t len)
{
	(void)dst;
	(void)src;
	(void)len;
	return false;
}

bool dax_copy_fixup(void *uc)
{
	(void)uc;
	return false;
}

#endif
