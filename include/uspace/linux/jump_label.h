/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: a static key is a counter.
 */
#ifndef _USPACE_LINUX_JUMP_LABEL_H
#define _USPACE_LINUX_JUMP_LABEL_H

#include <linux/atomic.h>

struct static_key {
	atomic_t enabled;
};

static inline int static_key_count(struct static_key *key)
{
	return atomic_read(&key->enabled);
}

#endif
