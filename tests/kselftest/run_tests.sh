#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest: every kselftest binary beside this script, one after
# the other, module unloaded between them.  Prints the binaries' own TAP
# lines; a binary that dies without reporting a failure gets a "not ok"
# line of its own so that a crash is never counted as a pass.
dir=$(dirname "$0")
status=0
for t in "$dir"/*_test; do
	[ -x "$t" ] || continue
	rmmod spf 2>/dev/null
	name=$(basename "$t")
	echo "# ---- $name"
	out=$(mktemp)
	"$t" 2>&1 | tee "$out"
	rc=$(tail -n1 "$out" | sed -n 's/^# rc=//p')
	# The pipeline hides the status: re-derive it from the TAP totals.
	if grep -q '^not ok' "$out"; then
		status=1
	elif ! grep -q '^# Totals: pass:[0-9]* fail:0 ' "$out"; then
		echo "not ok 1 $name # died before reporting (${rc:-no totals})"
		status=1
	fi
	rm -f "$out"
done
rmmod spf 2>/dev/null
exit $status
