// SPDX-License-Identifier: GPL-2.0
/*
 * spf: a speculative page-fault path for stock Linux 6.1 kernels.
 *
 * Module entry and parameters.  Load order: resolve symbols (refuse to
 * load if any is missing), create the debugfs counters, install the
 * fault-path hooks last, so that a fault never reaches a half-built
 * module.  Unload reverses it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <spf/hooks.h>
#include <spf/stats.h>
#include <wrapper/symbols.h>

module_param_named(enabled, spf_enabled, bool, 0644);
MODULE_PARM_DESC(enabled,
		 "Redirect arch faults through spf (default Y; writable at run time by root)");

/*
 * Test aid: one more symbol that must resolve for the module to load,
 * so that the refusal on a kernel lacking a symbol can be exercised on
 * a kernel that has them all.
 */
static char *debug_require_symbol;
module_param(debug_require_symbol, charp, 0400);
MODULE_PARM_DESC(debug_require_symbol,
		 "Debug: refuse to load unless this kernel symbol resolves");

static int __init spf_init(void)
{
	unsigned long addr;
	int ret;

	ret = spf_symbols_init();
	if (ret)
		return ret;

	if (debug_require_symbol) {
		addr = spf_symbol_lookup(debug_require_symbol);
		if (!addr) {
			pr_err("kernel lacks symbol %s, required by debug_require_symbol; refusing to load\n",
			       debug_require_symbol);
			return -ENOENT;
		}
	}

	ret = spf_debugfs_init();
	if (ret)
		return ret;

	ret = spf_hooks_init();
	if (ret) {
		spf_debugfs_exit();
		return ret;
	}
	return 0;
}

static void __exit spf_exit(void)
{
	spf_hooks_exit();
	spf_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(spf_init);
module_exit(spf_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The spf developers");
MODULE_DESCRIPTION("Speculative page faults without mmap_lock for Linux 6.1");
