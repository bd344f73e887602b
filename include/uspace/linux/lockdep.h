/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the debug kernel's lock check, enforced on every
 * run.
 */
#ifndef _USPACE_LINUX_LOCKDEP_H
#define _USPACE_LINUX_LOCKDEP_H

#include <linux/spinlock.h>

#define lockdep_assert_held(l)						\
	do {								\
		if (!spin_is_held_by_me(l))				\
			sim_fail("lockdep_assert_held(%s) fails", #l);	\
	} while (0)

#endif
