// SPDX-License-Identifier: GPL-2.0
/*
 * What every kind of speculative fault shares once spf/faults/dispatch.c has
 * routed it: the page for a write, taken without reclaim; the commit
 * lock, which first publishes a PTE table the fault adds (empty, as
 * pmd_install() does; pgtable_rcu/pte_table.c says why); and the
 * revalidation under that lock.
 *
 * Why a commit under the PTE lock is right: once the count is found
 * unchanged under the lock, no mmap_lock write section overlapped the
 * window since the snapshot, so the copy describes the VMA as it is
 * now and the PTE slot still belongs to it.  A write section may start
 * right after the check, but everything a writer does to PTEs (zap,
 * move, change protection, free the table) takes this same lock first
 * (or clears the pmd, then waits a grace period, which our
 * rcu_read_lock holds off), so it sees the new PTE and treats it like
 * any other: spf's fault is ordered before the writer.  mmap_lock held
 * for read by others (MADV_DONTNEED, other faults, GUP) needs no count:
 * those paths change PTEs only under the PTE lock, and the revalidation
 * sees any change they made.
 *
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>
#include <wrapper/mm_internal.h>
#include "../core/internal.h"
#include "internal.h"

/* debugfs inject_alloc_fail: the next N page allocations fail. */
static atomic_t spf_inject_alloc_fail = ATOMIC_INIT(0);

/*
 * A page for a write fault, charged to the mm's memcg, zeroed if ZERO;
 * the caller fills it if not, then marks it up to date.
 *
 * Never with direct reclaim (callable inside the RCU read section): the
 * allocator and the charge only take what is free, waking kswapd as
 * stock's first attempt would.  Where that fails stock would reclaim
 * or compact; spf gives up (abort_alloc) and leaves all of it to stock,
 * which then does it once.  Reclaiming here first made a fault whose
 * attempt still failed reclaim twice: memory.events max, allocstall
 * and pgscan_direct counted twice.  Most first touches are served from
 * the per-CPU lists, and the walk made before stays valid.
 *
 * RECLAIM: SPF_BROKEN_RECLAIM_TWICE's retry only, outside the section.
 */
struct folio *spf_alloc_page(struct spf_snapshot *snap, unsigned long addr,
			     bool zero, bool reclaim)
{
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN;
	gfp_t charge_gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	struct folio *folio;

	if (reclaim)
		might_sleep();
	if (SPF_BROKEN_RECLAIM_TWICE && !reclaim) {
		/* An injected failure is the reclaiming retry's to take. */
		if (atomic_read(&spf_inject_alloc_fail))
			return NULL;
	} else if (atomic_add_unless(&spf_inject_alloc_fail, -1, 0)) {
		return NULL;
	}
	if (!reclaim) {
		gfp &= ~__GFP_DIRECT_RECLAIM;
		charge_gfp &= ~__GFP_DIRECT_RECLAIM;
	}
	if (zero)
		gfp |= __GFP_ZERO;
	if (SPF_BROKEN_IGNORE_POLICY)
		folio = __folio_alloc_node(gfp, 0, numa_node_id());
	else
		folio = vma_alloc_folio(gfp, 0, &snap->vma, addr, false);
	if (!folio)
		return NULL;
	if (spf_mem_cgroup_charge(folio, snap->vma.vm_mm, charge_gfp)) {
		folio_put(folio);
		return NULL;
	}
	spf_cgroup_throttle_swaprate(&folio->page, GFP_KERNEL);
	return folio;
}

/*
 * Under the commit lock: the pmd and PTE are as the walk found them (for
 * a table this fault adds, the pmd still none), no write section
 * overlapped since the snapshot, and the OOM reaper has not started on
 * the mm (stock sends SIGBUS then).
 */
