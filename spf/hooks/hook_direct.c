// SPDX-License-Identifier: GPL-2.0
/*
 * Function redirection with ftrace direct calls (x86-64).
 *
 * Each hooked function's fentry site is patched into a call to spf's
 * trampoline (what BPF trampolines use).  The trampoline runs before
 * the function's prologue: the stack holds the return address into the
 * function body, then the caller's return address, and the argument
 * registers are untouched.  It saves the argument registers, asks
 * spf_direct_dispatch() and restores them; then it does one of three
 * things.  Not taken: it returns into the function body.  Taken by a
 * hook with a replacement: it drops the return address into the body
 * and jumps to the replacement, which thus runs as if the caller had
 * called it, with the same arguments and return address.  Taken by a
 * hook with an attempt (lock_mm_and_find_vma's): the attempt has run,
 * and either its result is returned to the caller (the return address
 * into the body dropped) or, given up with its in-flight reference
 * dropped, the call resumes in the body as when not taken.  So a fault
 * spf hands back waits for mmap_lock in the stock lookup with no frame
 * of this module on its stack, and unload does not wait for it.
 *
 * One trampoline serves every hook: it finds the hook from the return
 * address into the body, the site plus MCOUNT_INSN_SIZE, in a table
 * filled before the site goes live and never changed while it is.
 * That is what lets the sites share ftrace_ops, and the ops are what
 * unload waits for: 6.1's ftrace_shutdown() of a module's (dynamic)
 * ops waits for RCU-tasks-rude and RCU-tasks once, however many sites
 * it holds, where each per-site removal (unregister_ftrace_direct())
 * waited for RCU-tasks by itself (docs/design.md, "The cost of
 * unloading").  The hooks go live in three steps, in install order:
 *  - the first hook by itself, through the per-site API: it keeps the
 *    kernel's direct_ops registered, which is FTRACE_OPS_FL_PERMANENT,
 *    so sysctl kernel.ftrace_enabled=0 is refused while spf is loaded
 *    (register_ftrace_direct_multi() resets an ops' flags to its own,
 *    without that one), and its registration fails if tracing is off;
 *  - every other hook that is not a fault hook, in one ops;
 *  - the fault hooks, in a second ops, registered only once the first
 *    has returned with its sites patched: no speculative fault starts
 *    before every freeing hook is live (spf/hooks/hooks.c).
 * Removal goes in the reverse order.
 *
 * Why not kprobes here: a kprobe on ftrace saves a full pt_regs and
 * runs the kprobe core on every hit, and a fault passes two hooks; the
 * direct trampoline saves seven registers and makes one call, which
 * measurably matters on the fault path (docs/design.md).
 *
 * Unlike a kprobe pre-handler, the trampoline runs with preemption
 * enabled: a task can be preempted inside it.  Unload covers that the
 * same way as a task preempted in a replacement: after the direct calls
 * are unregistered, an RCU-tasks grace period passes before the module
 * text can go (spf/hooks/hooks.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/hash.h>
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/nospec-branch.h>
#include <asm/orc_types.h>
#include <spf/arch.h>
#include <spf/broken.h>
#include <wrapper/ftrace.h>
#include "internal.h"

/* What the trampoline does with a call: spf_direct_dispatch()'s answer. */
struct spf_direct_verdict {
	unsigned long to;	/* 0: into the body; 1: return val; else jump */
	unsigned long val;
};

#define SPF_DIRECT_RETURN	1UL

/*
 * Hook n's site, found by the return address into its body.  Written
 * before the site goes live, read by the trampoline only after: the
 * text patch that makes a site live synchronizes every CPU (IPIs), and
 * an entry is cleared only once its own site is no longer live.
 */
struct spf_direct_site {
	unsigned long body;	/* the site + MCOUNT_INSN_SIZE */
	struct spf_hook *hook;
	unsigned int group;
};

static struct spf_direct_site spf_direct_sites[SPF_DIRECT_MAX];

/*
 * Where the lookup starts: a site by the hash of its body, the first
 * hook of a colliding pair (the other is found by the scan).  A linear
 * scan cost the writer's side 417 instructions per mmap/munmap pair,
 * vm_area_free() being the last entry it reached.
 */
#define SPF_DIRECT_SLOT_BITS	5

static struct spf_direct_site *spf_direct_slots[1 << SPF_DIRECT_SLOT_BITS];

static unsigned int spf_direct_slot(unsigned long body)
{
	return hash_long(body, SPF_DIRECT_SLOT_BITS);
}

