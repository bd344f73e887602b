/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness's side of the shim (tests/userspace/sim.c): randomness,
 * delays that widen race windows, and failure.  The stand-ins call these
 * where the kernel would have a race window or a debug check.
 */
#ifndef _USPACE_USPACE_HARNESS_H
#define _USPACE_USPACE_HARNESS_H

#include <linux/compiler.h>

struct mm_struct;

/* Per-thread xorshift. */
unsigned int sim_rand(void);
/* With probability permille/1000, yield or spin a little. */
void sim_delay(unsigned int permille);
/* An invariant broke: report and exit. */
void sim_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

extern unsigned int sim_stale_permille;	/* weak-memory loads */
extern unsigned int sim_late_permille;	/* weak-memory lock-word stores */
extern unsigned int sim_delay_permille;	/* delays in the reader */
extern __thread int sim_tid;
extern __thread int sim_rcu_depth;	/* rcu_read_lock() nesting */

#endif
