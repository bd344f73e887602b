/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kprobes internals spf reads and 6.1 does not export to modules,
 * each looked up by wrapper/kprobes.c when asked, each optional.
 */
#ifndef _SPF_WRAPPER_KPROBES_H
#define _SPF_WRAPPER_KPROBES_H

#include <linux/types.h>

/*
 * kprobes_all_disarmed (debugfs kprobes/enabled, inverted), or NULL
 * where kallsyms lists no data symbols.
 */
const bool *spf_wrapper_kprobes_all_disarmed(void);

/* Where kretprobes send a probed function's return, or 0. */
unsigned long spf_wrapper_kretprobe_trampoline(void);

#endif
