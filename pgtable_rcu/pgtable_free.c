// SPDX-License-Identifier: GPL-2.0
/*
 * Page tables freed only after an RCU grace period, while spf is loaded.
 *
 * The speculative walk (pgtable_rcu/walk.c) goes from the pgd down to a
 * PTE and takes that table's lock under rcu_read_lock() alone, with
 * interrupts on, so no table it can reach, nor that table's lock, may
 * be freed before the readers that could have seen it are done.  6.1
 * frees tables in four ways, and spf closes each:
 *
 * 1. Through tlb_remove_table() (arm64, and x86-64 under a hypervisor
 *    that asks for it): the tables are batched and the batch is freed
 *    by an RCU callback, which is what we need, except when the batch
 *    page cannot be allocated (GFP_NOWAIT): tlb_remove_table_one() then
 *    frees the table after an IPI broadcast, which waits for walkers
 *    with interrupts off, not for RCU readers.  spf's replacement makes
 *    sure a batch exists before the original runs, allocating it with
 *    GFP_KERNEL if GFP_NOWAIT failed: every caller runs in an mmu_gather
 *    (free_pgtables() on unmap and exit, shift_arg_pages() on exec),
 *    which may sleep (tlb_batch_pages_flush() calls cond_resched()).
 *    If even that fails, it waits for a grace period before letting the
 *    original take its fallback: the entry pointing at the table was
 *    cleared before the table was handed over, so a reader that starts
 *    after the wait cannot reach it.
 *
 * 2. x86-64 on bare metal or a plain KVM/TCG guest: the paravirt hook
 *    pv_ops.mmu.tlb_remove_table points at an out-of-line copy of
 *    tlb_remove_page(), so tables are freed with the gather's pages,
 *    after the TLB flush IPI and no grace period.  The boot-time
 *    paravirt patching turned every call site into a direct call to
 *    that copy, so writing pv_ops would change nothing: spf hooks the
 *    copy itself (found through pv_ops) and sends the table down path 1,
 *    which x86 supports (MMU_GATHER_RCU_TABLE_FREE comes with PARAVIRT;
 *    Xen and Hyper-V guests use it).  When pv_ops already points at
 *    tlb_remove_table() there is nothing to hook.
 *
 * 3. khugepaged's retract path (collapse_and_free_pmd()) clears the pmd,
 *    calls tlb_remove_table_sync_one() (an IPI broadcast) and frees the
 *    table at once with pte_free().  spf adds a grace period to
 *    tlb_remove_table_sync_one(): after it, no reader that saw the old
 *    pmd is left.  Its other caller, the anonymous collapse, holds
 *    mmap_lock for write and keeps the old table (deposited), so the
 *    wait is only a cost there: one grace period per collapse, which
 *    khugepaged pays in its own thread.  All callers may sleep (they
 *    hold mmap_lock and rmap rwsems, no spinlock).
 *
 * 4. With split page-table locks allocated separately (ALLOC_SPLIT_PTLOCKS:
 *    PREEMPT_RT, lockdep), the table's destructor frees its lock at once
 *    (ptlock_free()), before the table itself goes down paths 1-3.  A
 *    reader may be about to take that lock, so spf defers the free by a
 *    grace period: the callback hands the kernel's own ptlock_free() a
 *    stand-in page that carries only the lock pointer.  The destructor
 *    can run in atomic context (zap_deposited_table() under the pmd
 *    lock), so the deferral record comes from a mempool with a reserve;
 *    should even the reserve be empty the lock is left allocated (a
 *    leak of one lock, counted as ptl_leaked) rather than freed under a
 *    reader.
 *
 * tests/userspace runs paths 1 and 4 against liburcu, and builds a
 * variant without the batch of path 1 (SPF_BROKEN_NO_GRACE_PERIOD) that
 * its torture must catch.
 *
 * Unload: once no fault is redirected any more and the hooks are
 * removed, rcu_barrier() waits for the callbacks of path 4; the batches
 * of path 1 are freed by the kernel's own callback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#if defined(CONFIG_X86) && defined(CONFIG_PARAVIRT)
#include <asm/paravirt_types.h>
#endif
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <wrapper/pgalloc.h>
#include <wrapper/tlb.h>

static void (*spf_orig_tlb_remove_table)(struct mmu_gather *tlb, void *table);
static void (*spf_orig_sync_one)(void);

DEFINE_PER_CPU(unsigned long, spf_passthrough);
DEFINE_PER_CPU(struct spf_free_stats, spf_free_stats);

unsigned long spf_free_stat_read(enum spf_free_stat stat)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(spf_free_stats, cpu).count[stat]);
	return sum;
}

/*
 * Path 1: never let tlb_remove_table() free without a grace period.
 * For the replacements of tlb_remove_table() and of x86's pv_ops
 * target; the caller may sleep (an mmu_gather).
 */
