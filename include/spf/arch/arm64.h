/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64: kprobes are BRK based.  A probe on a function's first
 * instruction traps before the prologue has saved the link register, so
 * x30 still holds the return address into the caller.
 */
#ifndef _SPF_ARCH_ARM64_H
#define _SPF_ARCH_ARM64_H

#include <linux/ptrace.h>

#define SPF_ARCH_NAME "arm64"
#define SPF_ARCH_KPROBE_KIND "kprobes-brk"

static inline unsigned long spf_arch_entry_caller(struct pt_regs *regs)
{
	return procedure_link_pointer(regs);
}

#endif
