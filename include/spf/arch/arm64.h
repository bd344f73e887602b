/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64: hooks are IPMODIFY ftrace_ops where the kernel has
 * DYNAMIC_FTRACE_WITH_REGS (spf/hooks/hook_ftrace.c), kprobes otherwise.
 * Kprobes are BRK based and independent of each other; the probe sits
 * on the function's first instruction, which traps before the prologue
 * has saved the link register, so x30 is the return address into the
 * caller.
 */
#ifndef _SPF_ARCH_ARM64_H
#define _SPF_ARCH_ARM64_H

#include <linux/ptrace.h>

#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#define SPF_ARCH_HAVE_FTRACE_IPMODIFY
#define SPF_ARCH_HOOK_DESC "arm64 ftrace-ipmodify"
#else
#define SPF_ARCH_HOOK_DESC "arm64 kprobes-brk"
#endif

/* SPF_ARCH_INFO_ARG (include/spf/arch.h): the fourth argument, x3. */
static inline void spf_arch_set_info(struct pt_regs *regs, unsigned long val)
{
	regs->regs[3] = val;
}

/* spf/hooks/arch_arm64.c: do_page_fault()'s entry stub and its attempt. */
void spf_arm64_fault_stub(void);
/* Non-zero if done; a full register, which the stub tests whole. */
unsigned long spf_arm64_fault_attempt(unsigned long far, unsigned long esr,
				      struct pt_regs *regs);

static inline unsigned long spf_arch_entry_caller(struct pt_regs *regs)
{
	return procedure_link_pointer(regs);
}

#endif
