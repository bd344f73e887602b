// SPDX-License-Identifier: GPL-2.0
/*
 * The fault-path hooks: how spf gets in front of the arch fault handler
 * on a running kernel.
 *
 * Both arches' handlers (do_user_addr_fault on x86-64, do_page_fault on
 * arm64) run the same sequence: lock_mm_and_find_vma(), an access check
 * against the VMA, handle_mm_fault(), and a return without touching the
 * lock when the result carries VM_FAULT_COMPLETED.  The handlers
 * themselves cannot be probed, so spf replaces the two calls.  Where
 * ftrace can hook arm64's do_page_fault(), spf takes that over instead,
 * a single hooked call per fault (spf/hooks/arch_arm64.c), and the lock_mm
 * hook, superseded, stays unarmed.
 *
 * Redirection.  The arch mechanism (spf/hooks/internal.h) stops each call
 * of the two functions at their entry, before the prologue, and asks
 * spf_hook_take() whether to take it; if so the call continues in spf's
 * replacement with the same arguments and the same return address.  A C
 * replacement that calls the original is stopped again; this time the
 * return address is inside this module and the call is let through.
 * That test is only sound if a replacement never reaches the original
 * through a tail call: the original would then return straight to the
 * arch handler, the hook would see the arch handler as the caller and
 * redirect again, forever.  Every C replacement therefore does work
 * after the call (it drops its module pin and in-flight reference),
 * which the compiler cannot move before it.  Where the mechanism allows
 * (x86-64's direct trampoline, arm64's do_page_fault stub), a fault
 * handed back does not call the original from C at all: an attempt runs
 * first and, when it gives up, the function's body is entered past its
 * hooked site, as if the arch code had called it (see Unload below).
 *
 * Only calls made on behalf of an arch fault are redirected: those have
 * a non-NULL pt_regs argument.  GUP's handle_mm_fault(..., NULL) and the
 * like run unmodified.
 *
 * The speculative handoff.  When spf completes a fault itself, or (on
 * arm64) wants to try to once the fault flags are known, the lock_mm
 * replacement returns spf_marker_vma instead of a locked VMA.  The
 * marker's flags allow every access, so the arch handler's access
 * check passes, and its vm_mm is not the faulting mm, so x86's pkey
 * check treats it as foreign; the arch handler then passes it to
 * handle_mm_fault(), whose replacement recognises it and returns
 * VM_FAULT_COMPLETED: the arch handler returns without touching
 * mmap_lock, which was never taken.  The marker never reaches the
 * stock handle_mm_fault(): spf_hook_take() always redirects a call
 * that carries it, and the lock_mm replacement keeps its in-flight
 * reference until the handle_mm_fault replacement drops it, so unload
 * cannot remove the hook in between.
 *
 * Unload.  A replacement can sleep (the attempt may reclaim, the stock
 * fault takes mmap_lock and waits for I/O or a userfaultfd monitor), so
 * unregistering the probes is not enough to know no task is inside this
 * module's text.  Each redirection takes a reference on a percpu_ref in
 * spf_hook_take() (which cannot be caught half-way: a preempted task
 * holds the reference or not) and the replacement drops it as its last
 * action.  Unload kills the ref (no new fault is redirected after that,
 * while those in flight, markers included, finish through the
 * still-armed hooks) and waits for the count to drain; only then does it
 * remove the hooks, and wait for an RCU-tasks grace period: a task
 * preempted between its final put and its return (or jump into a stock
 * body) is still in our text, and RCU-tasks waits for every task to pass
 * a voluntary context switch or user mode, which such a task has not
 * done.
 *
 * That wait must end whatever stock faults are asleep, so no reference
 * is held across stock code that may sleep.  A fault handed back either
 * leaves the module before the stock function runs, its reference
 * dropped (the attempt hooks above), or, where a replacement has work
 * left after a stock call (the traced spf_stock redirect, the kprobe
 * fallbacks, arm64's two-hook scheme), pins the module around the call
 * (spf_hook_pin()): rmmod is then refused at once as "in use".  The pin
 * fails only once delete_module() has found the module unused, with
 * this fault already in flight: then the fault is abandoned where that
 * is stock's own behaviour for a retried fault (spf_hook_abandon()), so
 * its instruction faults again and, once the reference is killed, goes
 * to the stock kernel with nothing of spf's on its stack.  Past 10 s
 * unload prints what it still waits for.
 *
 * The hooks that keep lockless readers safe (VMAs and page tables freed
 * after a grace period) are "always" hooks: armed before the fault
 * hooks and removed after them, they ignore the enabled knob and keep
 * deferring while any redirected fault is in flight (a plain tryget,
 * which succeeds until the killed count reaches zero).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <spf/arch.h>
#include <spf/broken.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>
#include <wrapper/ftrace.h>
#include <wrapper/kallsyms.h>
#include <wrapper/kprobes.h>
#include <wrapper/stacktrace.h>
#include "../core/internal.h"
#include "../faults/internal.h"
#include "internal.h"
#include "../core/trace.h"

bool spf_enabled = true;

static struct percpu_ref spf_inflight;

/* Some always-on (freeing) hook is carried by a kprobe. */
static bool spf_freeing_on_kprobes;
static DECLARE_COMPLETION(spf_drained);

