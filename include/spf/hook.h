/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function redirection, the interface between the generic hook logic
 * (spf/hooks.c: which calls to take over, and the in-flight accounting
 * that makes unload safe) and the mechanism that does it
 * (spf/hook_kprobe.c, with the per-arch facts in include/spf/arch/).
 *
 * Contract of the mechanism: spf_arch_hooks_install() arms a hook on the
 * entry of each hook's function; when the function is called, the arch
 * side calls spf_hook_take(hook, caller, args) before the function's
 * prologue, and if that returns true it makes
 * the call continue at hook->replacement with the arguments and return
 * address untouched.  spf_arch_hooks_remove() returns only when no CPU
 * can still be inside spf_hook_take() for these hooks.
 */
#ifndef _SPF_HOOK_H
#define _SPF_HOOK_H

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/types.h>

struct spf_hook {
	const char *symbol;
	void *replacement;
	/*
	 * Used instead of replacement where the mechanism can call it and
	 * then either return its result to the caller or resume the
	 * function (x86-64's direct trampolines, spf/hook_direct.c): given
	 * the arguments spf_hook_take() saw, the result, or 0 to run the
	 * function itself, having dropped the in-flight reference.
	 */
	unsigned long (*attempt)(unsigned long *args);
	/* Only calls with a non-NULL pointer in this argument (0-based). */
	int nonnull_arg;
	/* Taken whatever the "enabled" knob says. */
	bool always;
	/*
	 * Always hooks: the argument (0-based) that names what a call
	 * frees, or -1 for the function's own address; how a call of the
	 * original made by spf itself is known when a tracer rewrote its
	 * return address (include/spf/pgtable_free.h).
	 */
	int passthrough_arg;
	/*
	 * Set by the mechanism: the replacement never calls the original
	 * from C, it leaves into the function's body (x86-64's attempt
	 * trampoline, arm64's do_page_fault stub), so a call it lets
	 * through is never spf's own.
	 */
	bool leaves_into_body;
	/*
	 * Worth an ftrace site only, not a kprobe: without one the hook is
	 * left unarmed (what it saves would cost more as a trap).
	 */
	bool no_kprobe;
	/*
	 * A call whose first argument is spf_marker_vma is always taken
	 * (spf/hooks.c); the direct trampoline and the ftrace handler test
	 * that first, so the marker's call reaches the replacement without
	 * spf_hook_take().
	 */
	bool marker;
	/*
	 * Left unarmed when this other hook, armed before it, is armed: it
	 * takes every call this one would have been useful for.
	 */
	struct spf_hook *superseded_by;
	/*
	 * Finds addr when a kallsyms lookup of symbol is not the way; may
	 * leave it 0: the hook is not needed on this kernel.
	 */
	int (*resolve)(struct spf_hook *hook);
	unsigned long addr;	/* resolved entry address of symbol */
	struct kprobe kp;	/* kprobes: the probe */
	enum {
		SPF_ARMED_NONE,
		SPF_ARMED_KPROBE,
		SPF_ARMED_DIRECT,
		SPF_ARMED_FTRACE,
	} armed;
};

/* Arguments spf_hook_take() sees; nonnull_arg must be below this. */
#define SPF_HOOK_ARGS	4

/*
 * ARGS may be changed: a mechanism that redirects the call hands the
 * replacement the changed args (include/spf/arch.h, SPF_ARCH_INFO_ARG).
 */
bool spf_hook_take(struct spf_hook *hook, unsigned long caller,
		   unsigned long *args);

extern const char spf_arch_hook_desc[];
int spf_arch_hooks_install(struct spf_hook *hooks, unsigned int n);
void spf_arch_hooks_remove(struct spf_hook *hooks, unsigned int n);

/* The mechanisms, one hook at a time (spf/hook_install.c uses them). */
int spf_kprobe_arm(struct spf_hook *hook);
void spf_kprobe_disarm(struct spf_hook *hook);
void spf_direct_init(struct spf_hook *hooks);
int spf_direct_arm(struct spf_hook *hook, unsigned int n);
void spf_direct_disarm(struct spf_hook *hook, unsigned int n);
int spf_ftrace_arm(struct spf_hook *hook);
void spf_ftrace_disarm(struct spf_hook *hook);
const char *spf_hook_mechanism(const struct spf_hook *hook);

#endif
