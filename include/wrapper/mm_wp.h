/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The header inlines of 6.1 that the write-protect fault
 * (spf/faults/wp_fault.c) needs, rewritten to call through the pointers of
 * include/wrapper/mm_internal.h; keep them in step with mm/memory.c's
 * wp_page_reuse() and wp_page_copy().
 */
#ifndef _SPF_WRAPPER_MM_WP_H
#define _SPF_WRAPPER_MM_WP_H

#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <wrapper/mm_internal.h>

/* wp_page_reuse(): the last NUMA access of the page is no longer this. */
#if defined(CONFIG_NUMA_BALANCING) && !defined(LAST_CPUPID_NOT_IN_PAGE_FLAGS)
#define SPF_CPUPID_IN_PAGE_FLAGS	1
static inline void spf_page_cpupid_reset(struct page *page)
{
	spf_mm.page_cpupid_xchg_last(page, (1 << LAST_CPUPID_SHIFT) - 1);
}
#else
#define SPF_CPUPID_IN_PAGE_FLAGS	0
static inline void spf_page_cpupid_reset(struct page *page)
{
	page_cpupid_xchg_last(page, (1 << LAST_CPUPID_SHIFT) - 1);
}
#endif

/* wp_page_copy(): the old page leaves the swap cache once unmapped. */
static inline void spf_free_swap_cache(struct page *page)
{
#ifdef CONFIG_SWAP
	if (PageSwapCache(page))
		spf_mm.free_swap_cache(page);
#endif
}

/*
 * Delay accounting times wp_page_copy(); with it on (kernel.task_delayacct)
 * copies stay stock.  Unknown (no KALLSYMS_ALL): taken as off.
 */
static inline bool spf_delayacct_on(void)
{
	return spf_mm.delayacct_key &&
	       static_key_enabled(&spf_mm.delayacct_key->key);
}

#endif
