// SPDX-License-Identifier: GPL-2.0
/*
 * Function redirection with an IPMODIFY ftrace_ops (arm64).
 *
 * 6.1 arm64 has no ftrace direct calls, but has DYNAMIC_FTRACE_WITH_REGS:
 * the patched entry of a traced function saves a full pt_regs (with the
 * caller's link register in regs->regs[30] and the function body's
 * address in regs->pc), calls the ftrace_ops handlers, then restores
 * x0-x8 and x30 from regs and branches to regs->pc.  A handler that
 * sets regs->pc to spf's replacement (the ops being SAVE_REGS and
 * IPMODIFY, as livepatching's) thus continues the call in the
 * replacement with the caller's arguments and return address, like the
 * kprobe did, without the two exception entries a BRK probe costs.
 *
 * The handler runs with preemption disabled by the ftrace core's
 * recursion protection, or not: spf_hook_take() is safe either way.
 * Unregistering a module's ftrace_ops waits for RCU-tasks, and unload
 * waits again (spf/hooks.c), so no task is left in the handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <spf/arch.h>
#include <spf/hook.h>

static void notrace spf_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *op,
				       struct ftrace_regs *fregs)
{
	struct spf_hook *hook = container_of(op, struct spf_hook, fops);
	struct pt_regs *regs = ftrace_get_regs(fregs);
	unsigned long args[SPF_HOOK_ARGS];
	unsigned int i;

	if (!regs)
		return;
	for (i = 0; i < SPF_HOOK_ARGS; i++)
		args[i] = regs_get_kernel_argument(regs, i);
	if (spf_hook_take(hook, parent_ip, args))
		instruction_pointer_set(regs, (unsigned long)hook->replacement);
}

/* -ENODEV: the function has no patchable entry. */
int spf_ftrace_arm(struct spf_hook *hook)
{
	struct ftrace_ops *ops = &hook->fops;
	int ret;

	memset(ops, 0, sizeof(*ops));
	ops->func = spf_ftrace_handler;
	/*
	 * PERMANENT: while registered, sysctl kernel.ftrace_enabled=0 is
	 * refused, since it would leave the freeing hooks silently off
	 * (x86-64's direct calls are permanent already).
	 */
	ops->flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		     FTRACE_OPS_FL_PERMANENT;
	ret = ftrace_set_filter_ip(ops, hook->addr, 0, 0);
	if (ret == -ENOENT || ret == -EINVAL)
		return -ENODEV;
	if (!ret)
		ret = register_ftrace_function(ops);
	if (ret) {
		pr_err("cannot hook %s: ftrace registration failed (%d)%s\n",
		       hook->symbol, ret,
		       ret == -EBUSY ? "; function tracing is off (sysctl kernel.ftrace_enabled=0), or another IPMODIFY user (a live patch?) owns it" : "");
		ftrace_free_filter(ops);
		return ret;
	}
	hook->armed = SPF_ARMED_FTRACE;
	return 0;
}

void spf_ftrace_disarm(struct spf_hook *hook)
{
	unregister_ftrace_function(&hook->fops);
	ftrace_free_filter(&hook->fops);
}
