// SPDX-License-Identifier: GPL-2.0
/*
 * Resolution of the swap internals the speculative swap-cache fault
 * calls; see include/wrapper/swap.h.  A kernel that lacks one is refused
 * at load with the symbol's name.
 */
/* No pr_fmt: the message is as spf/faults/swap_fault.c printed it. */
#include <wrapper/kallsyms.h>
#include <wrapper/swap.h>

struct spf_swap_internal spf_swap_mm;

#define SPF_WHY_SWAP "for the speculative swap-cache fault"

int spf_wrapper_swap_init(void)
{
	int ret = 0;

	ret = ret ?: spf_resolve(spf_swap_mm.get_swap_device,
				 "get_swap_device", SPF_WHY_SWAP);
	ret = ret ?: spf_resolve(spf_swap_mm.swap_cache_get_folio,
				 "swap_cache_get_folio", SPF_WHY_SWAP);
	ret = ret ?: spf_resolve(spf_swap_mm.swap_free, "swap_free",
				 SPF_WHY_SWAP);
	ret = ret ?: spf_resolve(spf_swap_mm.folio_free_swap,
				 "folio_free_swap", SPF_WHY_SWAP);
	ret = ret ?: spf_resolve(spf_swap_mm.page_add_anon_rmap,
				 "page_add_anon_rmap", SPF_WHY_SWAP);
	ret = ret ?: spf_resolve(spf_swap_mm.lru_add_drain, "lru_add_drain",
				 SPF_WHY_SWAP);
#ifdef CONFIG_MEMCG
	ret = ret ?: spf_resolve(spf_swap_mm.mem_cgroup_swap_full,
				 "mem_cgroup_swap_full", SPF_WHY_SWAP);
#endif
	return ret;
}
