// SPDX-License-Identifier: GPL-2.0
/*
 * Function redirection with ftrace direct calls (x86-64).
 *
 * Each hooked function's fentry site is patched into a call to one of
 * spf's trampolines (register_ftrace_direct(), what BPF trampolines
 * use).  The trampoline runs before the function's prologue: the stack
 * holds the return address into the function body, then the caller's
 * return address, and the argument registers are untouched.  It saves
 * the argument registers, asks spf_hook_take() (through
 * spf_direct_take()) and restores them; then either it returns into the
 * function body (not taken), or it drops the return address into the
 * function body and jumps to the replacement, which thus runs as if the
 * caller had called it, with the same arguments and return address.
 *
 * A hook with an attempt (lock_mm_and_find_vma's) has a trampoline of
 * its own that calls the attempt instead of jumping to a replacement:
 * the attempt returns the result for the caller (the trampoline drops
 * the return address into the body and returns it), or 0, having
 * dropped its in-flight reference, and the trampoline restores the
 * argument registers and returns into the function body as when the
 * call is not taken.  So a fault spf hands back waits for mmap_lock in
 * the stock lookup with no frame of this module on its stack, and
 * unload does not wait for it.  The arguments, the fourth carrying
 * SPF_ARCH_INFO_ARG, reach the attempt in the array spf_hook_take()
 * saw.
 *
 * Why not kprobes here: a kprobe on ftrace saves a full pt_regs and
 * runs the kprobe core on every hit, and a fault passes two hooks; the
 * direct trampoline saves seven registers and makes one call, which
 * measurably matters on the fault path (docs/design.md).
 *
 * Unlike a kprobe pre-handler, the trampoline runs with preemption
 * enabled: a task can be preempted inside it.  Unload covers that the
 * same way as a task preempted in a replacement: after the direct calls
 * are unregistered, an RCU-tasks grace period passes before the module
 * text can go (spf/hooks/hooks.c).
 *
 * Trampoline n serves hooks[n]; there are SPF_DIRECT_MAX of them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/nospec-branch.h>
#include <asm/orc_types.h>
#include <spf/arch.h>
#include "internal.h"

static struct spf_hook *spf_direct_hooks;

/* Called by trampoline n: the replacement to jump to, or 0. */
void spf_direct_init(struct spf_hook *hooks)
{
	spf_direct_hooks = hooks;
}

unsigned long notrace spf_direct_take(unsigned int n, unsigned long caller,
				      unsigned long *args);
unsigned long notrace spf_direct_take(unsigned int n, unsigned long caller,
				      unsigned long *args)
{
	struct spf_hook *hook = &spf_direct_hooks[n];

	if (!spf_hook_take(hook, caller, args))
		return 0;
	return (unsigned long)hook->replacement;
}

/* Called by attempt trampoline n: the attempt's result, or 0. */
unsigned long notrace spf_direct_attempt(unsigned int n, unsigned long caller,
					 unsigned long *args);
unsigned long notrace spf_direct_attempt(unsigned int n, unsigned long caller,
					 unsigned long *args)
{
	struct spf_hook *hook = &spf_direct_hooks[n];

	if (!spf_hook_take(hook, caller, args))
		return 0;
	return hook->attempt(args);
}

#ifdef CONFIG_RETPOLINE
#define SPF_JMP_R11	"jmp __x86_indirect_thunk_r11\n"
#else
#define SPF_JMP_R11	"jmp *%r11\n"
#endif

/*
 * With the return address into the function body dropped, the stack is
 * exactly as at the entry of a function called by the caller: say so to
 * objtool (and the ORC unwinder), the jump is then a plain tail call.
 */
#define SPF_AT_FUNC_ENTRY \
	UNWIND_HINT(ORC_REG_SP, 8, UNWIND_HINT_TYPE_FUNC, 0) "\n"

/*
 * Shared by both trampolines: save the arguments (and %rax, as ftrace
 * does) in a frame, and call with %edi = n, %rsi = the caller's return
 * address, %rdx = the saved %rdi..%rcx (the args array); then restore
 * them and leave the frame.
 */
#define SPF_DIRECT_SAVE(n)						\
	"	pushq %rbp\n"						\
	"	movq %rsp, %rbp\n"					\
	"	pushq %rax\n"						\
	"	pushq %r9\n"						\
	"	pushq %r8\n"						\
	"	pushq %rcx\n"						\
	"	pushq %rdx\n"						\
	"	pushq %rsi\n"						\
	"	pushq %rdi\n"						\
	"	subq $8, %rsp\n"					\
	"	movl $" #n ", %edi\n"					\
	"	movq 16(%rbp), %rsi\n"					\
	"	leaq 8(%rsp), %rdx\n"

