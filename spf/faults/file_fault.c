// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative file read fault: a read (or instruction fetch) of a
 * file-backed page that is not mapped yet, in a VMA whose ->map_pages is
 * filemap_map_pages() (ext4, tmpfs, 9p and most others), when the page
 * is in the page cache, up to date and not locked.  Stock's
 * do_read_fault() first maps it and its neighbours ("fault-around",
 * fault_around_bytes, 64 KiB by default) through filemap_map_pages(),
 * which never sleeps; spf does the same without mmap_lock.  A page that
 * is missing, locked, not up to date, under readahead or poisoned at
 * the faulting address goes stock (abort_pagecache), where ->fault()
 * reads it, waits for it or signals.
 *
 *   rcu_read_lock; snapshot, walk (spf/faults/dispatch.c): PTE none
 *     pin the file (get_file_rcu: files are freed after a grace period)
 *     lock the page at the faulting index, as filemap_map_pages() locks
 *     each page: trylock, then mapping and i_size checked under the lock
 *     a table the fault adds goes live, empty (pgtable_rcu/pte_table.c)
 *     take the PTE lock; revalidate (pmd, PTE none, count, not reaped)
 *     map the window as filemap_map_pages() does, the faulting page
 *     included: each page locked in turn, each PTE that is none set
 *   unlock; fput; rcu_read_unlock
 *
 * Why the VMA copy can be trusted with the file: the count re-read
 * under the PTE lock says no write section overlapped since the copy,
 * so vm_file, vm_pgoff and the range are the VMA's; the reference taken
 * on the file keeps its mapping and inode alive even if the VMA is
 * unmapped right after the check (its PTEs are then zapped under this
 * same lock, after the fault, as for an anonymous page).
 *
 * Why truncation and hole punching are safe: they need no mmap_lock
 * even against stock, and stock's filemap_map_pages() is itself their
 * only guard: a page is mapped only while locked, after its mapping and
 * its index against i_size were checked under the lock; truncation
 * sets i_size first, removes each page from the cache under that page's
 * lock and then zaps the PTEs that map it under the PTE lock, so either
 * it sees spf's PTE and zaps it or spf sees the new i_size or mapping
 * and skips the page.  spf keeps every one of those steps.
 *
 * Writes: file_write.c.  A VMA mempolicy does not matter here: a read
 * allocates nothing, and vm_policy is never read.  What stays stock:
 * mlocked, userfaultfd, hugetlb and special mappings, a missing
 * PTE table (stock preallocates one), a VMA whose ->map_pages is not
 * filemap_map_pages(), and fault_around_bytes of one page (stock then
 * has no fault-around and calls ->fault() directly).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/xarray.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/mm_internal.h>
#include "internal.h"

#ifndef arch_wants_old_prefaulted_pte
#define arch_wants_old_prefaulted_pte()	false	/* mm/memory.c's default */
#endif

/*
 * debugfs inject_file_delay_us (test aid): a pause between taking a
 * page's reference and locking it, the window where truncation can
 * remove the page, so that spf_file_test's race meets it often.
 */
static u32 spf_inject_file_delay_us;

struct spf_file_map {
	struct vm_area_struct *vma;
	struct spf_pte_walk *walk;	/* at the faulting page */
	unsigned long addr;		/* the faulting page */
	pgoff_t pgoff;			/* its index in the file */
	pgoff_t end;			/* last index of the window */
	struct folio *target;		/* at pgoff, locked, ref; NULL once used */
	unsigned int mmap_miss;
	unsigned int mapped;
};

bool spf_file_vma(const struct vm_area_struct *vma)
{
	return vma->vm_ops && vma->vm_ops->map_pages == filemap_map_pages;
}

/*
 * A fault in a file VMA: a read that takes the fault-around path, or a
 * write spf/faults/file_write.c handles?  The checks common to every kind
 * (spf/faults/dispatch.c) come after.
 */
enum spf_abort spf_file_suitable(struct vm_area_struct *vma,
				 unsigned int flags)
{
	if (!spf_file_vma(vma) || !vma->vm_file || !vma->vm_ops->fault)
		return SPF_ABORT_NOT_ANON;
	if (flags & FAULT_FLAG_WRITE)
		return spf_file_write_suitable(vma);
	return SPF_ABORT_NONE;
}

/*
 * mm/memory.c's fault_around_bytes (include/wrapper/mm_internal.h);
 * found neither as a variable nor through its getter: 64 KiB.
 */
static unsigned long spf_fault_around_pages(void)
{
	unsigned long bytes = 65536;

	spf_fault_around_bytes_read(&bytes,
				    !SPF_BROKEN_NO_FAULT_AROUND_GETTER);
	return bytes >> PAGE_SHIFT;
}

