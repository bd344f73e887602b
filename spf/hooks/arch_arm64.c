// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: where the speculative attempt runs, and the arch handler's
 * access check it must reproduce.
 *
 * Where ftrace can hook it, spf takes do_page_fault(far, esr, regs)
 * over as a whole: one hooked call per fault.  The replacement works
 * out the fault flags from the ESR exactly as do_page_fault() does,
 * for the faults whose stock handling up to lock_mm_and_find_vma() it
 * can vouch for, and tries the fault; if that fails, or for any other
 * fault, the stock do_page_fault() runs, whose steps, lock and signals
 * are then stock's.  It runs as if called by the arch code: the hook
 * sends the call to an entry stub that calls the attempt and, when it
 * gives up, resumes do_page_fault() past its ftrace call with no frame
 * of this module left (see spf_arm64_fault_stub), so a fault handed
 * back never keeps unload waiting.  The faults it tries:
 *  - from EL0: every fault (data or instruction abort); the flags are
 *    user, plus instruction or write as the ESR says;
 *  - from EL1 (uaccess): data aborts that are translation or access-flag
 *    faults on a TTBR0 address, taken with interrupts enabled, page
 *    faults enabled and not in atomic context, on a CPU with hardware
 *    PAN (or none by software).  do_page_fault() would then neither
 *    stop at faulthandler_disabled(), nor die for a permission fault,
 *    nor have a kprobe claim the fault: kprobe_page_fault() acts only
 *    while a kprobe is being handled or single-stepped on this CPU,
 *    which arm64 does with interrupts masked (and preemptible() cannot
 *    tell: Debian's arm64 kernel has no preempt count).  So its only
 *    steps before the lookup are the flags and the perf event.
 *    The other EL1 faults stock would look up (permission faults of
 *    uaccess on copy-on-write pages, say) are counted as entering spf
 *    and aborted (abort_other), as the lock_mm hook counted them.
 * What the ESR and the last VMA turned down (vma_lookup/decline.c)
 * settle is settled in spf_hook_take(), before the call is redirected
 * (spf_arch_fault_decline()), so those faults run stock holding nothing.
 * A completed fault raises the page-faults perf event that stock raises
 * before its lookup, first thing in its accounting (spf_account()):
 * nothing between the two is observable, and it returns 0 as
 * do_page_fault() does.
 *
 * Where do_page_fault() cannot be hooked (no ftrace; as a __kprobes
 * function it cannot be probed), lock_mm_and_find_vma() and
 * handle_mm_fault() are, as on x86-64 (spf/hooks/hooks.c).  The ESR is not
 * reachable from the lock_mm hook, but the flags are handle_mm_fault()'s
 * argument.  So the lock_mm hook returns the marker at once,
 * __do_page_fault()'s check passes it (its flags allow everything), and
 * the attempt runs in the handle_mm_fault hook.  When it gives up, the
 * hook takes the stock steps itself and returns what __do_page_fault()
 * would have:
 *  - the stock lookup fails (no VMA, or a fatal signal while waiting
 *    for the lock): do_page_fault() would have gone straight to its
 *    signal code with VM_FAULT_BADMAP and no lock; from here it will
 *    mmap_read_unlock() first, so the hook takes the lock back for it;
 *  - the VMA forbids the access: VM_FAULT_BADACCESS, lock held, as
 *    __do_page_fault() returns it;
 *  - otherwise the stock handle_mm_fault().
 * The signal, si_code and lock state the arch handler ends with are
 * therefore stock's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/perf_event.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/insn.h>
#include <spf/arch.h>
#include <spf/broken.h>
#include <wrapper/ftrace.h>
#include <wrapper/kallsyms.h>
#include <wrapper/mm_internal.h>
#include <wrapper/mte.h>
#include "../core/internal.h"
#include "../faults/internal.h"
#include "internal.h"
#include "../core/trace.h"

/* Private to arch/arm64/mm/fault.c. */
#define SPF_ARM64_VM_FAULT_BADMAP	((__force vm_fault_t)0x010000)
#define SPF_ARM64_VM_FAULT_BADACCESS	((__force vm_fault_t)0x020000)

/* The vm_flags mask do_page_fault() requires for these fault flags. */
static unsigned long spf_arm64_required(unsigned int flags)
{
	unsigned long vm_flags;

	if (flags & FAULT_FLAG_INSTRUCTION)
		return VM_EXEC;
	if (flags & FAULT_FLAG_WRITE)
		return VM_WRITE;
	vm_flags = VM_READ | VM_WRITE;
	if (!cpus_have_const_cap(ARM64_HAS_EPAN))
		vm_flags |= VM_EXEC;
	return vm_flags;
}

bool spf_arch_access_ok(struct vm_area_struct *vma, unsigned int flags)
{
	return vma->vm_flags & spf_arm64_required(flags);
}

bool spf_arch_at_lock_mm(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs, unsigned long info)
{
	return true;	/* tried in the handle_mm_fault hook */
}

void spf_arch_declined(unsigned long addr, struct pt_regs *regs,
		       unsigned long info)
{
}

/* The fault flags are not known before handle_mm_fault(). */
enum spf_abort spf_arch_decline(unsigned long addr, struct pt_regs *regs,
				unsigned long *info)
{
	return SPF_ABORT_NONE;
}

vm_fault_t spf_arch_at_handle_mm_fault(unsigned long addr,
				       unsigned int flags,
				       struct pt_regs *regs)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	vm_fault_t ret;
	bool pinned;

	if (spf_speculate(mm, addr, flags, regs))
		return VM_FAULT_COMPLETED;

	/*
	 * The stock steps may sleep: the module stays in use meanwhile, or,
	 * while it unloads, the fault is left to be taken again (no lock is
	 * held yet; do_page_fault() returns 0 on VM_FAULT_COMPLETED).
	 */
	pinned = spf_hook_pin();
	if (!pinned && spf_hook_abandon())
		return VM_FAULT_COMPLETED;
	vma = spf_stock_lock_mm(mm, addr, regs);
	if (!vma) {
		mmap_read_lock(mm);
		ret = SPF_ARM64_VM_FAULT_BADMAP;
	} else if (!(vma->vm_flags & spf_arm64_required(flags))) {
		ret = SPF_ARM64_VM_FAULT_BADACCESS;
	} else {
		ret = spf_stock_handle_mm_fault(vma, addr, flags, regs);
	}
	spf_hook_unpin(pinned);
	return ret;
}

