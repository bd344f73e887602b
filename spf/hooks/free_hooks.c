// SPDX-License-Identifier: GPL-2.0
/*
 * The replacements of the freeing hooks.
 *
 * spf/hooks/hooks.c redirects the kernel's freeing functions whatever the
 * "enabled" knob says (a lockless reader may be in flight either way),
 * taking the in-flight reference that keeps the module loaded for the
 * call.  Each replacement here hands its object to pgtable_rcu/, which
 * frees it only after a grace period (the arguments are in the header
 * comments of pgtable_rcu/vma_free.c and pgtable_free.c), then drops
 * that reference as its last step.  pgtable_rcu/ knows nothing of
 * hooks: the calls run down only.
 */
#include <linux/mm_types.h>
#include <spf/pgtable_rcu.h>
#include "internal.h"

/* Replaces vm_area_free(). */
void spf_vm_area_free(struct vm_area_struct *vma)
{
	spf_vma_defer(vma);
	spf_hook_leave();
}

/* Replaces tlb_remove_table(). */
void spf_tlb_remove_table(struct mmu_gather *tlb, void *table)
{
	spf_pgtable_defer(tlb, table);
	spf_hook_leave();
}

/* Replaces the target of x86's pv_ops.mmu.tlb_remove_table. */
void spf_pv_tlb_remove_table(struct mmu_gather *tlb, void *table)
{
	spf_pgtable_defer(tlb, table);
	spf_hook_leave();
}

/* Replaces tlb_remove_table_sync_one(). */
void spf_tlb_remove_table_sync_one(void)
{
	spf_pgtable_sync_one();
	spf_hook_leave();
}

/* Replaces ptlock_free(); armed only where the locks are allocated. */
void spf_ptlock_free(struct page *page)
{
	spf_ptl_defer(page);
	spf_hook_leave();
}

int spf_pgtable_pv_resolve(struct spf_hook *hook)
{
	hook->addr = spf_pgtable_pv_target();
	return 0;
}

int spf_ptlock_free_resolve(struct spf_hook *hook)
{
	return spf_ptl_defer_find(&hook->addr);
}
