/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a speculative attempt ends: one success, counted by kind in
 * debugfs (the spec_* counters of enum spf_stat, spf/core/internal.h)
 * and traced (the spf:spf_spec* events, spf/core/trace.h), or one of
 * the abort reasons below, each with its abort_<reason> counter and
 * spf:spf_abort_<reason> event.
 *
 * Every arch fault that enters the lock_mm_and_find_vma hook ends in
 * exactly one of them: fault_hook == the spec_* successes + aborts.
 */
#ifndef _SPF_OUTCOME_H
#define _SPF_OUTCOME_H

/* Keep the names in spf/core/stats.c and the events in trace.h in step. */
enum spf_abort {
	SPF_ABORT_NONE = -1,
	SPF_ABORT_SEQ_ODD,		/* a writer held mmap_lock at the start */
	SPF_ABORT_SEQ_CHANGED,	/* a write section began meanwhile */
	SPF_ABORT_NO_VMA,		/* no VMA contains the address */
	SPF_ABORT_NOT_ANON,		/* file, shmem, shared or special */
	SPF_ABORT_NO_ANON_VMA,	/* write fault, VMA has no anon_vma */
	SPF_ABORT_ACCESS,		/* the VMA forbids this access */
	SPF_ABORT_PGTABLE,		/* a level above the PTE is none or huge */
	SPF_ABORT_PTE,		/* the PTE is one spf leaves to stock */
	SPF_ABORT_PTL,		/* pmd or pte changed, seen under the lock */
	SPF_ABORT_UFFD,		/* userfaultfd-registered VMA */
	SPF_ABORT_ALLOC,		/* page allocation or memcg charge failed */
	SPF_ABORT_PAGECACHE,	/* file page not cached, ready and unlocked */
	SPF_ABORT_SWAPCACHE,	/* swapped page not cached, ready and unlocked */
	SPF_ABORT_OTHER,		/* anything else the path does not handle */
	NR_SPF_ABORTS
};

#endif
