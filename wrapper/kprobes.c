// SPDX-License-Identifier: GPL-2.0
/*
 * Look-ups of the kprobes internals of include/wrapper/kprobes.h.
 */
#include <linux/kconfig.h>
#include <wrapper/kallsyms.h>
#include <wrapper/kprobes.h>

const bool *spf_wrapper_kprobes_all_disarmed(void)
{
	return (const bool *)spf_symbol_lookup("kprobes_all_disarmed");
}

unsigned long spf_wrapper_kretprobe_trampoline(void)
{
	return spf_symbol_lookup(IS_ENABLED(CONFIG_KRETPROBE_ON_RETHOOK) ?
				 "arch_rethook_trampoline" :
				 "__kretprobe_trampoline");
}
