// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative file write fault: a write to a file-backed page not
 * mapped yet, whose page is in the page cache, up to date and unlocked.
 * Stock takes one of two roads, both through ->fault() (which finds the
 * cached page and returns it locked) and finish_fault():
 *  - shared (do_shared_fault()): the page cache page is mapped writable
 *    and dirty, then marked dirty, the file's times updated and the
 *    dirtying throttled (fault_dirty_shared_page());
 *  - private (do_cow_fault()): a new anonymous page gets a copy of the
 *    cached page and is mapped writable.
 * spf takes the same roads without mmap_lock for the two ->fault()
 * handlers whose cached case it can reproduce: shmem_fault() (tmpfs,
 * shared memory, memfd) and, for private mappings only, filemap_fault()
 * (ext4, 9p and the like: their shared writes go through
 * ->page_mkwrite(), which may sleep, and stay stock).
 *
 *   rcu_read_lock; snapshot, walk (spf/faults/dispatch.c): PTE none
 *     pin the file (get_file_rcu)
 *     private: allocate and charge the new page without reclaim
 *     (spf_alloc_page(); if that fails: abort, stock reclaims)
 *     lock the page at the faulting index (file_fault.c: trylock,
 *     then mapping, up to date and i_size checked under the lock)
 *     private: copy it into the new page
 *     a new table published empty; take the PTE lock; revalidate
 *     set the PTE as do_set_pte() does for a write
 *     shared: mark the page dirty
 *   unlock the page (private: drop it); rcu_read_unlock
 *   shared: file_update_time(), balance_dirty_pages_ratelimited(); fput
 *
 * Why it is safe: the file, truncation and hole-punching arguments are
 * the file read fault's (file_fault.c): the page is mapped only
 * while locked, after its mapping and index were checked under the
 * lock, so truncation either zaps the new PTE or is seen.  A copy is
 * taken under the page lock, as stock takes it.  The new PTE is
 * installed only under the PTE lock after the usual revalidation, and
 * the page reference from the lookup becomes the PTE's (shared) as
 * ->fault()'s does in stock.  The copy is do_cow_fault()'s plain
 * copy_user_highpage(), not the machine-check-safe copy of the
 * write-protect path, as in stock.  What stock does after dropping the PTE
 * lock (dirtying, time update, throttling) runs with the file pinned,
 * as stock runs it with the file pinned by its VMA.
 *
 * What goes stock: a page not cached, locked, not up to date, under
 * readahead, poisoned, large (a huge page) or beyond EOF
 * (abort_pagecache); a tmpfs inode with a fallocate or hole punch in
 * progress (shmem_fault() may wait for it); shared writes with
 * ->page_mkwrite() or a ->fault() other than shmem_fault(); private
 * writes with a ->fault() other than those two, a VMA's first
 * private write (its anon_vma), and a private write to a VMA with a
 * mempolicy of its own that the allocation would read (no
 * ->get_policy(): filemap_fault() files after mbind(); spf/faults/dispatch.c,
 * spf_vma_policy_allocates()).
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/writeback.h>
#include <spf/broken.h>
#include <wrapper/mm_internal.h>
#include <wrapper/shmem_fs.h>
#include "internal.h"

int spf_file_write_init(void)
{
	return spf_wrapper_shmem_fs_init();
}

/* A write fault in this file VMA: one spf_file_write_try() handles? */
enum spf_abort spf_file_write_suitable(struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_SHARED) {
		if (!spf_vma_fault_is_shmem(vma) || vma->vm_ops->page_mkwrite)
			return SPF_ABORT_NOT_ANON;
	} else if (!spf_vma_fault_is_shmem(vma) &&
		   vma->vm_ops->fault != filemap_fault) {
		return SPF_ABORT_NOT_ANON;
	}
	if (!vma->vm_file)
		return SPF_ABORT_NOT_ANON;
	if (!(vma->vm_flags & VM_SHARED) && !vma->anon_vma)
		return SPF_ABORT_NO_ANON_VMA;
	return SPF_ABORT_NONE;
}

/*
 * What ->fault() does besides finding the page: shmem_fault() waits out
 * a hole punch (spf gives up while any fallocate is in progress).
 */
static enum spf_abort spf_file_write_fault_side(struct vm_area_struct *vma,
						struct file *file)
{
	if (spf_vma_fault_is_shmem(vma) &&
	    READ_ONCE(file_inode(file)->i_private))
		return SPF_ABORT_PAGECACHE;
	return SPF_ABORT_NONE;
}

/*
 * filemap_fault() counts a cached page against the file's mmap
 * readahead misses (do_async_mmap_readahead()).  Only once the PTE is
 * set: an attempt that gives up leaves the count to stock's ->fault(),
 * which adjusts it as it would have anyway.
 */
static void spf_file_write_ra_hit(struct vm_area_struct *vma,
				  struct file *file)
{
	struct file_ra_state *ra = &file->f_ra;
	unsigned int miss;

