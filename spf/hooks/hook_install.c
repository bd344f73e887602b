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
	int ret = spf_direct_add(hook, n);

	if (ret != -ENODEV)
		return ret;
	if (hook->no_kprobe)
		return 0;
	/*
	 * A kprobe is live at once: a fault hook's must not be live before
	 * the fault hooks added before it (handle_mm_fault's before the
	 * attempt that hands it the marker).
	 */
	if (hook->fault_entry) {
		ret = spf_direct_flush();
		if (ret)
			return ret;
	}
	return spf_kprobe_arm(hook);
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
int spf_direct_flush(void)
{
	return 0;
}

void spf_direct_disarm(struct spf_hook *hook, unsigned int n)
{
}

const char *spf_direct_step(unsigned int n)
{
	return "ftrace-direct";
}
#endif

/*
 * In the order of HOOKS; where direct calls are added to a step that
 * goes live at once (spf/hooks/hook_direct.c), every hook before the
 * first fault hook is made live before that one is armed.
 */
int spf_arch_hooks_install(struct spf_hook *hooks, unsigned int n)
{
	bool faults = false;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		hooks[i].armed = SPF_ARMED_NONE;
		if (!hooks[i].addr)
			continue;	/* not needed on this kernel */
		if (hooks[i].superseded_by &&
		    hooks[i].superseded_by->armed != SPF_ARMED_NONE)
			continue;
		if (hooks[i].fault_entry && !faults) {
			faults = true;
			ret = spf_direct_flush();
			if (ret)
				goto fail;
		}
		ret = spf_hook_arm(&hooks[i], i);
		if (ret)
			goto fail;
	}
	ret = spf_direct_flush();
	if (!ret)
		return 0;
fail:
	spf_arch_hooks_remove(hooks, i);
	return ret;
}

/*
 * Returns once no CPU can enter spf_hook_take() for these hooks; a task
 * may still be inside a direct trampoline (see spf/hooks/hooks.c's unload).
 */
void spf_arch_hooks_remove(struct spf_hook *hooks, unsigned int n)
{
	while (n--) {
		const char *how = hooks[n].armed == SPF_ARMED_DIRECT ?
				  spf_direct_step(n) :
				  spf_hook_mechanism(&hooks[n]);
		ktime_t t0 = ktime_get();

		/* A direct hook may have gone with its step (hook_direct.c). */
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
