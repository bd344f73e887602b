/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deliberately broken variants: each switch removes exactly one safety
 * step, so that a test can be seen to catch its absence.  In a normal
 * build every switch is 0 and the compiler drops the test.
 *
 * Userspace only: tests/userspace builds the protocol sources with one
 * of these set (-DSPF_BROKEN_<NAME>=1), and its torture must catch
 * every such build.
 *
 *   NO_REVALIDATE    spf/speculate.c: commit without rechecking the pmd,
 *                    the PTE and the count under the PTE lock
 *   NO_GRACE_PERIOD  pgtable_rcu/pgtable_free.c: no batch made sure of, so
 *                    a failed GFP_NOWAIT allocation frees the table at once
 *   NO_RMB           vma_lookup/mm_seq.c: the count read without smp_rmb()
 *   ACCEPT_WRITER    vma_lookup/mm_seq.c: begin succeeds although a writer
 *                    holds mmap_lock
 *   CACHE_ANY_SEQ    vma_lookup/snapshot.c: the per-CPU copy is used
 *                    whatever the count was when it was taken
 */
#ifndef _SPF_BROKEN_H
#define _SPF_BROKEN_H

#ifndef SPF_BROKEN_NO_REVALIDATE
#define SPF_BROKEN_NO_REVALIDATE	0
#endif
#ifndef SPF_BROKEN_NO_GRACE_PERIOD
#define SPF_BROKEN_NO_GRACE_PERIOD	0
#endif
#ifndef SPF_BROKEN_NO_RMB
#define SPF_BROKEN_NO_RMB		0
#endif
#ifndef SPF_BROKEN_ACCEPT_WRITER
#define SPF_BROKEN_ACCEPT_WRITER	0
#endif
#ifndef SPF_BROKEN_CACHE_ANY_SEQ
#define SPF_BROKEN_CACHE_ANY_SEQ	0
#endif

/*
 * Module builds too: "make module BROKEN=<name>" builds spf.ko with
 * SPF_BROKEN_<NAME>=1 into its own folder, and tools/check/broken-matrix
 * runs, in a guest, the kselftest that must fail on it
 * (tests/broken/matrix).  Such a module says so when it loads.
 *
 *   HOLD_ACROSS_STOCK  stock called from C holding the in-flight ref only
 */

#ifndef SPF_BROKEN_HOLD_ACROSS_STOCK
#define SPF_BROKEN_HOLD_ACROSS_STOCK	0
#endif

#if defined(__KERNEL__) &&						\
	(SPF_BROKEN_NO_REVALIDATE || SPF_BROKEN_NO_GRACE_PERIOD ||	\
	 SPF_BROKEN_NO_RMB || SPF_BROKEN_ACCEPT_WRITER ||		\
	 SPF_BROKEN_CACHE_ANY_SEQ)
#error "spf: the broken variants are for tests/userspace only"
#endif

#endif
