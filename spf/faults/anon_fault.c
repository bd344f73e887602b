// SPDX-License-Identifier: GPL-2.0
/*
 * The first touch of an anonymous private page, without mmap_lock, as
 * do_anonymous_page() does it under the lock: the zero page for a read,
 * a new zeroed page for a write.  spf/faults/dispatch.c has walked to the none
 * PTE (or prepared a table to add) and allocated the page; here the
 * commit lock is taken, everything revalidated, and the PTE installed.
 *
 * Why a commit needs only the copy: page_add_new_anon_rmap() and
 * lru_cache_add_inactive_or_unevictable() read anon_vma, vm_start,
 * vm_pgoff and vm_flags; given the copy they compute what they would
 * have from the live VMA at the moment of the check, without a torn
 * read of a VMA being split or merged just after it.
 *
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/mm_internal.h>
#include "internal.h"

/*
 * debugfs inject_commit_delay_us (test aid): a pause, in the read
 * section, between an anonymous fault's walk and its commit lock: the
 * window a write section must be seen to overlap by the count check.
 */
static u32 spf_inject_commit_delay_us;

/* Under the PTE lock, everything revalidated. */
static void spf_commit(struct spf_snapshot *snap, struct spf_pte_walk *walk,
		       unsigned long addr, struct folio *folio)
{
	struct vm_area_struct *vma = &snap->vma;
	struct mm_struct *mm = vma->vm_mm;
	pte_t entry;

	lockdep_assert_held(walk->ptl);
	if (!folio) {
		entry = pte_mkspecial(pfn_pte(my_zero_pfn(addr),
					      vma->vm_page_prot));
	} else {
		entry = mk_pte(&folio->page, vma->vm_page_prot);
		entry = pte_sw_mkyoung(entry);
		if (vma->vm_flags & VM_WRITE)
			entry = pte_mkwrite(pte_mkdirty(entry));
		spf_inc_mm_counter_fast(mm, MM_ANONPAGES);
		spf_page_add_new_anon_rmap(&folio->page, vma, addr);
		spf_lru_cache_add_inactive_or_unevictable(&folio->page, vma);
	}
	set_pte_at(mm, addr, walk->ptep, entry);
	/* It was none before: nothing to invalidate. */
	update_mmu_cache(vma, addr, walk->ptep);
}

/*
 * Under rcu_read_lock(), the walk made: a none PTE, or WALK->table to
 * add.  FOLIO: the zeroed, charged page of a write, NULL for a read.
 */
enum spf_abort spf_anon_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    struct folio *folio)
{
	enum spf_abort ret;

	spf_assert_rcu();
	spf_inject_delay(&spf_inject_commit_delay_us, 1000);
	ret = spf_commit_lock(snap, walk);
	if (ret != SPF_ABORT_NONE)
		return ret;
	ret = spf_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE)
		spf_commit(snap, walk, addr, folio);
	spf_commit_unlock(snap, walk);
	return ret;
}

void spf_anon_fault_init(struct dentry *debugfs_dir)
{
	debugfs_create_u32("inject_commit_delay_us", 0600, debugfs_dir,
			   &spf_inject_commit_delay_us);
}
