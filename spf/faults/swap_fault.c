// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative swap-cache fault: a fault on a swap PTE of an
 * anonymous private VMA whose page is in the swap cache, up to date and
 * unlocked, which stock handles in do_swap_page() as a minor fault (the
 * page was being swapped out, or swap readahead or MADV_WILLNEED read
 * it back).  Nothing here sleeps or allocates, so the whole attempt
 * stays in one RCU read section:
 *
 *   rcu_read_lock; snapshot, walk (spf/faults/dispatch.c): a swap PTE
 *     pin the swap device: get_swap_device()
 *     look the entry up in the swap cache (a page reference); trylock
 *     under the page lock: still in the swap cache for this entry, up
 *     to date, not poisoned, not one KSM would copy
 *     take the PTE lock; revalidate (pmd, PTE, count, not reaped)
 *     decide exclusivity from the swap PTE, as stock does
 *     do_swap_page()'s commit: free the swap entry, maybe the swap
 *     cache, move the page from MM_SWAPENTS to MM_ANONPAGES, add the
 *     rmap, set the PTE
 *   unlock; rcu_read_unlock; drop the page and the device
 *
 * Why the page is the right one: stock trusts a page found in the swap
 * cache only after locking it and seeing it still in the swap cache
 * under the same entry (folio_free_swap() and swapoff remove pages from
 * the cache under the page lock); spf checks the same under the same
 * lock.  The PTE found unchanged under the PTE lock means the entry is
 * still this PTE's, so its swap count includes this mapping's reference
 * and cannot have dropped to zero and been reused: the entry the page
 * is cached under is the data this PTE swapped out.
 *
 * Why swapoff is no hazard: get_swap_device() holds the device's users
 * reference, which swapoff kills and then waits to drain before it
 * frees the swap map that swap_free() writes.  swapoff's own unuse of
 * this PTE (try_to_unuse) takes the page lock and the PTE lock and
 * compares the PTE, as spf does: whichever is second finds the other's
 * work done and backs off.
 *
 * Why the VMA copy suffices: page_add_anon_rmap() reads anon_vma,
 * vm_start and vm_pgoff (for a page being mapped first) and vm_flags
 * (mlock, which stays stock anyway); the count vouches for the copy.
 * swap_cache_get_folio() updates the live VMA's swap readahead window,
 * an atomic field stock faults update concurrently under the read lock;
 * the live VMA is RCU-freed, so the store lands in a VMA at worst being
 * retired, as it can with stock's concurrent faults and munmap.
 *
 * What goes stock: a page not cached, locked (I/O in flight, reclaim,
 * another fault) or not up to date (stock reports the error); a large
 * folio; KSM pages and pages ksm_might_need_to_copy() would copy; a
 * poisoned page; a write to a PTE not marked exclusive (stock decides
 * reuse from the refcount after freeing the swap cache, then copies if
 * needed: too late for spf to back out); uffd-wp swap PTEs; migration,
 * device and marker entries; arm64 with MTE (tags are restored from
 * swap); mmu notifiers are no concern (stock calls none here).
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/mm_internal.h>
#include <wrapper/swap.h>
#include "internal.h"

/*
 * debugfs inject_swap_delay_us (test aid): a pause between taking the
 * swap-cache page's reference and locking it, the window where the page
 * can leave the swap cache and its entry be reused, so that
 * spf_swap_test's race meets it often.
 */
static u32 spf_inject_swap_delay_us;

int spf_swap_fault_init(struct dentry *debugfs_dir)
{
	debugfs_create_u32("inject_swap_delay_us", 0600, debugfs_dir,
			   &spf_inject_swap_delay_us);
	return spf_wrapper_swap_init();
}

/* The page's anon_vma, as folio_anon_vma() reads it; NULL if none. */
static struct anon_vma *spf_folio_anon_vma(struct folio *folio)
{
	unsigned long mapping = (unsigned long)READ_ONCE(folio->mapping);

