/* SPDX-License-Identifier: GPL-2.0 */
/* The ftrace direct trampolines of spf/hook_direct.c, defined in asm. */
#ifndef _SPF_HOOK_DIRECT_H
#define _SPF_HOOK_DIRECT_H

#define SPF_DIRECT_MAX	10

/* Trampoline n serves hook n. */
extern const unsigned long spf_direct_tramps[SPF_DIRECT_MAX];
/* The same, first sending a call with the marker to the replacement. */
extern const unsigned long spf_direct_mtramps[SPF_DIRECT_MAX];
/* For a hook with an attempt: call it, return its result or resume. */
extern const unsigned long spf_direct_atramps[SPF_DIRECT_MAX];

#endif