static struct vm_area_struct *(*spf_orig_lock_mm_and_find_vma)
	(struct mm_struct *mm, unsigned long addr, struct pt_regs *regs);

/*
 * What the lock_mm replacement returns when spf has done (or will do)
 * the fault without mmap_lock; see the top of this file.
 */
struct vm_area_struct spf_marker_vma = {
	.vm_flags = VM_READ | VM_WRITE | VM_EXEC | VM_MAYREAD | VM_MAYWRITE |
		    VM_MAYEXEC,
};

/*
 * The last call of every replacement: drops the in-flight reference
 * taken by spf_hook_take().
 */
void spf_hook_leave(void)
{
	percpu_ref_put(&spf_inflight);
}

/*
 * debugfs inject_pin_delay_ms and inject_pin_delay_tid (test aid): the
 * task with that id sleeps this long once, before its next pin, so that
 * a test can start rmmod while a fault sits between the in-flight
 * reference and the pin.
 */
static u32 spf_inject_pin_delay_ms;
static u32 spf_inject_pin_delay_tid;

static void spf_inject_pin_delay(void)
{
	u32 ms = READ_ONCE(spf_inject_pin_delay_ms);

	if (likely(!ms) || READ_ONCE(spf_inject_pin_delay_tid) != current->pid)
		return;
	if (cmpxchg(&spf_inject_pin_delay_ms, ms, 0) == ms)
		msleep(min(ms, 5000U));
}

/*
 * Before a stock call that may sleep, in a replacement that has work
 * left after it: hold the module too, so that rmmod is refused at once
 * ("in use") rather than left waiting for this call's in-flight
 * reference.  Fails only once delete_module() has found the module
 * unused: unload is then under way, and the caller abandons the fault
 * if it can (spf_hook_abandon()).
 */
bool spf_hook_pin(void)
{
	if (SPF_BROKEN_HOLD_ACROSS_STOCK)
		return false;
	if (!faulthandler_disabled())
		spf_inject_pin_delay();
	return try_module_get(THIS_MODULE);
}

/*
 * The pin failed: unload is waiting for the faults in flight, this one
 * included, and must not wait for a stock call that may sleep without
 * bound (a userfaultfd with no monitor, a stalled FUSE or NFS server).
 * True: the caller returns as stock does for a fault it leaves to be
 * retried (nothing mapped, mmap_lock released), and the instruction
 * faults again; that fault is redirected again until the reference is
 * killed, a moment later, and then goes to the stock kernel alone.
 * cond_resched(): on a kernel without preemption the unloading task may
 * need this CPU to get that far.  False where the fault cannot sleep
 * (stock then fails it at once, without sleeping).
 */
bool spf_hook_abandon(void)
{
	if (SPF_BROKEN_HOLD_ACROSS_STOCK || SPF_BROKEN_NO_ABANDON ||
	    faulthandler_disabled())
		return false;
	might_sleep();
	cond_resched();
	return true;
}

void spf_hook_unpin(bool pinned)
{
	if (pinned)
		module_put(THIS_MODULE);
}

/* The stock lookup, as the arch handler would have called it. */
struct vm_area_struct *spf_stock_lock_mm(struct mm_struct *mm,
					 unsigned long addr,
					 struct pt_regs *regs)
{
	return spf_orig_lock_mm_and_find_vma(mm, addr, regs);
}

