/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the fault records its anon_vma in the page.
 */
#ifndef _USPACE_LINUX_RMAP_H
#define _USPACE_LINUX_RMAP_H

#include <linux/mm_types.h>

#endif