#define SPF_DIRECT_RESTORE						\
	"	addq $8, %rsp\n"					\
	"	popq %rdi\n"						\
	"	popq %rsi\n"						\
	"	popq %rdx\n"						\
	"	popq %rcx\n"						\
	"	popq %r8\n"						\
	"	popq %r9\n"						\
	"	popq %rax\n"						\
	"	leave\n"

/*
 * On entry: 0(%rsp) returns into the function body, 8(%rsp) into its
 * caller; %rdi..%r9 are the arguments, %rax is preserved as ftrace
 * does.  After "push %rbp" the caller's return address is 16(%rbp).
 * After the eight pushes and the 8 bytes subtracted %rsp is 8 mod 16
 * at the call: enough, the kernel being built for an 8-byte stack
 * boundary (-mpreferred-stack-boundary=3).  The saved %rdi..%rcx are
 * the args array.
 */
#define SPF_DIRECT_TRAMPOLINE(n)					\
	"	.pushsection .text, \"ax\", @progbits\n"		\
	"	.type spf_direct_tramp_" #n ", @function\n"		\
	"spf_direct_tramp_" #n ":\n"					\
	SPF_DIRECT_SAVE(n)						\
	"	call spf_direct_take\n"					\
	"	movq %rax, %r11\n"					\
	SPF_DIRECT_RESTORE						\
	"	testq %r11, %r11\n"					\
	"	jz 1f\n"						\
	"	addq $8, %rsp\n"					\
	SPF_AT_FUNC_ENTRY						\
	"	" SPF_JMP_R11						\
	"1:\n"								\
	"	" ASM_RET						\
	"	.size spf_direct_tramp_" #n ", .-spf_direct_tramp_" #n "\n" \
	"	.popsection\n"

asm(SPF_DIRECT_TRAMPOLINE(0) SPF_DIRECT_TRAMPOLINE(1)
	SPF_DIRECT_TRAMPOLINE(2) SPF_DIRECT_TRAMPOLINE(3)
	SPF_DIRECT_TRAMPOLINE(4) SPF_DIRECT_TRAMPOLINE(5)
	SPF_DIRECT_TRAMPOLINE(6) SPF_DIRECT_TRAMPOLINE(7)
	SPF_DIRECT_TRAMPOLINE(8) SPF_DIRECT_TRAMPOLINE(9));

/*
 * For a hook with an attempt (spf/hooks/internal.h): the same saves, then
 * one call that asks spf_hook_take() and, if taken, runs the attempt.
 * A result is returned to the caller, the return address into the
 * function body dropped; 0 (not taken, or given up with the reference
 * dropped) restores the registers and returns into the body, as the
 * plain trampoline does.  The function then runs and returns to its
 * caller with no frame of this module below it, however long it
 * sleeps.
 */
#define SPF_DIRECT_ATTEMPT_TRAMPOLINE(n)				\
	"	.pushsection .text, \"ax\", @progbits\n"		\
	"	.type spf_direct_atramp_" #n ", @function\n"		\
	"spf_direct_atramp_" #n ":\n"					\
	SPF_DIRECT_SAVE(n)						\
	"	call spf_direct_attempt\n"				\
	"	testq %rax, %rax\n"					\
	"	jnz 1f\n"						\
	SPF_DIRECT_RESTORE						\
	"	" ASM_RET						\
	"1:\n"								\
	"	leave\n"						\
	"	addq $8, %rsp\n"					\
	SPF_AT_FUNC_ENTRY						\
	"	" ASM_RET						\
	"	.size spf_direct_atramp_" #n ", .-spf_direct_atramp_" #n "\n" \
	"	.popsection\n"

asm(SPF_DIRECT_ATTEMPT_TRAMPOLINE(0) SPF_DIRECT_ATTEMPT_TRAMPOLINE(1)
	SPF_DIRECT_ATTEMPT_TRAMPOLINE(2) SPF_DIRECT_ATTEMPT_TRAMPOLINE(3)
	SPF_DIRECT_ATTEMPT_TRAMPOLINE(4) SPF_DIRECT_ATTEMPT_TRAMPOLINE(5)
	SPF_DIRECT_ATTEMPT_TRAMPOLINE(6) SPF_DIRECT_ATTEMPT_TRAMPOLINE(7)
	SPF_DIRECT_ATTEMPT_TRAMPOLINE(8) SPF_DIRECT_ATTEMPT_TRAMPOLINE(9));

/*
 * For a hook with the marker flag: a call whose first argument is
 * spf_marker_vma goes straight to the replacement (spf_hook_take()
 * would take it unconditionally); any other goes through trampoline n.
 * %r11 is free at a function's entry, as in the trampolines.
 */
