// SPDX-License-Identifier: GPL-2.0
/*
 * Resolution of the mm internals the speculative fault calls; see
 * include/wrapper/mm_internal.h.  A kernel that lacks one is refused at
 * load with the symbol's name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <wrapper/mm_internal.h>
#include <wrapper/symbols.h>

struct spf_mm_internal spf_mm;

#define SPF_WHY "for the speculative anonymous fault"

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
	/*
	 * A data symbol, absent from kallsyms without KALLSYMS_ALL (Debian's
	 * arm64 kernel): then every speculative fault calls into perf, which
	 * finds no event quickly.
	 */
	spf_mm.perf_swevent_enabled =
		(void *)spf_symbol_lookup("perf_swevent_enabled");
#ifdef SPLIT_RSS_COUNTING
	ret = ret ?: spf_resolve(spf_mm.sync_mm_rss, "sync_mm_rss", SPF_WHY);
#endif
#if defined(CONFIG_MEMCG) && defined(CONFIG_BLK_CGROUP)
	ret = ret ?: spf_resolve(spf_mm.cgroup_throttle_swaprate,
				 "__cgroup_throttle_swaprate", SPF_WHY);
#endif
	return ret;
}
