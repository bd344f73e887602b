/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: no interrupts in userspace.
 */
#ifndef _USPACE_LINUX_IRQFLAGS_H
#define _USPACE_LINUX_IRQFLAGS_H

#define local_irq_save(flags)	((void)((flags) = 0))
#define local_irq_restore(flags) ((void)(flags))

#endif
