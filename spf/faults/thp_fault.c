// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative huge-page fault: a write to an anonymous private VMA
 * at an empty pmd where stock maps a transparent huge page
 * (__handle_mm_fault()'s hugepage_vma_check() and the alignment test of
 * do_huge_pmd_anonymous_page()), done as __do_huge_pmd_anonymous_page()
 * does it, without mmap_lock:
 *
 *   rcu_read_lock; snapshot, walk (spf/faults/dispatch.c): the pmd none
 *   rcu_read_unlock
 *     register the mm with khugepaged, as stock does first
 *     allocate the huge page with the VMA's THP gfp less direct
 *     reclaim, charge it, and a PTE table to deposit; clear the page
 *   rcu_read_lock; walk again: the pmd still none
 *     take the pmd lock and the install fence; revalidate (pmd none,
 *     count, not reaped); rmap, deposit the table, map the page with a
 *     pmd; drop the fence; add the page to the LRU; unlock
 *   rcu_read_unlock
 *
 * Why a pmd set under these locks is safe: the argument of a new PTE
 * table (pgtable_rcu/pte_table.c) holds unchanged, a huge pmd being
 * one more thing a writer must meet at a pmd: every other installer
 * checks the pmd under the pmd lock, and every write section starts
 * only once no install holds the fence, or finds the count moved.
 *
 * The fence is a raw spinlock (vma_lookup/mm_seq.c): only what cannot
 * sleep on PREEMPT_RT runs under it.  The LRU add, whose per-CPU batch
 * is a local_lock (a sleeping lock on RT), comes after it, still under
 * the pmd lock: stock adds the page to that batch before its pmd store,
 * but the batch is private to this CPU until drained, so no other CPU
 * can tell the two orders apart.
 *
 * Reads stay stock (the huge zero page is refcounted per mm), as do an
 * allocation or charge that fails (stock counts the fallback and maps
 * small pages), a VMA without its anon_vma, and kernels where a symbol
 * wrapper/huge_mm.c looks up is missing (the path is then off, not the
 * module).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/vm_event_item.h>
#include <asm/pgalloc.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>
#include <wrapper/huge_mm.h>
#include <wrapper/mm_internal.h>
#include "internal.h"

static bool spf_thp_ok;

bool spf_thp_enabled(void)
{
	return READ_ONCE(spf_thp_ok) && spf_pte_tables_enabled();
}

/* Under the pmd lock and the install fence, everything revalidated. */
static void spf_thp_commit(struct vm_area_struct *vma, pmd_t *pmdp,
			   unsigned long addr, struct folio *folio,
			   struct page *table)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = addr & HPAGE_PMD_MASK;
	pmd_t entry;

	entry = mk_huge_pmd(&folio->page, vma->vm_page_prot);
	entry = pmd_mkdirty(entry);
	if (vma->vm_flags & VM_WRITE)
		entry = pmd_mkwrite(entry);
	spf_page_add_new_anon_rmap(&folio->page, vma, haddr);
	spf_pgtable_trans_huge_deposit(mm, pmdp, table);
	spf_inject_install_delay();
	set_pmd_at(mm, haddr, pmdp, entry);
	update_mmu_cache_pmd(vma, addr, pmdp);
	spf_add_mm_counter(mm, MM_ANONPAGES, HPAGE_PMD_NR);
	mm_inc_nr_ptes(mm);
}

/*
 * Call under rcu_read_lock() with WALK ended at a none pmd, for a write
 * fault in SNAP where spf_thp_would_map() said yes.  Returns under
 * rcu_read_lock(), which it leaves and retakes.
 */
enum spf_abort spf_thp_try(struct spf_snapshot *snap,
			   struct spf_pte_walk *walk, unsigned long addr)
{
	struct vm_area_struct *vma = &snap->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = addr & HPAGE_PMD_MASK;
	struct folio *folio = NULL;
	struct page *table = NULL;
	enum spf_abort ret;
	spinlock_t *ptl;
	gfp_t gfp;

	spf_assert_rcu();
	rcu_read_unlock();
	spf_khugepaged_enter_vma(vma, vma->vm_flags);
	/*
	 * Without direct reclaim and compaction, whatever defrag says: if
	 * the huge page is not there for the taking, stock's own attempt
	 * reclaims and compacts as defrag says, once (spf_alloc_page()).
	 */
	gfp = spf_vma_thp_gfp_mask(vma);
	if (!SPF_BROKEN_RECLAIM_TWICE)
		gfp &= ~__GFP_DIRECT_RECLAIM;
	folio = vma_alloc_folio(gfp, HPAGE_PMD_ORDER, vma, haddr, true);
	if (folio && spf_mem_cgroup_charge(folio, mm, gfp)) {
		folio_put(folio);
		folio = NULL;
	}
	if (folio) {
		spf_cgroup_throttle_swaprate(&folio->page, gfp);
		table = spf_pte_table_alloc(mm);
	}
	if (!table) {
		if (folio)
			folio_put(folio);
		rcu_read_lock();
		return SPF_ABORT_ALLOC;	/* stock counts its own fallback */
	}
	spf_clear_huge_page(&folio->page, addr, HPAGE_PMD_NR);
	/* The clearing before the pmd store, as stock does. */
	__folio_mark_uptodate(folio);
	rcu_read_lock();

	ret = spf_walk_to_pte(mm, addr, walk);
	if (ret != SPF_ABORT_PGTABLE || !walk->no_table) {
		ret = SPF_ABORT_PTL;	/* the pmd was filled meanwhile */
		goto out;
	}
	walk->table = table;		/* spf_revalidate(): the pmd none */
	ptl = spf_pmd_lock(mm, walk->pmdp);
	spf_mm_seq_install_lock(mm);
	ret = spf_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE)
		spf_thp_commit(vma, walk->pmdp, addr, folio, table);
	spf_mm_seq_install_unlock(mm);
	if (ret == SPF_ABORT_NONE) {
		spf_lru_cache_add_inactive_or_unevictable(&folio->page, vma);
		folio = NULL;
		table = NULL;
	}
	walk->table = NULL;
	spf_pmd_unlock(mm, ptl);
	if (ret == SPF_ABORT_NONE) {
		count_vm_event(THP_FAULT_ALLOC);
		spf_count_memcg_event_mm(mm, THP_FAULT_ALLOC);
	}
out:
	if (folio)
		folio_put(folio);	/* uncharges it too */
	if (table)
		spf_pte_table_free(table);
	return ret;
}

void spf_thp_fault_init(void)
{
	spf_thp_ok = spf_wrapper_huge_mm_init();
	if (!spf_thp_ok)
		pr_info("huge-page faults are left to the stock path on this kernel\n");
}
