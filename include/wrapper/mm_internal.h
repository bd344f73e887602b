/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel mm internals the speculative fault calls that 6.1 does not
 * export to modules, resolved at load (wrapper/mm_internal.c), and the
 * header inlines that refer to them, rewritten to call through the
 * resolved pointers.  Each mirrors the 6.1 function of the same name
 * without the spf_ prefix; keep them in step with mm/memory.c's
 * handle_mm_fault(), do_anonymous_page(), do_wp_page(), wp_page_reuse()
 * and wp_page_copy().
 */
#ifndef _SPF_WRAPPER_MM_INTERNAL_H
#define _SPF_WRAPPER_MM_INTERNAL_H

#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <linux/swap.h>

struct pt_regs;

struct spf_mm_internal {
	void (*page_add_new_anon_rmap)(struct page *page,
				       struct vm_area_struct *vma,
				       unsigned long address);
	void (*lru_cache_add_inactive_or_unevictable)(struct page *page,
						      struct vm_area_struct *vma);
	int (*mem_cgroup_charge)(struct folio *folio, struct mm_struct *mm,
				 gfp_t gfp);
	void (*cgroup_throttle_swaprate)(struct page *page, gfp_t gfp);
	void (*count_memcg_events)(struct mem_cgroup *memcg,
				   enum vm_event_item idx,
				   unsigned long count);
	void (*sync_mm_rss)(struct mm_struct *mm);
	void (*perf_sw_event)(u32 event_id, u64 nr, struct pt_regs *regs,
			      u64 addr);
	struct static_key *perf_swevent_enabled;	/* may be NULL */

	/* The write-protect fault (spf/faults/wp_fault.c). */
	int (*ptep_set_access_flags)(struct vm_area_struct *vma,
				     unsigned long address, pte_t *ptep,
				     pte_t entry, int dirty);
	pte_t (*ptep_clear_flush)(struct vm_area_struct *vma,
				  unsigned long address, pte_t *ptep);
	void (*page_move_anon_rmap)(struct page *page,
				    struct vm_area_struct *vma);
	void (*page_remove_rmap)(struct page *page,
				 struct vm_area_struct *vma, bool compound);
	void (*free_swap_cache)(struct page *page);
	int (*page_cpupid_xchg_last)(struct page *page, int cpupid);
	struct static_key_false *delayacct_key;		/* may be NULL */

	/* A missing PTE table: would stock map a THP (spf/faults/dispatch.c)? */
	bool (*hugepage_vma_check)(struct vm_area_struct *vma,
				   unsigned long vm_flags, bool smaps,
				   bool in_pf, bool enforce_sysfs);

	/* The file read fault (spf/faults/file_fault.c). */
	void (*page_add_file_rmap)(struct page *page,
				   struct vm_area_struct *vma, bool compound);
	/*
	 * mm/memory.c's fault_around_bytes, a data symbol found only with
	 * KALLSYMS_ALL; without it (Debian's arm64), the getter of its
	 * debugfs file, a function, which kallsyms always lists.
	 */
	unsigned long *fault_around_bytes;		/* may be NULL */
	int (*fault_around_bytes_get)(void *data, u64 *val); /* may be NULL */
};

extern struct spf_mm_internal spf_mm;

int spf_mm_internal_init(void);
/* Looks up fault_around_bytes or its getter, both optional. */
void spf_fault_around_init(void);

/*
 * fault_around_bytes into *BYTES, through its getter if GETTER allows;
 * *BYTES is left alone if neither is found.
 */
static inline void spf_fault_around_bytes_read(unsigned long *bytes,
					       bool getter)
{
	if (spf_mm.fault_around_bytes) {
		*bytes = READ_ONCE(*spf_mm.fault_around_bytes);
	} else if (spf_mm.fault_around_bytes_get && getter) {
		u64 val;

		/* A single read of the variable, as stock makes it. */
		spf_mm.fault_around_bytes_get(NULL, &val);
		*bytes = val;
	}
}

/* The calls through the pointers above, typed as the 6.1 originals. */
static inline void spf_page_add_new_anon_rmap(struct page *page,
					      struct vm_area_struct *vma,
					      unsigned long address)
{
	spf_mm.page_add_new_anon_rmap(page, vma, address);
}