enum spf_abort spf_revalidate(struct spf_snapshot *snap,
			      const struct spf_pte_walk *walk)
{
	struct mm_struct *mm = snap->vma.vm_mm;

	/* A table this fault adds: under the pmd lock (pte_table.c asserts). */
	if (!walk->table)
		lockdep_assert_held(walk->ptl);
	if (SPF_BROKEN_NO_REVALIDATE)
		return SPF_ABORT_NONE;
	if (walk->table ? !pmd_none(READ_ONCE(*walk->pmdp)) :
			  !spf_walk_still_valid(walk))
		return SPF_ABORT_PTL;
	if (!SPF_BROKEN_NO_COMMIT_SEQ && spf_mm_seq_changed(mm, snap->seq))
		return SPF_ABORT_SEQ_CHANGED;
	if (unlikely(test_bit(MMF_UNSTABLE, &mm->flags)))
		return SPF_ABORT_OTHER;
	return SPF_ABORT_NONE;
}

/*
 * A table this fault adds goes live empty, as pmd_install() puts it
 * (pgtable_rcu/pte_table.c says why before anything is mapped into it):
 * under the pmd lock and the install fence, the pmd still none, the
 * count unchanged, the mm not reaped.  From then on it is a table like
 * any the walk finds, and WALK says so.  If the fault gives up later,
 * the empty table stays, as stock's does after a failed fault.
 */
static enum spf_abort spf_table_publish(struct spf_snapshot *snap,
					struct spf_pte_walk *walk)
{
	struct mm_struct *mm = snap->vma.vm_mm;
	spinlock_t *pml = spf_pmd_lock(mm, walk->pmdp);
	enum spf_abort ret;

	spf_assert_rcu();
	spf_mm_seq_install_lock(mm);
	ret = spf_revalidate(snap, walk);
	if (ret == SPF_ABORT_NONE) {
		spf_pte_table_publish(mm, walk->pmdp, walk->table);
		walk->pmd = READ_ONCE(*walk->pmdp);
		walk->table = NULL;
	}
	spf_mm_seq_install_unlock(mm);
	spf_pmd_unlock(mm, pml);
	if (ret != SPF_ABORT_NONE)
		return ret;
	spf_count(SPF_STAT_PTE_TABLES);
	/* walk->ptep already points into the table, now the pmd's. */
	walk->ptl = pte_lockptr(mm, &walk->pmd);
	return SPF_ABORT_NONE;
}

/*
 * The commit's lock, the PTE table's, with a table this fault adds
 * published first.  Then the caller revalidates (spf_revalidate()),
 * commits and unlocks.  An abort: nothing is held.
 */
enum spf_abort spf_commit_lock(struct spf_snapshot *snap,
			       struct spf_pte_walk *walk)
{
	if (SPF_BROKEN_PUBLISH_LATE && walk->table) {
		/* The old order: fill the private table, publish at unlock. */
		walk->ptl = spf_pmd_lock(snap->vma.vm_mm, walk->pmdp);
		spf_mm_seq_install_lock(snap->vma.vm_mm);
		return SPF_ABORT_NONE;
	}
	if (walk->table) {
		enum spf_abort ret = spf_table_publish(snap, walk);

		if (ret != SPF_ABORT_NONE)
			return ret;
	}
	spin_lock(walk->ptl);
	return SPF_ABORT_NONE;
}

void spf_commit_unlock(struct spf_snapshot *snap, struct spf_pte_walk *walk)
{
	if (SPF_BROKEN_PUBLISH_LATE && walk->table) {
		struct mm_struct *mm = snap->vma.vm_mm;
		pte_t *pte = page_address(walk->table);
		unsigned int i;

		for (i = 0; i < PTRS_PER_PTE; i++)
			if (!pte_none(ptep_get(pte + i)))
				break;
		if (i < PTRS_PER_PTE) {
			spf_pte_table_publish(mm, walk->pmdp, walk->table);
			walk->table = NULL;
			spf_count(SPF_STAT_PTE_TABLES);
		}
		spf_mm_seq_install_unlock(mm);
		spf_pmd_unlock(mm, walk->ptl);
		return;
	}
	spin_unlock(walk->ptl);
}

static int spf_inject_get(void *data, u64 *val)
{
	*val = atomic_read(&spf_inject_alloc_fail);
	return 0;
}

static int spf_inject_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(&spf_inject_alloc_fail, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spf_inject_fops, spf_inject_get, spf_inject_set,
			 "%llu\n");

void spf_attempt_init(struct dentry *debugfs_dir)
{
	debugfs_create_file_unsafe("inject_alloc_fail", 0600, debugfs_dir,
				   NULL, &spf_inject_fops);
}
