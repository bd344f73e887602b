// SPDX-License-Identifier: GPL-2.0
/*
 * Run-time requirements: what the build tree cannot promise about the
 * kernel spf is being loaded into.
 *
 * Kbuild refuses a build tree that is not 6.1 or lacks a config spf
 * depends on, and the module loader refuses a module whose version magic
 * differs.  What remains is checked here, before anything is installed,
 * and a failure is one log line naming what is missing:
 *
 * - the kernel release is 6.1.y: a forced load (modprobe --force)
 *   strips the version magic, and every structure spf reads is 6.1's;
 * - the mm's maple tree is in RCU mode: the lockless VMA lookup
 *   (vma_lookup/snapshot.c) relies on maple nodes being freed after a
 *   grace period, which 6.1 gained in a stable update;
 * - kprobes are not globally disarmed (debugfs kprobes/enabled): a
 *   registered kprobe is then silently inactive, and where a freeing
 *   hook is a kprobe (x86-64's paravirt table free) page tables would
 *   be freed without a grace period under a lockless walk;
 * - function tracing is on (sysctl kernel.ftrace_enabled): otherwise the
 *   ftrace-based hooks register but never run.  While spf is loaded
 *   its ftrace hooks are permanent, so the sysctl refuses to turn it
 *   off (EBUSY).  Where ftrace_enabled cannot be read (no data symbols
 *   in kallsyms), registering a permanent hook fails with EBUSY and
 *   spf/hooks/hook_ftrace.c names the sysctl.
 *
 * Kprobes can still be disarmed while spf is loaded; nothing stops that
 * write.  spf_compat_kprobes_disarmed() lets the fault path notice and
 * stop speculating (see spf_hook_take()); where the flag cannot be read
 * and a freeing hook needs a kprobe, spf/hooks/hooks.c refuses to load.
 * docs/usage.md tells operators not to disarm kprobes under spf.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/ctype.h>
#include <linux/kprobes.h>
#include <linux/maple_tree.h>
#include <linux/mm_types.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <wrapper/ftrace.h>
#include <wrapper/kprobes.h>
#include "internal.h"

/* Test aid: the release string the version check sees instead. */
static char *spf_debug_kernel_release;
module_param_named(debug_kernel_release, spf_debug_kernel_release, charp,
		   0400);
MODULE_PARM_DESC(debug_kernel_release,
		 "Debug: check this release string instead of the running kernel's");

const bool *spf_kprobes_all_disarmed;

/*
 * Whether a kprobe fires at all, tried on a function of our own: arm64's
 * Debian config has no data symbols in kallsyms, so the flag itself
 * cannot always be read.
 */
static bool spf_compat_kprobe_fired;

static noinline void spf_compat_kprobe_target(void)
{
	barrier();
}

static int spf_compat_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	WRITE_ONCE(spf_compat_kprobe_fired, true);
	return 0;
}

static int spf_compat_kprobes_work(void)
{
	struct kprobe kp = {
		.addr = (kprobe_opcode_t *)spf_compat_kprobe_target,
		.pre_handler = spf_compat_kprobe_pre,
	};
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot place a kprobe (%d); refusing to load\n", ret);
		return ret;
	}
	spf_compat_kprobe_target();
	unregister_kprobe(&kp);
	if (!READ_ONCE(spf_compat_kprobe_fired)) {
		pr_err("kprobes are globally disarmed (/sys/kernel/debug/kprobes/enabled is 0)%s; refusing to load\n",
		       kprobe_ftrace(&kp) ? ", or function tracing is off" : "");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* "6.1" followed by the end or by a non-digit ("6.1.0-56-amd64"). */
static bool spf_release_is_6_1(const char *rel)
{
	return !strncmp(rel, "6.1", 3) && !isdigit(rel[3]);
}

int spf_compat_check(void)
{
	const char *rel = spf_debug_kernel_release ?: init_utsname()->release;
	/* Loading is a system call of a user process: it has an mm. */
	struct mm_struct *mm = current->mm;
	const int *ftrace_on;

	if (!spf_release_is_6_1(rel)) {
		pr_err("kernel %s is not supported: spf runs on Linux 6.1 only; refusing to load\n",
		       rel);
		return -ENOEXEC;
	}

	if (mm && !(mm->mm_mt.ma_flags & MT_FLAGS_USE_RCU)) {
		pr_err("kernel's mm maple tree is not in RCU mode (a 6.1 stable update turned it on); refusing to load\n");
		return -EOPNOTSUPP;
	}

	/* First: with it off, an ftrace-based kprobe does not fire either. */
	ftrace_on = spf_wrapper_ftrace_enabled();
	if (ftrace_on && !READ_ONCE(*ftrace_on)) {
		pr_err("function tracing is off (sysctl kernel.ftrace_enabled=0); refusing to load\n");
		return -EOPNOTSUPP;
	}

	spf_kprobes_all_disarmed = spf_wrapper_kprobes_all_disarmed();
	return spf_compat_kprobes_work();
}
