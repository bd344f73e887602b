/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The speculative file write fault (spf/file_write.c), as the fault
 * attempt in spf/speculate.c calls it.
 */
#ifndef _SPF_FILE_WRITE_H
#define _SPF_FILE_WRITE_H

#include <spf/attempt.h>

struct file;

/* What the attempt holds, or has left to do, after the RCU section. */
struct spf_file_write {
	struct file *file;	/* pinned, or NULL */
	bool shared;		/* do_shared_fault()'s road, not do_cow_fault()'s */
	bool mapped;		/* the PTE is set */
	bool dirtied;		/* shared: set_page_dirty() dirtied the page */
};

int spf_file_write_init(void);
enum spf_abort spf_file_write_suitable(struct vm_area_struct *vma);
bool spf_file_write_pin(struct spf_snapshot *snap, struct spf_file_write *fw);
enum spf_abort spf_file_write_try(struct spf_snapshot *snap,
				  struct spf_pte_walk *walk, unsigned long addr,
				  struct folio *copy, struct spf_file_write *fw);
void spf_file_write_finish(struct spf_file_write *fw);

#endif
