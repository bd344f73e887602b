/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_PGTABLE_FREE_H
#define _SPF_PGTABLE_FREE_H

#include <linux/percpu.h>
#include <linux/preempt.h>
#include <spf/broken.h>

struct mmu_gather;
struct page;
struct spf_hook;

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

void spf_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_pv_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_tlb_remove_table_sync_one(void);
void spf_ptlock_free(struct page *page);
int spf_pgtable_pv_resolve(struct spf_hook *hook);
int spf_ptlock_free_resolve(struct spf_hook *hook);

void spf_pgtable_free_init(void *orig_tlb_remove_table, void *orig_sync_one);
int spf_pgtable_free_prepare(void);
void spf_pgtable_free_drain(void);

#endif
