/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_COMPAT_H
#define _SPF_COMPAT_H

#include <linux/compiler.h>
#include <linux/types.h>

/* 0, or a negative errno after one log line naming what is missing. */
int spf_compat_check(void);

/*
 * Where kallsyms has data symbols (x86-64's config): the kernel's
 * kprobes_all_disarmed flag; NULL elsewhere.  Read on every redirected
 * fault where a freeing hook is a kprobe, hence inline.
 */
extern const bool *spf_kprobes_all_disarmed;

/* Someone wrote 0 to debugfs kprobes/enabled: kprobe hooks are inert. */
static inline bool spf_compat_kprobes_disarmed(void)
{
	const bool *flag = spf_kprobes_all_disarmed;

	return flag && READ_ONCE(*flag);
}

/* The above can tell (the flag is readable on this kernel). */
static inline bool spf_compat_kprobes_watched(void)
{
	return spf_kprobes_all_disarmed;
}

#endif
