/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the VMA's uffd flags (linux/mm.h) and context.
 */
#ifndef _USPACE_LINUX_USERFAULTFD_K_H
#define _USPACE_LINUX_USERFAULTFD_K_H

#include <linux/mm.h>

#endif
