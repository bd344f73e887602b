// SPDX-License-Identifier: GPL-2.0
/*
 * Function redirection with kprobes.
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
#include <linux/slab.h>
#include <spf/arch.h>
#include <spf/hook.h>

const char spf_arch_hook_desc[] = SPF_ARCH_HOOK_DESC;

struct spf_kprobe_hook {
	struct kprobe kp;
	struct spf_hook *hook;
};

static int spf_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct spf_kprobe_hook *kh = container_of(p, struct spf_kprobe_hook, kp);

	if (!spf_hook_take(kh->hook, spf_arch_entry_caller(regs), regs))
		return 0;
	instruction_pointer_set(regs, (unsigned long)kh->hook->replacement);
	return 1;
}
NOKPROBE_SYMBOL(spf_kprobe_pre);

static void spf_kprobe_post(struct kprobe *p, struct pt_regs *regs,
			    unsigned long flags)
{
}
NOKPROBE_SYMBOL(spf_kprobe_post);

int spf_arch_hooks_install(struct spf_hook *hooks, unsigned int n)
{
	struct spf_kprobe_hook *kh;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		kh = kzalloc(sizeof(*kh), GFP_KERNEL);
		if (!kh) {
			ret = -ENOMEM;
			goto fail;
		}
		kh->hook = &hooks[i];
		kh->kp.addr = (kprobe_opcode_t *)hooks[i].addr;
		kh->kp.pre_handler = spf_kprobe_pre;
		kh->kp.post_handler = spf_kprobe_post;
		hooks[i].arch = kh;
		ret = register_kprobe(&kh->kp);
		if (ret) {
			pr_err("cannot hook %s: kprobe registration failed (%d)\n",
			       hooks[i].symbol, ret);
			kfree(kh);
			hooks[i].arch = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	spf_arch_hooks_remove(hooks, i);
	return ret;
}

/* unregister_kprobe() waits for running pre-handlers (synchronize_rcu). */
void spf_arch_hooks_remove(struct spf_hook *hooks, unsigned int n)
{
	struct spf_kprobe_hook *kh;

	while (n--) {
		kh = hooks[n].arch;
		if (!kh)
			continue;
		unregister_kprobe(&kh->kp);
		kfree(kh);
		hooks[n].arch = NULL;
	}
}
