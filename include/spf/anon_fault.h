/* SPDX-License-Identifier: GPL-2.0 */
/* The first touch of an anonymous private page (spf/anon_fault.c). */
#ifndef _SPF_ANON_FAULT_H
#define _SPF_ANON_FAULT_H

#include <spf/attempt.h>

struct dentry;

enum spf_abort spf_anon_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    struct folio *folio);
void spf_anon_fault_init(struct dentry *debugfs_dir);

#endif
