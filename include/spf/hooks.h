/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_HOOKS_H
#define _SPF_HOOKS_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct pt_regs;
struct seq_file;

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

void spf_hooks_show(struct seq_file *m);
int spf_hooks_init(void);
void spf_hooks_exit(void);

#endif
