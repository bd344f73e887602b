/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: annotations, branch hints, the compiler barrier,
 * and READ_ONCE/WRITE_ONCE.  These are relaxed C11 atomics (acquire and
 * release under ThreadSanitizer, which cannot see address dependencies),
 * so that the sanitizer judges plain accesses only.
 */
#ifndef _USPACE_LINUX_COMPILER_H
#define _USPACE_LINUX_COMPILER_H

#include <linux/types.h>

#define __rcu
#define __user
#define __maybe_unused		__attribute__((unused))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" : : : "memory")

#if USPACE_TSAN
#define USPACE_LOAD_ORDER	__ATOMIC_ACQUIRE
#define USPACE_STORE_ORDER	__ATOMIC_RELEASE
#else
#define USPACE_LOAD_ORDER	__ATOMIC_RELAXED
#define USPACE_STORE_ORDER	__ATOMIC_RELAXED
#endif

static __always_inline void uspace_read_once(const void *p, void *res,
					     int size)
{
	switch (size) {
	case 1:
		*(u8 *)res = __atomic_load_n((const u8 *)p, USPACE_LOAD_ORDER);
		break;
	case 2:
		*(u16 *)res = __atomic_load_n((const u16 *)p,
					      USPACE_LOAD_ORDER);
		break;
	case 4:
		*(u32 *)res = __atomic_load_n((const u32 *)p,
					      USPACE_LOAD_ORDER);
		break;
	case 8:
		*(u64 *)res = __atomic_load_n((const u64 *)p,
					      USPACE_LOAD_ORDER);
		break;
	default:
		barrier();
		memcpy(res, p, size);
		barrier();
	}
}

static __always_inline void uspace_write_once(void *p, const void *val,
					      int size)
{
	switch (size) {
	case 1:
		__atomic_store_n((u8 *)p, *(const u8 *)val, USPACE_STORE_ORDER);
		break;
	case 2:
		__atomic_store_n((u16 *)p, *(const u16 *)val,
				 USPACE_STORE_ORDER);
		break;
	case 4:
		__atomic_store_n((u32 *)p, *(const u32 *)val,
				 USPACE_STORE_ORDER);
		break;
	case 8:
		__atomic_store_n((u64 *)p, *(const u64 *)val,
				 USPACE_STORE_ORDER);
		break;
	default:
		barrier();
		memcpy(p, val, size);
		barrier();
	}
}

#define READ_ONCE(x)							\
	({								\
		union { __typeof__(x) __v; char __c[sizeof(x)]; } __u;	\
		uspace_read_once(&(x), __u.__c, sizeof(x));		\
		__u.__v;						\
	})

#define WRITE_ONCE(x, val)						\
	do {								\
		union { __typeof__(x) __v; char __c[sizeof(x)]; } __u =	\
			{ .__v = (val) };				\
		uspace_write_once(&(x), __u.__c, sizeof(x));		\
	} while (0)

#endif
