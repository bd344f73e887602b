/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deliberately broken variants: each switch removes exactly one safety
 * step, so that a test can be seen to catch its absence.  In a normal
 * build every switch is 0 and the compiler drops the test.
 *
 * Userspace only: tests/userspace builds the protocol sources with one
 * of these set (-DSPF_BROKEN_<NAME>=1), and its torture must catch
 * every such build.
 *
 *   NO_REVALIDATE    spf/faults/attempt.c: commit without rechecking the
 *                    pmd, the PTE and the count under the PTE lock
 *   NO_GRACE_PERIOD  pgtable_rcu/pgtable_free.c: no batch made sure of, so
 *                    a failed GFP_NOWAIT allocation frees the table at once
 *   NO_RMB           vma_lookup/mm_seq.c: the count read without smp_rmb()
 *   ACCEPT_WRITER    vma_lookup/mm_seq.c: begin succeeds although a writer
 *                    holds mmap_lock
 *   CACHE_ANY_SEQ    vma_lookup/snapshot.c: the per-CPU copy is used
 *                    whatever the count was when it was taken
 *   BUMP_BEFORE_LOCK vma_lookup/mm_seq.c: the count bumped relaxed, with
 *                    no barrier ordering it after the lock word's store
 */
#ifndef _SPF_BROKEN_H
#define _SPF_BROKEN_H

#ifndef SPF_BROKEN_NO_REVALIDATE
#define SPF_BROKEN_NO_REVALIDATE	0
#endif
#ifndef SPF_BROKEN_NO_GRACE_PERIOD
#define SPF_BROKEN_NO_GRACE_PERIOD	0
#endif
#ifndef SPF_BROKEN_NO_RMB
#define SPF_BROKEN_NO_RMB		0
#endif
#ifndef SPF_BROKEN_ACCEPT_WRITER
#define SPF_BROKEN_ACCEPT_WRITER	0
#endif
#ifndef SPF_BROKEN_CACHE_ANY_SEQ
#define SPF_BROKEN_CACHE_ANY_SEQ	0
#endif
#ifndef SPF_BROKEN_BUMP_BEFORE_LOCK
#define SPF_BROKEN_BUMP_BEFORE_LOCK	0
#endif

/*
 * Module builds too: "make module BROKEN=<name>" builds spf.ko with
 * SPF_BROKEN_<NAME>=1 into its own folder, and tools/check/broken-matrix
 * runs, in a guest, the kselftest that must fail on it
 * (tests/broken/matrix).  Such a module says so when it loads.
 *
 *   PUBLISH_LATE     spf/faults/attempt.c, file_write.c: a PTE table
 *                    the fault adds is filled while private and
 *                    published after the file pages mapped into it were
 *                    unlocked, by read and write faults (defect 1)
 *   SLEEPING_FENCE   vma_lookup/mm_seq.c: the install fence is
 *                    mm->page_table_lock, a sleeping lock on PREEMPT_RT
 *                    that the tracepoint probe takes with preemption
 *                    disabled (defect 3; split pmd locks only)
 *   NO_LRU_GEN_FAULT spf/faults/dispatch.c: the task not marked as in a
 *                    fault, so the multi-gen LRU adds its pages as old ones
 *   POLICY_ANON_ONLY spf/faults/dispatch.c: a VMA mempolicy refused for
 *                    anonymous VMAs only (defect 2)
 *   NO_RSS_FOLD      spf/faults/dispatch.c: spf_account() leaves the
 *                    task's RSS cache unfolded, so /proc shows a low RSS
 *   NO_FAULT_AROUND_GETTER spf/faults/file_fault.c: fault_around_bytes not
 *                    read through its getter, so where the variable
 *                    is not found (arm64) windows are always 64 KiB
 *   NO_MAPPING_CHECK spf/faults/file_fault.c: a page-cache folio mapped without
 *                    checking, under its lock, that it is still the
 *                    file's (truncated, reclaimed or migrated away)
 *   TRUST_RETURN_ADDRESS spf/hooks/hooks.c: a call whose return address
 *                    another tracer rewrote is taken like any other, so
 *                    a replacement's own call of the original recurses
 *   HOLD_ACROSS_STOCK spf/hooks/hooks.c, spf/arch_*.c: a stock call that may
 *                    sleep made from C under the in-flight reference
 *                    alone, so unload waits for it (defect 5)
 *   NO_PASSTHROUGH   include/spf/pgtable_rcu.h: spf's own call of a
 *                    freeing original is not recognised once a tracer
 *                    rewrote its return address, so it is deferred
 *                    again (VMAs: every grace period while it stays)
 *   NO_ABANDON       spf/hooks/hooks.c: a fault whose pin fails because
 *                    delete_module() has begun still calls stock code
 *                    that may sleep, so unload waits for it
 *   RECLAIM_TWICE    spf/faults/attempt.c, dispatch.c, wp_fault.c,
 *                    thp_fault.c, pgtable_rcu/pte_table.c: a failed
 *                    allocation or charge retried with direct reclaim
 *                    (the huge page with its defrag gfp), so a fault
 *                    that still fails reclaims again in stock (parity
 *                    difference 3)
 *   NO_COMMIT_SEQ    spf/faults/attempt.c: the count not checked again
 *                    under the commit lock (the pmd and PTE still are), so a
 *                    write section that began after the snapshot was
 *                    validated goes unseen: the module's form of
 *                    NO_REVALIDATE and ACCEPT_WRITER, which stay
 *                    userspace-only
 *   IGNORE_NOTIFIERS spf/faults/wp_fault.c: a write-protect copy or zero-page
 *                    replacement speculated in an mm with mmu
 *                    notifiers, which stock calls around the copy (a
 *                    secondary MMU keeps the old page)
 *   WP_STALE_PTE     spf/faults/wp_fault.c: the write-protect fault's PTE
 *                    not compared again under the PTE lock (the pmd and
 *                    the count still are), so a PTE that NUMA hinting or
 *                    a migration changed since the walk is reused or
 *                    replaced as walked: NO_REVALIDATE's PTE check, for
 *                    this fault alone, in the module
 *   IGNORE_POLICY    spf/faults/attempt.c: the pages spf_alloc_page()
 *                    gives (first touches, write-protect copies and
 *                    zero-page writes, private file writes) allocated on
 *                    the faulting CPU's node, as if the task had no
 *                    memory policy; huge pages are not
 *   SWAP_ANY_EXCLUSIVE spf/faults/swap_fault.c: every swap PTE taken as
 *                    exclusive, so after fork a write maps the
 *                    swap-cache page writable in place (and a read maps
 *                    it as exclusive) while the other process's PTE
 *                    still holds the entry: its next fault there meets
 *                    a page exclusive to the writer (do_swap_page()'s
 *                    BUG_ON), or, once reclaim wrote the page back to
 *                    the entry, the writer's data
 *   NO_FTRACE_PIN    spf/hooks/hook_direct.c: no hook keeps the kernel's
 *                    permanent direct_ops registered, so sysctl
 *                    kernel.ftrace_enabled=0 is accepted while spf is
 *                    loaded and turns every hook off at once, the
 *                    freeing hooks under faults in flight
 *   NO_STEP_GATE     spf/hooks/hook_direct.c: a hook is taken as soon as
 *                    its own site is live, before the rest of its step:
 *                    loading, lock_mm_and_find_vma's attempt can hand
 *                    the marker to a handle_mm_fault() not patched yet
 */