/* The three steps in which hooks go live (see the top of this file). */
enum spf_direct_group {
	SPF_DIRECT_PIN,
	SPF_DIRECT_FREEING,
	SPF_DIRECT_FAULTS,
	SPF_DIRECT_GROUPS
};

static enum {
	SPF_GROUP_EMPTY, SPF_GROUP_FILTERED, SPF_GROUP_LIVE
} spf_direct_groups[SPF_DIRECT_GROUPS];

/* SPF_DIRECT_FREEING and SPF_DIRECT_FAULTS (the pin has no ops). */
static struct ftrace_ops spf_direct_ops[SPF_DIRECT_GROUPS];

/* The marker's call: its return address into the body, and its target. */
static unsigned long spf_direct_marker_body __used;
static unsigned long spf_direct_marker_dest __used;

/*
 * The hook whose site returns into BODY, if its whole step is live.
 * Within a step the sites go live one by one, in no promised order, so
 * a hook is not taken before the registration of its step has returned:
 * otherwise lock_mm_and_find_vma's attempt could hand the marker to a
 * handle_mm_fault() whose site is not patched yet, and stock code would
 * run on the marker (seen on PREEMPT_RT while loading).
 */
static __always_inline struct spf_direct_site *
spf_direct_site_at(unsigned long body)
{
	struct spf_direct_site *site;
	unsigned int i;

	site = READ_ONCE(spf_direct_slots[spf_direct_slot(body)]);
	if (likely(site && READ_ONCE(site->body) == body))
		return site;
	for (i = SPF_DIRECT_MAX; i--; ) {
		site = &spf_direct_sites[i];
		if (READ_ONCE(site->body) == body)
			return site;
	}
	return NULL;
}

static struct spf_hook *spf_direct_hook(unsigned long body)
{
	struct spf_direct_site *site = spf_direct_site_at(body);

	if (!site)
		return NULL;
	if (READ_ONCE(spf_direct_groups[site->group]) != SPF_GROUP_LIVE &&
	    !SPF_BROKEN_NO_STEP_GATE)
		return NULL;
	return site->hook;
}

/* A colliding site gets no slot: the scan finds it. */
static void spf_direct_site_set(unsigned int n, struct spf_hook *hook,
				unsigned int group, unsigned long body)
{
	struct spf_direct_site **slot = &spf_direct_slots[spf_direct_slot(body)];

	spf_direct_sites[n].hook = hook;
	spf_direct_sites[n].group = group;
	WRITE_ONCE(spf_direct_sites[n].body, body);
	if (!*slot)
		WRITE_ONCE(*slot, &spf_direct_sites[n]);
}

static void spf_direct_site_clear(unsigned int n)
{
	struct spf_direct_site *site = &spf_direct_sites[n];
	struct spf_direct_site **slot = &spf_direct_slots[spf_direct_slot(site->body)];

	if (*slot == site)
		WRITE_ONCE(*slot, NULL);
	WRITE_ONCE(site->body, 0);
	site->hook = NULL;
}

/*
 * Called by the trampoline with the return address into the body, the
 * caller's return address and the saved argument registers.
 */
struct spf_direct_verdict notrace
spf_direct_dispatch(unsigned long body, unsigned long caller,
		    unsigned long *args);
struct spf_direct_verdict notrace
spf_direct_dispatch(unsigned long body, unsigned long caller,
		    unsigned long *args)
{
	struct spf_direct_verdict v = { 0, 0 };
	struct spf_hook *hook = spf_direct_hook(body);

	if (!hook || !spf_hook_take(hook, caller, args))
		return v;
	if (hook->attempt) {
		v.val = hook->attempt(args);
		v.to = v.val ? SPF_DIRECT_RETURN : 0;
		return v;
	}
	v.to = (unsigned long)hook->replacement;
	return v;
}

#ifdef CONFIG_RETPOLINE
#define SPF_JMP_R11	"jmp __x86_indirect_thunk_r11\n"
#else
#define SPF_JMP_R11	"jmp *%r11\n"
#endif

/*
 * With the return address into the function body dropped, the stack is
 * exactly as at the entry of a function called by the caller: say so to
 * objtool (and the ORC unwinder), the jump is then a plain tail call.
 */
#define SPF_AT_FUNC_ENTRY \
	UNWIND_HINT(ORC_REG_SP, 8, UNWIND_HINT_TYPE_FUNC, 0) "\n"

