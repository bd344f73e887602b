/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What spf needs to know about how each architecture's fault handler is
 * hooked.  The hook code itself is generic; the per-arch headers answer
 * "who called the probed function" at a kprobe placed on its entry.
 */
#ifndef _SPF_ARCH_H
#define _SPF_ARCH_H

#if defined(CONFIG_X86_64)
#include <spf/arch/x86_64.h>
#elif defined(CONFIG_ARM64)
#include <spf/arch/arm64.h>
#else
#error "spf supports x86-64 and arm64 only"
#endif

#define spf_arch_hook_desc SPF_ARCH_NAME " " SPF_ARCH_KPROBE_KIND

#endif
