// SPDX-License-Identifier: GPL-2.0
/*
 * Look-up of the transparent huge page internals the speculative
 * huge-page fault calls; see include/wrapper/huge_mm.h.  A kernel that
 * lacks one keeps the module but not that fault (spf/faults/thp_fault.c says
 * so at load).
 */
#include <wrapper/huge_mm.h>
#include <wrapper/kallsyms.h>

struct spf_huge_mm_internal spf_thp;

bool spf_wrapper_huge_mm_init(void)
{
	spf_thp.vma_thp_gfp_mask = (void *)spf_symbol_lookup("vma_thp_gfp_mask");
	spf_thp.clear_huge_page = (void *)spf_symbol_lookup("clear_huge_page");
	spf_thp.pgtable_trans_huge_deposit =
		(void *)spf_symbol_lookup("pgtable_trans_huge_deposit");
	spf_thp.khugepaged_enter_vma =
		(void *)spf_symbol_lookup("khugepaged_enter_vma");
	spf_thp.mm_trace_rss_stat =
		(void *)spf_symbol_lookup("mm_trace_rss_stat");
	return spf_thp.vma_thp_gfp_mask && spf_thp.clear_huge_page &&
	       spf_thp.pgtable_trans_huge_deposit &&
	       spf_thp.khugepaged_enter_vma && spf_thp.mm_trace_rss_stat;
}
