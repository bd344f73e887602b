// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative write-protect fault: a write to a present, read-only
 * PTE of an anonymous private VMA, which stock handles in do_wp_page().
 * Three outcomes, each what do_wp_page() would have done:
 *  - reuse: the page belongs to this mm alone (PageAnonExclusive, or
 *    stock's locked refcount test finds no other user): the PTE is made
 *    writable, dirty and young in place;
 *  - copy: the page is shared (after fork, say): a new page gets its
 *    contents and replaces it in the PTE;
 *  - zero: the PTE maps the shared zero page: a new zeroed page
 *    replaces it.
 *
 *   rcu_read_lock; snapshot, walk (spf/faults/dispatch.c): PTE present
 *     take the PTE lock; revalidate (pmd, PTE, count, not OOM-reaped)
 *     decide as do_wp_page() does, from the page under the lock
 *     reuse: update the PTE; done
 *     copy: take a reference on the old page
 *   unlock
 *   allocate and charge the new page without reclaim (if that
 *   fails, give up: stock reclaims, once);
 *   fill it (zeroed, or a copy of the old); take the PTE lock
 *     revalidate against the PTE first found: unchanged, so the old
 *     page is still mapped here and the copy is of what it holds
 *     clear and flush the PTE, map the new page, drop the old's rmap
 *   unlock; rcu_read_unlock; drop the reference on the old page
 *
 * Why the decision is stock's: do_wp_page() decides under the PTE lock
 * too, from the page's flags and counts, which only holders of this
 * lock (fork's copy_present_pte() for PageAnonExclusive, the rmap
 * changes of this PTE) or atomic counts (GUP, the LRU caches) change;
 * spf reads the same things under the same lock.  mmap_lock held for
 * read adds nothing do_wp_page() relies on beyond the VMA, which the
 * count vouches for; a writer (fork, mprotect, munmap) that began
 * since the snapshot moves the count, seen under the lock.  A writer
 * that begins after the check must take this PTE lock to touch the PTE
 * (fork to write-protect it again, zap to clear it) and finds the fault
 * done, as if it had completed just before the writer took mmap_lock.
 *
 * Why the copy is of the right data: between the two lock sections the
 * old page is pinned by the reference, and a PTE found unchanged under
 * the lock means this mm still maps the same page read-only, so no
 * write through this mm reached it; writes through another mm are
 * ruled out as in stock, which copies without any lock as well (the
 * other mm's reuse test counts the reference spf holds).
 *
 * Where spf gives up and stock does the work: KSM pages, a page off
 * the LRU whose reuse depends on draining the per-CPU LRU caches (which
 * may drop a reference and allow it), a page in the swap cache that
 * might be reused (stock frees its swap slot first), mmu notifiers on
 * the mm (stock calls them around the copy; registering one takes
 * mmap_lock for write, which moves the count), delay accounting on
 * (stock times the copy), a poisoned source page (stock reports it),
 * and any PTE that is not a read-only, accessible mapping of an
 * anonymous page or the zero page (a writable PTE is a spurious or
 * dirty-bit fault, NUMA hinting, device pages).
 */
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/ksm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/mm_wp.h>
#include "internal.h"

/*
 * debugfs inject_wp_delay_us (test aid): a pause where the fault has
 * read the PTE but holds no lock on it, before each lock section:
 * after the walk, where a writer can change the PTE, the page or the
 * VMA under the snapshot, and between the decision and the install,
 * where the copy's source is only referenced.  The writer races of
 * tests/kselftest widen both windows with it.
 */
static u32 spf_inject_wp_delay_us;

void spf_wp_fault_init(struct dentry *debugfs_dir)
{
	debugfs_create_u32("inject_wp_delay_us", 0600, debugfs_dir,
			   &spf_inject_wp_delay_us);
}

/*
 * do_wp_page() for an anonymous folio: may this mm reuse the page?
 * Under the PTE lock.  SPF_ABORT_NONE with *reuse set or clear, or an
 * abort where stock would first drain the LRU caches or free swap.
 */
static enum spf_abort spf_wp_may_reuse(struct vm_area_struct *vma,
				       struct page *page, bool *reuse)
{
	struct folio *folio = page_folio(page);

	*reuse = true;
	if (PageAnonExclusive(page))
		return SPF_ABORT_NONE;
	*reuse = false;
	if (folio_ref_count(folio) > 3)
		return SPF_ABORT_NONE;
	/*
	 * Off the LRU, stock drains this CPU's LRU caches first, which
	 * drops at most one reference: with two more than the test below
	 * allows, it copies all the same.  Otherwise the drain decides.
	 */
	if (!folio_test_lru(folio) &&
	    folio_ref_count(folio) <= 2 + folio_test_swapcache(folio))
		return SPF_ABORT_PTE;
	if (folio_ref_count(folio) > 1 + folio_test_swapcache(folio))
		return SPF_ABORT_NONE;
	if (folio_test_swapcache(folio))
		return SPF_ABORT_PTE;
	if (!folio_trylock(folio))
		return SPF_ABORT_NONE;
	if (!folio_test_ksm(folio) && folio_ref_count(folio) == 1) {
		/* Ours alone, and locked: becomes exclusive to this VMA. */
		spf_page_move_anon_rmap(page, vma);
		*reuse = true;
	}
	folio_unlock(folio);
	return SPF_ABORT_NONE;
}

/* wp_page_reuse(), under the PTE lock. */
static void spf_wp_reuse(struct vm_area_struct *vma,
			 const struct spf_pte_walk *walk, unsigned long addr,
			 struct page *page)
{
	pte_t entry;

	spf_page_cpupid_reset(page);
	flush_cache_page(vma, addr, pte_pfn(walk->pte));
	entry = pte_mkyoung(walk->pte);
	entry = maybe_mkwrite(pte_mkdirty(entry), vma);
	if (spf_ptep_set_access_flags(vma, addr, walk->ptep, entry, 1))
		update_mmu_cache(vma, addr, walk->ptep);
	count_vm_event(PGREUSE);
}

/*
 * Under the PTE lock, everything revalidated: what do_wp_page() would
 * do with this PTE.  Reuse is done here; a copy leaves with the old
 * page referenced.
 */
static enum spf_abort spf_wp_decide(struct vm_area_struct *vma,
				    const struct spf_pte_walk *walk,
				    unsigned long addr, struct spf_wp *wp)
{
	unsigned long pfn = pte_pfn(walk->pte);
	struct page *page = NULL;
	enum spf_abort ret;
	bool reuse;

	lockdep_assert_held(walk->ptl);
	if (pte_special(walk->pte)) {
		if (!is_zero_pfn(pfn))
			return SPF_ABORT_PTE;
		wp->kind = SPF_WP_ZERO;
	} else {
		if (pte_devmap(walk->pte) || !pfn_valid(pfn))
			return SPF_ABORT_PTE;
		page = pfn_to_page(pfn);
		if (!PageAnon(page) || PageKsm(page))
			return SPF_ABORT_PTE;
		ret = spf_wp_may_reuse(vma, page, &reuse);
		if (ret != SPF_ABORT_NONE)
			return ret;
		if (reuse) {
			spf_wp_reuse(vma, walk, addr, page);
			wp->kind = SPF_WP_REUSE;
			return SPF_ABORT_NONE;
		}
		wp->kind = SPF_WP_COPY;
	}
	/* wp_page_copy() calls these; spf does not. */
	if ((!SPF_BROKEN_IGNORE_NOTIFIERS && mm_has_notifiers(vma->vm_mm)) ||
	    spf_delayacct_on())
		return SPF_ABORT_OTHER;
	if (wp->kind == SPF_WP_COPY) {
		get_page(page);
		wp->old = page;
	}
	return SPF_ABORT_NONE;
}

/* wp_page_copy()'s update, under the PTE lock, everything revalidated. */
static void spf_wp_replace(struct vm_area_struct *vma,
			   const struct spf_pte_walk *walk, unsigned long addr,
			   struct spf_wp *wp)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *new = &wp->new->page;
	pte_t entry;

	if (!wp->old)
		spf_inc_mm_counter_fast(mm, MM_ANONPAGES);
	flush_cache_page(vma, addr, pte_pfn(walk->pte));
	entry = mk_pte(new, vma->vm_page_prot);
	entry = pte_sw_mkyoung(entry);
	entry = maybe_mkwrite(pte_mkdirty(entry), vma);
	/* No CPU may keep the old translation once the new one is seen. */
	spf_ptep_clear_flush(vma, addr, walk->ptep);
	spf_page_add_new_anon_rmap(new, vma, addr);
	spf_lru_cache_add_inactive_or_unevictable(new, vma);
	set_pte_at(mm, addr, walk->ptep, entry);
	update_mmu_cache(vma, addr, walk->ptep);
	wp->new = NULL;			/* the PTE's now */
	wp->replaced = true;
	if (wp->old) {
		/* After the flush: see wp_page_copy() on the mapcount. */
		spf_page_remove_rmap(wp->old, vma, false);
		put_page(wp->old);	/* the old PTE's reference */
	}
}

/* A copy of the old page, or zeroes, in a charged page not yet mapped. */
static enum spf_abort spf_wp_fill(struct spf_snapshot *snap,
				  unsigned long addr, struct spf_wp *wp,
				  bool reclaim)
{
	wp->new = spf_alloc_page(snap, addr, wp->kind == SPF_WP_ZERO, reclaim);
	if (!wp->new)
		return SPF_ABORT_ALLOC;
	if (wp->old &&
	    copy_mc_user_highpage(&wp->new->page, wp->old, addr, &snap->vma)) {
		/*
		 * A machine check in the copy (x86-64): queue the poisoned
		 * page's recovery as __wp_page_copy_user() does, so that it
		 * does not wait for stock's copy to take a second one.  Safe
		 * in the read section (a raw spinlock, IRQ-safe).
		 */
		memory_failure_queue(page_to_pfn(wp->old), 0);
		return SPF_ABORT_OTHER;	/* stock reports it */
	}
	/* Orders the contents before the PTE store, as stock does. */
	__folio_mark_uptodate(wp->new);
	return SPF_ABORT_NONE;
}

/*
 * spf_revalidate() against the PTE the walk found.  The broken build
 * WP_STALE_PTE compares the PTE with itself instead, so that a PTE
 * changed since the walk (a NUMA hinting entry, a migration entry) is
 * decided on and replaced as walked (tests/kselftest writer.numa).
 */
static enum spf_abort spf_wp_revalidate(struct spf_snapshot *snap,
					struct spf_pte_walk *walk)
{
	pte_t walked = walk->pte;
	enum spf_abort ret;

	if (!SPF_BROKEN_WP_STALE_PTE)
		return spf_revalidate(snap, walk);
	walk->pte = ptep_get(walk->ptep);
	ret = spf_revalidate(snap, walk);
	walk->pte = walked;
	return ret;
}

/*
 * Call under rcu_read_lock() with WALK at a present PTE, for a write
 * fault in SNAP, an anonymous private VMA that allows it and has an
 * anon_vma.  Returns under rcu_read_lock(), which it may have left and
 * retaken.  Success or failure, call spf_wp_finish() after
 * rcu_read_unlock().
 */
enum spf_abort spf_wp_try(struct spf_snapshot *snap,
			  struct spf_pte_walk *walk, unsigned long addr,
			  struct spf_wp *wp)
{
	struct vm_area_struct *vma = &snap->vma;
	pte_t orig = walk->pte;
	enum spf_abort ret;

	spf_assert_rcu();
	wp->old = NULL;
	wp->new = NULL;
	wp->replaced = false;
	if (pte_write(orig) || pte_protnone(orig))
		return SPF_ABORT_PTE;

	spf_inject_delay(&spf_inject_wp_delay_us, 1000);
	spin_lock(walk->ptl);
	ret = spf_wp_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE)
		ret = spf_wp_decide(vma, walk, addr, wp);
	spin_unlock(walk->ptl);
	if (ret != SPF_ABORT_NONE || wp->kind == SPF_WP_REUSE)
		return ret;

	/*
	 * The new page, without reclaim (spf_alloc_page()): the walk then
	 * stands.  If that fails, stock reclaims and copies.
	 */
	ret = spf_wp_fill(snap, addr, wp, false);
	if (SPF_BROKEN_RECLAIM_TWICE && ret == SPF_ABORT_ALLOC) {
		rcu_read_unlock();
		ret = spf_wp_fill(snap, addr, wp, true);
		rcu_read_lock();
		if (ret == SPF_ABORT_NONE)
			ret = spf_walk_to_pte(vma->vm_mm, addr, walk);
	}
	if (ret != SPF_ABORT_NONE)
		return ret;
	walk->pte = orig;	/* revalidate against the PTE first found */
	spf_inject_delay(&spf_inject_wp_delay_us, 1000);
	spin_lock(walk->ptl);
	ret = spf_wp_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE)
		spf_wp_replace(vma, walk, addr, wp);
	spin_unlock(walk->ptl);
	return ret;
}

/* Out of the RCU section: drop what the attempt still holds. */
void spf_wp_finish(struct spf_wp *wp)
{
	might_sleep();
	if (wp->new)
		folio_put(wp->new);	/* never mapped; uncharges it too */
	if (wp->old) {
		if (wp->replaced)
			spf_free_swap_cache(wp->old);
		put_page(wp->old);
	}
}
