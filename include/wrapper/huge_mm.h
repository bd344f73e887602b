/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transparent huge page internals of 6.1 that the speculative
 * huge-page fault (spf/faults/thp_fault.c) calls and 6.1 does not export to
 * modules, looked up at load (wrapper/huge_mm.c).  Each mirrors the 6.1
 * function of the same name without the spf_ prefix.  They are
 * optional: without one of them the huge-page fault is off, not the
 * module.
 */
#ifndef _SPF_WRAPPER_HUGE_MM_H
#define _SPF_WRAPPER_HUGE_MM_H

#include <linux/mm.h>

struct spf_huge_mm_internal {
	gfp_t (*vma_thp_gfp_mask)(struct vm_area_struct *vma);
	void (*clear_huge_page)(struct page *page, unsigned long addr_hint,
				unsigned int pages_per_huge_page);
	void (*pgtable_trans_huge_deposit)(struct mm_struct *mm, pmd_t *pmdp,
					   pgtable_t pgtable);
	void (*khugepaged_enter_vma)(struct vm_area_struct *vma,
				     unsigned long vm_flags);
	void (*mm_trace_rss_stat)(struct mm_struct *mm, int member,
				  long count);
};

extern struct spf_huge_mm_internal spf_thp;

/* Looks the above up: are they all there? */
bool spf_wrapper_huge_mm_init(void);

static inline gfp_t spf_vma_thp_gfp_mask(struct vm_area_struct *vma)
{
	return spf_thp.vma_thp_gfp_mask(vma);
}

static inline void spf_clear_huge_page(struct page *page,
				       unsigned long addr_hint,
				       unsigned int pages_per_huge_page)
{
	spf_thp.clear_huge_page(page, addr_hint, pages_per_huge_page);
}

static inline void spf_pgtable_trans_huge_deposit(struct mm_struct *mm,
						  pmd_t *pmdp,
						  pgtable_t pgtable)
{
	spf_thp.pgtable_trans_huge_deposit(mm, pmdp, pgtable);
}

static inline void spf_khugepaged_enter_vma(struct vm_area_struct *vma,
					    unsigned long vm_flags)
{
	spf_thp.khugepaged_enter_vma(vma, vm_flags);
}

/* add_mm_counter(), whose tracepoint call is not exported. */
static inline void spf_add_mm_counter(struct mm_struct *mm, int member,
				      long value)
{
	long count = atomic_long_add_return(value,
					    &mm->rss_stat.count[member]);

	spf_thp.mm_trace_rss_stat(mm, member, count);
}

#endif
