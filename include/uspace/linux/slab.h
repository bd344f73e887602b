/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: no slab allocations in the shared sources.
 */
#ifndef _USPACE_LINUX_SLAB_H
#define _USPACE_LINUX_SLAB_H

#include <linux/gfp.h>

#endif
