/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-table allocation internals of 6.1 that spf calls and 6.1
 * does not export to modules: pte_alloc_one() (asm/pgalloc.h) and the
 * split page-table lock's ptlock_alloc() and ptlock_free()
 * (linux/mm.h), looked up at load (wrapper/pgalloc.c).  Each mirrors
 * the 6.1 function of the same name with spf_kernel_ for a prefix.
 */
#ifndef _SPF_WRAPPER_PGALLOC_H
#define _SPF_WRAPPER_PGALLOC_H

#include <linux/mm.h>

struct spf_pgalloc_internal {
	struct page *(*pte_alloc_one)(struct mm_struct *mm);	/* pgtable_t */
	bool (*ptlock_alloc)(struct page *page);
	void (*ptlock_free)(struct page *page);
};

extern struct spf_pgalloc_internal spf_pgalloc;

/*
 * Looks up those spf_pte_table_alloc() and spf_pte_table_free()
 * (pgtable_rcu/pte_table.c) call on this kernel: are they all there?
 */
bool spf_wrapper_pgalloc_init(void);

/*
 * ptlock_free() as the target of a hook (pgtable_rcu/pgtable_free.c):
 * its address into *ADDR, or refuses the load naming it.
 */
int spf_wrapper_ptlock_free_hook(unsigned long *addr);

static inline struct page *spf_kernel_pte_alloc_one(struct mm_struct *mm)
{
	return spf_pgalloc.pte_alloc_one(mm);
}

static inline bool spf_kernel_ptlock_alloc(struct page *page)
{
	return spf_pgalloc.ptlock_alloc(page);
}

static inline void spf_kernel_ptlock_free(struct page *page)
{
	spf_pgalloc.ptlock_free(page);
}

#endif
