/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: each simulated thread is a CPU that is never
 * preempted or migrated.
 */
#ifndef _USPACE_LINUX_PREEMPT_H
#define _USPACE_LINUX_PREEMPT_H

#define preempt_disable()	do { } while (0)
#define preempt_enable()	do { } while (0)
#define migrate_disable()	do { } while (0)
#define migrate_enable()	do { } while (0)

#endif
