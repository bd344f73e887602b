/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_PGTABLE_FREE_H
#define _SPF_PGTABLE_FREE_H

struct mmu_gather;
struct page;
struct spf_hook;

void spf_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_pv_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_tlb_remove_table_sync_one(void);
void spf_ptlock_free(struct page *page);
int spf_pgtable_pv_resolve(struct spf_hook *hook);
int spf_ptlock_free_resolve(struct spf_hook *hook);

void spf_pgtable_free_init(void *orig_tlb_remove_table, void *orig_sync_one);
int spf_pgtable_free_prepare(void);
void spf_pgtable_free_drain(void);

#endif
