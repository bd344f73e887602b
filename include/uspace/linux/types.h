/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the kernel's integer types, the list and RCU
 * callback heads, and the C library the rest of the shim builds on.
 */
#ifndef _USPACE_LINUX_TYPES_H
#define _USPACE_LINUX_TYPES_H

#include <linux/kconfig.h>
#include <assert.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef unsigned int vm_fault_t;
typedef unsigned long pgoff_t;
typedef unsigned short umode_t;

struct list_head {
	struct list_head *next, *prev;
};

struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

#endif
