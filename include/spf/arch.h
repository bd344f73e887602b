/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-arch parts: facts the hook mechanism needs (spf/hooks/hook_kprobe.c)
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
/*
 * Detaches what spf_arch_init() attached, without waiting for a probe
 * still running: call spf_mm_seq_exit() after it, whose
 * tracepoint_synchronize_unregister() covers both (one wait, not two,
 * on every unload).
 */
void spf_arch_exit(void);

/*
 * What spf_arch_decline() found out about a fault, handed to the
 * lock_mm replacement in the call's fourth argument register, which
 * lock_mm_and_find_vma() does not use: the hook mechanisms put
 * args[SPF_ARCH_INFO_ARG] back into it before the replacement runs.
 * Without SPF_ARCH_INFO_VALID, nothing was found.
 */
#define SPF_ARCH_INFO_ARG	3
#define SPF_ARCH_INFO_VALID	BIT(63)

/*
 * In the lock_mm_and_find_vma replacement: true to return the marker
 * (the fault is done, or will be tried once its flags are known).
 */
bool spf_arch_at_lock_mm(struct mm_struct *mm, unsigned long addr,
			 struct pt_regs *regs, unsigned long info);

/*
 * When spf_hook_take() turns a lock_mm call down without redirecting it
 * (vma_lookup/decline.c): drop what the arch keeps for the fault's hook, if
 * INFO (from spf_arch_decline(), or 0) says it was not taken yet.
 */
void spf_arch_declined(unsigned long addr, struct pt_regs *regs,
		       unsigned long info);

/*
 * In spf_hook_take(), before redirecting a lock_mm call: an abort
 * reason already certain from what the arch knows of the fault, or
 * SPF_ABORT_NONE.  Either way the arch's record of the fault may have
 * been taken; *INFO then says what it held.
 */
enum spf_abort spf_arch_decline(unsigned long addr, struct pt_regs *regs,
				unsigned long *info);

/* In the handle_mm_fault replacement, given the marker. */
vm_fault_t spf_arch_at_handle_mm_fault(unsigned long addr,
				       unsigned int flags,
				       struct pt_regs *regs);

/*
 * The arch fault handler as a whole, where the arch can take it over
 * (arm64's do_page_fault(far, esr, regs), spf/hooks/arch_arm64.c): one hooked
 * call per fault instead of two, and no marker.  The resolve sets the
 * hook's addr, or leaves it 0 where the arch has no such hook (x86-64)
 * and the lock_mm and handle_mm_fault hooks do the job.
 */
struct spf_hook;
int spf_arch_fault_resolve(struct spf_hook *hook);

/*
 * In spf_hook_take(), for that hook's call (its arguments in ARGS):
 * true to let it run stock without redirecting it, counted and traced
 * as spf_hook_take()'s lock_mm decline counts and traces.
 */
bool spf_arch_fault_decline(unsigned long *args);
extern void *const spf_arch_fault_replacement;

/* Would the arch handler's access check pass for this VMA? */
bool spf_arch_access_ok(struct vm_area_struct *vma,
			unsigned int flags);

#endif