/* A fault on its way to the stock handle_mm_fault(). */
static void spf_count_stock(unsigned int flags)
{
	spf_count(SPF_STAT_STOCK);
	if (flags & FAULT_FLAG_TRIED)
		spf_count(SPF_STAT_RETRY);
}

/* The stock fault, counted and traced as such. */
vm_fault_t spf_stock_handle_mm_fault(struct vm_area_struct *vma,
				     unsigned long addr, unsigned int flags,
				     struct pt_regs *regs)
{
	vm_fault_t ret;

	spf_count_stock(flags);
	ret = handle_mm_fault(vma, addr, flags, regs);
	trace_spf_stock(addr, flags, (__force unsigned int)ret);
	return ret;
}

/*
 * The lock_mm attempt, INFO from spf_arch_decline() (include/spf/arch.h):
 * the marker when spf has done the fault (or will try it once its flags
 * are known), the in-flight reference going with it; NULL when the
 * fault goes stock, the reference still held.
 */
static struct vm_area_struct *spf_lock_mm_try(struct mm_struct *mm,
					      unsigned long addr,
					      struct pt_regs *regs,
					      unsigned long info)
{
	spf_count(SPF_STAT_FAULT_HOOK);
	trace_spf_fault(addr);
	if (spf_arch_at_lock_mm(mm, addr, regs, info))
		return &spf_marker_vma;
	return NULL;
}

/*
 * The attempt as the direct trampoline calls it (spf/hooks/hook_direct.c): on
 * NULL, the reference dropped here, the trampoline returns into the
 * stock lookup, which then returns straight to the arch handler; no
 * frame of this module waits for mmap_lock.
 */
static unsigned long spf_lock_mm_attempt(unsigned long *args)
{
	struct vm_area_struct *vma;

	vma = spf_lock_mm_try((struct mm_struct *)args[0], args[1],
			      (struct pt_regs *)args[2],
			      args[SPF_ARCH_INFO_ARG]);
	if (!vma)
		spf_hook_leave();
	return (unsigned long)vma;
}

/*
 * The replacement where a kprobe or an ftrace_ops redirects the call:
 * the stock lookup is called from here, the module pinned across it.
 * It is not abandoned when the pin fails: the marker would take the
 * arch handler's error paths for some error codes, and the lookup
 * sleeps only for mmap_lock, which its holders release.
 */
static struct vm_area_struct *
spf_lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs, unsigned long info)
{
	struct vm_area_struct *vma;
	bool pinned;

	vma = spf_lock_mm_try(mm, addr, regs, info);
	if (vma)
		return vma;	/* the reference goes with it */
	pinned = spf_hook_pin();
	vma = spf_orig_lock_mm_and_find_vma(mm, addr, regs);
	spf_hook_unpin(pinned);
	spf_hook_leave();
	return vma;
}

/*
 * A stock fault redirected to trace its result: it may sleep for long.
 * Out of line, so that the marker's path saves no more registers.  If
 * unload is under way and the caller lets the fault drop mmap_lock, it
 * is abandoned as a completed one: the lock released, nothing mapped,
 * and the caller (the arch handler, or GUP, which takes the lock again)
 * repeats the instruction or the lookup.
 */
static noinline vm_fault_t
spf_handle_mm_fault_pinned(struct vm_area_struct *vma, unsigned long addr,
			   unsigned int flags, struct pt_regs *regs)
{
	bool pinned = spf_hook_pin();
	vm_fault_t ret;

	if (!pinned && (flags & FAULT_FLAG_ALLOW_RETRY) &&
	    !(flags & FAULT_FLAG_RETRY_NOWAIT) && spf_hook_abandon()) {
		/* Not mmap_assert_locked(): its dump_mm() is not exported. */
		lockdep_assert_held(&vma->vm_mm->mmap_lock);
		mmap_read_unlock(vma->vm_mm);
		return VM_FAULT_COMPLETED;
	}

	ret = spf_stock_handle_mm_fault(vma, addr, flags, regs);
	spf_hook_unpin(pinned);
	return ret;
}

static vm_fault_t spf_handle_mm_fault(struct vm_area_struct *vma,
				      unsigned long addr, unsigned int flags,
				      struct pt_regs *regs)
{
	vm_fault_t ret;