/*
 * On entry: 0(%rsp) returns into the function body, 8(%rsp) into its
 * caller; %rdi..%r9 are the arguments, %rax is preserved as ftrace
 * does, %r11 is free at a function's entry.
 *
 * First the marker's call (spf/hooks/internal.h): first argument
 * spf_marker_vma, from the marker hook's site.  It goes straight to the
 * replacement (spf_hook_take() would take it unconditionally).
 *
 * Then a frame: after "push %rbp" the return address into the body is
 * 8(%rbp) and the caller's 16(%rbp).  After the eight pushes and the 8
 * bytes subtracted %rsp is 8 mod 16 at the call: enough, the kernel
 * being built for an 8-byte stack boundary
 * (-mpreferred-stack-boundary=3).  The saved %rdi..%rcx are the args
 * array.  The verdict comes back in %rax (to) and %rdx (val).
 */
asm("	.pushsection .text, \"ax\", @progbits\n"
	"	.type spf_direct_tramp, @function\n"
	"spf_direct_tramp:\n"
	"	leaq spf_marker_vma(%rip), %r11\n"
	"	cmpq %r11, %rdi\n"
	"	jne 2f\n"
	"	movq (%rsp), %r11\n"
	"	cmpq spf_direct_marker_body(%rip), %r11\n"
	"	jne 2f\n"
	"	addq $8, %rsp\n"
	SPF_AT_FUNC_ENTRY
	"	movq spf_direct_marker_dest(%rip), %r11\n"
	"	" SPF_JMP_R11
	"2:\n"
	"	pushq %rbp\n"
	"	movq %rsp, %rbp\n"
	"	pushq %rax\n"
	"	pushq %r9\n"
	"	pushq %r8\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %rsi\n"
	"	pushq %rdi\n"
	"	subq $8, %rsp\n"
	"	movq 8(%rbp), %rdi\n"
	"	movq 16(%rbp), %rsi\n"
	"	leaq 8(%rsp), %rdx\n"
	"	call spf_direct_dispatch\n"
	"	cmpq $1, %rax\n"
	"	je 3f\n"
	"	movq %rax, %r11\n"
	"	addq $8, %rsp\n"
	"	popq %rdi\n"
	"	popq %rsi\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %r8\n"
	"	popq %r9\n"
	"	popq %rax\n"
	"	leave\n"
	"	testq %r11, %r11\n"
	"	jz 1f\n"
	"	addq $8, %rsp\n"
	SPF_AT_FUNC_ENTRY
	"	" SPF_JMP_R11
	"1:\n"
	"	" ASM_RET
	"3:\n"
	"	movq %rdx, %rax\n"
	"	leave\n"
	"	addq $8, %rsp\n"
	SPF_AT_FUNC_ENTRY
	"	" ASM_RET
	"	.size spf_direct_tramp, .-spf_direct_tramp\n"
	"	.popsection\n");

static unsigned long spf_direct_addr(void)
{
	return (unsigned long)spf_direct_tramp;
}

/* A step fails as a whole: name every hook it would have carried. */
static void spf_direct_report(unsigned int group, int ret)
{
	unsigned int i;

	for (i = 0; i < SPF_DIRECT_MAX; i++)
		if (spf_direct_sites[i].hook && spf_direct_sites[i].group == group)
			pr_err("cannot hook %s: ftrace direct call registration failed (%d)%s\n",
			       spf_direct_sites[i].hook->symbol, ret,
			       ret == -EBUSY ? "; function tracing is off (sysctl kernel.ftrace_enabled=0), or another direct call (a BPF trampoline?) owns this or another spf hook's site" : "");
}

static void spf_direct_forget(unsigned int group)
{
	unsigned int i;

	for (i = 0; i < SPF_DIRECT_MAX; i++) {
		if (!spf_direct_sites[i].hook || spf_direct_sites[i].group != group)
			continue;
		if (spf_direct_sites[i].hook->marker)
			WRITE_ONCE(spf_direct_marker_body, 0);
		spf_direct_sites[i].hook->armed = SPF_ARMED_NONE;
		spf_direct_site_clear(i);
	}
	WRITE_ONCE(spf_direct_groups[group], SPF_GROUP_EMPTY);
}

/*
 * Hook N's site joins the step it goes live in; the pin's goes live at
 * once.  -ENODEV: the function has no fentry site (an inline's copy,
 * notrace).
 */
