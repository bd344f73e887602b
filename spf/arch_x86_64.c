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
 * handler.  The probe records (task, context switch count, address,
 * error code) in a per-CPU slot; the hook uses the slot only if it
 * names the current task, the same address, and a switch count that
 * has not moved.  Nothing can come between the probe and the hook on
 * this CPU for this task without a context switch, except interrupts,
 * which cannot fault on user addresses (the probe ignores faults out of
 * task context); a switch (and so any migration) moves the count.  The
 * hook clears the slot, so a retried fault, which has no new
 * tracepoint, is never speculated: stock accounts a retry as major.
 *
 * Only not-present faults are tried: PROT, PK, RSVD or SGX in the error
 * code mean a present PTE, which is stock work (counted as abort_pte).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <asm/mmu_context.h>
#include <asm/trap_pf.h>
#include <spf/arch.h>
#include <spf/hooks.h>
#include <spf/speculate.h>

struct spf_pf_record {
	struct task_struct *task;
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
	r->task = current;
	r->switches = spf_switches(current);
	r->address = address;
	r->error_code = error_code;
}

static bool spf_pf_error_code(unsigned long addr, unsigned long *error_code)
{
	struct spf_pf_record *r;
	bool ours;

	preempt_disable();
	r = this_cpu_ptr(&spf_pf_record);
	ours = r->task == current && r->address == addr &&
	       r->switches == spf_switches(current);
	*error_code = r->error_code;
	r->task = NULL;
	preempt_enable();
	return ours;
}

bool spf_arch_at_lock_mm(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs)
{
	unsigned int flags = FAULT_FLAG_DEFAULT;
	unsigned long error_code;

	if (!spf_pf_error_code(addr, &error_code)) {
		spf_abort(SPF_ABORT_OTHER, addr);
		return false;
	}
	if (error_code & (X86_PF_PROT | X86_PF_PK | X86_PF_RSVD |
			  X86_PF_SGX)) {
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
static void spf_pf_find(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spf_pf_tracepoints); i++)
		if (!strcmp(tp->name, spf_pf_tracepoints[i]))
			spf_pf_tp[i] = tp;
}

int spf_arch_init(void)
{
	unsigned int i;
	int ret;

	for_each_kernel_tracepoint(spf_pf_find, NULL);
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

void spf_arch_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spf_pf_tracepoints); i++)
		tracepoint_probe_unregister(spf_pf_tp[i], spf_pf_probe, NULL);
	tracepoint_synchronize_unregister();
}
