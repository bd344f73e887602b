/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the mmu_gather of 6.1 with
 * MMU_GATHER_RCU_TABLE_FREE: only what pgtable_rcu/pgtable_free.c reads
 * and fills.  tests/userspace/sim.c has mm/mmu_gather.c's table freeing.
 */
#ifndef _USPACE_ASM_TLB_H
#define _USPACE_ASM_TLB_H

#include <linux/mm_types.h>
#include <linux/rcupdate.h>

struct mmu_table_batch {
	struct rcu_head rcu;
	unsigned int nr;
	void *tables[];
};

#define MAX_TABLE_BATCH							\
	((PAGE_SIZE - sizeof(struct mmu_table_batch)) / sizeof(void *))

struct mmu_gather {
	struct mm_struct *mm;
	struct mmu_table_batch *batch;
};

void tlb_remove_table(struct mmu_gather *tlb, void *table);
void tlb_remove_table_sync_one(void);

#endif
