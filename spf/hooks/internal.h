/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What spf/hooks/ (the redirection of the arch fault path and of the
 * kernel's freeing functions, and the in-flight reference that makes
 * unload safe) offers the rest of spf/, and what its files share.
 */
#ifndef _SPF_HOOKS_INTERNAL_H
#define _SPF_HOOKS_INTERNAL_H

#include <linux/kprobes.h>
#include <linux/mm_types.h>
#include <linux/ptrace.h>
#include <linux/types.h>

struct dentry;
struct mmu_gather;
struct page;
struct pt_regs;
struct seq_file;
struct spf_hook;

/*
 * Function redirection, the interface between the generic hook logic
 * (spf/hooks/hooks.c: which calls to take over, and the in-flight accounting
 * that makes unload safe) and the mechanism that does it
 * (spf/hooks/hook_kprobe.c, with the per-arch facts in include/spf/arch/).
 *
 * Contract of the mechanism: spf_arch_hooks_install() arms a hook on the
 * entry of each hook's function; when the function is called, the arch
 * side calls spf_hook_take(hook, caller, args) before the function's
 * prologue, and if that returns true it makes
 * the call continue at hook->replacement with the arguments and return
 * address untouched.  spf_arch_hooks_remove() returns only when no CPU
 * can still be inside spf_hook_take() for these hooks.
 */
struct spf_hook {
	const char *symbol;
	void *replacement;
	/*
	 * Used instead of replacement where the mechanism can call it and
	 * then either return its result to the caller or resume the
	 * function (x86-64's direct trampoline, spf/hooks/hook_direct.c): given
	 * the arguments spf_hook_take() saw, the result, or 0 to run the
	 * function itself, having dropped the in-flight reference.
	 */
	unsigned long (*attempt)(unsigned long *args);
	/* Only calls with a non-NULL pointer in this argument (0-based). */
	int nonnull_arg;
	/* Taken whatever the "enabled" knob says. */
	bool always;
	/*
	 * Always hooks: the argument (0-based) that names what a call
	 * frees, or -1 for the function's own address; how a call of the
	 * original made by spf itself is known when a tracer rewrote its
	 * return address (include/spf/pgtable_rcu.h).
	 */
	int passthrough_arg;
	/*
	 * Set by the mechanism: the replacement never calls the original
	 * from C, it leaves into the function's body (an attempt on
	 * x86-64's direct trampoline, arm64's do_page_fault stub), so a
	 * call it lets through is never spf's own.
	 */
	bool leaves_into_body;
	/*
	 * Worth an ftrace site only, not a kprobe: without one the hook is
	 * left unarmed (what it saves would cost more as a trap).
	 */
	bool no_kprobe;
	/*
	 * A call whose first argument is spf_marker_vma is always taken
	 * (spf/hooks/hooks.c); the direct trampoline and the ftrace handler test
	 * that first, so the marker's call reaches the replacement without
	 * spf_hook_take().
	 */
	bool marker;
	/*
	 * A fault hook: armed only once every hook before it in the install
	 * order is live (spf/hooks/hooks.c), which matters where a
	 * mechanism arms hooks a group at a time (spf/hooks/hook_direct.c).
	 */
	bool fault_entry;
	/*
	 * Left unarmed when this other hook, armed before it, is armed: it
	 * takes every call this one would have been useful for.
	 */
	struct spf_hook *superseded_by;
	/*
	 * Finds addr when a kallsyms lookup of symbol is not the way; may
	 * leave it 0: the hook is not needed on this kernel.
	 */
	int (*resolve)(struct spf_hook *hook);
	unsigned long addr;	/* resolved entry address of symbol */
	struct kprobe kp;	/* kprobes: the probe */
	enum {
		SPF_ARMED_NONE,
		SPF_ARMED_KPROBE,
		SPF_ARMED_DIRECT,
		SPF_ARMED_FTRACE,
	} armed;
};

/* Arguments spf_hook_take() sees; nonnull_arg must be below this. */
#define SPF_HOOK_ARGS	4

/*
 * ARGS may be changed: a mechanism that redirects the call hands the
 * replacement the changed args (include/spf/arch.h, SPF_ARCH_INFO_ARG).
 */
bool spf_hook_take(struct spf_hook *hook, unsigned long caller,
		   unsigned long *args);

extern const char spf_arch_hook_desc[];
int spf_arch_hooks_install(struct spf_hook *hooks, unsigned int n);
void spf_arch_hooks_remove(struct spf_hook *hooks, unsigned int n);

/* The mechanisms, one hook at a time (spf/hooks/hook_install.c uses them). */
int spf_kprobe_arm(struct spf_hook *hook);
void spf_kprobe_disarm(struct spf_hook *hook);
/* x86-64: added in order, live once flushed (spf/hooks/hook_direct.c). */
int spf_direct_add(struct spf_hook *hook, unsigned int n);
int spf_direct_flush(void);
void spf_direct_disarm(struct spf_hook *hook, unsigned int n);
const char *spf_direct_step(unsigned int n);
int spf_ftrace_arm(struct spf_hook *hook);
void spf_ftrace_disarm(struct spf_hook *hook);
const char *spf_hook_mechanism(const struct spf_hook *hook);

/* Hooks that spf/hooks/hook_direct.c can carry, one per hook index. */
#define SPF_DIRECT_MAX	10
/* Its one trampoline, defined in asm: not to be called from C. */
void spf_direct_tramp(void);

extern bool spf_enabled;
extern struct vm_area_struct spf_marker_vma;

void spf_hook_leave(void);

/* Around a stock call that may sleep, for as long as it runs. */
bool spf_hook_pin(void);
void spf_hook_unpin(bool pinned);
/* The pin failed: may the fault be left to be taken again? */
bool spf_hook_abandon(void);

/*
 * A fault in the last VMA turned down (vma_lookup/decline.c): counted and
 * traced as the abort it would have been; it goes stock.
 */
bool spf_fault_declined(struct mm_struct *mm, unsigned long addr);

/* The stock steps the arch handler would have taken. */
struct vm_area_struct *spf_stock_lock_mm(struct mm_struct *mm,
					 unsigned long addr,
					 struct pt_regs *regs);
vm_fault_t spf_stock_handle_mm_fault(struct vm_area_struct *vma,
				     unsigned long addr, unsigned int flags,
				     struct pt_regs *regs);

/*
 * The replacements of the always hooks: the freeing functions, sent to
 * pgtable_rcu/'s deferred frees (spf/hooks/free_hooks.c), and the function
 * that fires mmap_lock_acquire_returned (spf/hooks/mm_seq_traced.c).
 */
void spf_vm_area_free(struct vm_area_struct *vma);
void spf_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_pv_tlb_remove_table(struct mmu_gather *tlb, void *table);
void spf_tlb_remove_table_sync_one(void);
void spf_ptlock_free(struct page *page);
int spf_pgtable_pv_resolve(struct spf_hook *hook);
int spf_ptlock_free_resolve(struct spf_hook *hook);
void spf_mm_seq_traced(struct mm_struct *mm, bool write, bool success);
int spf_mm_seq_traced_resolve(struct spf_hook *hook);
void spf_mm_seq_traced_init(struct dentry *debugfs_dir);

void spf_hooks_show(struct seq_file *m);
int spf_hooks_init(void);
void spf_hooks_exit(void);

#endif
