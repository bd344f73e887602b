/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The swap internals of 6.1 that the speculative swap-cache fault
 * (spf/faults/swap_fault.c) calls and 6.1 does not export to modules, resolved
 * at load (wrapper/swap.c).  Each mirrors the 6.1 function of the same
 * name without the spf_ prefix.
 */
#ifndef _SPF_WRAPPER_SWAP_H
#define _SPF_WRAPPER_SWAP_H

#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/swap.h>

struct spf_swap_internal {
	struct swap_info_struct *(*get_swap_device)(swp_entry_t entry);
	struct folio *(*swap_cache_get_folio)(swp_entry_t entry,
					      struct vm_area_struct *vma,
					      unsigned long addr);
	void (*swap_free)(swp_entry_t entry);
	bool (*folio_free_swap)(struct folio *folio);
	void (*page_add_anon_rmap)(struct page *page,
				   struct vm_area_struct *vma,
				   unsigned long address, rmap_t flags);
	bool (*mem_cgroup_swap_full)(struct folio *folio);
	void (*lru_add_drain)(void);
};

extern struct spf_swap_internal spf_swap_mm;

/* Resolves the above, or refuses the load naming the missing one. */
int spf_wrapper_swap_init(void);

static inline struct swap_info_struct *spf_get_swap_device(swp_entry_t entry)
{
	return spf_swap_mm.get_swap_device(entry);
}

static inline struct folio *spf_swap_cache_get_folio(swp_entry_t entry,
						     struct vm_area_struct *vma,
						     unsigned long addr)
{
	return spf_swap_mm.swap_cache_get_folio(entry, vma, addr);
}

static inline void spf_swap_free(swp_entry_t entry)
{
	spf_swap_mm.swap_free(entry);
}

static inline bool spf_folio_free_swap(struct folio *folio)
{
	return spf_swap_mm.folio_free_swap(folio);
}

static inline void spf_page_add_anon_rmap(struct page *page,
					  struct vm_area_struct *vma,
					  unsigned long address, rmap_t flags)
{
	spf_swap_mm.page_add_anon_rmap(page, vma, address, flags);
}

static inline void spf_lru_add_drain(void)
{
	spf_swap_mm.lru_add_drain();
}

/* mem_cgroup_swap_full() of 6.1's linux/swap.h. */
static inline bool spf_mem_cgroup_swap_full(struct folio *folio)
{
#ifdef CONFIG_MEMCG
	return spf_swap_mm.mem_cgroup_swap_full(folio);
#else
	return vm_swap_full();
#endif
}

#endif
