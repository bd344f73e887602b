/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-arch parts: facts the hook mechanism needs (spf/hook_kprobe.c)
 * and where on each arch's fault path the speculative attempt runs
 * (spf/arch_<arch>.c).
 */
#ifndef _SPF_ARCH_H
#define _SPF_ARCH_H

#include <linux/mm_types.h>
#include <spf/outcome.h>

#if defined(CONFIG_X86_64)
#include <spf/arch/x86_64.h>
#elif defined(CONFIG_ARM64)
#include <spf/arch/arm64.h>
#else
#error "spf supports x86-64 and arm64 only"
#endif

struct pt_regs;

int spf_arch_init(void);
void spf_arch_exit(void);

/*
 * In the lock_mm_and_find_vma replacement: true to return the marker
 * (the fault is done, or will be tried once its flags are known).
 */
bool spf_arch_at_lock_mm(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs);

/*
 * When spf_hook_take() turns a lock_mm call down without redirecting it
 * (spf/decline.c): drop what the arch keeps for the fault's hook.
 */
void spf_arch_declined(unsigned long addr, struct pt_regs *regs);

/*
 * In spf_hook_take(), before redirecting a lock_mm call: an abort
 * reason already certain from what the arch knows of the fault (and
 * then its record is dropped), or SPF_ABORT_NONE.
 */
enum spf_abort spf_arch_decline(unsigned long addr, struct pt_regs *regs);

/* In the handle_mm_fault replacement, given the marker. */
vm_fault_t spf_arch_at_handle_mm_fault(unsigned long addr,
				       unsigned int flags,
				       struct pt_regs *regs);

/* Would the arch handler's access check pass for this VMA? */
bool spf_arch_access_ok(struct vm_area_struct *vma,
			unsigned int flags);

#endif
