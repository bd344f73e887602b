/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_HOOKS_H
#define _SPF_HOOKS_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct dentry;
struct mmu_gather;
struct page;
struct pt_regs;
struct seq_file;
struct spf_hook;

extern bool spf_enabled;
extern struct vm_area_struct spf_marker_vma;

void spf_hook_leave(void);

/* Around a stock call that may sleep, for as long as it runs. */
bool spf_hook_pin(void);
void spf_hook_unpin(bool pinned);
/* The pin failed: may the fault be left to be taken again? */
bool spf_hook_abandon(void);

/*
 * A fault in the last VMA turned down (vma_lookup/decline.c): counted and
 * traced as the abort it would have been; it goes stock.
 */
bool spf_fault_declined(struct mm_struct *mm, unsigned long addr);

/* The stock steps the arch handler would have taken. */
struct vm_area_struct *spf_stock_lock_mm(struct mm_struct *mm,
					 unsigned long addr,
					 struct pt_regs *regs);
vm_fault_t spf_stock_handle_mm_fault(struct vm_area_struct *vma,
				     unsigned long addr, unsigned int flags,
				     struct pt_regs *regs);

/*
 * The replacements of the always hooks: the freeing functions, sent to
 * pgtable_rcu/'s deferred frees (spf/free_hooks.c), and the function
 * that fires mmap_lock_acquire_returned (spf/mm_seq_traced.c).
 */
void spf_vm_area_free(struct vm_area_struct *vma);
void spf_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_pv_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_tlb_remove_table_sync_one(void);
void spf_ptlock_free(struct page *page);
int spf_pgtable_pv_resolve(struct spf_hook *hook);
int spf_ptlock_free_resolve(struct spf_hook *hook);
void spf_mm_seq_traced(struct mm_struct *mm, bool write, bool success);
int spf_mm_seq_traced_resolve(struct spf_hook *hook);
void spf_mm_seq_traced_init(struct dentry *debugfs_dir);

void spf_hooks_show(struct seq_file *m);
int spf_hooks_init(void);
void spf_hooks_exit(void);

#endif
