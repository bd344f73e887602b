/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: a kprobe, never registered.
 */
#ifndef _USPACE_LINUX_KPROBES_H
#define _USPACE_LINUX_KPROBES_H

struct kprobe {
	void *addr;
	const char *symbol_name;
};

#endif
