/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the configuration the shared sources see.  The
 * simulated machine is an x86-64 SMP NUMA kernel with split PTE locks.
 */
#ifndef _USPACE_LINUX_KCONFIG_H
#define _USPACE_LINUX_KCONFIG_H

/* The configuration the sources see. */
#define CONFIG_X86_64		1	/* selects spf/arch/x86_64.h only */
#define CONFIG_SMP		1
#define CONFIG_NUMA		1
#define CONFIG_USERFAULTFD	1
#define CONFIG_MMU		1
#define ALLOC_SPLIT_PTLOCKS	1
#define SPLIT_RSS_COUNTING	1
#define KBUILD_MODNAME		"spf"

#if defined(__SANITIZE_THREAD__)
#define USPACE_TSAN		1
#else
#define USPACE_TSAN		0
#endif

#endif