	if ((mapping & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return NULL;
	return (struct anon_vma *)(mapping - PAGE_MAPPING_ANON);
}

/*
 * Under the page lock: would stock map this page as it is?  Not if
 * ksm_might_need_to_copy() would give it a copy (a KSM page, or one
 * whose index or anon_vma does not fit this VMA), nor a poisoned one.
 */
static bool spf_swap_page_fits(struct vm_area_struct *vma,
			       struct folio *folio, struct page *page,
			       unsigned long addr)
{
	struct anon_vma *av;

	if (PageHWPoison(page) || folio_test_ksm(folio))
		return false;
	av = spf_folio_anon_vma(folio);
	if (!av)
		return true;
	return vma->anon_vma && page->index == linear_page_index(vma, addr) &&
	       av->root == vma->anon_vma->root;
}

/*
 * Under the page lock, before the PTE lock: the page is the entry's,
 * ready, and stock would map it; for a write, the per-CPU LRU caches
 * drained as stock drains them (the refcount decides below).
 */
static enum spf_abort spf_swap_lock_page(struct vm_area_struct *vma,
					 struct folio *folio, struct page *page,
					 swp_entry_t entry, unsigned long addr,
					 bool write)
{
	if (!folio_test_swapcache(folio) || page_private(page) != entry.val)
		return SPF_ABORT_SWAPCACHE;
	if (!folio_test_uptodate(folio))
		return SPF_ABORT_SWAPCACHE;	/* stock reports the error */
	if (!spf_swap_page_fits(vma, folio, page, addr))
		return SPF_ABORT_OTHER;
	if (write && !folio_test_lru(folio))
		spf_lru_add_drain();
	return SPF_ABORT_NONE;
}

/* should_try_to_free_swap() of mm/memory.c. */
static bool spf_swap_should_free(struct vm_area_struct *vma,
				 struct folio *folio, bool write)
{
	if (!folio_test_swapcache(folio))
		return false;
	if (spf_mem_cgroup_swap_full(folio) || (vma->vm_flags & VM_LOCKED) ||
	    folio_test_mlocked(folio))
		return true;
	return write && folio_ref_count(folio) == 2;
}

/*
 * do_swap_page()'s commit, under the PTE lock, everything revalidated,
 * the page locked; EXCLUSIVE as stock decided it.
 */
static void spf_swap_commit(struct vm_area_struct *vma,
			    const struct spf_pte_walk *walk,
			    unsigned long addr, struct folio *folio,
			    struct page *page, bool exclusive,
			    struct spf_swap *swap)
{
	struct mm_struct *mm = vma->vm_mm;
	swp_entry_t entry = pte_to_swp_entry(walk->pte);
	rmap_t rmap_flags = RMAP_NONE;
	pte_t pte;

	spf_swap_free(entry);
	if (spf_swap_should_free(vma, folio, swap->write))
		spf_folio_free_swap(folio);
	spf_inc_mm_counter_fast(mm, MM_ANONPAGES);
	spf_dec_mm_counter_fast(mm, MM_SWAPENTS);
	pte = mk_pte(page, vma->vm_page_prot);
	if (exclusive || folio_ref_count(folio) == 1) {
		if (swap->write)
			pte = maybe_mkwrite(pte_mkdirty(pte), vma);
		rmap_flags |= RMAP_EXCLUSIVE;
	}
	flush_icache_page(vma, page);
	if (pte_swp_soft_dirty(walk->pte))
		pte = pte_mksoft_dirty(pte);
	spf_page_add_anon_rmap(page, vma, addr, rmap_flags);
	set_pte_at(mm, addr, walk->ptep, pte);
	/* It was not present before: nothing to invalidate. */
	update_mmu_cache(vma, addr, walk->ptep);
	swap->mapped = true;
}

/*
 * Under the PTE lock, revalidated: may the commit go ahead, and is the
 * page exclusive, as do_swap_page() decides?  A write needs it to be:
 * stock's other way to a writable PTE goes through freeing the swap
 * cache and the refcount, and then a copy, once nothing can be undone.
 */
static enum spf_abort spf_swap_exclusive(struct folio *folio,
					 struct page *page,
					 const struct spf_pte_walk *walk,
					 struct swap_info_struct *si,
					 bool write, bool *exclusive)
{
	bool stable;

	lockdep_assert_held(walk->ptl);
	*exclusive = pte_swp_exclusive(walk->pte) ||
		     SPF_BROKEN_SWAP_ANY_EXCLUSIVE;
	/* Unlocked in stock too: set at swapon, before any entry exists. */
	stable = data_race(si->flags & SWP_STABLE_WRITES);
	if (*exclusive && folio_test_writeback(folio) && stable)
		*exclusive = false;
	if (write && !*exclusive)
		return SPF_ABORT_PTE;
	/* A swap PTE never maps a page already exclusive (stock's BUG_ON). */
	if (PageAnonExclusive(page))
		return SPF_ABORT_OTHER;
	return SPF_ABORT_NONE;
}

/*
 * Call under rcu_read_lock() with WALK at a PTE that is neither none nor
 * present, in SNAP, an anonymous private VMA that allows the access
 * (with an anon_vma for a write).  Returns under rcu_read_lock();
 * success or failure, call spf_swap_finish() after rcu_read_unlock().
 */
enum spf_abort spf_swap_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int flags, struct spf_swap *swap)
{
	struct vm_area_struct *vma = &snap->vma;
	struct folio *folio;
	struct page *page;
	enum spf_abort ret;
	swp_entry_t entry;
	bool exclusive;

