/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spf's tracepoints: "perf stat -e 'spf:*'" counts them, "perf record"
 * and trace-cmd show their fields.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM spf

#if !defined(_SPF_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SPF_TRACE_H

#include <linux/tracepoint.h>

/* An arch fault entered spf's hook on lock_mm_and_find_vma(). */
TRACE_EVENT(spf_fault,
	TP_PROTO(unsigned long address),
	TP_ARGS(address),
	TP_STRUCT__entry(
		__field(unsigned long, address)
	),
	TP_fast_assign(
		__entry->address = address;
	),
	TP_printk("address=0x%lx", __entry->address)
);

/* The stock handle_mm_fault() handled an arch fault for spf. */
TRACE_EVENT(spf_stock,
	TP_PROTO(unsigned long address, unsigned int flags, unsigned int ret),
	TP_ARGS(address, flags, ret),
	TP_STRUCT__entry(
		__field(unsigned long, address)
		__field(unsigned int, flags)
		__field(unsigned int, ret)
	),
	TP_fast_assign(
		__entry->address = address;
		__entry->flags = flags;
		__entry->ret = ret;
	),
	TP_printk("address=0x%lx flags=0x%x ret=0x%x",
		  __entry->address, __entry->flags, __entry->ret)
);

#endif /* _SPF_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
