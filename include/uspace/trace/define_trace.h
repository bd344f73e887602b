/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: trace events define nothing here.
 */
#ifndef _USPACE_TRACE_DEFINE_TRACE_H
#define _USPACE_TRACE_DEFINE_TRACE_H

#endif
