// SPDX-License-Identifier: GPL-2.0
/*
 * The write count without the price of being a probe.
 *
 * vma_lookup/mm_seq.c counts write acquisitions of mmap_lock with a
 * probe on the mmap_lock_acquire_returned tracepoint.  Attaching any
 * probe there makes 6.1 format the mm's memory-cgroup path for it, with
 * cgroup_path() under a global lock, on every acquisition, read ones
 * included: every stock fault would pay for a string spf never reads
 * (measured: more than the rest of spf's cost on a fault it hands back).
 *
 * So spf also redirects the function that fires the event,
 * __mmap_lock_do_trace_acquire_returned(), through the fault-path hooks
 * (spf/hooks/hooks.c); this file is that redirection, the count itself stays
 * in vma_lookup/mm_seq.c.  While spf's probe is the tracepoint's only one, the
 * replacement runs the probe's body itself and skips the path; with any
 * other probe attached (the trace event, perf, bpftrace) it calls the
 * original, which formats the path and calls every probe, spf's
 * included, so other users see what stock shows them.
 *
 * Why the count stays exact: the replacement runs where the probe would
 * have (the tracepoint's inline wrapper calls the function once the
 * lock is held, before the caller goes on to change anything), and on
 * each call exactly one of its two branches counts: the direct call, or
 * the original's call of the registered probe.  A probe attached or
 * detached meanwhile changes only which branch.  The redirection is
 * never needed for correctness: when it is not armed (no ftrace site:
 * no kprobe is worth it here) or not taken (spf disabled, unloading,
 * NMI context), the original runs and calls the registered probe.
 * tests/kselftest/spf_mm_seq_test.c checks the count, once per write
 * section, with spf's probe alone and with the trace event attached.
 */
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/tracepoint.h>
#include <trace/events/mmap_lock.h>
#include <spf/arch.h>
#include <spf/vma_lookup.h>
#include "internal.h"

static void (*spf_orig_traced)(struct mm_struct *mm, bool write,
			       bool success);

/* Acquisitions counted without a memcg path (debugfs). */
static DEFINE_PER_CPU(unsigned long, spf_paths_skipped);

/* Is spf's probe the only one on mmap_lock_acquire_returned? */
static bool spf_probe_alone(void)
{
	struct tracepoint *tp = &__tracepoint_mmap_lock_acquire_returned;
	struct tracepoint_func *funcs;
	bool alone;

	/* The probe arrays are freed after an RCU-sched grace period. */
	rcu_read_lock_sched_notrace();
	funcs = rcu_dereference_sched(tp->funcs);
	alone = funcs && funcs[0].func == (void *)spf_mm_seq_acquired &&
		!funcs[1].func;
	rcu_read_unlock_sched_notrace();
	return alone;
}

/* Replaces __mmap_lock_do_trace_acquire_returned(). */
void spf_mm_seq_traced(struct mm_struct *mm, bool write, bool success)
{
	if (spf_probe_alone()) {
		spf_mm_seq_acquired(NULL, mm, "", write, success);
		this_cpu_inc(spf_paths_skipped);
	} else {
		spf_orig_traced(mm, write, success);
	}
	spf_hook_leave();
}

/*
 * Only where the hook is an ftrace direct call (x86-64).  On arm64 an
 * IPMODIFY ftrace_ops saves a full pt_regs on every acquisition, which
 * cost more than the path it saves: one boot, median latency of a
 * tmpfs shared-file write fault 16.3 us with the redirection, 15.6 us
 * without (stock 10.7 us).  There the probe does all the counting.
 */
int spf_mm_seq_traced_resolve(struct spf_hook *hook)
{
	spf_orig_traced = __mmap_lock_do_trace_acquire_returned;
#ifdef SPF_ARCH_HAVE_DIRECT
	hook->addr = (unsigned long)spf_orig_traced;
#endif
	return 0;
}

static int spf_paths_skipped_get(void *data, u64 *val)
{
	int cpu;

	*val = 0;
	for_each_possible_cpu(cpu)
		*val += per_cpu(spf_paths_skipped, cpu);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spf_paths_skipped_fops, spf_paths_skipped_get, NULL,
			 "%llu\n");

void spf_mm_seq_traced_init(struct dentry *debugfs_dir)
{
	debugfs_create_file_unsafe("memcg_paths_skipped", 0444, debugfs_dir,
				   NULL, &spf_paths_skipped_fops);
}
