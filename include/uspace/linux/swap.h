/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: no swap in the simulation.
 */
#ifndef _USPACE_LINUX_SWAP_H
#define _USPACE_LINUX_SWAP_H

#include <linux/mm.h>

#endif
