// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative fault attempt: the dispatcher, as handle_pte_fault()
 * is stock's.  It snapshots the VMA, walks to the PTE and sends the
 * fault to its kind, each in a file of its own in spf/faults/: the
 * first touch of an anonymous private page (anon_fault.c), a write to a
 * read-only PTE (wp_fault.c), a file read from the page cache
 * (file_fault.c), a file write to a cached page (file_write.c), a write
 * where stock maps a huge page (thp_fault.c), a swapped page found in
 * the swap cache (swap_fault.c), and a missing PTE table for a first
 * touch or a file read (pgtable_rcu/pte_table.c: the table is published
 * empty under the pmd lock, then used like any other).
 * What the kinds share (the page allocation, the revalidation and the
 * commit lock) is in spf/faults/attempt.c.
 *
 *   rcu_read_lock
 *     snapshot the VMA, validated by the per-mm count   vma_lookup/
 *     check the copy: anonymous, private, access allowed...
 *     walk to the PTE: every level a table, the PTE none  pgtable_rcu/
 *     for a write only: allocate and charge a zeroed page without
 *     sleeping (no reclaim); if that fails: abort, stock reclaims
 *     a missing table: rcu_read_unlock, allocate it (may sleep),
 *     rcu_read_lock, walk again
 *     take the PTE lock; revalidate: pmd and PTE unchanged, count
 *     unchanged, address space stable
 *     install the PTE (zero page for a read, the new page for a write)
 *   unlock, rcu_read_unlock; account the fault as stock would
 *
 * What stays stock: everything not listed above, and any fault that
 * would allocate with a VMA mempolicy (spf_vma_policy_allocates():
 * anonymous VMAs and private file writes).  Pages for
 * writes are allocated with __GFP_NORETRY and charged likewise: under
 * memory pressure the attempt gives up and the stock path does the
 * reclaim, the OOM kill or the memcg OOM handling exactly as stock, in
 * the context stock expects (the task's in_user_fault marking).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <linux/mman.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/userfaultfd_k.h>
#include <spf/arch.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>
#include <wrapper/mm_internal.h>
#include "../core/internal.h"
#include "internal.h"
#include "../core/trace.h"

static void (*const spf_abort_trace[NR_SPF_ABORTS])(unsigned long addr) = {
	[SPF_ABORT_SEQ_ODD] = trace_spf_abort_seq_odd,
	[SPF_ABORT_SEQ_CHANGED] = trace_spf_abort_seq_changed,
	[SPF_ABORT_NO_VMA] = trace_spf_abort_no_vma,
	[SPF_ABORT_NOT_ANON] = trace_spf_abort_not_anon,
	[SPF_ABORT_NO_ANON_VMA] = trace_spf_abort_no_anon_vma,
	[SPF_ABORT_ACCESS] = trace_spf_abort_access,
	[SPF_ABORT_PGTABLE] = trace_spf_abort_pgtable,
	[SPF_ABORT_PTE] = trace_spf_abort_pte,
	[SPF_ABORT_PTL] = trace_spf_abort_ptl,
	[SPF_ABORT_UFFD] = trace_spf_abort_uffd,
	[SPF_ABORT_ALLOC] = trace_spf_abort_alloc,
	[SPF_ABORT_PAGECACHE] = trace_spf_abort_pagecache,
	[SPF_ABORT_SWAPCACHE] = trace_spf_abort_swapcache,
	[SPF_ABORT_OTHER] = trace_spf_abort_other,
};

void spf_abort(enum spf_abort reason, unsigned long addr)
{
	spf_count_abort(reason);
	spf_abort_trace[reason](addr);
}

/*
 * handle_mm_fault()'s lru_gen_enter_fault(): with the multi-gen LRU on,
 * a page a fault adds to the LRU goes to the youngest generation unless
 * the VMA says its accesses have no recency.  spf_speculate() clears it
 * after the attempt, as lru_gen_exit_fault() does.
 */
static void spf_lru_gen_enter_fault(const struct vm_area_struct *vma)
{
#ifdef CONFIG_LRU_GEN
	if (!SPF_BROKEN_NO_LRU_GEN_FAULT)
		current->in_lru_fault =
			!(vma->vm_flags & (VM_SEQ_READ | VM_RAND_READ));
#endif
}

static void spf_lru_gen_exit_fault(void)
{
#ifdef CONFIG_LRU_GEN
	current->in_lru_fault = false;
#endif
}

/* What no kind of speculative fault handles, anonymous or file. */
static enum spf_abort spf_vma_common(struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_MIXEDMAP | VM_IO))
		return SPF_ABORT_NOT_ANON;
	if (vma->vm_flags & __VM_UFFD_FLAGS)
		return SPF_ABORT_UFFD;
