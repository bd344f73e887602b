/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_VMA_FREE_H
#define _SPF_VMA_FREE_H

struct vm_area_struct;

void spf_vma_defer(struct vm_area_struct *vma);
void spf_vma_free_init(void *orig_vm_area_free);
void spf_vma_free_drain(void);

#endif