int spf_direct_add(struct spf_hook *hook, unsigned int n)
{
	unsigned long site = spf_ftrace_location(hook->addr);
	unsigned int group;
	int ret;

	if (n >= SPF_DIRECT_MAX)
		return -E2BIG;
	if (!site)
		return -ENODEV;
	/*
	 * ftrace accepts a site twice in one filter, and the lookup would
	 * then reach one of the two hooks only.
	 */
	if (spf_direct_site_at(site + MCOUNT_INSN_SIZE)) {
		pr_err("cannot hook %s: its ftrace site is another hook's\n",
		       hook->symbol);
		return -EBUSY;
	}
	if (spf_direct_groups[SPF_DIRECT_PIN] == SPF_GROUP_EMPTY &&
	    !SPF_BROKEN_NO_FTRACE_PIN)
		group = SPF_DIRECT_PIN;
	else
		group = hook->fault_entry ? SPF_DIRECT_FAULTS : SPF_DIRECT_FREEING;
	/* The install order: no other hook once the fault hooks began. */
	if (WARN_ON_ONCE(group == SPF_DIRECT_FREEING &&
			 (spf_direct_groups[group] == SPF_GROUP_LIVE ||
			  spf_direct_groups[SPF_DIRECT_FAULTS] != SPF_GROUP_EMPTY)))
		return -EINVAL;
	/*
	 * A fault hook after one that needed a kprobe: its step is live,
	 * and a kprobe keeps the install order (spf/hooks/hook_install.c).
	 */
	if (group == SPF_DIRECT_FAULTS &&
	    spf_direct_groups[group] == SPF_GROUP_LIVE)
		return -ENODEV;
	if (hook->marker) {
		spf_direct_marker_dest = (unsigned long)hook->replacement;
		WRITE_ONCE(spf_direct_marker_body, site + MCOUNT_INSN_SIZE);
	}
	spf_direct_site_set(n, hook, group, site + MCOUNT_INSN_SIZE);

	if (group == SPF_DIRECT_PIN) {
		ret = register_ftrace_direct(site, spf_direct_addr());
		if (ret == -ENODEV)
			goto forget;
		if (ret) {
			spf_direct_report(group, ret);
			goto forget;
		}
		WRITE_ONCE(spf_direct_groups[group], SPF_GROUP_LIVE);
	} else {
		ret = ftrace_set_filter_ip(&spf_direct_ops[group], site, 0, 0);
		if (ret) {
			if (hook->marker)
				WRITE_ONCE(spf_direct_marker_body, 0);
			spf_direct_site_clear(n);
			return ret == -EINVAL || ret == -ENOENT ? -ENODEV : ret;
		}
		WRITE_ONCE(spf_direct_groups[group], SPF_GROUP_FILTERED);
	}
	hook->armed = SPF_ARMED_DIRECT;
	hook->leaves_into_body = hook->attempt;
	return 0;

forget:
	spf_direct_forget(group);
	return ret;
}

/*
 * Make every site added so far live, a step at a time: each
 * registration returns with its sites patched on every CPU.
 */
int spf_direct_flush(void)
{
	unsigned int g;
	int ret;

	for (g = SPF_DIRECT_FREEING; g < SPF_DIRECT_GROUPS; g++) {
		if (spf_direct_groups[g] != SPF_GROUP_FILTERED)
			continue;
		ret = register_ftrace_direct_multi(&spf_direct_ops[g],
						   spf_direct_addr());
		if (ret) {
			spf_direct_report(g, ret);
			return ret;
		}
		/* Opens the step's gate (spf_direct_hook()). */
		WRITE_ONCE(spf_direct_groups[g], SPF_GROUP_LIVE);
	}
	return 0;
}

/* For unload's timings: the step hook N went live in. */
const char *spf_direct_step(unsigned int n)
{
	static const char *const names[SPF_DIRECT_GROUPS] = {
		"ftrace-direct-step1", "ftrace-direct-step2",
		"ftrace-direct-step3",
	};

	return names[spf_direct_sites[n].group];
}

/*
 * Takes out the step HOOK went live in, every hook of it; later calls
 * for the others find it gone.  Returns once no CPU enters the
 * trampoline from those sites; tasks may still be in it.
 */
void spf_direct_disarm(struct spf_hook *hook, unsigned int n)
{
	unsigned int g = spf_direct_sites[n].group;

	if (spf_direct_sites[n].hook != hook)
		return;
	switch (spf_direct_groups[g]) {
	case SPF_GROUP_LIVE:
		if (g == SPF_DIRECT_PIN) {
			unregister_ftrace_direct(spf_direct_sites[n].body -
						 MCOUNT_INSN_SIZE,
						 spf_direct_addr());
			break;
		}
		unregister_ftrace_direct_multi(&spf_direct_ops[g],
					       spf_direct_addr());
		fallthrough;
	case SPF_GROUP_FILTERED:
		ftrace_free_filter(&spf_direct_ops[g]);
		memset(&spf_direct_ops[g], 0, sizeof(spf_direct_ops[g]));
		break;
	case SPF_GROUP_EMPTY:
		break;
	}
	spf_direct_forget(g);
}
