/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the registers include/spf/arch/x86_64.h reads and sets.
 */
#ifndef _USPACE_LINUX_PTRACE_H
#define _USPACE_LINUX_PTRACE_H

struct pt_regs {
	unsigned long sp;
	unsigned long cx;	/* include/spf/arch/x86_64.h sets it */
};

static inline unsigned long kernel_stack_pointer(struct pt_regs *regs)
{
	return regs->sp;
}

#endif