#ifdef CONFIG_USERFAULTFD
	if (vma->vm_userfaultfd_ctx.ctx)
		return SPF_ABORT_UFFD;
#endif
	/* mlock and MTE tags stay stock. */
	if (vma->vm_flags & (VM_LOCKED | VM_MTE))
		return SPF_ABORT_OTHER;
	return SPF_ABORT_NONE;
}

/*
 * What handle_mm_fault() accounts for a successful minor fault, the
 * task's RSS cache folded as every fault folds it (once per fault, for
 * every kind).
 */
static void spf_account(struct mm_struct *mm, unsigned long addr,
			struct pt_regs *regs)
{
#ifdef CONFIG_ARM64
	/* do_page_fault()'s, which spf replaced: before minor-faults. */
	spf_perf_sw_event(PERF_COUNT_SW_PAGE_FAULTS, regs, addr);
#endif
	count_vm_event(PGFAULT);
	spf_count_memcg_event_mm(mm, PGFAULT);
	if (!SPF_BROKEN_NO_RSS_FOLD)
		spf_check_sync_rss_stat(mm);
	current->min_flt++;
	spf_perf_sw_event(PERF_COUNT_SW_PAGE_FAULTS_MIN, regs, addr);
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define SPF_THP_PAGES	HPAGE_PMD_NR
#else
#define SPF_THP_PAGES	0	/* no huge page is ever mapped */
#endif

/* What a completed attempt did, for its counters and tracepoint. */
struct spf_done {
	struct folio *folio;		/* a first-touch write: the new page */
	struct spf_wp wp;		/* a write-protect fault */
	unsigned int file_mapped;	/* a file read: the PTEs it set */
	bool thp;			/* a huge page mapped by a write */
	struct spf_swap swap;		/* a swap PTE */
	struct spf_file_write fw;	/* a file write */
};

/*
 * Would this fault allocate a page with the VMA's own mempolicy?  Then
 * it goes stock.
 *
 * vma->vm_policy is freed by mpol_put() at once (mempolicies are not
 * freed after a grace period), by whoever replaces or drops it: mbind()
 * and set_mempolicy_home_node() (vma_replace_policy()), munmap() and
 * merges (remove_vma(), vma_merge()), all under mmap_lock held for
 * write, which spf does not hold.  vma_alloc_folio() on the copy reads
 * it (__get_vma_policy(), then the mode, nodes and home node) without
 * taking a reference, before the count is re-read under the PTE lock:
 * a count found moved there undoes the fault, not a read of freed
 * memory made before.  The per-CPU copy of the last VMA carries the
 * pointer too, and comes through here like a fresh one.
 *
 * Faults that may allocate: every anonymous one (a first touch, a huge
 * page, a write-protect copy: a write's kind is known only after this
 * check) and a private file write (its copy).  A file read or a shared
 * write maps the cached page and allocates nothing.  A VMA whose
 * ->get_policy() answers instead (shmem; mbind() sets vm_policy there
 * too, but it is never read) is fine: shmem's lookup takes a reference
 * on the file's shared policy under that policy tree's lock, with the
 * file pinned by spf_file_write_pin().
 */
static bool spf_vma_policy_allocates(struct vm_area_struct *vma,
				     unsigned int flags)
{
	if (!vma_policy(vma))
		return false;
	if (vma_is_anonymous(vma))
		return true;
	if (SPF_BROKEN_POLICY_ANON_ONLY)
		return false;
	return (flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED) &&
	       !vma->vm_ops->get_policy;
}

/* The checks of the copied VMA, by kind; a file write is noted. */
static enum spf_abort spf_check_vma(struct mm_struct *mm,
				    struct spf_snapshot *snap,
				    unsigned int flags)
{
	struct vm_area_struct *vma = &snap->vma;
	bool anon = vma_is_anonymous(vma);
	enum spf_abort ret;

	if (anon) {
		ret = vma->vm_flags & VM_SHARED ? SPF_ABORT_NOT_ANON :
						  SPF_ABORT_NONE;
	} else {
		ret = spf_file_suitable(vma, flags);
		/*
		 * Writes spf/faults/file_write.c cannot take (->page_mkwrite(),
		 * another ->fault()) come in runs, and go stock: let the next
		 * ones go before the redirection (vma_lookup/decline.c).  The copy's
		 * range is one state of the tree, as the count said.
		 */
		if (ret == SPF_ABORT_NOT_ANON)
			spf_decline_note(mm, vma->vm_start, vma->vm_end,
					 snap->seq);
	}
	if (ret == SPF_ABORT_NONE)
		ret = spf_vma_common(vma);
	if (ret == SPF_ABORT_NONE && spf_vma_policy_allocates(vma, flags))
		ret = SPF_ABORT_OTHER;
	if (ret == SPF_ABORT_NONE && !spf_arch_access_ok(vma, flags))
		ret = SPF_ABORT_ACCESS;
	if (ret == SPF_ABORT_NONE && anon && (flags & FAULT_FLAG_WRITE) &&
	    !vma->anon_vma)
		ret = SPF_ABORT_NO_ANON_VMA;
	return ret;
}

/*
 * Would stock map a huge page here (__handle_mm_fault()'s test, then
 * do_huge_pmd_anonymous_page()'s alignment fallback)?  Then the missing
 * table is stock's: spf never maps small pages where stock maps a THP.
 */
static bool spf_thp_would_map(struct vm_area_struct *vma, unsigned long addr)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return spf_hugepage_vma_check(vma, vma->vm_flags, false, true,
				      true) &&
	       transhuge_vma_suitable(vma, addr & HPAGE_PMD_MASK);
#else
	return false;
#endif
}

