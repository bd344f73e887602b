/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_HOOKS_H
#define _SPF_HOOKS_H

#include <linux/types.h>

extern bool spf_enabled;

void spf_hook_leave(void);

int spf_hooks_init(void);
void spf_hooks_exit(void);

#endif
