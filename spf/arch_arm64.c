// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: where the speculative attempt runs, and the arch handler's
 * access check it must reproduce.
 *
 * do_page_fault() decodes the ESR into fault flags and a required
 * vm_flags mask before lock_mm_and_find_vma(); the ESR is not reachable
 * from that hook, but the flags are handle_mm_fault()'s argument.  So
 * the lock_mm hook returns the marker at once, __do_page_fault()'s
 * check passes it (its flags allow everything), and the attempt runs in
 * the handle_mm_fault hook.  When it gives up, the hook takes the stock
 * steps itself and returns what __do_page_fault() would have:
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
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <asm/cpufeature.h>
#include <spf/arch.h>
#include <spf/hooks.h>
#include <spf/speculate.h>
#include <wrapper/symbols.h>

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

	if (spf_speculate(mm, addr, flags, regs))
		return VM_FAULT_COMPLETED;

	vma = spf_stock_lock_mm(mm, addr, regs);
	if (!vma) {
		mmap_read_lock(mm);
		return SPF_ARM64_VM_FAULT_BADMAP;
	}
	if (!(vma->vm_flags & spf_arm64_required(flags)))
		return SPF_ARM64_VM_FAULT_BADACCESS;
	return spf_stock_handle_mm_fault(vma, addr, flags, regs);
}

#ifdef CONFIG_ARM64_MTE
/*
 * set_pte_at() calls mte_sync_tags(), which 6.1 does not export.  spf
 * never maps a tagged page (VM_MTE VMAs stay stock) over a swap entry,
 * so the call is not expected, but if made it goes to the kernel's own.
 */
static void (*spf_mte_sync_tags)(pte_t old_pte, pte_t pte);

void mte_sync_tags(pte_t old_pte, pte_t pte)
{
	spf_mte_sync_tags(old_pte, pte);
}

int spf_arch_init(void)
{
	return spf_resolve(spf_mte_sync_tags, "mte_sync_tags",
			   "by set_pte_at() on MTE kernels");
}
#else
int spf_arch_init(void)
{
	return 0;
}
#endif

void spf_arch_exit(void)
{
}
