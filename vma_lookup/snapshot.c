// SPDX-License-Identifier: GPL-2.0
/*
 * The lockless VMA lookup: find the VMA that contains an address in
 * mm->mm_mt under rcu_read_lock(), copy what the fault needs, and check
 * the copy against the per-mm write sequence count.
 *
 * Why each step is safe:
 *  - The maple tree: 6.1 (since the stable backport of "mm: enable
 *    maple tree RCU mode by default") builds every mm's tree in RCU
 *    mode: nodes replaced by a writer are freed after a grace period
 *    and a reader that meets a dead node restarts, so mtree_load()
 *    under RCU returns an entry that was in the tree at some point
 *    during the call, or NULL.
 *  - The VMA itself: while spf is loaded every VMA is freed after a
 *    grace period (pgtable_rcu/vma_free.c), and the free hook is armed
 *    before the fault hooks, so the VMA mtree_load() returned stays
 *    readable until rcu_read_unlock(), even if it is unmapped meanwhile.
 *  - The copy: fields are read with READ_ONCE (no tearing of a single
 *    field), but a writer may change several fields between them.  The
 *    count taken before the lookup (spf_mm_seq_begin, which also fails
 *    while a writer holds mmap_lock) and re-read after the copy
 *    (spf_mm_seq_changed) proves no write section overlapped the
 *    window, so the copy is one consistent state of the VMA that was
 *    current when the window closed (see vma_lookup/mm_seq.c).
 *  - Turning a VMA down needs no validation: an abort sends the fault
 *    to the stock path, which looks again under the lock.
 *  - Fields changed under mmap_lock held for read: anon_vma goes from
 *    NULL to its final value once (__anon_vma_prepare, under the page
 *    table lock): a copy with NULL sends a write fault to the stock
 *    path, which sets it; any non-NULL value is the final one.  vm_flags
 *    and the range change only under the write lock in 6.1 (stack
 *    expansion takes it too since the 6.1.37 fault-path rework).
 *  - The last copy, kept per CPU: a fault that finds its mm's count
 *    where it was when the copy was validated (and no writer holding
 *    the lock), at an address the copy covers, uses the copy without
 *    looking the tree up.  No write section ran since the copy's window
 *    closed (its bump would have moved the count), so the VMA is still
 *    what the copy says, and still in the tree: the live pointer stays
 *    valid too.  anon_vma, set under the read lock, is read again from
 *    the live VMA.  An mm freed and reused at the same address had its
 *    count moved by exit_mmap()'s write section.  The cache is read and
 *    written with preemption disabled.
 *  - vm_policy is copied to be tested against NULL, never to be
 *    followed: its owner frees it at once under the write lock, so a
 *    fault that would allocate with it goes stock, from a fresh copy
 *    or the cached one alike (spf/faults/dispatch.c, spf_check_vma()).
 */
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <spf/broken.h>
#include <spf/vma_lookup.h>

static void spf_vma_copy(struct vm_area_struct *dst,
			 const struct vm_area_struct *src,
			 struct mm_struct *mm)
{
	memset(dst, 0, sizeof(*dst));
	dst->vm_mm = mm;
	dst->vm_start = READ_ONCE(src->vm_start);
	dst->vm_end = READ_ONCE(src->vm_end);
	dst->vm_flags = READ_ONCE(src->vm_flags);
	dst->vm_page_prot = READ_ONCE(src->vm_page_prot);
	dst->vm_pgoff = READ_ONCE(src->vm_pgoff);
	dst->anon_vma = READ_ONCE(src->anon_vma);
	dst->vm_ops = READ_ONCE(src->vm_ops);
	dst->vm_file = READ_ONCE(src->vm_file);
#ifdef CONFIG_USERFAULTFD
	dst->vm_userfaultfd_ctx.ctx = READ_ONCE(src->vm_userfaultfd_ctx.ctx);
#endif
#ifdef CONFIG_NUMA
	dst->vm_policy = READ_ONCE(src->vm_policy);
#endif
}

