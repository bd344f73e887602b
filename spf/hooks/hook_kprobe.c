// SPDX-License-Identifier: GPL-2.0
/*
 * Function redirection with kprobes: on arm64 for every hook, on x86-64
 * for a hooked function that has no fentry site (spf/hooks/hook_install.c).
 *
 * A kprobe sits at the entry of each hooked function (on x86-64 the
 * fentry site, see include/spf/arch/x86_64.h), before the prologue, so
 * the stack and link register still describe the call.  When
 * spf_hook_take() says so, the pre-handler moves the instruction pointer
 * to the replacement and returns 1; the kprobe core then skips the
 * single-step of the probed instruction and the call continues in the
 * replacement with the caller's arguments and return address.  The
 * pre-handler runs with preemption disabled (int3 and BRK exceptions
 * run with interrupts off).
 *
 * The probes carry an empty post-handler: should a probe end up int3
 * based (a kernel without KPROBES_ON_FTRACE), x86-64 would otherwise
 * optimize it into a jump, and an optimized probe ignores a changed
 * instruction pointer.  A pre-handler that returns 1 skips it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <spf/arch.h>
#include "internal.h"

static int spf_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct spf_hook *hook = container_of(p, struct spf_hook, kp);
	unsigned long args[SPF_HOOK_ARGS];
	unsigned int i;

	for (i = 0; i < SPF_HOOK_ARGS; i++)
		args[i] = regs_get_kernel_argument(regs, i);
	if (!spf_hook_take(hook, spf_arch_entry_caller(regs), args))
		return 0;
	spf_arch_set_info(regs, args[SPF_ARCH_INFO_ARG]);
	instruction_pointer_set(regs, (unsigned long)hook->replacement);
	return 1;
}
NOKPROBE_SYMBOL(spf_kprobe_pre);

static void spf_kprobe_post(struct kprobe *p, struct pt_regs *regs,
			    unsigned long flags)
{
}
NOKPROBE_SYMBOL(spf_kprobe_post);

int spf_kprobe_arm(struct spf_hook *hook)
{
	struct kprobe *kp = &hook->kp;
	int ret;

	memset(kp, 0, sizeof(*kp));
	kp->addr = (kprobe_opcode_t *)hook->addr;
	kp->pre_handler = spf_kprobe_pre;
	kp->post_handler = spf_kprobe_post;
	ret = register_kprobe(kp);
	if (ret) {
		pr_err("cannot hook %s: kprobe registration failed (%d)\n",
		       hook->symbol, ret);
		return ret;
	}
	hook->armed = SPF_ARMED_KPROBE;
	return 0;
}

/* unregister_kprobe() waits for running pre-handlers (synchronize_rcu). */
void spf_kprobe_disarm(struct spf_hook *hook)
{
	unregister_kprobe(&hook->kp);
}