	spf_count(SPF_STAT_HANDLE_HOOK);
	if (vma == &spf_marker_vma)
		ret = spf_arch_at_handle_mm_fault(addr, flags, regs);
	else
		ret = spf_handle_mm_fault_pinned(vma, addr, flags, regs);
	spf_hook_leave();
	return ret;
}

/*
 * Armed in this order, removed in the reverse: the hooks that make
 * lockless readers safe exist before the first reader can start.  The
 * fault hooks, from handle_mm_fault on, are marked fault_entry: a
 * mechanism that arms hooks a group at a time makes every hook before
 * them live first.
 */
enum {
	SPF_HOOK_VM_AREA_FREE,
	SPF_HOOK_TLB_REMOVE_TABLE,
	SPF_HOOK_TLB_SYNC_ONE,
	SPF_HOOK_PV_REMOVE_TABLE,
	SPF_HOOK_PTLOCK_FREE,
	SPF_HOOK_MMAP_LOCK_TRACED,
	SPF_HOOK_HANDLE_MM_FAULT,
	SPF_HOOK_ARCH_FAULT,
	SPF_HOOK_LOCK_MM,
	NR_SPF_HOOKS
};

static struct spf_hook spf_hooks[NR_SPF_HOOKS] = {
	[SPF_HOOK_VM_AREA_FREE] = {
		/* free_hooks.c, pgtable_rcu/vma_free.c: VMAs outlive readers */
		.symbol = "vm_area_free",
		.replacement = spf_vm_area_free,
		.nonnull_arg = -1,
		.always = true,
		.passthrough_arg = 0,
	},
	[SPF_HOOK_TLB_REMOVE_TABLE] = {
		/* pgtable_rcu/pgtable_free.c: so do page tables */
		.symbol = "tlb_remove_table",
		.replacement = spf_tlb_remove_table,
		.nonnull_arg = -1,
		.always = true,
		.passthrough_arg = 1,
	},
	[SPF_HOOK_TLB_SYNC_ONE] = {
		.symbol = "tlb_remove_table_sync_one",
		.replacement = spf_tlb_remove_table_sync_one,
		.nonnull_arg = -1,
		.always = true,
		.passthrough_arg = -1,
	},
	[SPF_HOOK_PV_REMOVE_TABLE] = {
		/* x86-64 native: where table pages went to tlb_remove_page() */
		.symbol = "pv_ops.mmu.tlb_remove_table",
		.resolve = spf_pgtable_pv_resolve,
		.replacement = spf_pv_tlb_remove_table,
		.nonnull_arg = -1,
		.always = true,
		.passthrough_arg = 1,
	},
	[SPF_HOOK_PTLOCK_FREE] = {
		/* split page-table locks allocated on their own (RT, lockdep) */
		.symbol = "ptlock_free",
		.resolve = spf_ptlock_free_resolve,
		.replacement = spf_ptlock_free,
		.nonnull_arg = -1,
		.always = true,
		.passthrough_arg = 0,
	},
	[SPF_HOOK_MMAP_LOCK_TRACED] = {
		/* spf/hooks/mm_seq_traced.c: the count without a memcg path */
		.symbol = "__mmap_lock_do_trace_acquire_returned",
		.resolve = spf_mm_seq_traced_resolve,
		.replacement = spf_mm_seq_traced,
		.nonnull_arg = 0,
		.no_kprobe = true,
	},
	[SPF_HOOK_HANDLE_MM_FAULT] = {
		/* handle_mm_fault(vma, address, flags, regs): arch faults only */
		.symbol = "handle_mm_fault",
		.fault_entry = true,
		.replacement = spf_handle_mm_fault,
		.nonnull_arg = 3,
		.marker = true,
	},
	[SPF_HOOK_ARCH_FAULT] = {
		/* arm64: do_page_fault(far, esr, regs), when ftrace can */
		.symbol = "do_page_fault",
		.fault_entry = true,
		.resolve = spf_arch_fault_resolve,
		.nonnull_arg = 2,
		.no_kprobe = true,
	},
	[SPF_HOOK_LOCK_MM] = {
		.symbol = "lock_mm_and_find_vma",
		.fault_entry = true,
		.replacement = spf_lock_mm_and_find_vma,
		/* A build that holds its reference across the stock lookup. */
		.attempt = SPF_BROKEN_HOLD_ACROSS_STOCK ? NULL :
			   spf_lock_mm_attempt,
		.nonnull_arg = -1,
		.superseded_by = &spf_hooks[SPF_HOOK_ARCH_FAULT],
	},
};