/* A none pmd this fault may fill with a table of its own. */
static bool spf_may_add_table(struct spf_snapshot *snap,
			      const struct spf_pte_walk *walk, enum spf_abort ret,
			      unsigned long addr)
{
	return ret == SPF_ABORT_PGTABLE && walk->no_table &&
	       spf_pte_tables_enabled() &&
	       !(vma_is_anonymous(&snap->vma) &&
		 spf_thp_would_map(&snap->vma, addr));
}

/*
 * Under rcu_read_lock(): walk again after the read section was left.
 * TABLE, if any, is attached to the walk when the pmd is still none,
 * freed when a table appeared meanwhile (the fault then uses that one).
 */
static enum spf_abort spf_rewalk(struct mm_struct *mm, unsigned long addr,
				 struct spf_pte_walk *walk, struct page *table)
{
	enum spf_abort ret = spf_walk_to_pte(mm, addr, walk);

	spf_assert_rcu();
	if (table && ret == SPF_ABORT_PGTABLE && walk->no_table) {
		walk->table = table;
		walk->ptep = (pte_t *)page_address(table) + pte_index(addr);
		walk->pte = __pte(0);
		return SPF_ABORT_NONE;
	}
	if (table)
		spf_pte_table_free(table);	/* never seen by anyone */
	if (ret == SPF_ABORT_NONE && !pte_none(walk->pte))
		ret = SPF_ABORT_PTE;		/* filled meanwhile */
	return ret;
}

