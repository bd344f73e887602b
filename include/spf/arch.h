/* SPDX-License-Identifier: GPL-2.0 */
/* The per-arch facts the hook mechanism needs; see spf/hook_kprobe.c. */
#ifndef _SPF_ARCH_H
#define _SPF_ARCH_H

#if defined(CONFIG_X86_64)
#include <spf/arch/x86_64.h>
#elif defined(CONFIG_ARM64)
#include <spf/arch/arm64.h>
#else
#error "spf supports x86-64 and arm64 only"
#endif

#endif
