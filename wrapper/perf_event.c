// SPDX-License-Identifier: GPL-2.0
/*
 * perf_event.h internals (the perf-key decoder).
 *
 * Finding perf_swevent_enabled[], the static keys that say whether any
 * software perf event of a kind is open.  Stock faults test them before
 * calling into perf; without them every speculative fault calls
 * __perf_sw_event() for nothing, twice on arm64 (page-faults and
 * minor-faults), which measured at some 300 instructions a fault there:
 * more than half of what spf's path then cost above stock's.
 *
 * The array is a data symbol, in kallsyms only with KALLSYMS_ALL
 * (Debian's x86-64 kernel, not its arm64 one).  Without it, on arm64,
 * its address is read from the code of sw_perf_event_destroy(), which
 * does static_key_slow_dec(&perf_swevent_enabled[event_id]): the
 * argument register is traced, straight-line, from the function's start
 * to that call, through adrp, add-immediate and mov, up to the add of
 * the index scaled by sizeof(struct static_key).  Compilers reach the
 * array from a section anchor plus offsets; the trace follows them, but
 * it is still a reading of generated code, so what it yields is only
 * used once the kernel's own jump table confirms it: the keys of
 * page-faults and minor-faults must each list, as their first jump
 * entries, a site of theirs in the function stock raises that event
 * from (do_page_fault(); handle_mm_fault(), where mm_account_fault()
 * is inlined).  A wrong address cannot point at a jump entry that
 * points back at it from those functions.  Every read is a nofault read.
 *
 * When nothing is found or confirmed, spf says so at load and calls
 * perf on every speculative fault, as before: the counts stay right,
 * only slower.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/perf_event.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <wrapper/perf_event.h>
#include <wrapper/kallsyms.h>

#ifdef CONFIG_ARM64
#define SPF_A64_INSNS	48

/* Does KEY have, among its first jump entries, a site in FN (or FN2)? */
static bool spf_key_has_site_in(struct static_key *key, const char *fn,
				const char *fn2)
{
	struct jump_entry *e;
	unsigned long type;
	char name[KSYM_NAME_LEN];
	int i;

	if (get_kernel_nofault(type, &key->type) ||
	    (type & JUMP_TYPE_LINKED))
		return false;
	e = (struct jump_entry *)(type & ~JUMP_TYPE_MASK);
	for (i = 0; e && i < 16; i++, e++) {
		s32 code;
		long koff;

		if (get_kernel_nofault(code, &e->code) ||
		    get_kernel_nofault(koff, &e->key))
			return false;
		if ((unsigned long)&e->key + (koff & ~3L) !=
		    (unsigned long)key)
			return false;	/* past this key's entries */
		snprintf(name, sizeof(name), "%ps",
			 (void *)((unsigned long)&e->code + code));
		if (!strcmp(name, fn) || (fn2 && !strcmp(name, fn2)))
			return true;
	}
	return false;
}

static bool spf_perf_keys_confirmed(struct static_key *keys)
{
	return spf_key_has_site_in(&keys[PERF_COUNT_SW_PAGE_FAULTS],
				   "do_page_fault", NULL) &&
	       spf_key_has_site_in(&keys[PERF_COUNT_SW_PAGE_FAULTS_MIN],
				   "handle_mm_fault", "mm_account_fault");
}

/*
 * The first argument of the first call of static_key_slow_dec() in
 * sw_perf_event_destroy(), if it is BASE + (index << 4): BASE, else 0.
 */
static unsigned long spf_a64_find_keys(void)
{
	unsigned long fn = spf_symbol_lookup("sw_perf_event_destroy");
	unsigned long dec = spf_symbol_lookup("static_key_slow_dec");
	unsigned long val[32] = {}, base[32] = {};
	bool known[32] = {}, scaled[32] = {};
	int i;

	BUILD_BUG_ON(sizeof(struct static_key) != 16);
	if (!fn || !dec)
		return 0;
	for (i = 0; i < SPF_A64_INSNS; i++) {
		unsigned long pc = fn + 4 * i;
		unsigned int rd, rn, rm;
		u32 insn;

		if (get_kernel_nofault(insn, (u32 *)pc))
			return 0;
		rd = insn & 0x1f;
		rn = (insn >> 5) & 0x1f;
		rm = (insn >> 16) & 0x1f;
		if ((insn & 0x9f000000) == 0x90000000) {		/* adrp */
			long imm = ((insn >> 29) & 3) |
				   (((insn >> 5) & 0x7ffff) << 2);

			val[rd] = (pc & ~0xfffUL) +
				  ((unsigned long)sign_extend64(imm, 20) << 12);
			known[rd] = true;
			scaled[rd] = false;
		} else if ((insn & 0xff800000) == 0x91000000) {	/* add imm */
			unsigned long imm = (insn >> 10) & 0xfff;

			if (insn & BIT(22))
				imm <<= 12;
			known[rd] = rn != 31 && known[rn];
			val[rd] = val[rn] + imm;
			scaled[rd] = false;
		} else if ((insn & 0xffe0fc00) == 0x8b001000) {	/* add lsl 4 */
			scaled[rd] = known[rn];
			base[rd] = val[rn];
			known[rd] = false;
		} else if ((insn & 0xffe0ffe0) == 0xaa0003e0) {	/* mov */
			known[rd] = known[rm];
			val[rd] = val[rm];
			scaled[rd] = scaled[rm];
			base[rd] = base[rm];
		} else if ((insn & 0xfc000000) == 0x94000000) {	/* bl */
			unsigned long to = pc + ((unsigned long)
				sign_extend64(insn & 0x3ffffff, 25) << 2);

			if (to == dec)
				return scaled[0] ? base[0] : 0;
			memset(known, 0, 19 * sizeof(known[0]));
			memset(scaled, 0, 19 * sizeof(scaled[0]));
		} else if (rd != 31) {
			/* Anything else may have written its first operand. */
			known[rd] = false;
			scaled[rd] = false;
		}
	}
	return 0;
}

/* 0, with the reason in *WHY, or the array's confirmed address. */
static unsigned long spf_arch_find_keys(const char **why)
{
	unsigned long keys = spf_a64_find_keys();

	if (!keys) {
		*why = "could not be read from sw_perf_event_destroy()";
		return 0;
	}
	if (!spf_perf_keys_confirmed((struct static_key *)keys)) {
		*why = "the address read from sw_perf_event_destroy() is not confirmed by the jump table";
		return 0;
	}
	return keys;
}
#else
static unsigned long spf_arch_find_keys(const char **why)
{
	*why = "this arch has no other way to it";
	return 0;
}
#endif

struct static_key *spf_perf_keys_find(void)
{
	unsigned long keys = spf_symbol_lookup("perf_swevent_enabled");
	const char *why;

	/* kallsyms names the array: no need to ask the jump table. */
	if (!keys)
		keys = spf_arch_find_keys(&why);
	if (!keys)
		pr_info("perf_swevent_enabled is not in kallsyms and %s: speculative faults always call perf_sw_event()\n",
			why);
	return (struct static_key *)keys;
}