static enum spf_abort spf_try(struct mm_struct *mm, unsigned long addr,
			      unsigned int flags, struct spf_done *done)
{
	struct spf_snapshot snap __spf_snapshot_uninit;
	struct spf_pte_walk walk = { .table = NULL };
	struct page *table = NULL;
	enum spf_abort ret;
	bool write = flags & FAULT_FLAG_WRITE;
	bool anon, add_table, private_write;

	rcu_read_lock();
	ret = spf_vma_snapshot(mm, addr, &snap);
	if (ret == SPF_ABORT_NONE)
		ret = spf_check_vma(mm, &snap, flags);
	if (ret != SPF_ABORT_NONE)
		goto out_rcu;
	spf_lru_gen_enter_fault(&snap.vma);
	anon = vma_is_anonymous(&snap.vma);
	ret = spf_walk_to_pte(mm, addr, &walk);
	/* Neither none nor present: a swapped page may be in the cache. */
	if (ret == SPF_ABORT_PTE && anon) {
		ret = spf_swap_try(&snap, &walk, addr, flags, &done->swap);
		goto out_rcu;
	}
	if (ret == SPF_ABORT_PGTABLE && walk.no_table && anon && write &&
	    spf_thp_enabled() && spf_thp_would_map(&snap.vma, addr)) {
		ret = spf_thp_try(&snap, &walk, addr);
		done->thp = ret == SPF_ABORT_NONE;
		goto out_rcu;
	}
	add_table = spf_may_add_table(&snap, &walk, ret, addr);
	if (ret != SPF_ABORT_NONE && !add_table)
		goto out_rcu;

	/* A present PTE: a write-protect fault, or stock work. */
	if (!add_table && !pte_none(walk.pte)) {
		ret = write && anon ? spf_wp_try(&snap, &walk, addr, &done->wp) :
				      SPF_ABORT_PTE;
		goto out_rcu;
	}

	/*
	 * A write needs a page, a missing table a table.  The page is asked
	 * for without sleeping, which keeps the walk; the table's allocation
	 * may sleep (ptlock_alloc(), pte_alloc_one() under lockdep), so it
	 * leaves the read section, and the walk is made again, since the
	 * tables may have changed.
	 */
	private_write = write && !(snap.vma.vm_flags & VM_SHARED);
	if (!anon && write && !spf_file_write_pin(&snap, &done->fw)) {
		ret = SPF_ABORT_OTHER;		/* its last mapping is going */
		goto out_rcu;
	}
	if (private_write) {
		/* Zeroed for a first touch, a copy's for a file. */
		done->folio = spf_alloc_page(&snap, addr, anon, false);
		if (!done->folio && !SPF_BROKEN_RECLAIM_TWICE) {
			ret = SPF_ABORT_ALLOC;	/* stock reclaims, once */
			goto out_rcu;
		}
	}
	if (add_table || (private_write && !done->folio)) {
		rcu_read_unlock();
		if (private_write && !done->folio) {
			done->folio = spf_alloc_page(&snap, addr, anon, true);
			if (!done->folio)
				return SPF_ABORT_ALLOC;
		}
		if (add_table) {
			table = spf_pte_table_alloc(mm);
			if (!table)
				return SPF_ABORT_ALLOC;
		}
		rcu_read_lock();
		ret = spf_rewalk(mm, addr, &walk, table);
		if (ret != SPF_ABORT_NONE)
			goto out_rcu;
	}
	/* The zeroing before the PTE store, as stock does. */
	if (anon && done->folio)
		__folio_mark_uptodate(done->folio);
	if (!anon && write) {
		ret = spf_file_write_try(&snap, &walk, addr, done->folio,
					 &done->fw);
		goto out_rcu;
	}
	if (!anon) {
		ret = spf_file_try(&snap, &walk, addr, &done->file_mapped);
		goto out_rcu;
	}

	ret = spf_anon_try(&snap, &walk, addr, done->folio);
out_rcu:
	rcu_read_unlock();
	if (walk.table)
		spf_pte_table_free(walk.table);	/* never published */
	return ret;
}