	if (spf_vma_fault_is_shmem(vma) ||
	    (vma->vm_flags & VM_RAND_READ) || !ra->ra_pages)
		return;
	miss = READ_ONCE(ra->mmap_miss);
	if (miss)
		WRITE_ONCE(ra->mmap_miss, miss - 1);
}

/* do_set_pte() for a write, under the commit lock, revalidated. */
static void spf_file_write_set_pte(struct vm_area_struct *vma,
				   const struct spf_pte_walk *walk,
				   unsigned long addr, struct page *page,
				   struct folio *copy)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t entry;

	if (copy)
		page = &copy->page;
	flush_icache_page(vma, page);
	entry = mk_pte(page, vma->vm_page_prot);
	entry = pte_sw_mkyoung(entry);
	entry = maybe_mkwrite(pte_mkdirty(entry), vma);
	if (copy) {
		spf_inc_mm_counter_fast(mm, MM_ANONPAGES);
		spf_page_add_new_anon_rmap(page, vma, addr);
		spf_lru_cache_add_inactive_or_unevictable(page, vma);
	} else {
		spf_inc_mm_counter_fast(mm, mm_counter_file(page));
		spf_page_add_file_rmap(page, vma, false);
	}
	set_pte_at(mm, addr, walk->ptep, entry);
	/* It was none before: nothing to invalidate. */
	update_mmu_cache(vma, addr, walk->ptep);
}

/*
 * Under rcu_read_lock(), before the read section is left: pin the file
 * of SNAP's VMA for the attempt.  A private write's page allocation
 * reads it (shmem's ->get_policy()); it never reads the copy's
 * vm_policy (spf_vma_policy_allocates()).
 */
bool spf_file_write_pin(struct spf_snapshot *snap, struct spf_file_write *fw)
{
	spf_assert_rcu();
	if (!get_file_rcu(snap->vma.vm_file))
		return false;
	fw->file = snap->vma.vm_file;
	return true;
}

/*
 * Call under rcu_read_lock() with WALK at a none PTE (of a table this
 * fault adds, if walk->table), for a write that
 * spf_file_write_suitable() accepted, the file pinned
 * (spf_file_write_pin()); COPY: for a private mapping, the charged page
 * to copy into.  Returns under rcu_read_lock(); success or
 * failure, call spf_file_write_finish() after rcu_read_unlock().
 */
enum spf_abort spf_file_write_try(struct spf_snapshot *snap,
				  struct spf_pte_walk *walk, unsigned long addr,
				  struct folio *copy, struct spf_file_write *fw)
{
	struct vm_area_struct *vma = &snap->vma;
	struct file *file = vma->vm_file;
	struct folio *folio;
	struct page *page;
	enum spf_abort ret;
	pgoff_t index;
	bool late;

	spf_assert_rcu();
	fw->mapped = false;
	fw->dirtied = false;
	fw->shared = vma->vm_flags & VM_SHARED;
	ret = spf_file_write_fault_side(vma, file);
	if (ret != SPF_ABORT_NONE)
		return ret;
	index = linear_page_index(vma, addr);
	folio = spf_file_lock_page(file->f_mapping, index);
	if (!folio)
		return SPF_ABORT_PAGECACHE;
	page = folio_file_page(folio, index);
	if (folio_test_large(folio) || PageHWPoison(page)) {
		ret = SPF_ABORT_PAGECACHE;
		goto unlock;
	}
	if (copy) {
		/* do_cow_fault()'s copy (not the machine-check-safe one). */
		copy_user_highpage(&copy->page, page, addr, vma);
		/* Orders the contents before the PTE store, as stock does. */
		__folio_mark_uptodate(copy);
	}

	/* Page lock, then pmd and PTE locks: finish_fault()'s order. */
	ret = spf_commit_lock(snap, walk);
	if (ret != SPF_ABORT_NONE)
		goto unlock;
	ret = spf_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE) {
		spf_file_write_set_pte(vma, walk, addr, page, copy);
		fw->mapped = true;
	}
	/* The broken variant's old order: the page let go, then published. */
	late = SPF_BROKEN_PUBLISH_LATE && walk->table;
	if (late)
		folio_unlock(folio);
	spf_commit_unlock(snap, walk);
	if (fw->mapped)
		spf_file_write_ra_hit(vma, file);
	if (fw->mapped && !copy) {
		/* fault_dirty_shared_page(), to its unlock. */
		fw->dirtied = set_page_dirty(page);
		if (!late)
			folio_unlock(folio);
		return ret;	/* the lookup's reference is the PTE's */
	}
	if (late)
		goto put;
unlock:
	folio_unlock(folio);
put:
	folio_put(folio);
	return ret;
}

/*
 * Out of the RCU section: the rest of fault_dirty_shared_page() for a
 * shared write (no ->page_mkwrite(), so the time is updated here), and
 * the file's reference.
 */
void spf_file_write_finish(struct spf_file_write *fw)
{
	might_sleep();
	if (!fw->file)
		return;
	if (fw->mapped && fw->shared) {
		file_update_time(fw->file);
		if (fw->dirtied)
			balance_dirty_pages_ratelimited(fw->file->f_mapping);
	}
	fput(fw->file);
}
