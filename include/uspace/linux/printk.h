/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: errors and warnings go to stderr, information
 * nowhere.
 */
#ifndef _USPACE_LINUX_PRINTK_H
#define _USPACE_LINUX_PRINTK_H

#include <stdio.h>

#ifndef pr_fmt
#define pr_fmt(fmt)		fmt
#endif
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	do { } while (0)

#endif
