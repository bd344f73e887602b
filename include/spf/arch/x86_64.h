/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64: where on a function's entry spf plants its kprobe, and how the
 * pre-handler finds the caller.
 *
 * Functions start with a 5-byte fentry site (a NOP unless something
 * traces the function).  A kprobe on that site would be an ftrace-based
 * kprobe, and those share one static ftrace_ops in the kernel: with spf
 * as its only user, every load and unload registers and unregisters that
 * ops and rewrites the fentry sites of the hooked functions while faults
 * run through them.  On the Debian 6.1 kernel under qemu this was seen
 * to jump to address 0 and to hang CPUs on the patched site within 20
 * load/unload cycles (ftrace ops of the module's own did the same).  The
 * probe therefore goes on the instruction after the fentry site, where
 * it is an int3 probe that shares nothing: the fentry NOP has pushed
 * nothing, so the stack pointer still points at the return address into
 * the caller.
 */
#ifndef _SPF_ARCH_X86_64_H
#define _SPF_ARCH_X86_64_H

#include <linux/ptrace.h>
#include <linux/string.h>

#define SPF_ARCH_HOOK_DESC "x86_64 kprobes-int3"

static inline unsigned int spf_arch_entry_skip(unsigned long func)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	const u8 *insn = (const u8 *)func;

	if (!memcmp(insn, nop5, sizeof(nop5)) || insn[0] == 0xe8)
		return sizeof(nop5);
	return 0;
}

static inline unsigned long spf_arch_entry_caller(struct pt_regs *regs)
{
	return *(unsigned long *)kernel_stack_pointer(regs);
}

#endif
