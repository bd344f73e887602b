#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh BINDIR OUTDIR TIMEOUT KO [PARAM=VALUE...]
#
# Runs INSIDE the guest, started by tools/mm-selftests/parity through
# tools/vm/run.  It runs the 6.1 mm selftests twice in the same boot:
# pass "base" with spf.ko not loaded, then insmod KO, pass "spf" with it
# loaded, then rmmod.  Both passes run the identical list, so any
# difference in verdicts is caused by the module (or by flakiness, which
# is reported the same way on purpose: a test that is flaky on this
# guest must be fixed or reduced, not ignored).
#
# The list is run_vmtests.sh of 6.1, in its order, with the same binaries
# and arguments except for the reductions marked "REDUCED" below (they
# keep the whole run inside the make-check budget under TCG; see
# docs/mm-selftests.md).  It is a POSIX sh script because the guest has
# busybox, not bash; the selftests' own small bash wrappers
# (va_128TBswitch.sh, test_vmalloc.sh, test_hmm.sh) run fine under
# busybox sh.
#
# Verdicts follow kselftest: exit 0 PASS, 4 (KSFT_SKIP) SKIP, anything
# else FAIL; a test still running after TIMEOUT seconds is killed and is
# a FAIL ("TIMEOUT" in the log).  A binary the host could not build is
# NOTBUILT.  One line per test and pass goes to OUTDIR/verdicts:
#   PASS ID VERDICT EXITCODE SECONDS
# and each test's output to OUTDIR/PASS/ID.log.  Tests whose verdicts
# differ run again (passes spf-r1, spf-r2 with the module, base-r1,
# base-r2 after rmmod) so that parity can tell flaky from broken.

B=$1
OUT=$2
T=$3
KO=$4
shift 4 || { echo "usage: $0 BINDIR OUTDIR TIMEOUT KO [PARAM=VALUE...]"; exit 2; }

ksft_skip=4
W=/tmp/mm-selftests
MNT=$W/huge

mkdir -p "$W" "$OUT"
: >"$OUT/verdicts"
cd "$W" || exit 1

# run_vmtests.sh assumes a full distribution; give the guest the bits of
# one that the tests look at.
mountpoint -q /sys/kernel/debug 2>/dev/null ||
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
# va_128TBswitch.sh reads the kernel config from /boot (Debian has no
# /proc/config.gz); parity copies the cached kernel's config into OUTDIR.
if [ -f "$OUT/kconfig" ] && [ ! -f "/boot/config-$(uname -r)" ]; then
	mkdir -p /boot && cp "$OUT/kconfig" "/boot/config-$(uname -r)"
fi

# Huge page sizing, as run_vmtests.sh computes it.
hpgsize_KB=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
nr_cpus=$(nproc)
hpgsize_MB=$((hpgsize_KB / 1024))
half_ufd_size_MB=$((((nr_cpus * hpgsize_MB + 127) / 128) * 128))
needmem_KB=$((half_ufd_size_MB * 2 * 1024))
needpgs=$((needmem_KB / hpgsize_KB))
orig_hugepgs=$(cat /proc/sys/vm/nr_hugepages)

VADDR64=0
case "$(uname -m)" in
x86_64|aarch64) VADDR64=1 ;;
esac

PASS=
ONLY=

