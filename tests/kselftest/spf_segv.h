/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIGSEGV on an armed access, back to the access: a thread sets t_lo,
 * t_hi and t_armed around an access that may legitimately fault, after
 * sigsetjmp(t_jb, 0); a SIGSEGV with MAPERR or ACCERR inside [t_lo,
 * t_hi) while armed records the code in t_code and jumps back.  Any
 * other SIGSEGV is not the test's: the default action kills the
 * process.  Include after spf_util.h (READ_ONCE, WRITE_ONCE).
 */
#ifndef _SPF_TEST_SEGV_H
#define _SPF_TEST_SEGV_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

static __thread sigjmp_buf t_jb;
/* Shared with the handler: only by READ_ONCE() and WRITE_ONCE(). */
static __thread int t_armed, t_code;
static __thread uintptr_t t_lo, t_hi;

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (READ_ONCE(t_armed) && (si->si_code == SEGV_MAPERR ||
				   si->si_code == SEGV_ACCERR) &&
	    a >= READ_ONCE(t_lo) && a < READ_ONCE(t_hi)) {
		WRITE_ONCE(t_armed, 0);
		WRITE_ONCE(t_code, si->si_code);
		siglongjmp(t_jb, 1);
	}
	/* Not ours: returning re-faults and the default action kills. */
	sigaction(SIGSEGV, &dfl, NULL);
}

static inline int install_segv_handler(void)
{
	struct sigaction sa = {
		.sa_sigaction = segv_handler,
		/* NODEFER: siglongjmp(.., 0) leaves SIGSEGV unblocked. */
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, NULL);
}

#endif
