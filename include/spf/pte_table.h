/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A missing PTE table installed by a speculative fault
 * (pgtable_rcu/pte_table.c).
 */
#ifndef _SPF_PTE_TABLE_H
#define _SPF_PTE_TABLE_H

#include <linux/mm_types.h>

struct dentry;

bool spf_pte_tables_enabled(void);
struct page *spf_pte_table_alloc(struct mm_struct *mm);
void spf_pte_table_free(struct page *table);
spinlock_t *spf_pmd_lock(struct mm_struct *mm, pmd_t *pmdp);
void spf_pmd_unlock(struct mm_struct *mm, spinlock_t *ptl);
void spf_pte_table_publish(struct mm_struct *mm, pmd_t *pmdp,
			   struct page *table);

void spf_inject_install_delay(void);
void spf_inject_delay(const u32 *knob, u32 max);
void spf_pte_table_init(struct dentry *debugfs_dir);

#endif
