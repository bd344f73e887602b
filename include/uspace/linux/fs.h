/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the file operations debugfs files are made of.
 */
#ifndef _USPACE_LINUX_FS_H
#define _USPACE_LINUX_FS_H

#include <linux/types.h>

struct seq_file;

struct file_operations {
	int (*show)(struct seq_file *m, void *v);
	int (*get)(void *data, u64 *val);
	int (*set)(void *data, u64 val);
};

#endif