/*
 * Where function_graph and kretprobes send a function's return: the
 * return address a hook sees when either traces the hooked function.
 */
static unsigned long spf_ret_trampolines[2];

static inline bool spf_return_trampoline(unsigned long caller)
{
	return caller == spf_ret_trampolines[0] ||
	       caller == spf_ret_trampolines[1];
}

static void spf_ret_trampolines_init(void)
{
	spf_ret_trampolines[0] = spf_wrapper_return_to_handler();
	spf_ret_trampolines[1] = spf_wrapper_kretprobe_trampoline();
}

static void spf_count_declined(unsigned long addr, enum spf_abort reason)
{
	spf_count(SPF_STAT_FAULT_HOOK);
	spf_count(SPF_STAT_DECLINED);
	trace_spf_fault(addr);
	spf_abort(reason, addr);
}

/*
 * lock_mm_and_find_vma(mm, addr, regs): is the abort already certain,
 * from the arch's record of the fault or from the last VMA turned down
 * (vma_lookup/decline.c)?  Then the fault goes stock without a redirection,
 * counted and traced as the abort it would have been.
 */
static bool spf_hook_decline(unsigned long *args)
{
	struct pt_regs *regs = (struct pt_regs *)args[2];
	unsigned long *info = &args[SPF_ARCH_INFO_ARG];
	unsigned long addr = args[1];
	enum spf_abort reason;

	*info = 0;
	reason = spf_arch_decline(addr, regs, info);
	if (reason == SPF_ABORT_NONE) {
		if (!spf_decline_hit((struct mm_struct *)args[0], addr))
			return false;
		spf_arch_declined(addr, regs, *info);
		reason = SPF_ABORT_NOT_ANON;
	}
	spf_count_declined(addr, reason);
	return true;
}

bool spf_fault_declined(struct mm_struct *mm, unsigned long addr)
{
	if (!spf_decline_hit(mm, addr))
		return false;
	spf_count_declined(addr, SPF_ABORT_NOT_ANON);
	return true;
}

/*
 * Called by the arch mechanism at the entry of a hooked function, with
 * the call's first SPF_HOOK_ARGS arguments; must not sleep (it may run
 * with preemption disabled, or enabled with ftrace direct calls: every
 * step is safe either way).  True means "redirect this call", and then
 * the caller holds an in-flight reference for the replacement.
 */
