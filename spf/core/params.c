// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, and the refusal of ones spf does not know.
 *
 * The module loader only warns about an unknown parameter and loads the
 * module anyway.  A misspelt knob silently ignored is how an operator
 * ends up measuring the wrong configuration, so spf checks the string it
 * was loaded with against its own parameter table and refuses to load
 * when a name matches none of them.
 *
 * The loader parses THIS_MODULE->args in place, cutting it at the end of
 * the first parameter, so the whole string is read again from where it
 * came from: module init runs synchronously inside the init_module or
 * finit_module system call of the loading task, whose arguments are
 * still in its saved user registers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include "../hooks/internal.h"
#include "internal.h"

module_param_named(enabled, spf_enabled, bool, 0644);
MODULE_PARM_DESC(enabled,
		 "Redirect arch faults through spf (default Y; writable at run time by root)");

/*
 * Test aid: one more symbol that must resolve for the module to load,
 * so that the refusal on a kernel lacking a symbol can be exercised on
 * a kernel that has them all.
 */
char *spf_debug_require_symbol;
module_param_named(debug_require_symbol, spf_debug_require_symbol, charp,
		   0400);
MODULE_PARM_DESC(debug_require_symbol,
		 "Debug: refuse to load unless this kernel symbol resolves");

/* Parameter names compare with '-' and '_' as the same character. */
static bool spf_param_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

static bool spf_param_known(const char *name)
{
	unsigned int i;

	for (i = 0; i < THIS_MODULE->num_kp; i++)
		if (spf_param_eq(name, THIS_MODULE->kp[i].name))
			return true;
	return false;
}

/* The parameter string of the module-loading syscall we run inside. */
static char *spf_load_args(void)
{
	struct pt_regs *regs = task_pt_regs(current);
	const char __user *uargs;
	unsigned long args[6];

	if (in_compat_syscall())
		return NULL;
	syscall_get_arguments(current, regs, args);
	switch (syscall_get_nr(current, regs)) {
	case __NR_finit_module:	/* (fd, uargs, flags) */
		uargs = (const char __user *)args[1];
		break;
	case __NR_init_module:	/* (umod, len, uargs) */
		uargs = (const char __user *)args[2];
		break;
	default:
		return NULL;
	}
	return strndup_user(uargs, ~0UL >> 1);
}

int spf_params_check(void)
{
	char *args, *rest, *name, *val;
	int ret = 0;

	args = spf_load_args();
	if (IS_ERR_OR_NULL(args)) {
		pr_warn("cannot re-read the load parameters; unknown ones go unchecked\n");
		return 0;
	}

	rest = skip_spaces(args);
	while (*rest) {
		rest = next_arg(rest, &name, &val);
		/* The loader itself takes dyndbg for any module. */
		if (spf_param_eq(name, "dyndbg"))
			continue;
		if (!spf_param_known(name)) {
			pr_err("unknown parameter '%s'; refusing to load (see modinfo spf)\n",
			       name);
			ret = -EINVAL;
		}
	}
	kfree(args);
	return ret;
}
