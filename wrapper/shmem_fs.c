// SPDX-License-Identifier: GPL-2.0
/*
 * Resolution of shmem_fault(); see include/wrapper/shmem_fs.h.  A
 * kernel that lacks it is refused at load with the symbol's name.
 */
/* No pr_fmt: the message is as spf/faults/file_write.c printed it. */
#include <wrapper/kallsyms.h>
#include <wrapper/shmem_fs.h>

vm_fault_t (*spf_shmem_fault)(struct vm_fault *vmf);

int spf_wrapper_shmem_fs_init(void)
{
	return spf_resolve(spf_shmem_fault, "shmem_fault",
			   "for the speculative tmpfs write fault");
}
