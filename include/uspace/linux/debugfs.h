/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: debugfs files are compiled, never created.
 */
#ifndef _USPACE_LINUX_DEBUGFS_H
#define _USPACE_LINUX_DEBUGFS_H

#include <linux/fs.h>

struct dentry;

#define DEFINE_DEBUGFS_ATTRIBUTE(__fops, __get, __set, __fmt)		\
	static const struct file_operations __fops = {			\
		.get = __get,						\
		.set = __set,						\
	}

static inline struct dentry *debugfs_create_file(const char *name,
						 umode_t mode,
						 struct dentry *parent,
						 void *data,
						 const struct file_operations *f)
{
	return NULL;
}

#define debugfs_create_file_unsafe debugfs_create_file

static inline void debugfs_create_u32(const char *name, umode_t mode,
				      struct dentry *parent, u32 *value)
{
}

#endif
