/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The last VMA this CPU's faults found spf cannot handle: lets the next
 * fault in it go stock without a redirection (vma_lookup/decline.c).
 */
#ifndef _SPF_DECLINE_H
#define _SPF_DECLINE_H

#include <linux/mm_types.h>

/* [start, end) of mm was a file or special VMA while the count was seq. */
void spf_decline_note(struct mm_struct *mm, unsigned long start,
		      unsigned long end, unsigned long seq);
/* Is addr in the VMA noted last, with no write section since? */
bool spf_decline_hit(struct mm_struct *mm, unsigned long addr);

#endif
