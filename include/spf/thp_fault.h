/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The speculative huge-page fault (spf/thp_fault.c), as the fault
 * attempt in spf/speculate.c calls it.
 */
#ifndef _SPF_THP_FAULT_H
#define _SPF_THP_FAULT_H

#include <spf/attempt.h>

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
bool spf_thp_enabled(void);
enum spf_abort spf_thp_try(struct spf_snapshot *snap,
			   struct spf_pte_walk *walk, unsigned long addr);
void spf_thp_fault_init(void);
#else
/* No huge pages (PREEMPT_RT, the userspace harness): never tried. */
static inline bool spf_thp_enabled(void)
{
	return false;
}

static inline enum spf_abort spf_thp_try(struct spf_snapshot *snap,
					 struct spf_pte_walk *walk,
					 unsigned long addr)
{
	return SPF_ABORT_PGTABLE;
}

static inline void spf_thp_fault_init(void)
{
}
#endif

#endif