/*
 * Remember a VMA turned down, once its range is known to be one state
 * of the tree, so the next faults in it go stock before any of this
 * (vma_lookup/decline.c).
 */
static void spf_vma_declined(struct mm_struct *mm, struct vm_area_struct *vma,
			     unsigned long addr, unsigned long seq)
{
	unsigned long start = READ_ONCE(vma->vm_start);
	unsigned long end = READ_ONCE(vma->vm_end);

	if (!spf_mm_seq_changed(mm, seq) && addr >= start && addr < end)
		spf_decline_note(mm, start, end, seq);
}

struct spf_snapshot_cache {
	struct mm_struct *mm;		/* NULL: empty */
	struct spf_snapshot snap;
};

static DEFINE_PER_CPU(struct spf_snapshot_cache, spf_snapshot_cache);

/* SNAP->seq is begin's: a copy validated at that count stands. */
static bool spf_snapshot_cached(struct mm_struct *mm, unsigned long addr,
				struct spf_snapshot *snap)
{
	unsigned long seq = snap->seq;
	struct spf_snapshot_cache *c;
	bool hit;

	preempt_disable();
	c = this_cpu_ptr(&spf_snapshot_cache);
	hit = c->mm == mm &&
	      (SPF_BROKEN_CACHE_ANY_SEQ || c->snap.seq == seq) &&
	      addr >= c->snap.vma.vm_start && addr < c->snap.vma.vm_end;
	if (hit) {
		*snap = c->snap;
		snap->seq = seq;	/* the same, unless broken */
	}
	preempt_enable();
	if (hit && !snap->vma.anon_vma)
		snap->vma.anon_vma = READ_ONCE(snap->live->anon_vma);
	return hit;
}

static void spf_snapshot_remember(struct mm_struct *mm,
				  const struct spf_snapshot *snap)
{
	struct spf_snapshot_cache *c;

	preempt_disable();
	c = this_cpu_ptr(&spf_snapshot_cache);
	c->mm = mm;
	c->snap = *snap;
	preempt_enable();
}

/* Call under rcu_read_lock(). */
enum spf_abort spf_vma_snapshot(struct mm_struct *mm, unsigned long addr,
				struct spf_snapshot *snap)
{
	const struct vm_operations_struct *ops;
	struct vm_area_struct *vma;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "spf: VMA lookup outside rcu_read_lock()");
	if (!spf_mm_seq_begin(mm, &snap->seq))
		return SPF_ABORT_SEQ_ODD;
	if (spf_snapshot_cached(mm, addr, snap))
		return SPF_ABORT_NONE;

	vma = mtree_load(&mm->mm_mt, addr);
	if (!vma)
		return SPF_ABORT_NO_VMA;
	/*
	 * A special mapping, or a file whose pages spf cannot map (its
	 * ->map_pages is not filemap_map_pages()), goes stock whatever the
	 * copy says: turn it down from the live field, before paying for
	 * the copy.  Unvalidated, this may misname the reason of an abort
	 * during a write section, never let a fault through.
	 */
	ops = READ_ONCE(vma->vm_ops);
	if (ops && ops->map_pages != filemap_map_pages) {
		spf_vma_declined(mm, vma, addr, snap->seq);
		return SPF_ABORT_NOT_ANON;
	}
	spf_vma_copy(&snap->vma, vma, mm);
	snap->live = vma;

	if (spf_mm_seq_changed(mm, snap->seq))
		return SPF_ABORT_SEQ_CHANGED;
	/* Consistent now; a stale tree entry would have moved the count. */
	if (addr < snap->vma.vm_start || addr >= snap->vma.vm_end)
		return SPF_ABORT_NO_VMA;
	spf_snapshot_remember(mm, snap);
	return SPF_ABORT_NONE;
}
