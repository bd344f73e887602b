// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64: where the speculative attempt runs, and the arch handler's
 * access check it must reproduce.
 *
 * do_user_addr_fault() checks the VMA against the hardware error code
 * (access_error()) between lock_mm_and_find_vma() and handle_mm_fault(),
 * and on failure raises SEGV_ACCERR or SEGV_PKUERR through a path that
 * unlocks mmap_lock.  That signal cannot be produced from the
 * handle_mm_fault hook, so on x86-64 the whole attempt runs in the
 * lock_mm_and_find_vma hook, which must therefore know the error code;
 * on failure it calls the stock lookup and the arch handler continues
 * exactly as stock.  On success the hook returns the marker, whose
 * flags pass access_error() (write allowed, accessible, foreign to the
 * pkey check) and handle_mm_fault's hook returns VM_FAULT_COMPLETED.
 *
 * The error code: by the time the hook runs, the entry code has set
 * pt_regs->orig_ax to -1, so spf reads it from the page-fault
 * tracepoints (exceptions:page_fault_user and page_fault_kernel), which
 * exc_page_fault() fires with interrupts off before it calls the arch
 * handler.  The probe records (task, regs, context switch count,
 * address, error code) in a per-CPU slot, and the hook takes the
 * record and clears it: spf_hook_take() on this CPU, strictly, before
 * redirecting the call (spf_arch_decline()), which hands the error code
 * to the replacement in the call's unused fourth argument register;
 * the replacement searches (below) only when that found nothing.
 * Using another fault's error code could be fatal (a PK fault handled
 * as not-present would make the arch handler unlock a lock it does not
 * hold), so a record is used only when it is certainly this fault's:
 *  - On this CPU with an unchanged switch count: nothing ran on this
 *    CPU between the probe and the hook but this task and interrupts,
 *    which cannot fault on user addresses (the probe ignores faults
 *    out of task context).
 *  - A user-mode fault (regs is the task's user frame) may also have
 *    been preempted or migrated: spf then looks for a record of this
 *    task with these regs and address on every CPU.  It can only be
 *    this fault's: every user-mode fault reaches the hook (the early
 *    exits of do_user_addr_fault() are for kernel-mode faults and the
 *    vsyscall page, never a VMA) and takes its record there (or, turned
 *    down before it, in spf_arch_declined()), and a task
 *    has one user-mode fault at a time.  Kernel-mode records may be
 *    left behind (faults with page faults disabled return early), so
 *    they get no such search.
 * The slot is written with its task field cleared first and set last
 * (with write barriers), and taken by a cmpxchg of that field, so a
 * reader on another CPU never pairs this task's name with another
 * fault's fields.  A retried fault has no new tracepoint hit and finds
 * nothing: it is never speculated, as stock counts a retry as major.
 *
 * Tried: not-present faults, and writes to a present PTE (PROT with
 * WRITE: the write-protect fault of spf/faults/wp_fault.c).  PK, RSVD or SGX,
 * or PROT on a read or fetch, are stock work (counted as abort_pte):
 * access errors, reserved bits, enclave pages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <asm/mmu_context.h>
#include <asm/trap_pf.h>
#include <spf/arch.h>
#include "../faults/internal.h"
#include "internal.h"

/* Error codes that are stock work whatever the PTE (abort_pte). */
static bool spf_pf_stock_only(unsigned long error_code)
{
	if (error_code & (X86_PF_PK | X86_PF_RSVD | X86_PF_SGX))
		return true;
	return (error_code & X86_PF_PROT) && !(error_code & X86_PF_WRITE);
}

struct spf_pf_record {
	struct task_struct *task;	/* NULL while being written */
	struct pt_regs *regs;
	unsigned long switches;
	unsigned long address;
	unsigned long error_code;
};

static DEFINE_PER_CPU(struct spf_pf_record, spf_pf_record);

static const char *const spf_pf_tracepoints[] = {
	"page_fault_user",
	"page_fault_kernel",
};

static struct tracepoint *spf_pf_tp[ARRAY_SIZE(spf_pf_tracepoints)];

static unsigned long spf_switches(struct task_struct *t)
{
	return t->nvcsw + t->nivcsw;
}

static void spf_pf_probe(void *data, unsigned long address,
			 struct pt_regs *regs, unsigned long error_code)
{
	struct spf_pf_record *r = this_cpu_ptr(&spf_pf_record);

	if (!in_task())
		return;
	WRITE_ONCE(r->task, NULL);
	smp_wmb();	/* no reader pairs the old task with new fields */
	r->regs = regs;
	r->switches = spf_switches(current);
	r->address = address;
	r->error_code = error_code;
	smp_wmb();	/* the fields before the name */
	WRITE_ONCE(r->task, current);
}

/*
 * Take R if it is this fault's record (see the top of this file): its
 * error code with SPF_ARCH_INFO_VALID, or 0.
 */
static unsigned long spf_pf_take(struct spf_pf_record *r,
				 struct pt_regs *regs, unsigned long addr,
				 bool strict)
{
	unsigned long error_code;

	if (READ_ONCE(r->task) != current)
		return 0;
	smp_rmb();	/* the name before the fields */
	if (r->regs != regs || r->address != addr ||
	    (strict && r->switches != spf_switches(current)))
		return 0;
	error_code = r->error_code;
	/* Fails if another task's probe has started to reuse the slot. */
	if (cmpxchg(&r->task, current, NULL) != current)
		return 0;
	return error_code | SPF_ARCH_INFO_VALID;
}