/* do_fault_around()'s window: its first index, its last in m->end. */
static pgoff_t spf_file_window(struct spf_file_map *m, unsigned long nr)
{
	struct vm_area_struct *vma = m->vma;
	unsigned long mask = ~(nr * PAGE_SIZE - 1) & PAGE_MASK;
	unsigned long start_addr = max(m->addr & mask, vma->vm_start);
	pgoff_t start;

	start = m->pgoff - (((m->addr - start_addr) >> PAGE_SHIFT) &
			    (PTRS_PER_PTE - 1));
	m->end = start - ((start_addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1)) +
		 PTRS_PER_PTE - 1;
	m->end = min3(m->end, vma_pages(vma) + vma->vm_pgoff - 1,
		      start + nr - 1);
	return start;
}

/*
 * next_uptodate_page() for one entry: the folio, referenced and locked,
 * if it can be mapped; NULL to skip it.
 */
static struct folio *spf_file_grab(struct address_space *mapping,
				   struct xa_state *xas, struct folio *folio)
{
	if (!folio || xas_retry(xas, folio) || xa_is_value(folio) ||
	    folio_test_locked(folio) || !folio_try_get_rcu(folio))
		return NULL;
	if (unlikely(folio != xas_reload(xas)))
		goto put;
	if (!folio_test_uptodate(folio) || folio_test_readahead(folio))
		goto put;
	spf_inject_delay(&spf_inject_file_delay_us, 1000);
	if (!folio_trylock(folio))
		goto put;
	if ((!SPF_BROKEN_NO_MAPPING_CHECK && folio->mapping != mapping) ||
	    !folio_test_uptodate(folio))
		goto unlock;
	if (xas->xa_index >= DIV_ROUND_UP(i_size_read(mapping->host),
					  PAGE_SIZE))
		goto unlock;
	return folio;
unlock:
	folio_unlock(folio);
put:
	folio_put(folio);
	return NULL;
}

/*
 * The page at INDEX, referenced and locked, if stock's ->fault() would
 * return it at once: cached, up to date, not under readahead, below
 * i_size (spf/faults/file_write.c).
 */
struct folio *spf_file_lock_page(struct address_space *mapping,
				 pgoff_t index)
{
	XA_STATE(xas, &mapping->i_pages, index);

	return spf_file_grab(mapping, &xas, xas_load(&xas));
}

/* do_set_pte() for a read, under the PTE lock: false if not none. */
static bool spf_file_set_pte(struct spf_file_map *m, struct page *page,
			     pgoff_t index)
{
	struct vm_area_struct *vma = m->vma;
	long delta = (long)index - (long)m->pgoff;
	unsigned long addr = m->addr + delta * (long)PAGE_SIZE;
	pte_t *ptep = m->walk->ptep + delta;	/* the window is one table */
	pte_t entry;

	if (!pte_none(ptep_get(ptep)))
		return false;
	flush_icache_page(vma, page);
	entry = mk_pte(page, vma->vm_page_prot);
	if (addr != m->addr && arch_wants_old_prefaulted_pte())
		entry = pte_mkold(entry);
	else
		entry = pte_sw_mkyoung(entry);
	spf_inc_mm_counter_fast(vma->vm_mm, mm_counter_file(page));
	spf_page_add_file_rmap(page, vma, false);
	set_pte_at(vma->vm_mm, addr, ptep, entry);
	/* No need to invalidate: a not-present page is not cached. */
	update_mmu_cache(vma, addr, ptep);
	m->mapped++;
	return true;
}

static bool spf_folio_more_pages(struct folio *folio, pgoff_t index,
				 pgoff_t max)
{
	if (!folio_test_large(folio) || folio_test_hugetlb(folio))
		return false;
	return index < max && index < folio->index + folio_nr_pages(folio) - 1;
}

/*
 * filemap_map_pages()'s inner loop for one locked, referenced folio:
 * each mapped page keeps a reference; the folio is unlocked at the end.
 */
static void spf_file_map_folio(struct spf_file_map *m, struct folio *folio,
			       struct xa_state *xas)
{
	for (;;) {
		struct page *page = folio_file_page(folio, xas->xa_index);
		bool more = spf_folio_more_pages(folio, xas->xa_index, m->end);
		bool mapped = false;

		if (!PageHWPoison(page)) {
			if (m->mmap_miss > 0)
				m->mmap_miss--;
			mapped = spf_file_set_pte(m, page, xas->xa_index);
		}
		if (!more) {
			folio_unlock(folio);
			if (!mapped)
				folio_put(folio);
			return;
		}
		xas->xa_index++;
		if (mapped)
			folio_ref_inc(folio);
	}
}

