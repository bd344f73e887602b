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

/* An arch fault entered spf (lock_mm_and_find_vma(), arm64 do_page_fault()). */
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

/* A fault completed speculatively, without mmap_lock. */
TRACE_EVENT(spf_spec,
	TP_PROTO(unsigned long address, bool write),
	TP_ARGS(address, write),
	TP_STRUCT__entry(
		__field(unsigned long, address)
		__field(bool, write)
	),
	TP_fast_assign(
		__entry->address = address;
		__entry->write = write;
	),
	TP_printk("address=0x%lx %s", __entry->address,
		  __entry->write ? "write" : "read")
);

/*
 * Other kinds of fault completed speculatively, with one detail: for a
 * file read fault (spf/faults/file_fault.c) the PTEs it set, as printed here.
 */
DECLARE_EVENT_CLASS(spf_spec_kind,
	TP_PROTO(unsigned long address, unsigned int detail),
	TP_ARGS(address, detail),
	TP_STRUCT__entry(
		__field(unsigned long, address)
		__field(unsigned int, detail)
	),
	TP_fast_assign(
		__entry->address = address;
		__entry->detail = detail;
	),
	TP_printk("address=0x%lx mapped=%u", __entry->address,
		  __entry->detail)
);

DEFINE_EVENT(spf_spec_kind, spf_spec_file,
	TP_PROTO(unsigned long address, unsigned int mapped),
	TP_ARGS(address, mapped));

/* A huge-page fault (spf/faults/thp_fault.c): the pages the pmd maps. */
DEFINE_EVENT_PRINT(spf_spec_kind, spf_spec_thp,
	TP_PROTO(unsigned long address, unsigned int pages),
	TP_ARGS(address, pages),
	TP_printk("address=0x%lx huge pages=%u", __entry->address,
		  __entry->detail)
);

/* A write-protect fault (spf/faults/wp_fault.c): how it was resolved. */
DEFINE_EVENT_PRINT(spf_spec_kind, spf_spec_wp,
	TP_PROTO(unsigned long address, unsigned int kind),
	TP_ARGS(address, kind),
	TP_printk("address=0x%lx %s", __entry->address,
		  __print_symbolic(__entry->detail, { 0, "reuse" },
				   { 1, "copy" }, { 2, "zero" }))
);

/* A file write fault (spf/faults/file_write.c): shared (mapped) or copied. */
DEFINE_EVENT_PRINT(spf_spec_kind, spf_spec_file_write,
	TP_PROTO(unsigned long address, unsigned int shared),
	TP_ARGS(address, shared),
	TP_printk("address=0x%lx %s", __entry->address,
		  __entry->detail ? "shared" : "private")
);

/* A swap-cache fault (spf/faults/swap_fault.c): mapped writable or not. */
DEFINE_EVENT_PRINT(spf_spec_kind, spf_spec_swap,
	TP_PROTO(unsigned long address, unsigned int write),
	TP_ARGS(address, write),
	TP_printk("address=0x%lx %s", __entry->address,
		  __entry->detail ? "write" : "read")
);


/*
 * A speculative attempt gave up: one event per reason, so that
 * "perf stat -e 'spf:*'" counts each reason on its own line.
 */
DECLARE_EVENT_CLASS(spf_abort,
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

DEFINE_EVENT(spf_abort, spf_abort_seq_odd,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_seq_changed,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_no_vma,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_not_anon,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_no_anon_vma,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_access,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_pgtable,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_pte,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_ptl,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_uffd,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_alloc,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_pagecache,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_swapcache,
	TP_PROTO(unsigned long address), TP_ARGS(address));
DEFINE_EVENT(spf_abort, spf_abort_other,
	TP_PROTO(unsigned long address), TP_ARGS(address));

#endif /* _SPF_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