bool notrace spf_hook_take(struct spf_hook *hook, unsigned long caller,
			   unsigned long *args)
{
	if (within_module_core(caller, THIS_MODULE))
		return false;
	/* The marker's reference was taken by the lock_mm redirection. */
	if (hook == &spf_hooks[SPF_HOOK_HANDLE_MM_FAULT] &&
	    args[0] == (unsigned long)&spf_marker_vma)
		return true;
	/*
	 * Another tracer (function_graph, a kretprobe) rewrote the return
	 * address: the caller is unknown and may be a replacement's own
	 * call of the original, which, taken again, would recurse until
	 * that tracer ran out of slots or the stack out of room.  Unless
	 * the replacement never calls the original, such a call runs
	 * stock, a stock fault counted as such (not traced: spf_stock).
	 */
	if (unlikely(spf_return_trampoline(caller)) && !hook->always &&
	    !hook->leaves_into_body && !SPF_BROKEN_TRUST_RETURN_ADDRESS) {
		if (hook == &spf_hooks[SPF_HOOK_HANDLE_MM_FAULT] && args[3]) {
			spf_count(SPF_STAT_HANDLE_HOOK);
			spf_count_stock(args[2]);
		}
		return false;
	}
	if (hook->always) {
		/* spf's own call of the original, its return rewritten. */
		if (unlikely(spf_return_trampoline(caller)) &&
		    spf_passthrough_is(hook->passthrough_arg >= 0 ?
				       args[hook->passthrough_arg] :
				       hook->addr))
			return false;
		return percpu_ref_tryget(&spf_inflight);
	}
	if (hook->nonnull_arg >= 0 && !args[hook->nonnull_arg])
		return false;
	/* BPF may trylock mmap_lock in NMI; percpu_ref_put() is no place. */
	if (in_nmi())
		return false;
	/*
	 * With kprobes disarmed behind spf's back, a freeing hook carried
	 * by a kprobe no longer defers: stop speculating (counted as
	 * disabled; see spf/core/compat.c).
	 */
	if (!READ_ONCE(spf_enabled) ||
	    (READ_ONCE(spf_freeing_on_kprobes) &&
	     spf_compat_kprobes_disarmed())) {
		if (hook == &spf_hooks[SPF_HOOK_LOCK_MM]) {
			spf_arch_declined(args[1], (struct pt_regs *)args[2],
					  0);
			spf_count(SPF_STAT_DISABLED);
		} else if (hook == &spf_hooks[SPF_HOOK_ARCH_FAULT]) {
			spf_count(SPF_STAT_DISABLED);
		}
		return false;
	}
	if (hook == &spf_hooks[SPF_HOOK_LOCK_MM] && spf_hook_decline(args))
		return false;
	if (hook == &spf_hooks[SPF_HOOK_ARCH_FAULT] &&
	    spf_arch_fault_decline(args))
		return false;
	/*
	 * handle_mm_fault(vma, addr, flags, regs) without the marker: a
	 * stock fault.  Redirected only to trace its result; otherwise
	 * counted here and let through, one redirection cheaper.
	 */
	if (hook == &spf_hooks[SPF_HOOK_HANDLE_MM_FAULT] &&
	    !trace_spf_stock_enabled()) {
		spf_count(SPF_STAT_HANDLE_HOOK);
		spf_count_stock(args[2]);
		return false;
	}
	return percpu_ref_tryget_live(&spf_inflight);
}
NOKPROBE_SYMBOL(spf_hook_take);

/* For debugfs "arch": which mechanism carries each hook. */
void spf_hooks_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < NR_SPF_HOOKS; i++)
		if (spf_hooks[i].addr)
			seq_printf(m, "%s %s\n", spf_hooks[i].symbol,
				   spf_hook_mechanism(&spf_hooks[i]));
}

static void spf_inflight_release(struct percpu_ref *ref)
{
	complete(&spf_drained);
}

/* Optional, for the report below (include/wrapper/stacktrace.h). */
static bool spf_stack_trace_ok;

#define SPF_DRAIN_WARN_S	10
#define SPF_DRAIN_DEPTH		32

/* A task with a return address in this module's text: where, or 0. */
static unsigned long spf_task_in_module(struct task_struct *t)
{
	unsigned long entries[SPF_DRAIN_DEPTH];
	unsigned int i, n;

	n = spf_stack_trace_save_tsk(t, entries, SPF_DRAIN_DEPTH, 0);
	for (i = 0; i < n; i++)
		if (within_module_core(entries[i], THIS_MODULE))
			return entries[i];
	return 0;
}

/*
 * Unload has waited SPF_DRAIN_WARN_S for the in-flight count: only
 * bounded work holds it (nothing that sleeps in stock code), so this is
 * a bug; one line saying what is still in flight, then wait on (the
 * module's exit cannot fail).
 */
static void spf_drain_report(void)
{
	long left = atomic_long_read(&spf_inflight.data->count);
	struct task_struct *g, *t, *who = NULL;
	unsigned long where = 0;
	char comm[TASK_COMM_LEN] = "";
	pid_t pid = 0;

	if (spf_stack_trace_ok) {
		rcu_read_lock();
		for_each_process_thread(g, t) {
			if (t == current)
				continue;
			where = spf_task_in_module(t);
			if (where) {
				who = t;
				pid = task_pid_nr(t);
				get_task_comm(comm, t);
				break;
			}
		}
		rcu_read_unlock();
	}
	if (who)
		pr_warn("unload has waited %u s for %ld redirected call(s) still in flight; task %d (%s) is at %pS\n",
			SPF_DRAIN_WARN_S, left, pid, comm, (void *)where);
	else
		pr_warn("unload has waited %u s for %ld redirected call(s) still in flight; no task found in spf's text\n",
			SPF_DRAIN_WARN_S, left);
}

/*
 * Stop redirecting faults and wait until none is in flight, then remove
 * the hooks and wait until no task can be in this module's text.
 */
