/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the spin-wait hint.
 */
#ifndef _USPACE_ASM_PROCESSOR_H
#define _USPACE_ASM_PROCESSOR_H

#define cpu_relax()		__builtin_ia32_pause()

#endif
