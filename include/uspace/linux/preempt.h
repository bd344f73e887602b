/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: the whole shim is include/uspace/uspace.h. */
#include <uspace.h>
