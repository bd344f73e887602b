/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_COMPAT_H
#define _SPF_COMPAT_H

#include <linux/types.h>

/* 0, or a negative errno after one log line naming what is missing. */
int spf_compat_check(void);

/* Someone wrote 0 to debugfs kprobes/enabled: kprobe hooks are inert. */
bool spf_compat_kprobes_disarmed(void);

/* The above can tell (the flag is readable on this kernel). */
bool spf_compat_kprobes_watched(void);

#endif
