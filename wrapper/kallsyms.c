// SPDX-License-Identifier: GPL-2.0
/*
 * Non-exported symbol resolution: the lookup every wrapper/ file uses.
 *
 * kallsyms_lookup_name() stopped being exported in 5.7.  Its address is
 * still reachable: registering a kprobe on it makes the kprobe core look
 * the name up and report the address it placed the probe at.  That
 * address may sit past a landing-pad instruction on kernels built with
 * IBT, so it is only used once, to ask kallsyms for the true start of
 * kallsyms_lookup_name itself; a direct call to an address past the pad
 * is harmless.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <wrapper/kallsyms.h>

typedef unsigned long (*kallsyms_lookup_name_t)(const char *name);
static kallsyms_lookup_name_t spf_kallsyms_lookup_name;

int spf_symbols_init(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	kallsyms_lookup_name_t probed;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot locate kallsyms_lookup_name through kprobes (%d); refusing to load\n",
		       ret);
		return ret;
	}
	probed = (kallsyms_lookup_name_t)kp.addr;
	unregister_kprobe(&kp);

	spf_kallsyms_lookup_name =
		(kallsyms_lookup_name_t)probed("kallsyms_lookup_name");
	if (!spf_kallsyms_lookup_name) {
		pr_err("kallsyms_lookup_name cannot resolve itself; refusing to load\n");
		return -ENOENT;
	}
	return 0;
}

unsigned long spf_symbol_lookup(const char *name)
{
	return spf_kallsyms_lookup_name(name);
}

int spf_hook_target_resolve(unsigned long *addr, const char *symbol)
{
	return spf_resolve(*addr, symbol, "to hook the arch fault path");
}

unsigned long spf_hook_target_find(const char *symbol)
{
	return spf_symbol_lookup(symbol);
}

int spf_symbol_require(const char *name)
{
	if (!spf_symbol_lookup(name)) {
		pr_err("kernel lacks symbol %s, required by debug_require_symbol; refusing to load\n",
		       name);
		return -ENOENT;
	}
	return 0;
}
