// SPDX-License-Identifier: GPL-2.0
/*
 * Arming and disarming the hooks, each with the cheapest mechanism that
 * works for its function: an ftrace direct call on x86-64
 * (spf/hooks/hook_direct.c), an IPMODIFY ftrace_ops on arm64
 * (spf/hooks/hook_ftrace.c), where the function has an ftrace site; a kprobe
 * otherwise (spf/hooks/hook_kprobe.c), as for x86's paravirt target of
 * tlb_remove_table, an out-of-line copy of an inline, never traced.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include <spf/arch.h>
#include "internal.h"

const char spf_arch_hook_desc[] = SPF_ARCH_HOOK_DESC;

#if defined(SPF_ARCH_HAVE_DIRECT)
static int spf_hook_arm(struct spf_hook *hook, unsigned int n)
{
	int ret = spf_direct_arm(hook, n);

	if (ret != -ENODEV)
		return ret;
	return hook->no_kprobe ? 0 : spf_kprobe_arm(hook);
}
#elif defined(SPF_ARCH_HAVE_FTRACE_IPMODIFY)
static int spf_hook_arm(struct spf_hook *hook, unsigned int n)
{
	int ret = spf_ftrace_arm(hook);

	if (ret != -ENODEV)
		return ret;
	return hook->no_kprobe ? 0 : spf_kprobe_arm(hook);
}
#else
static int spf_hook_arm(struct spf_hook *hook, unsigned int n)
{
	return hook->no_kprobe ? 0 : spf_kprobe_arm(hook);
}
#endif

#ifndef SPF_ARCH_HAVE_DIRECT

void spf_direct_init(struct spf_hook *hooks)
{
}

void spf_direct_disarm(struct spf_hook *hook, unsigned int n)
{
}
#endif

int spf_arch_hooks_install(struct spf_hook *hooks, unsigned int n)
{
	unsigned int i;
	int ret;

	spf_direct_init(hooks);
	for (i = 0; i < n; i++) {
		hooks[i].armed = SPF_ARMED_NONE;
		if (!hooks[i].addr)
			continue;	/* not needed on this kernel */
		if (hooks[i].superseded_by &&
		    hooks[i].superseded_by->armed != SPF_ARMED_NONE)
			continue;
		ret = spf_hook_arm(&hooks[i], i);
		if (ret) {
			spf_arch_hooks_remove(hooks, i);
			return ret;
		}
	}
	return 0;
}

/*
 * Returns once no CPU can enter spf_hook_take() for these hooks; a task
 * may still be inside a direct trampoline (see spf/hooks/hooks.c's unload).
 */
void spf_arch_hooks_remove(struct spf_hook *hooks, unsigned int n)
{
	while (n--) {
		const char *how = spf_hook_mechanism(&hooks[n]);
		ktime_t t0 = ktime_get();

		if (hooks[n].armed == SPF_ARMED_NONE)
			continue;
		if (hooks[n].armed == SPF_ARMED_KPROBE)
			spf_kprobe_disarm(&hooks[n]);
		else if (hooks[n].armed == SPF_ARMED_DIRECT)
			spf_direct_disarm(&hooks[n], n);
#ifdef SPF_ARCH_HAVE_FTRACE_IPMODIFY
		else if (hooks[n].armed == SPF_ARMED_FTRACE)
			spf_ftrace_disarm(&hooks[n]);
#endif
		hooks[n].armed = SPF_ARMED_NONE;
		pr_debug("unload: hook %s (%s) removed in %lld ms\n",
			 hooks[n].symbol, how, ktime_ms_delta(ktime_get(), t0));
	}
}

const char *spf_hook_mechanism(const struct spf_hook *hook)
{
	switch (hook->armed) {
	case SPF_ARMED_KPROBE:
		return "kprobe";
	case SPF_ARMED_DIRECT:
		return "ftrace-direct";
	case SPF_ARMED_FTRACE:
		return "ftrace-ipmodify";
	default:
		return "not armed";
	}
}
