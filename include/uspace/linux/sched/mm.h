/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the task's mm.
 */
#ifndef _USPACE_LINUX_SCHED_MM_H
#define _USPACE_LINUX_SCHED_MM_H

#include <linux/mm_types.h>
#include <linux/sched.h>

#endif
