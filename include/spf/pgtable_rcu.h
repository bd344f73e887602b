/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of pgtable_rcu/: the lockless walk to a PTE, the PTE
 * tables a fault adds, and the frees deferred by a grace period.
 */
#ifndef _SPF_PGTABLE_RCU_H
#define _SPF_PGTABLE_RCU_H

#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include <linux/preempt.h>
#include <spf/broken.h>
#include <spf/outcome.h>

struct dentry;
struct mmu_gather;
struct page;
struct vm_area_struct;

/* Where the walk ended: the pmd it went through and the PTE it found. */
struct spf_pte_walk {
	pmd_t *pmdp;
	pmd_t pmd;		/* the value the walk followed */
	pte_t *ptep;
	pte_t pte;		/* found: none, present, or (abort_pte) swap */
	spinlock_t *ptl;
	bool no_table;		/* ended at pmdp, a none pmd (abort_pgtable) */
	struct page *table;	/* a table this fault adds, not yet published */
};

enum spf_abort spf_walk_to_pte(struct mm_struct *mm, unsigned long addr,
			       struct spf_pte_walk *walk);
bool spf_walk_still_valid(const struct spf_pte_walk *walk);

/*
 * A missing PTE table installed by a speculative fault
 * (pgtable_rcu/pte_table.c).
 */
bool spf_pte_tables_enabled(void);
struct page *spf_pte_table_alloc(struct mm_struct *mm);
void spf_pte_table_free(struct page *table);
spinlock_t *spf_pmd_lock(struct mm_struct *mm, pmd_t *pmdp);
void spf_pmd_unlock(struct mm_struct *mm, spinlock_t *ptl);
void spf_pte_table_publish(struct mm_struct *mm, pmd_t *pmdp,
			   struct page *table);

void spf_inject_install_delay(void);
void spf_inject_delay(const u32 *knob, u32 max);
void spf_pte_table_init(struct dentry *debugfs_dir);

/*
 * pgtable_rcu/'s own counters (per CPU; spf/core/stats.c shows them in
 * debugfs after its own, as vma_deferred ... ptl_leaked).
 */
enum spf_free_stat {
	SPF_FREE_VMA_DEFERRED,	/* VMAs whose freeing waits for a grace period */
	SPF_FREE_VMA_FREED,	/* ...and that have since been freed */
	SPF_FREE_PGTABLE_DEFERRED, /* page tables sent to an RCU-freed batch */
	SPF_FREE_PGTABLE_SYNC,	/* grace periods waited for before a free */
	SPF_FREE_PTL_DEFERRED,	/* split page-table locks freed after a GP */
	SPF_FREE_PTL_FREED,	/* ...and that have since been freed */
	SPF_FREE_PTL_LEAKED,	/* ...no record to defer with: left allocated */
	NR_SPF_FREE_STATS
};

struct spf_free_stats {
	unsigned long count[NR_SPF_FREE_STATS];
};

DECLARE_PER_CPU(struct spf_free_stats, spf_free_stats);

static inline void spf_free_count(enum spf_free_stat stat)
{
	this_cpu_inc(spf_free_stats.count[stat]);
}

unsigned long spf_free_stat_read(enum spf_free_stat stat);

/*
 * A freeing replacement, or the RCU callback behind it, calls the
 * kernel's original function, which meets spf's hook again.  The hook
 * lets the call through when its return address is in this module; a
 * tracer on the same function (function_graph, a kretprobe) replaces
 * that address with its trampoline, and the call was taken again:
 * re-deferred every grace period for as long as the tracer stayed, or
 * recursing once per kretprobe instance.  So spf also names, on this
 * CPU, the object it is freeing (spf_passthrough_begin()), and the hook
 * lets through a call with a rewritten return address that frees that
 * object.  Migration is off meanwhile; a task preempting this one on
 * the CPU and freeing something else does not match; one that nests a
 * passthrough of its own and is preempted in turn can at worst cost
 * this call one more deferral.
 */
DECLARE_PER_CPU(unsigned long, spf_passthrough);

static inline unsigned long spf_passthrough_begin(const void *token)
{
	migrate_disable();
	return this_cpu_xchg(spf_passthrough, (unsigned long)token);
}

static inline void spf_passthrough_end(unsigned long prev)
{
	this_cpu_write(spf_passthrough, prev);
	migrate_enable();
}

static inline bool spf_passthrough_is(unsigned long token)
{
	return !SPF_BROKEN_NO_PASSTHROUGH &&
	       token == this_cpu_read(spf_passthrough);
}

/*
 * The deferred frees.  The hooks on the kernel's freeing functions
 * (spf/hooks/free_hooks.c) call these and nothing of pgtable_rcu/ calls up.
 */
void spf_pgtable_defer(struct mmu_gather *tlb, void *table);
void spf_pgtable_sync_one(void);
void spf_ptl_defer(struct page *page);
unsigned long spf_pgtable_pv_target(void);
int spf_ptl_defer_find(unsigned long *addr);

void spf_pgtable_free_init(void *orig_tlb_remove_table, void *orig_sync_one);
int spf_pgtable_free_prepare(void);
void spf_pgtable_free_drain(void);

void spf_vma_defer(struct vm_area_struct *vma);
void spf_vma_free_init(void *orig_vm_area_free);
void spf_vma_free_drain(void);

#endif
