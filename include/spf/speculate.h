/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_SPECULATE_H
#define _SPF_SPECULATE_H

#include <linux/mm_types.h>
#include <spf/outcome.h>

struct dentry;
struct pt_regs;

bool spf_speculate(struct mm_struct *mm, unsigned long addr,
		   unsigned int flags, struct pt_regs *regs);
void spf_abort(enum spf_abort reason, unsigned long addr);
int spf_speculate_init(struct dentry *debugfs_dir);

#endif
