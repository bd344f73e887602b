// SPDX-License-Identifier: GPL-2.0
/*
 * VMAs freed only after an RCU grace period, while spf is loaded.
 *
 * 6.1 frees a VMA at once (vm_area_free() -> kmem_cache_free()), so a
 * lockless reader that found it in the maple tree could read freed, or
 * reused, memory.  spf redirects vm_area_free() (a hook that ignores
 * the "enabled" knob: a reader may be in flight whatever the knob says)
 * and passes the VMA to call_rcu(); the callback runs the kernel's own
 * vm_area_free(), which is let through because its caller is this
 * module (or, under a tracer that rewrites return addresses, because
 * this CPU names that VMA: spf_passthrough_begin()).  A reader inside rcu_read_lock() that saw the VMA therefore
 * reads it before it is freed; what it reads may be stale, which is
 * what the sequence count validation is for.
 *
 * Where the rcu_head lives: vm_area_struct has no room for one in 6.1.
 * It overlays anon_vma_chain, a list_head of the same size: by the time
 * a VMA is freed its chain is empty or was never used (the anon_vma
 * links are torn down by unlink_anon_vmas() before), rmap walks reach
 * VMAs through the anon_vma's interval tree, never through a dead VMA's
 * chain, and spf's lockless reader does not read it.  Nothing else in
 * the VMA is touched until the callback hands it to vm_area_free().
 *
 * Unload: after the hooks are removed no new VMA is queued;
 * spf_vma_free_drain() waits for the queued ones with rcu_barrier().
 */
#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <spf/pgtable_rcu.h>

static_assert(sizeof(struct rcu_head) <= sizeof(struct list_head),
	      "the rcu_head must fit in vm_area_struct.anon_vma_chain");

static void (*spf_orig_vm_area_free)(struct vm_area_struct *vma);

static void spf_vma_free_rcu(struct rcu_head *head)
{
	struct vm_area_struct *vma =
		container_of((void *)head, struct vm_area_struct,
			     anon_vma_chain);
	unsigned long prev = spf_passthrough_begin(vma);

	spf_orig_vm_area_free(vma);
	spf_passthrough_end(prev);
	spf_free_count(SPF_FREE_VMA_FREED);
}

/* For the replacement of vm_area_free(). */
void spf_vma_defer(struct vm_area_struct *vma)
{
	call_rcu((struct rcu_head *)&vma->anon_vma_chain, spf_vma_free_rcu);
	spf_free_count(SPF_FREE_VMA_DEFERRED);
}

void spf_vma_free_init(void *orig)
{
	spf_orig_vm_area_free = orig;
}

void spf_vma_free_drain(void)
{
	rcu_barrier();
}