static void spf_hooks_drain(unsigned int armed)
{
	ktime_t t0 = ktime_get(), t1, t2, t3;

	/* Every redirected call drops its reference... */
	percpu_ref_kill(&spf_inflight);
	if (!wait_for_completion_timeout(&spf_drained,
					 SPF_DRAIN_WARN_S * HZ)) {
		spf_drain_report();
		wait_for_completion(&spf_drained);
	}
	t1 = ktime_get();

	/* ...no CPU is in spf_hook_take() once this returns... */
	spf_arch_hooks_remove(spf_hooks, armed);
	t2 = ktime_get();

	/* ...and every task has returned past its last instruction here. */
	synchronize_rcu_tasks();
	percpu_ref_exit(&spf_inflight);
	t3 = ktime_get();

	/* The VMAs and page tables they queued are freed by callbacks. */
	spf_vma_free_drain();
	spf_pgtable_free_drain();

	/*
	 * Each step waits on every CPU; where the time goes (with dynamic
	 * debug on: tools/vm/unload-phases).
	 */
	pr_debug("unload: drain %lld ms, remove %lld ms, rcu_tasks %lld ms, frees %lld ms\n",
		 ktime_ms_delta(t1, t0), ktime_ms_delta(t2, t1),
		 ktime_ms_delta(t3, t2), ktime_ms_delta(ktime_get(), t3));
}

static int spf_hook_resolve(struct spf_hook *hook)
{
	if (hook->resolve)
		return hook->resolve(hook);
	return spf_hook_target_resolve(&hook->addr, hook->symbol);
}

int spf_hooks_init(void)
{
	bool on_kprobes;
	unsigned int i;
	int ret;

	for (i = 0; i < NR_SPF_HOOKS; i++) {
		ret = spf_hook_resolve(&spf_hooks[i]);
		if (ret)
			return ret;
	}
	spf_orig_lock_mm_and_find_vma =
		(void *)spf_hooks[SPF_HOOK_LOCK_MM].addr;
	spf_ret_trampolines_init();
	spf_stack_trace_ok = spf_wrapper_stacktrace_init();
	spf_vma_free_init((void *)spf_hooks[SPF_HOOK_VM_AREA_FREE].addr);
	spf_pgtable_free_init((void *)spf_hooks[SPF_HOOK_TLB_REMOVE_TABLE].addr,
			      (void *)spf_hooks[SPF_HOOK_TLB_SYNC_ONE].addr);

	ret = spf_pgtable_free_prepare();
	if (ret)
		return ret;
	ret = percpu_ref_init(&spf_inflight, spf_inflight_release, 0,
			      GFP_KERNEL);
	if (ret) {
		spf_pgtable_free_drain();
		return ret;
	}

	/* Until the mechanisms are known, assume the worse. */
	WRITE_ONCE(spf_freeing_on_kprobes, true);
	ret = spf_arch_hooks_install(spf_hooks, NR_SPF_HOOKS);
	if (ret) {
		/* The hooks armed before the failure may have been taken. */
		spf_hooks_drain(0);
		return ret;
	}
	for (i = 0, on_kprobes = false; i < NR_SPF_HOOKS; i++)
		if (spf_hooks[i].always && spf_hooks[i].armed == SPF_ARMED_KPROBE)
			on_kprobes = true;
	WRITE_ONCE(spf_freeing_on_kprobes, on_kprobes);
	debugfs_create_u32("inject_pin_delay_ms", 0600, spf_debugfs_dir,
			   &spf_inject_pin_delay_ms);
	debugfs_create_u32("inject_pin_delay_tid", 0600, spf_debugfs_dir,
			   &spf_inject_pin_delay_tid);
	if (on_kprobes && !spf_compat_kprobes_watched()) {
		pr_err("a freeing hook needs a kprobe here, and whether kprobes stay armed cannot be read (no CONFIG_KALLSYMS_ALL); refusing to load\n");
		spf_hooks_drain(NR_SPF_HOOKS);
		return -EOPNOTSUPP;
	}
	pr_info("fault-path hooks installed (%s)\n", spf_arch_hook_desc);
	return 0;
}

void spf_hooks_exit(void)
{
	spf_hooks_drain(NR_SPF_HOOKS);
}
