/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: test_bit().
 */
#ifndef _USPACE_LINUX_BITOPS_H
#define _USPACE_LINUX_BITOPS_H

#include <linux/compiler.h>

static inline int test_bit(long nr, const unsigned long *addr)
{
	return (READ_ONCE(*addr) >> nr) & 1;
}

#endif
