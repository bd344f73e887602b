/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the protection bits are linux/mm.h's VM flags.
 */
#ifndef _USPACE_LINUX_MMAN_H
#define _USPACE_LINUX_MMAN_H

#include <linux/mm.h>

#endif