void spf_pgtable_defer(struct mmu_gather *tlb, void *table)
{
	struct mmu_table_batch *batch;
	unsigned long prev;

	if (!SPF_BROKEN_NO_GRACE_PERIOD && !tlb->batch) {
		batch = (void *)__get_free_page(GFP_NOWAIT | __GFP_NOWARN);
		if (!batch)
			batch = (void *)__get_free_page(GFP_KERNEL |
							__GFP_NOWARN);
		if (batch) {
			batch->nr = 0;
			tlb->batch = batch;
		} else {
			synchronize_rcu();
			spf_free_count(SPF_FREE_PGTABLE_SYNC);
		}
	}
	prev = spf_passthrough_begin(table);
	spf_orig_tlb_remove_table(tlb, table);
	spf_passthrough_end(prev);
	spf_free_count(SPF_FREE_PGTABLE_DEFERRED);
}

/* Path 3: for the replacement of tlb_remove_table_sync_one(). */
void spf_pgtable_sync_one(void)
{
	unsigned long prev = spf_passthrough_begin(spf_orig_sync_one);

	might_sleep();
	spf_orig_sync_one();
	spf_passthrough_end(prev);
	synchronize_rcu();
	spf_free_count(SPF_FREE_PGTABLE_SYNC);
}

/*
 * Path 2: where x86's pv_ops.mmu.tlb_remove_table sends tables, when
 * that is not tlb_remove_table() itself (then path 1 covers it); 0 if
 * there is nothing to hook.
 */
unsigned long spf_pgtable_pv_target(void)
{
#if defined(CONFIG_X86) && defined(CONFIG_PARAVIRT)
	unsigned long target = (unsigned long)pv_ops.mmu.tlb_remove_table;

	if (target != spf_wrapper_tlb_remove_table())
		return target;
#endif
	return 0;
}

/* Path 4: split page-table locks allocated on their own. */
#if ALLOC_SPLIT_PTLOCKS
struct spf_ptl_defer {
	struct rcu_head rcu;
	spinlock_t *ptl;
};

#define SPF_PTL_RESERVE	256

static mempool_t *spf_ptl_pool;
static void (*spf_orig_ptlock_free)(struct page *page);

static void spf_ptl_free_rcu(struct rcu_head *head)
{
	struct spf_ptl_defer *d = container_of(head, struct spf_ptl_defer, rcu);
	struct page stand_in = { .ptl = d->ptl };
	unsigned long prev = spf_passthrough_begin(&stand_in);

	spf_orig_ptlock_free(&stand_in);
	spf_passthrough_end(prev);
	mempool_free(d, spf_ptl_pool);
	spf_free_count(SPF_FREE_PTL_FREED);
}

/* For the replacement of ptlock_free(); may run in atomic context. */
void spf_ptl_defer(struct page *page)
{
	struct spf_ptl_defer *d = mempool_alloc(spf_ptl_pool, GFP_ATOMIC);

	if (d) {
		d->ptl = page->ptl;
		call_rcu(&d->rcu, spf_ptl_free_rcu);
		spf_free_count(SPF_FREE_PTL_DEFERRED);
	} else {
		spf_free_count(SPF_FREE_PTL_LEAKED);
	}
}

/* Finds ptlock_free() (0: nothing to defer on this kernel). */
int spf_ptl_defer_find(unsigned long *addr)
{
	int ret = spf_wrapper_ptlock_free_hook(addr);

	spf_orig_ptlock_free = (void *)*addr;
	return ret;
}

int spf_pgtable_free_prepare(void)
{
	spf_ptl_pool = mempool_create_kmalloc_pool(SPF_PTL_RESERVE,
						   sizeof(struct spf_ptl_defer));
	return spf_ptl_pool ? 0 : -ENOMEM;
}

static void spf_ptl_pool_destroy(void)
{
	mempool_destroy(spf_ptl_pool);
	spf_ptl_pool = NULL;
}
#else
void spf_ptl_defer(struct page *page)
{
	/* Never called: the locks live in struct page. */
}

int spf_ptl_defer_find(unsigned long *addr)
{
	return 0;
}

int spf_pgtable_free_prepare(void)
{
	return 0;
}

static void spf_ptl_pool_destroy(void)
{
}
#endif

void spf_pgtable_free_init(void *orig_tlb_remove_table, void *orig_sync_one)
{
	spf_orig_tlb_remove_table = orig_tlb_remove_table;
	spf_orig_sync_one = orig_sync_one;
}

void spf_pgtable_free_drain(void)
{
	rcu_barrier();
	spf_ptl_pool_destroy();
}