static const enum spf_stat spf_wp_stat[] = {
	[SPF_WP_REUSE] = SPF_STAT_SPEC_WP_REUSE,
	[SPF_WP_COPY] = SPF_STAT_SPEC_WP_COPY,
	[SPF_WP_ZERO] = SPF_STAT_SPEC_WP_ZERO,
};

static void spf_count_done(unsigned long addr, const struct spf_done *done)
{
	if (done->wp.kind != SPF_WP_NONE) {
		spf_count(spf_wp_stat[done->wp.kind]);
		trace_spf_spec_wp(addr, done->wp.kind);
	} else if (done->fw.mapped) {
		spf_count(SPF_STAT_SPEC_FILE_WRITE);
		trace_spf_spec_file_write(addr, done->fw.shared);
	} else if (done->swap.mapped) {
		spf_count(SPF_STAT_SPEC_SWAP);
		trace_spf_spec_swap(addr, done->swap.write);
	} else if (done->thp) {
		spf_count(SPF_STAT_SPEC_THP);
		trace_spf_spec_thp(addr, SPF_THP_PAGES);
	} else if (done->file_mapped) {
		spf_count(SPF_STAT_SPEC_FILE);
		spf_count_add(SPF_STAT_FILE_MAPPED, done->file_mapped);
		trace_spf_spec_file(addr, done->file_mapped);
	} else {
		spf_count(done->folio ? SPF_STAT_SPEC_WRITE :
					SPF_STAT_SPEC_READ);
		trace_spf_spec(addr, done->folio != NULL);
	}
}

/*
 * Try the fault without mmap_lock.  True: it is done and accounted, the
 * arch handler must return.  False: nothing changed, take the stock path.
 */
bool spf_speculate(struct mm_struct *mm, unsigned long addr,
		   unsigned int flags, struct pt_regs *regs)
{
	struct spf_done done = { .wp.kind = SPF_WP_NONE };
	enum spf_abort ret;

	if (mm != current->mm ||
	    (flags & (FAULT_FLAG_TRIED | FAULT_FLAG_REMOTE))) {
		spf_abort(SPF_ABORT_OTHER, addr);
		return false;
	}

	/* A uaccess may fault with the task already set to sleep. */
	__set_current_state(TASK_RUNNING);
	ret = spf_try(mm, addr, flags, &done);
	spf_lru_gen_exit_fault();
	if (done.wp.kind != SPF_WP_NONE)
		spf_wp_finish(&done.wp);
	if (done.swap.si || done.swap.folio)
		spf_swap_finish(&done.swap);
	if (done.fw.file)
		spf_file_write_finish(&done.fw);
	if (ret != SPF_ABORT_NONE) {
		if (done.folio)
			folio_put(done.folio);	/* uncharges it too */
		spf_abort(ret, addr);
		return false;
	}

	spf_account(mm, addr, regs);
	spf_count_done(addr, &done);
	return true;
}

int spf_speculate_init(struct dentry *debugfs_dir)
{
	int ret = spf_mm_internal_init();

	if (ret)
		return ret;
	ret = spf_swap_fault_init(debugfs_dir);
	if (ret)
		return ret;
	ret = spf_file_write_init();
	if (ret)
		return ret;
	spf_file_fault_init(debugfs_dir);
	spf_wp_fault_init(debugfs_dir);
	spf_pte_table_init(debugfs_dir);
	spf_thp_fault_init();
	spf_attempt_init(debugfs_dir);
	spf_anon_fault_init(debugfs_dir);
	return 0;
}
