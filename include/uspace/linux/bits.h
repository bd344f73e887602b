/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: BIT().
 */
#ifndef _USPACE_LINUX_BITS_H
#define _USPACE_LINUX_BITS_H

#define BIT(n)			(1UL << (n))

#endif
