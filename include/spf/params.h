/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_PARAMS_H
#define _SPF_PARAMS_H

extern char *spf_debug_require_symbol;

int spf_params_check(void);

#endif