static int (*spf_orig_do_page_fault)(unsigned long far, unsigned long esr,
				     struct pt_regs *regs);

/*
 * An EL1 fault on user memory do_page_fault() handles like an EL0 one
 * up to its lookup, as far as the ESR, the CPU and the interrupted
 * context tell (see the top of this file); in_atomic() is checked apart.
 */
static bool spf_arm64_el1_plain(unsigned long esr, struct pt_regs *regs)
{
	unsigned int fsc = esr & ESR_ELx_FSC_TYPE;

	return ESR_ELx_EC(esr) == ESR_ELx_EC_DABT_CUR &&
	       (fsc == ESR_ELx_FSC_FAULT || fsc == ESR_ELx_FSC_ACCESS) &&
	       interrupts_enabled(regs) && !system_uses_ttbr0_pan();
}

/*
 * In spf_hook_take(), before a do_page_fault() call is redirected: true
 * to let it run stock untouched.  What is certain here is settled here,
 * so that such a fault does not hold an in-flight reference while stock
 * handles it.  Counted as entering spf: the faults stock looks up.
 */
bool spf_arch_fault_decline(unsigned long *args)
{
	struct pt_regs *regs = (struct pt_regs *)args[2];
	unsigned long addr = untagged_addr(args[0]);
	struct mm_struct *mm = current->mm;

	if (!mm)
		return true;
	if (!user_mode(regs)) {
		if (!is_ttbr0_addr(addr) || pagefault_disabled())
			return true;
		if (!spf_arm64_el1_plain(args[1], regs)) {
			spf_count(SPF_STAT_FAULT_HOOK);
			trace_spf_fault(addr);
			spf_abort(SPF_ABORT_OTHER, addr);
			return true;
		}
	}
	return spf_fault_declined(mm, addr);
}

/*
 * The attempt: true when spf completed the fault.  The caller holds the
 * in-flight reference either way.  Inlined into both callers: the
 * stub's is the hot path, where a call more would cost a frame more.
 */
static __always_inline bool spf_arm64_try(unsigned long far, unsigned long esr,
			  struct pt_regs *regs)
{
	unsigned int flags = FAULT_FLAG_DEFAULT;
	struct mm_struct *mm = current->mm;
	unsigned long addr = untagged_addr(far);

	/* in_atomic(), unknown to spf_hook_take(): stock has no lookup. */
	if (user_mode(regs))
		flags |= FAULT_FLAG_USER;
	else if (faulthandler_disabled())
		return false;
	spf_count(SPF_STAT_FAULT_HOOK);
	trace_spf_fault(addr);

	/* The flags as do_page_fault() works them out. */
	if (ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW)
		flags |= FAULT_FLAG_INSTRUCTION;
	else if ((esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM))
		flags |= FAULT_FLAG_WRITE;
	/* A completed fault raised page-faults too (spf_account()). */
	return spf_speculate(mm, addr, flags, regs);
}

/*
 * Where the entry stub cannot be used (below): the stock handler is
 * called from here, the module pinned across it, so that rmmod is
 * refused while it sleeps.
 */
