/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the software event a fault counts.
 */
#ifndef _USPACE_LINUX_PERF_EVENT_H
#define _USPACE_LINUX_PERF_EVENT_H

#include <linux/jump_label.h>

enum perf_sw_ids { PERF_COUNT_SW_PAGE_FAULTS_MIN = 6 };

#endif
