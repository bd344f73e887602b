/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The speculative file read fault (spf/file_fault.c), as the fault
 * attempt in spf/speculate.c calls it.
 */
#ifndef _SPF_FILE_FAULT_H
#define _SPF_FILE_FAULT_H

#include <spf/attempt.h>

struct address_space;
struct dentry;

bool spf_file_vma(const struct vm_area_struct *vma);
enum spf_abort spf_file_suitable(struct vm_area_struct *vma,
				 unsigned int flags);
enum spf_abort spf_file_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int *mapped);
struct folio *spf_file_lock_page(struct address_space *mapping,
				 pgoff_t index);
void spf_file_fault_init(struct dentry *debugfs_dir);

#endif
