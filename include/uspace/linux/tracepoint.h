/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: trace events compile to nothing; only the
 * declarations are used.
 */
#ifndef _USPACE_LINUX_TRACEPOINT_H
#define _USPACE_LINUX_TRACEPOINT_H

#include <linux/jump_label.h>
#include <linux/rcupdate.h>

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	static inline void trace_##name(proto) { }
#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(template, name, proto, args)			\
	static inline void trace_##name(proto) { }
#define DEFINE_EVENT_PRINT(template, name, proto, args, print)		\
	static inline void trace_##name(proto) { }

static inline void tracepoint_synchronize_unregister(void)
{
	synchronize_rcu();
}

#endif