static int spf_do_page_fault(unsigned long far, unsigned long esr,
			     struct pt_regs *regs)
{
	bool pinned;
	int ret = 0;

	if (!spf_arm64_try(far, esr, regs)) {
		pinned = spf_hook_pin();
		/* Unloading: 0, as for a fault another thread resolved. */
		if (pinned || !spf_hook_abandon())
			ret = spf_orig_do_page_fault(far, esr, regs);
		spf_hook_unpin(pinned);
	}
	spf_hook_leave();
	return ret;
}

/*
 * The entry stub, where the ftrace handler sends do_page_fault(far, esr,
 * regs) (its regs->pc): it keeps x0-x2 and x30 in a frame and calls
 * spf_arm64_fault_attempt(), which drops the in-flight reference.  On
 * true it returns 0 to the caller, as do_page_fault() does for a
 * handled fault; on false it restores x0-x2, x29, x30 and sp and
 * resumes do_page_fault() just past its ftrace call, so the hook is not
 * entered again, and the stock handler returns straight to the caller:
 * no frame of this module stays on the stack of a fault handed back,
 * whatever it waits for (userfaultfd, I/O), and unload does not wait
 * for it.  "ret x16" rather than "br x16": a return is not checked for
 * a BTI landing pad (ftrace itself enters regs->pc with a "ret").
 */
static unsigned long spf_arm64_fault_resume __used;

unsigned long notrace spf_arm64_fault_attempt(unsigned long far,
					      unsigned long esr,
					      struct pt_regs *regs)
{
	bool done = spf_arm64_try(far, esr, regs);

	spf_hook_leave();
	return done;
}

asm("	.pushsection .text, \"ax\", %progbits\n"
	"	.type spf_arm64_fault_stub, %function\n"
	"spf_arm64_fault_stub:\n"
	"	stp x29, x30, [sp, #-48]!\n"
	"	mov x29, sp\n"
	"	stp x0, x1, [sp, #16]\n"
	"	str x2, [sp, #32]\n"
	"	bl spf_arm64_fault_attempt\n"
	"	cbz x0, 1f\n"
	"	mov w0, #0\n"
	"	ldp x29, x30, [sp], #48\n"
	"	ret\n"
	"1:	ldp x0, x1, [sp, #16]\n"
	"	ldr x2, [sp, #32]\n"
	"	ldp x29, x30, [sp], #48\n"
	"	adrp x16, spf_arm64_fault_resume\n"
	"	ldr x16, [x16, :lo12:spf_arm64_fault_resume]\n"
	"	ret x16\n"
	"	.size spf_arm64_fault_stub, .-spf_arm64_fault_stub\n"
	"	.popsection\n");

#define SPF_A64_NOP		0xd503201fU
#define SPF_A64_MOV_X9_X30	0xaa1e03e9U

/*
 * Where the stub resumes do_page_fault() at ADDR: past its ftrace call,
 * which DYNAMIC_FTRACE_WITH_REGS patches as "mov x9, x30" (at boot)
 * then "bl ftrace_regs_caller" (while traced, a NOP before).  0 if the
 * text around ftrace_location() is not that.
 */
static unsigned long spf_arm64_resume_at(unsigned long addr)
{
	unsigned long loc = spf_ftrace_location(addr);
	u32 before, at;

	if (!loc || loc - addr > 16 ||
	    get_kernel_nofault(before, (u32 *)(loc - AARCH64_INSN_SIZE)) ||
	    get_kernel_nofault(at, (u32 *)loc))
		return 0;
	before = le32_to_cpu((__force __le32)before);
	at = le32_to_cpu((__force __le32)at);
	if (before != SPF_A64_MOV_X9_X30 ||
	    (at != SPF_A64_NOP && !aarch64_insn_is_bl(at)))
		return 0;
	return loc + AARCH64_INSN_SIZE;
}

int spf_arch_fault_resolve(struct spf_hook *hook)
{
	/* Static, so it may be missing (inlined): then the two hooks. */
	hook->addr = spf_hook_target_find(hook->symbol);
	hook->replacement = spf_do_page_fault;
	spf_orig_do_page_fault = (void *)hook->addr;
	if (!hook->addr || SPF_BROKEN_HOLD_ACROSS_STOCK)
		return 0;
	spf_arm64_fault_resume = spf_arm64_resume_at(hook->addr);
	if (spf_arm64_fault_resume) {
		hook->replacement = spf_arm64_fault_stub;
		hook->leaves_into_body = true;
	} else {
		pr_warn("do_page_fault()'s ftrace site is not as expected: faults handed back to it keep spf in use while they run\n");
	}
	return 0;
}

int spf_arch_init(void)
{
	return spf_wrapper_mte_init();
}

void spf_arch_exit(void)
{
}
