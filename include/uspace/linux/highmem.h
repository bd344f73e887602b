/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: page contents are never mapped here.
 */
#ifndef _USPACE_LINUX_HIGHMEM_H
#define _USPACE_LINUX_HIGHMEM_H

#include <linux/mm.h>

#endif
