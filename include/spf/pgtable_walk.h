/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_PGTABLE_WALK_H
#define _SPF_PGTABLE_WALK_H

#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <spf/outcome.h>

/* Where the walk ended: the pmd it went through and the PTE it found. */
struct spf_pte_walk {
	pmd_t *pmdp;
	pmd_t pmd;		/* the value the walk followed */
	pte_t *ptep;
	pte_t pte;		/* found: none, present, or (abort_pte) swap */
	spinlock_t *ptl;
	bool no_table;		/* ended at pmdp, a none pmd (abort_pgtable) */
	struct page *table;	/* a table this fault adds, not yet published */
};

enum spf_abort spf_walk_to_pte(struct mm_struct *mm, unsigned long addr,
			       struct spf_pte_walk *walk);
bool spf_walk_still_valid(const struct spf_pte_walk *walk);

#endif
