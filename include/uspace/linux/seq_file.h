/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: seq_file output is formatted and never shown.
 */
#ifndef _USPACE_LINUX_SEQ_FILE_H
#define _USPACE_LINUX_SEQ_FILE_H

#include <linux/fs.h>

struct seq_file {
	char buf[256];
};

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
	static const struct file_operations __name##_fops = {		\
		.show = __name##_show,					\
	}

#define seq_printf(m, fmt, ...)						\
	snprintf((m)->buf, sizeof((m)->buf), fmt, ##__VA_ARGS__)

#endif
