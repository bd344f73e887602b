/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the barriers are part of the weak memory model in
 * linux/atomic.h.
 */
#ifndef _USPACE_ASM_BARRIER_H
#define _USPACE_ASM_BARRIER_H

#include <linux/atomic.h>

#endif
