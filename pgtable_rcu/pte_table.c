// SPDX-License-Identifier: GPL-2.0
/*
 * A missing PTE table, installed without mmap_lock.
 *
 * Stock: the first fault in a 2 MiB region finds the pmd none and
 * installs a new, empty PTE table with pmd_install() (the pmd lock
 * taken, the pmd still none, then mm_inc_nr_ptes(), smp_wmb() and
 * pmd_populate()), and only then maps pages into it under the table's
 * own lock.  spf does the same in the same order: it allocates the
 * table outside RCU (that may sleep), publishes it empty after the
 * revalidation of everything the fault depends on (the pmd still none,
 * the write count unchanged, the mm not reaped), and then treats it as
 * a table the walk found: its PTE lock, the revalidation again, the
 * commit (spf/faults/attempt.c, spf_commit_lock()).
 *
 * Why empty first: whatever the fault maps must be reachable from the
 * pmd before the fault lets go of anything that guards it.  A file page
 * is guarded by its lock: truncation, hole punching and invalidation
 * walk the page tables through i_mmap without mmap_lock, skip a none
 * pmd, and then lock the page to remove it from the page cache.  A
 * fault that mapped the page into a private table, unlocked it and
 * published the table afterwards would leave a mapped page the page
 * cache no longer has (the stale data a reader then sees, and
 * "still mapped when deleted").  With the table published first, the
 * page is mapped under its lock into a table truncation can see.
 *
 * Why the pmd lock: every other installer of a table or huge page at a
 * pmd (pmd_install(), the THP fault, khugepaged, mremap's pmd moves)
 * checks the pmd under that lock, so one of them wins and the others
 * see the pmd taken.
 *
 * Why the install fence as well: a writer does not look at a none pmd
 * under any lock.  The zap of munmap, mprotect's change_pmd_range(),
 * mremap's move and free_pgtables() all skip or clear none pmds
 * locklessly, under mmap_lock held for write.  A fault whose count
 * check passed just before such a writer took mmap_lock could still be
 * between the check and pmd_populate() when the writer walks past that
 * pmd: its table would then escape the write section (a table under a
 * range no VMA covers, leaked at exit).  So the fault holds its mm's
 * install lock from the count check to pmd_populate(), and every write
 * acquisition of mmap_lock takes and releases it right after bumping
 * the count (vma_lookup/mm_seq.c, which says why it is a raw spinlock).
 *
 * The table's allocation mirrors pte_alloc_one() (the page, its split
 * lock, PageTable and the NR_PAGETABLE count) without direct reclaim,
 * as spf's page allocations: under memory pressure (the machine's, or
 * the memcg's: the table is __GFP_ACCOUNT) the fault goes stock, which
 * reclaims or OOM-kills once, in the context it expects.  The split
 * lock's own allocation (ptlock_alloc(), PREEMPT_RT) is the kernel's,
 * GFP_KERNEL from an unaccounted cache.  Under lockdep a lock
 * initialised here would be a lock class of its own, so there spf
 * calls the kernel's pte_alloc_one(), reclaim and all (x86-64 has one
 * out of line; on arm64 it is a header inline, and spf installs no
 * tables).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <asm/pgalloc.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/pgalloc.h>

/* Can spf install tables on this kernel?  Set at init. */
static bool spf_pte_tables_ok;

/*
 * debugfs inject_table_delay_us (test aid): a pause between the count
 * check and pmd_populate() (or a huge pmd's set_pmd_at(),
 * spf/faults/thp_fault.c), the window no write section may overlap.
 */
static u32 spf_inject_table_delay_us;

bool spf_pte_tables_enabled(void)
{
	return READ_ONCE(spf_pte_tables_ok);
}

struct page *spf_pte_table_alloc(struct mm_struct *mm)
{
	struct page *page;
	gfp_t gfp;

	if (IS_ENABLED(CONFIG_LOCKDEP))
		return spf_kernel_pte_alloc_one(mm);
	gfp = GFP_PGTABLE_USER | __GFP_NORETRY | __GFP_NOWARN;
	if (!SPF_BROKEN_RECLAIM_TWICE)
		gfp &= ~__GFP_DIRECT_RECLAIM;
	page = alloc_page(gfp);
	if (!page)
		return NULL;
	if (ALLOC_SPLIT_PTLOCKS && !spf_kernel_ptlock_alloc(page)) {
		__free_page(page);
		return NULL;
	}
	spin_lock_init(ptlock_ptr(page));
	__SetPageTable(page);
	inc_lruvec_page_state(page, NR_PAGETABLE);
	return page;
}

/* A table never published: no reader can have seen it or its lock. */
void spf_pte_table_free(struct page *page)
{
	if (ALLOC_SPLIT_PTLOCKS)
		spf_kernel_ptlock_free(page);
	__ClearPageTable(page);
	dec_lruvec_page_state(page, NR_PAGETABLE);
	__free_page(page);
}

/* The pmd lock, which every installer at a pmd takes (see above). */
spinlock_t *spf_pmd_lock(struct mm_struct *mm, pmd_t *pmdp)
{
	return pmd_lock(mm, pmdp);
}

void spf_pmd_unlock(struct mm_struct *mm, spinlock_t *ptl)
{
	spin_unlock(ptl);
}

/*
 * A test aid's pause (debugfs inject_*_delay_us), read once, at most MAX
 * microseconds; it may run under a spinlock, so it spins.
 */
void spf_inject_delay(const u32 *knob, u32 max)
{
	u32 us = READ_ONCE(*knob);

	if (likely(!us))
		return;
	us = min(us, max);
	mdelay(us / 1000);
	udelay(us % 1000);
}

/* The test aid's pause, if set, before an install under spf_pmd_lock(). */
void spf_inject_install_delay(void)
{
	spf_inject_delay(&spf_inject_table_delay_us, 10000);
}

/*
 * Under spf_pmd_lock() and the install fence, the pmd none and everything
 * revalidated: the empty table goes live.
 */
void spf_pte_table_publish(struct mm_struct *mm, pmd_t *pmdp,
			   struct page *table)
{
	lockdep_assert_held(pmd_lockptr(mm, pmdp));
	spf_inject_install_delay();
	mm_inc_nr_ptes(mm);
	/* The table's zeroed contents before the pmd that points at it. */
	smp_wmb();
	pmd_populate(mm, pmdp, table);
}

void spf_pte_table_init(struct dentry *debugfs_dir)
{
	bool ok = spf_wrapper_pgalloc_init();

	if (!ok)
		pr_info("PTE tables are left to the stock path on this kernel\n");
	WRITE_ONCE(spf_pte_tables_ok, ok);
	debugfs_create_u32("inject_table_delay_us", 0600, debugfs_dir,
			   &spf_inject_table_delay_us);
}
