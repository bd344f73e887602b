/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: a mempool is malloc.
 */
#ifndef _USPACE_LINUX_MEMPOOL_H
#define _USPACE_LINUX_MEMPOOL_H

#include <linux/gfp.h>

typedef struct mempool_s {
	size_t size;
} mempool_t;

mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);
void *mempool_alloc(mempool_t *pool, gfp_t gfp);
void mempool_free(void *element, mempool_t *pool);
void mempool_destroy(mempool_t *pool);

#endif