# run ID PROG ARGS...: run one test with the per-test timeout, record it.
run() {
	id=$1
	shift
	case " $ONLY " in
	"  ") ;;
	*" $id "*) ;;
	*) return ;;
	esac
	log=$OUT/$PASS/$id.log
	prog=$1
	case "$prog" in
	*/*) ;;
	*) prog=$B/$prog ;;
	esac
	shift
	if [ ! -x "$prog" ]; then
		echo "$PASS $id NOTBUILT - 0" >>"$OUT/verdicts"
		echo "mm-selftests: $PASS $id NOTBUILT"
		return
	fi
	t0=$(date +%s)
	echo "# $prog $*" >"$log"
	timeout -s KILL "$T" "$prog" "$@" >>"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - t0))
	if [ $rc -eq 0 ]; then
		v=PASS
	elif [ $rc -eq $ksft_skip ]; then
		v=SKIP
	else
		v=FAIL
	fi
	if [ $rc -ne 0 ] && [ $secs -ge "$T" ]; then
		v=FAIL
		echo "TIMEOUT after ${T}s" >>"$log"
	fi
	echo "$PASS $id $v $rc $secs" >>"$OUT/verdicts"
	echo "mm-selftests: $PASS $id $v rc=$rc ${secs}s"
}

hugetlb_setup() {
	mkdir -p "$MNT"
	mount -t hugetlbfs none "$MNT"
	freepgs=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	tries=2
	while [ $tries -gt 0 ] && [ "$freepgs" -lt $needpgs ]; do
		echo 3 >/proc/sys/vm/drop_caches
		echo $((needpgs - freepgs + $(cat /proc/sys/vm/nr_hugepages))) \
			>/proc/sys/vm/nr_hugepages
		freepgs=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
		tries=$((tries - 1))
	done
	echo "mm-selftests: $PASS: $freepgs huge pages of ${hpgsize_KB}kB free (want $needpgs)"
}

hugetlb_teardown() {
	umount "$MNT"
	rmdir "$MNT"
	echo "$orig_hugepgs" >/proc/sys/vm/nr_hugepages
}

# The test list: run_vmtests.sh of 6.1, in order.
one_pass() {
	PASS=$1
	mkdir -p "$OUT/$PASS"
	echo "mm-selftests: pass $PASS starts"
	hugetlb_setup

	run hugepage-mmap hugepage-mmap

	shmmax=$(cat /proc/sys/kernel/shmmax)
	shmall=$(cat /proc/sys/kernel/shmall)
	echo 268435456 >/proc/sys/kernel/shmmax
	echo 4194304 >/proc/sys/kernel/shmall
	run hugepage-shm hugepage-shm
	echo "$shmmax" >/proc/sys/kernel/shmmax
	echo "$shmall" >/proc/sys/kernel/shmall

	run map_hugetlb map_hugetlb
	run hugepage-mremap hugepage-mremap "$MNT/huge_mremap"
	rm -f "$MNT/huge_mremap"
	run hugepage-vmemmap hugepage-vmemmap
	run hugetlb-madvise hugetlb-madvise "$MNT/madvise-test"
	rm -f "$MNT/madvise-test"

	run map_fixed_noreplace map_fixed_noreplace

	run gup_test-u gup_test -u
	run gup_test-a gup_test -a
	run gup_test-ct gup_test -ct -F 0x1 0 19 0x1000

	for mod in "" ":dev"; do
		s=${mod#:}
		s=${s:+-$s}
		# REDUCED: run_vmtests.sh uses 20 MiB for anon/shmem and
		# half_ufd_size_MB (128 MiB with 2 CPUs) for hugetlb, with 16
		# and 32 bounces.  Under TCG that is 65-110 s per test on
		# x86_64 (8 tests, 2 passes: ~25 minutes).  Sizes shrink to
		# $UFFD_MB MiB and $UFFD_HUGE_MB MiB (2 huge pages per CPU)
		# and bounces to 16: 16 bounces are every combination of the
		# bounce modes (random, racing faults, verify, poll).  The
		# ":dev" variants differ only in how the uffd is opened
		# (/dev/userfaultfd instead of the syscall), so they run 8
		# bounces: every mode but poll, which the syscall variants
		# cover.  All other uffd sub-tests run unchanged.
		b=16
		[ -z "$mod" ] || b=8
		run "userfaultfd-anon$s" userfaultfd "anon$mod" "$UFFD_MB" $b
		run "userfaultfd-hugetlb$s" userfaultfd "hugetlb$mod" \
			"$UFFD_HUGE_MB" $b
		run "userfaultfd-hugetlb_shared$s" userfaultfd "hugetlb_shared$mod" \
			"$UFFD_HUGE_MB" $b "$MNT/uffd-test"
		rm -f "$MNT/uffd-test"
		run "userfaultfd-shmem$s" userfaultfd "shmem$mod" "$UFFD_MB" $b
	done

	hugetlb_teardown

	run compaction_test compaction_test
	run on-fault-limit runas-nobody "$B/on-fault-limit"
	run map_populate map_populate
	run mlock-random-test mlock-random-test
	run mlock2-tests mlock2-tests
	run mrelease_test mrelease_test
	run mremap_test mremap_test
	run thuge-gen thuge-gen

	if [ $VADDR64 -ne 0 ]; then
		run virtual_address_range virtual_address_range
		# The wrapper runs ./va_128TBswitch: it needs cwd = BINDIR.
		(cd "$B" && run va_128TBswitch /bin/sh "$B/va_128TBswitch.sh")
	fi

	run test_vmalloc-smoke /bin/sh "$B/test_vmalloc.sh" smoke
	run mremap_dontunmap mremap_dontunmap
	run test_hmm-smoke /bin/sh "$B/test_hmm.sh" smoke
	run madv_populate madv_populate
	run memfd_secret memfd_secret

	run ksm-M ksm_tests -M -p 10
	run ksm-U ksm_tests -U
	run ksm-Z-z0 ksm_tests -Z -p 10 -z 0
	run ksm-Z-z1 ksm_tests -Z -p 10 -z 1
	run ksm-N-m1 ksm_tests -N -m 1
	run ksm-N-m0 ksm_tests -N -m 0

	if [ "$(uname -m)" = x86_64 ]; then
		run protection_keys_32 protection_keys_32
		run protection_keys_64 protection_keys_64
	fi

	run soft-dirty soft-dirty
	echo "mm-selftests: pass $PASS done"
}

# Reductions (see the header and docs/mm-selftests.md); the environment
# may override them for measurements.
UFFD_MB=${UFFD_MB:-2}
UFFD_HUGE_MB=${UFFD_HUGE_MB:-$((2 * nr_cpus * hpgsize_MB))}

one_pass base

if [ "$KO" = none ]; then
	echo "mm-selftests: no module given, second pass skipped"
	exit 0
fi
if ! insmod "$KO" "$@"; then
	echo "mm-selftests: insmod $KO failed"
	echo "insmod-failed" >"$OUT/status"
	exit 1
fi
one_pass spf

# Tests whose verdict differs between the passes.  Some tests race with
# kernel threads (ksm_tests -U against ksmd) and flip now and then on
# this guest, module or not.  Each differing test runs $RETRIES more
# times with the module, then (after rmmod) $RETRIES more times without
# it; parity decides on all runs (see parity's header).
differing() {
	awk '$1 == "base" { b[$2] = $3 } $1 == "spf" { s[$2] = $3 }
	     END { for (t in s) if (b[t] != s[t]) printf "%s ", t }' "$OUT/verdicts"
}
RETRIES=${RETRIES:-2}
ONLY=$(differing)
if [ -n "$ONLY" ]; then
	echo "mm-selftests: verdicts differ for: $ONLY; running them again"
	r=1
	while [ $r -le "$RETRIES" ]; do
		one_pass "spf-r$r"
		r=$((r + 1))
	done
fi
mod=$(basename "$KO" .ko)
if ! rmmod "$mod"; then
	echo "mm-selftests: rmmod $mod failed"
	echo "rmmod-failed" >"$OUT/status"
	exit 1
fi
if [ -n "$ONLY" ]; then
	r=1
	while [ $r -le "$RETRIES" ]; do
		one_pass "base-r$r"
		r=$((r + 1))
	done
fi
echo ok >"$OUT/status"
exit 0
