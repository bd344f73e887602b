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
 * do_page_fault()'s replacement is an asm entry stub (spf/hooks/arch_arm64.c)
 * that, when spf hands the fault back, resumes the function just past
 * this patched call: the handler is not entered again, and the stock
 * handler runs with no frame of this module below it.
 *
 * One ftrace_ops carries every hook, its filter holding their sites:
 * a module's ops is "dynamic", so the ftrace core calls it through
 * ftrace_ops_list_func(), which tests each registered ops' filter on
 * every traced call.  With an ops per hook, each of a fault's two
 * hooked calls went through all of them (measured under TCG: more
 * instructions than the rest of spf's fault path); with one, a single
 * filter lookup, and the handler finds the hook among a few sites.
 *
 * The handler runs with preemption disabled by the ftrace core's
 * recursion protection, or not: spf_hook_take() is safe either way.
 * Hooks are armed in order and disarmed in the reverse order, so the
 * table of sites only grows and shrinks at its end; a site leaves the
 * filter before its entry leaves the table.  Unregistering a module's
 * ftrace_ops waits for RCU-tasks, and unload waits again
 * (spf/hooks/hooks.c), so no task is left in the handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <spf/arch.h>
#include "internal.h"

#define SPF_FTRACE_MAX	16
/*
 * The handler's ip is the function's ftrace call, a few instructions
 * into it (after a BTI landing pad and the NOP that saves x30);
 * ftrace_location() is not exported, and hooked functions are far more
 * than this apart.
 */
#define SPF_FTRACE_SLOP	16

static struct ftrace_ops spf_fops;
static struct spf_hook *spf_ftrace_hooks[SPF_FTRACE_MAX];
static unsigned long spf_ftrace_ips[SPF_FTRACE_MAX];
static unsigned int spf_ftrace_nr;

static struct spf_hook *spf_ftrace_hook(unsigned long ip)
{
	unsigned int i, nr = READ_ONCE(spf_ftrace_nr);

	smp_rmb();	/* the count before the entries it covers */
	/* From the end: the fault hooks are armed last. */
	for (i = nr; i--; )
		if (ip - spf_ftrace_ips[i] < SPF_FTRACE_SLOP)
			return spf_ftrace_hooks[i];
	return NULL;
}

static void notrace spf_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *op,
				       struct ftrace_regs *fregs)
{
	struct spf_hook *hook = spf_ftrace_hook(ip);
	struct pt_regs *regs = ftrace_get_regs(fregs);
	unsigned long args[SPF_HOOK_ARGS];
	unsigned int i;

	if (!hook || !regs)
		return;
	/* The marker's call is always taken (spf/hooks/internal.h). */
	if (hook->marker &&
	    regs_get_kernel_argument(regs, 0) == (unsigned long)&spf_marker_vma) {
		instruction_pointer_set(regs, (unsigned long)hook->replacement);
		return;
	}
	for (i = 0; i < SPF_HOOK_ARGS; i++)
		args[i] = regs_get_kernel_argument(regs, i);
	if (spf_hook_take(hook, parent_ip, args)) {
		spf_arch_set_info(regs, args[SPF_ARCH_INFO_ARG]);
		instruction_pointer_set(regs, (unsigned long)hook->replacement);
	}
}

static int spf_ftrace_register(unsigned long ip)
{
	int ret;

	memset(&spf_fops, 0, sizeof(spf_fops));
	spf_fops.func = spf_ftrace_handler;
	/*
	 * PERMANENT: while registered, sysctl kernel.ftrace_enabled=0 is
	 * refused, since it would leave the freeing hooks silently off
	 * (x86-64's direct calls are permanent already).
	 */
	spf_fops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
			 FTRACE_OPS_FL_PERMANENT;
	ret = ftrace_set_filter_ip(&spf_fops, ip, 0, 0);
	if (!ret)
		ret = register_ftrace_function(&spf_fops);
	if (ret)
		ftrace_free_filter(&spf_fops);
	return ret;
}

/* -ENODEV: the function has no patchable entry. */
int spf_ftrace_arm(struct spf_hook *hook)
{
	unsigned int nr = spf_ftrace_nr;
	unsigned long ip = hook->addr;
	int ret;

	if (nr == SPF_FTRACE_MAX)
		return -E2BIG;
	spf_ftrace_hooks[nr] = hook;
	spf_ftrace_ips[nr] = ip;
	smp_wmb();	/* the entry before the count that covers it */
	WRITE_ONCE(spf_ftrace_nr, nr + 1);
	/* An empty filter would trace every function: register with one. */
	if (!nr)
		ret = spf_ftrace_register(ip);
	else
		ret = ftrace_set_filter_ip(&spf_fops, ip, 0, 0);
	if (ret) {
		WRITE_ONCE(spf_ftrace_nr, nr);
		if (ret == -ENOENT || ret == -EINVAL)
			return -ENODEV;
		pr_err("cannot hook %s: ftrace registration failed (%d)%s\n",
		       hook->symbol, ret,
		       ret == -EBUSY ? "; function tracing is off (sysctl kernel.ftrace_enabled=0), or another IPMODIFY user (a live patch?) owns it" : "");
		return ret;
	}
	hook->armed = SPF_ARMED_FTRACE;
	return 0;
}

/* HOOK is the last one armed (spf/hooks/hook_install.c disarms in reverse). */
void spf_ftrace_disarm(struct spf_hook *hook)
{
	unsigned int nr = spf_ftrace_nr;

	if (WARN_ON_ONCE(!nr || spf_ftrace_hooks[nr - 1] != hook))
		return;
	if (nr == 1) {
		unregister_ftrace_function(&spf_fops);
		ftrace_free_filter(&spf_fops);
	} else {
		ftrace_set_filter_ip(&spf_fops, spf_ftrace_ips[nr - 1], 1, 0);
	}
	WRITE_ONCE(spf_ftrace_nr, nr - 1);
}
