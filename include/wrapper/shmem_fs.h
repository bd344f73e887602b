/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shmem internals spf needs: mm/shmem.c's shmem_fault(), static,
 * found by name at load (wrapper/shmem_fs.c) so that the speculative
 * file write fault (spf/faults/file_write.c) can tell tmpfs, shared memory and
 * memfd VMAs by their ->fault().
 */
#ifndef _SPF_WRAPPER_SHMEM_FS_H
#define _SPF_WRAPPER_SHMEM_FS_H

#include <linux/mm.h>

extern vm_fault_t (*spf_shmem_fault)(struct vm_fault *vmf);

/* Resolves shmem_fault(), or refuses the load naming it. */
int spf_wrapper_shmem_fs_init(void);

/* Is this VMA's ->fault() shmem_fault()? */
static inline bool spf_vma_fault_is_shmem(const struct vm_area_struct *vma)
{
	return vma->vm_ops->fault == spf_shmem_fault;
}

#endif
