/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: a VMA's policy pointer.
 */
#ifndef _USPACE_LINUX_MEMPOLICY_H
#define _USPACE_LINUX_MEMPOLICY_H

#include <linux/mm_types.h>

#define vma_policy(vma)		((vma)->vm_policy)

#endif
