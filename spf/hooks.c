// SPDX-License-Identifier: GPL-2.0
/*
 * The fault-path hooks: how spf gets in front of the arch fault handler
 * on a running kernel.
 *
 * Both arches' handlers (do_user_addr_fault on x86-64, do_page_fault on
 * arm64) run the same sequence: lock_mm_and_find_vma(), an access check
 * against the VMA, handle_mm_fault(), and a return without touching the
 * lock when the result carries VM_FAULT_COMPLETED.  The handlers
 * themselves cannot be probed, so spf replaces the two calls.
 *
 * Redirection.  The arch mechanism (include/spf/hook.h) stops each call
 * of the two functions at their entry, before the prologue, and asks
 * spf_hook_take() whether to take it; if so the call continues in spf's
 * replacement with the same arguments and the same return address.  The
 * replacement calls the original, which is stopped again; this time the
 * return address is inside this module and the call is let through.
 * That test is only sound if a replacement never reaches the original
 * through a tail call: the original would then return straight to the
 * arch handler, the hook would see the arch handler as the caller and
 * redirect again, forever.  Every replacement therefore does work after
 * the call (it drops its in-flight reference), which the compiler cannot
 * move before it.
 *
 * Only calls made on behalf of an arch fault are redirected: those have
 * a non-NULL pt_regs argument.  GUP's handle_mm_fault(..., NULL) and the
 * like run unmodified.
 *
 * Unload.  A replacement can sleep (it takes mmap_lock, the stock fault
 * waits for I/O), so unregistering the probes is not enough to know no
 * task is inside this module's text.  Each redirection takes a
 * reference on a percpu_ref in spf_hook_take() (which runs with
 * preemption disabled, so it cannot be caught half-way) and the
 * replacement drops it as its last action.  Unload removes the hooks
 * (no new redirections after that returns), kills the ref and
 * waits for the count to drain, then waits for an RCU-tasks grace
 * period: a task preempted between its final put and its return
 * instruction is still in our text, and RCU-tasks waits for every task
 * to pass a voluntary context switch or user mode, which such a task
 * has not done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate_wait.h>
#include <spf/hook.h>
#include <spf/hooks.h>
#include <spf/stats.h>
#include <spf/vma_free.h>
#include <wrapper/symbols.h>
#include "trace.h"

bool spf_enabled = true;

static struct percpu_ref spf_inflight;
static DECLARE_COMPLETION(spf_drained);

static struct vm_area_struct *(*spf_orig_lock_mm_and_find_vma)
	(struct mm_struct *mm, unsigned long addr, struct pt_regs *regs);

/*
 * The last call of every replacement: drops the in-flight reference
 * taken by spf_hook_take().
 */
void spf_hook_leave(void)
{
	percpu_ref_put(&spf_inflight);
}

static struct vm_area_struct *
spf_lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs)
{
	struct vm_area_struct *vma;

	spf_count(SPF_STAT_FAULT_HOOK);
	trace_spf_fault(addr);
	vma = spf_orig_lock_mm_and_find_vma(mm, addr, regs);
	spf_hook_leave();
	return vma;
}

static vm_fault_t spf_handle_mm_fault(struct vm_area_struct *vma,
				      unsigned long addr, unsigned int flags,
				      struct pt_regs *regs)
{
	vm_fault_t ret;

	spf_count(SPF_STAT_HANDLE_HOOK);
	spf_count(SPF_STAT_STOCK);
	ret = handle_mm_fault(vma, addr, flags, regs);
	if (ret & VM_FAULT_RETRY)
		spf_count(SPF_STAT_RETRY);
	trace_spf_stock(addr, flags, (__force unsigned int)ret);
	spf_hook_leave();
	return ret;
}

enum {
	SPF_HOOK_LOCK_MM,
	SPF_HOOK_HANDLE_MM_FAULT,
	SPF_HOOK_VM_AREA_FREE,
	NR_SPF_HOOKS
};

static struct spf_hook spf_hooks[NR_SPF_HOOKS] = {
	[SPF_HOOK_LOCK_MM] = {
		.symbol = "lock_mm_and_find_vma",
		.replacement = spf_lock_mm_and_find_vma,
		.nonnull_arg = -1,
	},
	[SPF_HOOK_HANDLE_MM_FAULT] = {
		/* handle_mm_fault(vma, address, flags, regs): arch faults only */
		.symbol = "handle_mm_fault",
		.replacement = spf_handle_mm_fault,
		.nonnull_arg = 3,
	},
	[SPF_HOOK_VM_AREA_FREE] = {
		/* pgtable_rcu/vma_free.c: VMAs outlive lockless readers */
		.symbol = "vm_area_free",
		.replacement = spf_vm_area_free,
		.nonnull_arg = -1,
		.always = true,
	},
};

/*
 * Called by the arch mechanism at the entry of a hooked function, with
 * preemption disabled; must not sleep.  True means "redirect this call",
 * and then the caller holds an in-flight reference for the replacement.
 */
bool notrace spf_hook_take(struct spf_hook *hook, unsigned long caller,
			   struct pt_regs *regs)
{
	if (within_module_core(caller, THIS_MODULE))
		return false;
	if (hook->nonnull_arg >= 0 &&
	    !regs_get_kernel_argument(regs, hook->nonnull_arg))
		return false;
	if (!hook->always && !READ_ONCE(spf_enabled)) {
		if (hook == &spf_hooks[SPF_HOOK_LOCK_MM])
			spf_count(SPF_STAT_DISABLED);
		return false;
	}
	return percpu_ref_tryget_live(&spf_inflight);
}
NOKPROBE_SYMBOL(spf_hook_take);

static void spf_inflight_release(struct percpu_ref *ref)
{
	complete(&spf_drained);
}

/*
 * With the hooks removed, wait until no task can be in this module's
 * text on behalf of a redirected call.
 */
static void spf_hooks_drain(void)
{
	/* Every redirected call drops its reference... */
	percpu_ref_kill(&spf_inflight);
	wait_for_completion(&spf_drained);

	/* ...and returns past its last instruction in this module. */
	synchronize_rcu_tasks();
	percpu_ref_exit(&spf_inflight);

	/* The VMAs they queued are freed by callbacks in this module. */
	spf_vma_free_drain();
}

int spf_hooks_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NR_SPF_HOOKS; i++) {
		ret = spf_resolve(spf_hooks[i].addr, spf_hooks[i].symbol,
				  "to hook the arch fault path");
		if (ret)
			return ret;
	}
	spf_orig_lock_mm_and_find_vma =
		(void *)spf_hooks[SPF_HOOK_LOCK_MM].addr;
	spf_vma_free_init((void *)spf_hooks[SPF_HOOK_VM_AREA_FREE].addr);

	ret = percpu_ref_init(&spf_inflight, spf_inflight_release, 0,
			      GFP_KERNEL);
	if (ret)
		return ret;

	ret = spf_arch_hooks_install(spf_hooks, NR_SPF_HOOKS);
	if (ret) {
		/* The hooks installed before the failure may have been taken. */
		spf_hooks_drain();
		return ret;
	}
	pr_info("fault-path hooks installed (%s)\n", spf_arch_hook_desc);
	return 0;
}

void spf_hooks_exit(void)
{
	/* No new redirections once this returns. */
	spf_arch_hooks_remove(spf_hooks, NR_SPF_HOOKS);
	spf_hooks_drain();
}
