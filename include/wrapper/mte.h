/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 MTE internals for spf: set_pte_at() calls mte_sync_tags(), which
 * 6.1 does not export; wrapper/mte.c defines it for the module and
 * forwards to the kernel's own, resolved at load.
 */
#ifndef _SPF_WRAPPER_MTE_H
#define _SPF_WRAPPER_MTE_H

#ifdef CONFIG_ARM64_MTE
/* Resolves mte_sync_tags(), or refuses the load naming it. */
int spf_wrapper_mte_init(void);
#else
static inline int spf_wrapper_mte_init(void)
{
	return 0;
}
#endif

#endif
