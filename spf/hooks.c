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
 * Redirection.  A kprobe sits on each function's entry.  Its pre-handler
 * points the instruction pointer at spf's replacement and returns 1, so
 * the probed call becomes a call of the replacement with the same
 * arguments and the same return address (the probe fires before the
 * prologue has touched the stack or the link register).  The replacement
 * calls the original, whose probe fires again; the pre-handler sees a
 * return address inside this module and lets that call through.  That
 * test is only sound if a replacement never reaches the original through
 * a tail call: the original would then return straight to the arch
 * handler, the probe would see the arch handler as the caller and
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
 * reference on a percpu_ref in the pre-handler (which runs with
 * preemption disabled, so it cannot be caught half-way) and the
 * replacement drops it as its last action.  Unload unregisters the
 * probes (no new redirections after that returns), kills the ref and
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
#include <spf/arch.h>
#include <spf/hooks.h>
#include <spf/stats.h>
#include <wrapper/symbols.h>
#include "trace.h"

bool spf_enabled = true;

static struct percpu_ref spf_inflight;
static DECLARE_COMPLETION(spf_drained);

static struct vm_area_struct *(*spf_orig_lock_mm_and_find_vma)
	(struct mm_struct *mm, unsigned long addr, struct pt_regs *regs);

/* True when the probed function was called by spf itself. */
static bool spf_called_from_self(struct pt_regs *regs)
{
	return within_module_core(spf_arch_entry_caller(regs), THIS_MODULE);
}

/* Returns with the in-flight reference dropped: keep it the last call. */
static void spf_leave(void)
{
	percpu_ref_put(&spf_inflight);
}

static struct vm_area_struct *
spf_lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs)
{
	struct vm_area_struct *vma;

	spf_count(SPF_STAT_fault_hook);
	trace_spf_fault(addr);
	vma = spf_orig_lock_mm_and_find_vma(mm, addr, regs);
	spf_leave();
	return vma;
}

static vm_fault_t spf_handle_mm_fault(struct vm_area_struct *vma,
				      unsigned long addr, unsigned int flags,
				      struct pt_regs *regs)
{
	vm_fault_t ret;

	spf_count(SPF_STAT_handle_hook);
	spf_count(SPF_STAT_stock);
	ret = handle_mm_fault(vma, addr, flags, regs);
	if (ret & VM_FAULT_RETRY)
		spf_count(SPF_STAT_retry);
	trace_spf_stock(addr, flags, (__force unsigned int)ret);
	spf_leave();
	return ret;
}

/*
 * Common pre-handler tail: take the in-flight reference and redirect.
 * Runs with preemption disabled (ftrace-based probes) or in the BRK
 * exception (arm64), so it must not sleep.
 */
static int spf_redirect(struct pt_regs *regs, void *replacement)
{
	if (!percpu_ref_tryget_live(&spf_inflight))
		return 0;
	instruction_pointer_set(regs, (unsigned long)replacement);
	return 1;
}

static int spf_lock_mm_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (spf_called_from_self(regs))
		return 0;
	if (!READ_ONCE(spf_enabled)) {
		spf_count(SPF_STAT_disabled);
		return 0;
	}
	return spf_redirect(regs, spf_lock_mm_and_find_vma);
}
NOKPROBE_SYMBOL(spf_lock_mm_pre);

static int spf_handle_mm_fault_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* handle_mm_fault(vma, address, flags, regs): only arch faults. */
	if (!regs_get_kernel_argument(regs, 3))
		return 0;
	if (spf_called_from_self(regs) || !READ_ONCE(spf_enabled))
		return 0;
	return spf_redirect(regs, spf_handle_mm_fault);
}
NOKPROBE_SYMBOL(spf_handle_mm_fault_pre);

static struct kprobe spf_kp_lock_mm = {
	.symbol_name = "lock_mm_and_find_vma",
	.pre_handler = spf_lock_mm_pre,
};

static struct kprobe spf_kp_handle_mm_fault = {
	.symbol_name = "handle_mm_fault",
	.pre_handler = spf_handle_mm_fault_pre,
};

static struct kprobe *spf_kprobes[] = {
	&spf_kp_lock_mm,
	&spf_kp_handle_mm_fault,
};

static void spf_inflight_release(struct percpu_ref *ref)
{
	complete(&spf_drained);
}

int spf_hooks_init(void)
{
	int ret;

	ret = spf_resolve(spf_orig_lock_mm_and_find_vma,
			  "lock_mm_and_find_vma",
			  "to hook the arch fault path (CONFIG_LOCK_MM_AND_FIND_VMA)");
	if (ret)
		return ret;

	ret = percpu_ref_init(&spf_inflight, spf_inflight_release, 0,
			      GFP_KERNEL);
	if (ret)
		return ret;

	ret = register_kprobes(spf_kprobes, ARRAY_SIZE(spf_kprobes));
	if (ret) {
		pr_err("cannot hook the fault path: kprobe registration failed (%d)\n",
		       ret);
		percpu_ref_exit(&spf_inflight);
		return ret;
	}
	pr_info("fault-path hooks installed (%s)\n", spf_arch_hook_desc);
	return 0;
}

void spf_hooks_exit(void)
{
	/* No new redirections once this returns (it synchronizes). */
	unregister_kprobes(spf_kprobes, ARRAY_SIZE(spf_kprobes));

	/* Wait for every redirected call to drop its reference. */
	percpu_ref_kill(&spf_inflight);
	wait_for_completion(&spf_drained);

	/* ...and to return past its last instruction in this module. */
	synchronize_rcu_tasks();
	percpu_ref_exit(&spf_inflight);
}
