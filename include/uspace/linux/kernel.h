/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the odds and ends of <linux/kernel.h>, the error
 * numbers the sources return (not as <linux/errno.h>, which glibc's
 * <errno.h> includes), and might_sleep(), which fails the run inside an
 * RCU read section.
 */
#ifndef _USPACE_LINUX_KERNEL_H
#define _USPACE_LINUX_KERNEL_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/printk.h>
#include <uspace_harness.h>

#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define EINVAL			22
#define ENOENT			2
#define ENOMEM			12

#define might_sleep()							\
	do {								\
		if (sim_rcu_depth)					\
			sim_fail("might_sleep() inside rcu_read_lock()"); \
	} while (0)

#endif
