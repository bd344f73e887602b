/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: cache-line alignment.
 */
#ifndef _USPACE_LINUX_CACHE_H
#define _USPACE_LINUX_CACHE_H

#define ____cacheline_aligned_in_smp __attribute__((aligned(64)))

#endif