#define SPF_DIRECT_MARKER_TRAMPOLINE(n)					\
	"	.pushsection .text, \"ax\", @progbits\n"		\
	"	.type spf_direct_mtramp_" #n ", @function\n"		\
	"spf_direct_mtramp_" #n ":\n"					\
	"	leaq spf_marker_vma(%rip), %r11\n"			\
	"	cmpq %r11, %rdi\n"					\
	"	jne spf_direct_tramp_" #n "\n"				\
	"	addq $8, %rsp\n"					\
	SPF_AT_FUNC_ENTRY						\
	"	movq spf_direct_marker_dest(%rip), %r11\n"		\
	"	" SPF_JMP_R11						\
	"	.size spf_direct_mtramp_" #n ", .-spf_direct_mtramp_" #n "\n" \
	"	.popsection\n"

asm(SPF_DIRECT_MARKER_TRAMPOLINE(0) SPF_DIRECT_MARKER_TRAMPOLINE(1)
	SPF_DIRECT_MARKER_TRAMPOLINE(2) SPF_DIRECT_MARKER_TRAMPOLINE(3)
	SPF_DIRECT_MARKER_TRAMPOLINE(4) SPF_DIRECT_MARKER_TRAMPOLINE(5)
	SPF_DIRECT_MARKER_TRAMPOLINE(6) SPF_DIRECT_MARKER_TRAMPOLINE(7)
	SPF_DIRECT_MARKER_TRAMPOLINE(8) SPF_DIRECT_MARKER_TRAMPOLINE(9));

/* Their addresses, indexed by n, for register_ftrace_direct(). */
asm("	.pushsection .rodata, \"a\"\n"
	"	.balign 8\n"
	"spf_direct_tramps:\n"
	"	.quad spf_direct_tramp_0, spf_direct_tramp_1\n"
	"	.quad spf_direct_tramp_2, spf_direct_tramp_3\n"
	"	.quad spf_direct_tramp_4, spf_direct_tramp_5\n"
	"	.quad spf_direct_tramp_6, spf_direct_tramp_7\n"
	"	.quad spf_direct_tramp_8, spf_direct_tramp_9\n"
	"spf_direct_mtramps:\n"
	"	.quad spf_direct_mtramp_0, spf_direct_mtramp_1\n"
	"	.quad spf_direct_mtramp_2, spf_direct_mtramp_3\n"
	"	.quad spf_direct_mtramp_4, spf_direct_mtramp_5\n"
	"	.quad spf_direct_mtramp_6, spf_direct_mtramp_7\n"
	"	.quad spf_direct_mtramp_8, spf_direct_mtramp_9\n"
	"spf_direct_atramps:\n"
	"	.quad spf_direct_atramp_0, spf_direct_atramp_1\n"
	"	.quad spf_direct_atramp_2, spf_direct_atramp_3\n"
	"	.quad spf_direct_atramp_4, spf_direct_atramp_5\n"
	"	.quad spf_direct_atramp_6, spf_direct_atramp_7\n"
	"	.quad spf_direct_atramp_8, spf_direct_atramp_9\n"
	"	.popsection\n");

/* Where a marker trampoline sends the marker's call (one hook has it). */
static unsigned long spf_direct_marker_dest __used;

static unsigned long spf_direct_tramp(const struct spf_hook *hook,
				      unsigned int n)
{
	if (hook->attempt)
		return spf_direct_atramps[n];
	return hook->marker ? spf_direct_mtramps[n] : spf_direct_tramps[n];
}

/* -ENODEV: the function has no fentry site (an inline's copy, notrace). */
int spf_direct_arm(struct spf_hook *hook, unsigned int n)
{
	int ret;

	if (n >= SPF_DIRECT_MAX)
		return -E2BIG;
	if (hook->marker)
		spf_direct_marker_dest = (unsigned long)hook->replacement;
	ret = register_ftrace_direct(hook->addr, spf_direct_tramp(hook, n));
	if (ret == -ENODEV)
		return ret;
	if (ret) {
		pr_err("cannot hook %s: ftrace direct call registration failed (%d)%s\n",
		       hook->symbol, ret,
		       ret == -EBUSY ? "; another direct call (a BPF trampoline?) owns it" : "");
		return ret;
	}
	hook->armed = SPF_ARMED_DIRECT;
	hook->leaves_into_body = hook->attempt;
	return 0;
}

/* Returns once no CPU enters the trampoline; tasks may still be in it. */
void spf_direct_disarm(struct spf_hook *hook, unsigned int n)
{
	unregister_ftrace_direct(hook->addr, spf_direct_tramp(hook, n));
}