	spf_assert_rcu();
	swap->folio = NULL;
	swap->si = NULL;
	swap->mapped = false;
	swap->write = flags & FAULT_FLAG_WRITE;
	if (!is_swap_pte(walk->pte) || pte_swp_uffd_wp(walk->pte))
		return SPF_ABORT_PTE;
	entry = pte_to_swp_entry(walk->pte);
	if (non_swap_entry(entry))
		return SPF_ABORT_PTE;	/* migration, device, marker... */
#ifdef CONFIG_ARM64_MTE
	if (system_supports_mte())
		return SPF_ABORT_OTHER;	/* arch_swap_restore() has work */
#endif

	swap->si = spf_get_swap_device(entry);
	if (!swap->si)
		return SPF_ABORT_PTE;	/* swapoff: stock sees it done */
	folio = spf_swap_cache_get_folio(entry, snap->live, addr);
	if (!folio)
		return SPF_ABORT_SWAPCACHE;	/* I/O: stock reads it */
	swap->folio = folio;
	spf_inject_delay(&spf_inject_swap_delay_us, 1000);
	if (folio_test_large(folio) || !folio_trylock(folio))
		return SPF_ABORT_SWAPCACHE;

	page = folio_file_page(folio, swp_offset(entry));
	ret = spf_swap_lock_page(vma, folio, page, entry, addr, swap->write);
	if (ret == SPF_ABORT_NONE) {
		/* Marks the task for swap-device throttling, as stock. */
		spf_cgroup_throttle_swaprate(page, GFP_KERNEL);
		spin_lock(walk->ptl);
		ret = spf_revalidate(snap, walk);
		if (ret == SPF_ABORT_NONE)
			ret = spf_swap_exclusive(folio, page, walk, swap->si,
						 swap->write, &exclusive);
		if (ret == SPF_ABORT_NONE)
			spf_swap_commit(vma, walk, addr, folio, page,
					exclusive, swap);
		spin_unlock(walk->ptl);
	}
	folio_unlock(folio);
	return ret;
}

/*
 * Out of the RCU section: drop what the attempt still holds.  A page it
 * mapped keeps the lookup's reference: the PTE's now, as in stock.
 */
void spf_swap_finish(struct spf_swap *swap)
{
	might_sleep();
	if (swap->folio && !swap->mapped)
		folio_put(swap->folio);
	if (swap->si)
		put_swap_device(swap->si);
}