#ifndef SPF_BROKEN_NO_LRU_GEN_FAULT
#define SPF_BROKEN_NO_LRU_GEN_FAULT	0
#endif
#ifndef SPF_BROKEN_SLEEPING_FENCE
#define SPF_BROKEN_SLEEPING_FENCE	0
#endif
#ifndef SPF_BROKEN_PUBLISH_LATE
#define SPF_BROKEN_PUBLISH_LATE		0
#endif
#ifndef SPF_BROKEN_POLICY_ANON_ONLY
#define SPF_BROKEN_POLICY_ANON_ONLY	0
#endif
#ifndef SPF_BROKEN_NO_RSS_FOLD
#define SPF_BROKEN_NO_RSS_FOLD		0
#endif
#ifndef SPF_BROKEN_NO_FAULT_AROUND_GETTER
#define SPF_BROKEN_NO_FAULT_AROUND_GETTER	0
#endif
#ifndef SPF_BROKEN_NO_MAPPING_CHECK
#define SPF_BROKEN_NO_MAPPING_CHECK	0
#endif
#ifndef SPF_BROKEN_TRUST_RETURN_ADDRESS
#define SPF_BROKEN_TRUST_RETURN_ADDRESS	0
#endif
#ifndef SPF_BROKEN_HOLD_ACROSS_STOCK
#define SPF_BROKEN_HOLD_ACROSS_STOCK	0
#endif
#ifndef SPF_BROKEN_NO_PASSTHROUGH
#define SPF_BROKEN_NO_PASSTHROUGH	0
#endif
#ifndef SPF_BROKEN_NO_ABANDON
#define SPF_BROKEN_NO_ABANDON		0
#endif
#ifndef SPF_BROKEN_RECLAIM_TWICE
#define SPF_BROKEN_RECLAIM_TWICE	0
#endif
#ifndef SPF_BROKEN_IGNORE_NOTIFIERS
#define SPF_BROKEN_IGNORE_NOTIFIERS	0
#endif
#ifndef SPF_BROKEN_NO_COMMIT_SEQ
#define SPF_BROKEN_NO_COMMIT_SEQ	0
#endif
#ifndef SPF_BROKEN_WP_STALE_PTE
#define SPF_BROKEN_WP_STALE_PTE		0
#endif
#ifndef SPF_BROKEN_IGNORE_POLICY
#define SPF_BROKEN_IGNORE_POLICY	0
#endif
#ifndef SPF_BROKEN_SWAP_ANY_EXCLUSIVE
#define SPF_BROKEN_SWAP_ANY_EXCLUSIVE	0
#endif
#ifndef SPF_BROKEN_NO_FTRACE_PIN
#define SPF_BROKEN_NO_FTRACE_PIN	0
#endif
#ifndef SPF_BROKEN_NO_STEP_GATE
#define SPF_BROKEN_NO_STEP_GATE		0
#endif

#if defined(__KERNEL__) &&						\
	(SPF_BROKEN_NO_REVALIDATE || SPF_BROKEN_NO_GRACE_PERIOD ||	\
	 SPF_BROKEN_NO_RMB || SPF_BROKEN_ACCEPT_WRITER ||		\
	 SPF_BROKEN_CACHE_ANY_SEQ || SPF_BROKEN_BUMP_BEFORE_LOCK)
#error "spf: the broken variants are for tests/userspace only"
#endif

#endif
