/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64: where on a function's entry spf plants its kprobe, and how the
 * pre-handler finds the caller.
 *
 * The probe goes on the function's 5-byte fentry site, where Debian's
 * kernels (KPROBES_ON_FTRACE) make it an ftrace-based kprobe: a call
 * into the ftrace trampoline instead of an int3 trap, several times
 * cheaper per fault.  The pre-handler runs before the prologue, so the
 * stack pointer points at the return address into the caller.
 *
 * History: under qemu 7.2's multi-threaded TCG, load/unload cycles
 * while other vCPUs ran through the patched sites jumped to address 0
 * or hung CPUs on the site.  The kernel's own patching does the same
 * there with spf never loaded (static-key flips of the mmap_lock trace
 * events, the ftrace-direct-too sample: soft lockups and an RCU stall)
 * and runs clean on qemu 10.0.2 (tools/vm/tcg-evidence,
 * docs/results/tcg-evidence-*.md): the emulator's bug, not the hook's.
 */
#ifndef _SPF_ARCH_X86_64_H
#define _SPF_ARCH_X86_64_H

#include <linux/ptrace.h>

#if defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
#define SPF_ARCH_HAVE_DIRECT
#define SPF_ARCH_HOOK_DESC "x86_64 ftrace-direct"
#elif defined(CONFIG_KPROBES_ON_FTRACE)
#define SPF_ARCH_HOOK_DESC "x86_64 kprobes-on-ftrace"
#else
#define SPF_ARCH_HOOK_DESC "x86_64 kprobes-int3"
#endif

/* SPF_ARCH_INFO_ARG (include/spf/arch.h): the fourth argument, %rcx. */
static inline void spf_arch_set_info(struct pt_regs *regs, unsigned long val)
{
	regs->cx = val;
}

static inline unsigned long spf_arch_entry_caller(struct pt_regs *regs)
{
	return *(unsigned long *)kernel_stack_pointer(regs);
}

#endif
