/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64: Debian's 6.1 kernels have KPROBES_ON_FTRACE, so a kprobe on a
 * function's entry runs from the fentry call, before the prologue.  The
 * pt_regs it sees are those of the function entry: sp points at the
 * return address into the caller.
 */
#ifndef _SPF_ARCH_X86_64_H
#define _SPF_ARCH_X86_64_H

#include <linux/ptrace.h>

#define SPF_ARCH_NAME "x86_64"
#ifdef CONFIG_KPROBES_ON_FTRACE
#define SPF_ARCH_KPROBE_KIND "kprobes-on-ftrace"
#else
#define SPF_ARCH_KPROBE_KIND "kprobes-int3"
#endif

static inline unsigned long spf_arch_entry_caller(struct pt_regs *regs)
{
	return *(unsigned long *)kernel_stack_pointer(regs);
}

#endif