static inline void
spf_lru_cache_add_inactive_or_unevictable(struct page *page,
					  struct vm_area_struct *vma)
{
	spf_mm.lru_cache_add_inactive_or_unevictable(page, vma);
}

static inline int spf_ptep_set_access_flags(struct vm_area_struct *vma,
					    unsigned long address, pte_t *ptep,
					    pte_t entry, int dirty)
{
	return spf_mm.ptep_set_access_flags(vma, address, ptep, entry, dirty);
}

static inline pte_t spf_ptep_clear_flush(struct vm_area_struct *vma,
					 unsigned long address, pte_t *ptep)
{
	return spf_mm.ptep_clear_flush(vma, address, ptep);
}

static inline void spf_page_move_anon_rmap(struct page *page,
					   struct vm_area_struct *vma)
{
	spf_mm.page_move_anon_rmap(page, vma);
}

static inline void spf_page_remove_rmap(struct page *page,
					struct vm_area_struct *vma,
					bool compound)
{
	spf_mm.page_remove_rmap(page, vma, compound);
}

static inline void spf_page_add_file_rmap(struct page *page,
					  struct vm_area_struct *vma,
					  bool compound)
{
	spf_mm.page_add_file_rmap(page, vma, compound);
}

static inline bool spf_hugepage_vma_check(struct vm_area_struct *vma,
					  unsigned long vm_flags, bool smaps,
					  bool in_pf, bool enforce_sysfs)
{
	return spf_mm.hugepage_vma_check(vma, vm_flags, smaps, in_pf,
					 enforce_sysfs);
}

static inline int spf_mem_cgroup_charge(struct folio *folio,
					struct mm_struct *mm, gfp_t gfp)
{
	if (mem_cgroup_disabled())
		return 0;
	return spf_mm.mem_cgroup_charge(folio, mm, gfp);
}

static inline void spf_cgroup_throttle_swaprate(struct page *page, gfp_t gfp)
{
	if (spf_mm.cgroup_throttle_swaprate && !mem_cgroup_disabled())
		spf_mm.cgroup_throttle_swaprate(page, gfp);
}

static inline void spf_count_memcg_event_mm(struct mm_struct *mm,
					    enum vm_event_item idx)
{
	struct mem_cgroup *memcg;
	unsigned long flags;

	if (mem_cgroup_disabled())
		return;
	rcu_read_lock();
	memcg = mem_cgroup_from_task(rcu_dereference(mm->owner));
	if (likely(memcg)) {
		local_irq_save(flags);
		spf_mm.count_memcg_events(memcg, idx, 1);
		local_irq_restore(flags);
	}
	rcu_read_unlock();
}

static inline void spf_perf_sw_event(u32 event_id, struct pt_regs *regs,
				     unsigned long addr)
{
	struct static_key *keys = spf_mm.perf_swevent_enabled;

	if (!keys || static_key_count(&keys[event_id]) > 0)
		spf_mm.perf_sw_event(event_id, 1, regs, addr);
}

/* The per-task RSS cache of 6.1 (SPLIT_RSS_COUNTING), as stock uses it. */
#ifdef SPLIT_RSS_COUNTING
#define SPF_TASK_RSS_EVENTS_THRESH	64	/* mm/memory.c */

static inline void spf_check_sync_rss_stat(struct mm_struct *mm)
{
	if (unlikely(current->rss_stat.events++ > SPF_TASK_RSS_EVENTS_THRESH))
		spf_mm.sync_mm_rss(mm);
}

static inline void spf_inc_mm_counter_fast(struct mm_struct *mm, int member)
{
	current->rss_stat.count[member]++;	/* mm is current->mm */
}

static inline void spf_dec_mm_counter_fast(struct mm_struct *mm, int member)
{
	current->rss_stat.count[member]--;
}
#else
static inline void spf_check_sync_rss_stat(struct mm_struct *mm)
{
}

static inline void spf_inc_mm_counter_fast(struct mm_struct *mm, int member)
{
	inc_mm_counter(mm, member);
}

static inline void spf_dec_mm_counter_fast(struct mm_struct *mm, int member)
{
	dec_mm_counter(mm, member);
}
#endif

#endif
