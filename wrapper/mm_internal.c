// SPDX-License-Identifier: GPL-2.0
/*
 * Resolution of the mm internals the speculative fault calls; see
 * include/wrapper/mm_internal.h.  A kernel that lacks one is refused at
 * load with the symbol's name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <wrapper/perf_event.h>
#include <wrapper/mm_internal.h>
#include <wrapper/mm_wp.h>
#include <wrapper/kallsyms.h>

struct spf_mm_internal spf_mm;

#define SPF_WHY "for the speculative anonymous fault"
#define SPF_WHY_WP "for the speculative write-protect fault"

static int spf_mm_internal_wp_init(void)
{
	int ret = 0;

	ret = ret ?: spf_resolve(spf_mm.ptep_set_access_flags,
				 "ptep_set_access_flags", SPF_WHY_WP);
	ret = ret ?: spf_resolve(spf_mm.ptep_clear_flush, "ptep_clear_flush",
				 SPF_WHY_WP);
	ret = ret ?: spf_resolve(spf_mm.page_move_anon_rmap,
				 "page_move_anon_rmap", SPF_WHY_WP);
	ret = ret ?: spf_resolve(spf_mm.page_remove_rmap, "page_remove_rmap",
				 SPF_WHY_WP);
#ifdef CONFIG_SWAP
	ret = ret ?: spf_resolve(spf_mm.free_swap_cache, "free_swap_cache",
				 SPF_WHY_WP);
#endif
#if SPF_CPUPID_IN_PAGE_FLAGS
	ret = ret ?: spf_resolve(spf_mm.page_cpupid_xchg_last,
				 "page_cpupid_xchg_last", SPF_WHY_WP);
#endif
	ret = ret ?: spf_resolve(spf_mm.page_add_file_rmap,
				 "page_add_file_rmap",
				 "for the speculative file read fault");
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	ret = ret ?: spf_resolve(spf_mm.hugepage_vma_check,
				 "hugepage_vma_check",
				 "to leave huge-page faults to the stock path");
#endif
	/* A data symbol, like perf_swevent_enabled (wrapper/perf_event.c). */
	spf_mm.delayacct_key = (void *)spf_symbol_lookup("delayacct_key");
	return ret;
}

int spf_mm_internal_init(void)
{
	int ret = 0;

	ret = ret ?: spf_resolve(spf_mm.page_add_new_anon_rmap,
				 "page_add_new_anon_rmap", SPF_WHY);
	ret = ret ?: spf_resolve(spf_mm.lru_cache_add_inactive_or_unevictable,
				 "lru_cache_add_inactive_or_unevictable",
				 SPF_WHY);
	ret = ret ?: spf_resolve(spf_mm.count_memcg_events,
				 "__count_memcg_events", SPF_WHY);
	ret = ret ?: spf_resolve(spf_mm.mem_cgroup_charge,
				 "__mem_cgroup_charge", SPF_WHY);
	ret = ret ?: spf_resolve(spf_mm.perf_sw_event, "__perf_sw_event",
				 SPF_WHY);
	spf_mm.perf_swevent_enabled = spf_perf_keys_find();
#ifdef SPLIT_RSS_COUNTING
	ret = ret ?: spf_resolve(spf_mm.sync_mm_rss, "sync_mm_rss", SPF_WHY);
#endif
	ret = ret ?: spf_mm_internal_wp_init();
#if defined(CONFIG_MEMCG) && defined(CONFIG_BLK_CGROUP)
	ret = ret ?: spf_resolve(spf_mm.cgroup_throttle_swaprate,
				 "__cgroup_throttle_swaprate", SPF_WHY);
#endif
	return ret;
}

void spf_fault_around_init(void)
{
	spf_mm.fault_around_bytes =
		(unsigned long *)spf_symbol_lookup("fault_around_bytes");
	if (!spf_mm.fault_around_bytes)
		spf_mm.fault_around_bytes_get =
			(void *)spf_symbol_lookup("fault_around_bytes_get");
}