/* Under the PTE lock, revalidated: map the window, the target in it. */
static void spf_file_map_window(struct spf_file_map *m,
				struct address_space *mapping, pgoff_t start)
{
	XA_STATE(xas, &mapping->i_pages, start);
	pgoff_t file_end;
	struct folio *folio;

	lockdep_assert_held(m->walk->ptl);
	file_end = DIV_ROUND_UP(i_size_read(mapping->host), PAGE_SIZE) - 1;
	m->end = min(m->end, file_end);	/* >= pgoff: the target is locked */
	for (folio = xas_find(&xas, m->end); folio;
	     folio = xas_next_entry(&xas, m->end)) {
		if (folio == m->target) {
			m->target = NULL;	/* its lock and ref go here */
		} else {
			folio = spf_file_grab(mapping, &xas, folio);
			if (!folio)
				continue;
		}
		spf_file_map_folio(m, folio, &xas);
	}
}

/*
 * With the pmd none, filemap_map_pmd() maps the window's first folio
 * with a pmd if it is a PMD-sized huge page: spf leaves that to stock.
 */
static bool spf_file_pmd_mappable(struct spf_file_map *m,
				  struct address_space *mapping, pgoff_t start)
{
	XA_STATE(xas, &mapping->i_pages, start);
	struct folio *first;

	if (folio_test_pmd_mappable(m->target))
		return true;
	do {
		first = xas_find(&xas, m->end);
	} while (xas_retry(&xas, first));
	return first && !xa_is_value(first) && folio_test_pmd_mappable(first);
}

/*
 * Call under rcu_read_lock() with WALK at a none PTE (of a table this
 * fault adds, if walk->table), for a read fault that spf_file_suitable()
 * accepted.  *MAPPED: the PTEs set.
 */
enum spf_abort spf_file_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int *mapped)
{
	struct spf_file_map m = {
		.vma = &snap->vma,
		.walk = walk,
		.addr = addr & PAGE_MASK,
	};
	struct file *file = snap->vma.vm_file;
	struct address_space *mapping;
	unsigned long nr = spf_fault_around_pages();
	enum spf_abort ret;
	pgoff_t start;

	spf_assert_rcu();
	*mapped = 0;
	if (nr <= 1)
		return SPF_ABORT_PAGECACHE;	/* stock calls ->fault() */
	if (!get_file_rcu(file))
		return SPF_ABORT_OTHER;		/* its last mapping is going */
	mapping = file->f_mapping;
	m.pgoff = linear_page_index(&snap->vma, m.addr);
	start = spf_file_window(&m, nr);
	{
		XA_STATE(xas, &mapping->i_pages, m.pgoff);

		m.target = spf_file_grab(mapping, &xas, xas_load(&xas));
	}
	if (!m.target ||
	    PageHWPoison(folio_file_page(m.target, m.pgoff))) {
		ret = SPF_ABORT_PAGECACHE;
		goto out;
	}
	if (walk->table && spf_file_pmd_mappable(&m, mapping, start)) {
		ret = SPF_ABORT_PGTABLE;	/* stock maps it with a pmd */
		goto out;
	}
	m.mmap_miss = READ_ONCE(file->f_ra.mmap_miss);

	/*
	 * A table this fault adds goes live, empty, before any page is
	 * mapped into it: each page is unlocked only once its PTE is
	 * reachable, or truncation could miss it (pgtable_rcu/pte_table.c).
	 */
	ret = spf_commit_lock(snap, walk);
	if (ret != SPF_ABORT_NONE)
		goto out;
	ret = spf_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE) {
		spf_file_map_window(&m, mapping, start);
		/*
		 * A truncation that moved i_size below the page since it was
		 * checked leaves it out: the neighbours mapped are what
		 * stock's fault-around maps too, and stock signals.
		 */
		if (pte_none(ptep_get(walk->ptep)))
			ret = SPF_ABORT_PAGECACHE;
	}
	spf_commit_unlock(snap, walk);
	/*
	 * Readahead state only from a fault that completes: after giving
	 * up with neighbours mapped, stock's fault-around counts the same
	 * window again (it decrements before it sees a PTE is set).
	 */
	if (ret == SPF_ABORT_NONE)
		WRITE_ONCE(file->f_ra.mmap_miss, m.mmap_miss);
	*mapped = m.mapped;
out:
	if (m.target) {
		/* Not reached (revalidation failed): still ours to drop. */
		folio_unlock(m.target);
		folio_put(m.target);
	}
	fput(file);
	return ret;
}

void spf_file_fault_init(struct dentry *debugfs_dir)
{
	spf_fault_around_init();
	debugfs_create_u32("inject_file_delay_us", 0600, debugfs_dir,
			   &spf_inject_file_delay_us);
}