/* This CPU's record, strictly. */
static unsigned long spf_pf_take_here(unsigned long addr,
				      struct pt_regs *regs)
{
	unsigned long info;

	preempt_disable();
	info = spf_pf_take(this_cpu_ptr(&spf_pf_record), regs, addr, true);
	preempt_enable();
	return info;
}

/* Anywhere: a user-mode fault may have been preempted or migrated. */
static unsigned long spf_pf_find(unsigned long addr, struct pt_regs *regs)
{
	unsigned long info = spf_pf_take_here(addr, regs);
	int cpu;

	if (info || !user_mode(regs))
		return info;
	for_each_online_cpu(cpu) {
		info = spf_pf_take(per_cpu_ptr(&spf_pf_record, cpu), regs,
				   addr, false);
		if (info)
			return info;
	}
	return 0;
}

bool spf_arch_at_lock_mm(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs, unsigned long info)
{
	unsigned int flags = FAULT_FLAG_DEFAULT;
	unsigned long error_code;

	/* Not found on this CPU by spf_arch_decline(): look further. */
	if (!(info & SPF_ARCH_INFO_VALID))
		info = spf_pf_find(addr, regs);
	if (!info) {
		spf_abort(SPF_ABORT_OTHER, addr);
		return false;
	}
	error_code = info & ~SPF_ARCH_INFO_VALID;
	if (spf_pf_stock_only(error_code)) {
		spf_abort(SPF_ABORT_PTE, addr);
		return false;
	}
	/* The flags do_user_addr_fault() computed. */
	if (user_mode(regs))
		flags |= FAULT_FLAG_USER;
	if (error_code & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (error_code & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	return spf_speculate(mm, addr, flags, regs);
}

/*
 * Take the record where it almost always is, strictly (this CPU, no
 * switch since the probe), once per fault: its error code goes to
 * spf_arch_at_lock_mm() through INFO, which looks further only if it
 * was not found here.  A fault the error code alone sends stock (a pkey
 * or reserved-bit fault, a read of a present PTE) is spared the
 * redirection.
 */
enum spf_abort spf_arch_decline(unsigned long addr, struct pt_regs *regs,
				unsigned long *info)
{
	*info = spf_pf_take_here(addr, regs);
	if (*info && spf_pf_stock_only(*info & ~SPF_ARCH_INFO_VALID))
		return SPF_ABORT_PTE;
	return SPF_ABORT_NONE;
}

/*
 * A fault turned down before the hook still takes its record: every
 * user-mode fault must, or a later one of this task at the same address
 * could be paired with this one's error code (see the top).  INFO says
 * whether spf_arch_decline() took it already.
 */
void spf_arch_declined(unsigned long addr, struct pt_regs *regs,
		       unsigned long info)
{
	if (!(info & SPF_ARCH_INFO_VALID))
		spf_pf_find(addr, regs);
}

vm_fault_t spf_arch_at_handle_mm_fault(unsigned long addr,
				       unsigned int flags,
				       struct pt_regs *regs)
{
	return VM_FAULT_COMPLETED;	/* done in the lock_mm hook */
}

/*
 * access_error() for a not-present fault, and handle_mm_fault()'s pkey
 * check: the copy's vm_mm is the current mm, so pkeys are checked.
 */
bool spf_arch_access_ok(struct vm_area_struct *vma, unsigned int flags)
{
	bool write = flags & FAULT_FLAG_WRITE;

	if (!arch_vma_access_permitted(vma, write,
				       flags & FAULT_FLAG_INSTRUCTION, false))
		return false;
	if (write)
		return vma->vm_flags & VM_WRITE;
	return vma_is_accessible(vma);
}

/* Found by name among the built-in tracepoints (no KALLSYMS_ALL needed). */
static void spf_pf_find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spf_pf_tracepoints); i++)
		if (!strcmp(tp->name, spf_pf_tracepoints[i]))
			spf_pf_tp[i] = tp;
}

/* do_user_addr_fault() is left alone: the two hooks do the job. */
int spf_arch_fault_resolve(struct spf_hook *hook)
{
	return 0;
}

bool spf_arch_fault_decline(unsigned long *args)
{
	return true;	/* never armed here */
}

int spf_arch_init(void)
{
	unsigned int i;
	int ret;

	for_each_kernel_tracepoint(spf_pf_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(spf_pf_tracepoints); i++) {
		if (!spf_pf_tp[i]) {
			pr_err("kernel lacks tracepoint exceptions:%s, needed to read the page-fault error code; refusing to load\n",
			       spf_pf_tracepoints[i]);
			ret = -ENOENT;
			goto undo;
		}
		ret = tracepoint_probe_register(spf_pf_tp[i], spf_pf_probe,
						NULL);
		if (ret) {
			pr_err("cannot attach to %s (%d); refusing to load\n",
			       spf_pf_tracepoints[i], ret);
			goto undo;
		}
	}
	return 0;
undo:
	while (i--)
		tracepoint_probe_unregister(spf_pf_tp[i], spf_pf_probe, NULL);
	tracepoint_synchronize_unregister();
	return ret;
}

/* No wait here: spf_mm_seq_exit() waits for both (include/spf/arch.h). */
void spf_arch_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spf_pf_tracepoints); i++)
		tracepoint_probe_unregister(spf_pf_tp[i], spf_pf_probe, NULL);
}
