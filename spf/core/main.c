// SPDX-License-Identifier: GPL-2.0
/*
 * spf: a speculative page-fault path for stock Linux 6.1 kernels.
 *
 * Module entry.  Load order: check parameters, find the symbol lookup
 * (wrapper/kallsyms.c) and check the running kernel (spf/core/compat.c;
 * refuse to load if anything is missing), create the debugfs counters,
 * start the per-mm write sequence counts, resolve what the speculative
 * fault calls (each wrapper/ file's init), attach the arch's
 * fault-entry probes, and install the fault-path hooks last, so that a
 * fault never reaches a half-built module.  Unload reverses it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/module.h>
#include <spf/arch.h>
#include <spf/vma_lookup.h>
#include <wrapper/kallsyms.h>
#include "../faults/internal.h"
#include "../hooks/internal.h"
#include "internal.h"

static int __init spf_init(void)
{
	int ret;

	ret = spf_params_check();
	if (ret)
		return ret;
#ifdef SPF_BROKEN_BUILD
	pr_warn("deliberately broken build (%s), for tests only: do not use\n",
		SPF_BROKEN_BUILD);
#endif

	ret = spf_symbols_init();
	if (ret)
		return ret;

	ret = spf_compat_check();
	if (ret)
		return ret;

	if (spf_debug_require_symbol) {
		ret = spf_symbol_require(spf_debug_require_symbol);
		if (ret)
			return ret;
	}

	ret = spf_debugfs_init();
	if (ret)
		return ret;

	ret = spf_mm_seq_init(spf_debugfs_dir);
	if (ret)
		goto out_debugfs;
	spf_mm_seq_traced_init(spf_debugfs_dir);

	ret = spf_speculate_init(spf_debugfs_dir);
	if (ret)
		goto out_mm_seq;

	ret = spf_arch_init();
	if (ret)
		goto out_mm_seq;

	ret = spf_hooks_init();
	if (ret)
		goto out_arch;
	return 0;

out_arch:
	spf_arch_exit();
out_mm_seq:
	spf_mm_seq_exit();
out_debugfs:
	spf_debugfs_exit();
	return ret;
}

static void __exit spf_exit(void)
{
	ktime_t t0, t1;

	spf_hooks_exit();
	t0 = ktime_get();
	spf_arch_exit();
	t1 = ktime_get();
	spf_mm_seq_exit();
	pr_debug("unload: arch %lld ms, mm_seq %lld ms\n",
		 ktime_ms_delta(t1, t0), ktime_ms_delta(ktime_get(), t1));
	spf_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(spf_init);
module_exit(spf_exit);

MODULE_LICENSE("GPL");
/* The same as PACKAGE_VERSION in dkms.conf (tools/dkms/test checks). */
MODULE_VERSION("0.1.0");
MODULE_AUTHOR("The spf developers");
MODULE_DESCRIPTION("Speculative page faults without mmap_lock for Linux 6.1");
