# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154
# The step runner of make check and make check-debug (tools/check/run-all,
# tools/check/run-debug).  Sourced, never run; the caller sets $logs.
#
# A step runs one command with its whole output in $logs/NAME.log and
# is then reported: its TAP lines ("ok"/"not ok", "# SKIP") are printed
# and counted.  A step that fails without a "not ok" line of its own gets
# one, so nothing that broke is ever counted as passed.
#
#   step NAME CMD...        run and report at once
#   lanes "A B" "C D" ...   run each quoted list of step functions one
#                           after the other in its own lane, the lanes at
#                           once, then report every step in the order
#                           given.  A VM step under single-threaded TCG
#                           keeps one host core busy, so two lanes of VM
#                           steps use both cores of a 2-core machine.
#   build_clean CMD...      a build that fails on any warning
#   steps_summary           every failure with its diagnostics, the times,
#                           then "N passed, N failed, N skipped";
#                           status 0 only if nothing failed
#
# A lane entry is the name of a shell function that calls run_step
# (not step): run_step NAME CMD... runs without printing anything.
# Steps of one lane may share nothing with another lane's but the
# read-only build: each writes its own logs, VMs and build folders.
# SPF_CHECK_ONLY="step ..." runs a subset (names as printed).

pass=0 fail=0 skip=0
steps_t0=$(date +%s)
rm -f "$logs/.failures"		# an interrupted run's
steps_times=()

steps_wanted() {
	[ -z "${SPF_CHECK_ONLY:-}" ] || [[ " $SPF_CHECK_ONLY " == *" $1 "* ]]
}

# run_step NAME CMD...: run CMD into $logs/NAME.log; its status and
# seconds go to $logs/NAME.rc and $logs/NAME.secs for step_report.
run_step() {
	local name=$1 t0 rc out
	shift
	steps_wanted "$name" || return 0
	if [ -n "${steps_lane:-}" ]; then
		echo "$name" >>"$steps_lane"
		echo "   .. $name started"
	fi
	out="$logs/$name.log"
	t0=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		echo "not ok - $name exited with status $rc (see $out)" >>"$out"
	fi
	if ! grep -qE '^(not )?ok' "$out"; then
		echo "ok - $name" >>"$out"
	fi
	echo $rc >"$logs/$name.rc"
	echo $(($(date +%s) - t0)) >"$logs/$name.secs"
	return $rc
}

# step_report NAME: print and count what run_step left.
step_report() {
	local name=$1 out="$logs/$1.log" rc p s f
	[ -f "$logs/$name.rc" ] || return 0
	rc=$(cat "$logs/$name.rc")
	echo "== $name"
	grep -E '^(not )?ok|^# (SKIP|FAIL)' "$out" | sed 's/^/  /'
	[ "$rc" -eq 0 ] || tail -n 15 "$out" | sed 's/^/  | /'
	! grep -q "^not ok" "$out" ||
		step_failures "$name" "$out" >>"$logs/.failures"
	p=$(grep -cE '^ok ' "$out")
	s=$(grep -cE '^ok .*# SKIP' "$out")
	f=$(grep -cE '^not ok' "$out")
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	steps_times+=("$(printf '%-28s %5ds' "$name" "$(cat "$logs/$name.secs")")")
	return "$rc"
}

# step_failures NAME LOG: each "not ok" line of LOG with the "#" lines
# the test printed since the previous result, its diagnostics (at most
# 12 a failure).  steps_summary prints them again at the end, where a
# log cut to its head and tail still shows why a test failed.
step_failures() {
	awk -v step="$1" '
		/^(not )?ok/ {
			if ($0 ~ /^not ok/) {
				print "-- " step ": " $0
				for (i = (n > 12 ? n - 12 : 0); i < n; i++)
					print "   " diag[i]
			}
			n = 0
			next
		}
		/^#/ { diag[n++] = $0 }
	' "$2"
}

step() {
	local name=$1
	rm -f "$logs/$name.rc"
	run_step "$@"
	step_report "$name"
}

# lanes "fn fn ..." ...: each lane's functions in sequence, lanes at
# once; each run_step notes its name in its lane's list, so the reports
# come out in lane order whatever finished first.
lanes() {
	local lane fn name pids=() tmp i=0
	tmp=$(mktemp -d "$logs/.lanes.XXXXXX")
	for lane in "$@"; do
		: >"$tmp/$i"
		(
			steps_lane=$tmp/$i
			for fn in $lane; do
				"$fn"
			done
		) &
		pids+=($!)
		i=$((i + 1))
	done
	echo "== at once: $(printf '[%s] ' "$@")"
	wait "${pids[@]}"
	for ((i = 0; i < $#; i++)); do
		while read -r name; do
			step_report "$name"
		done <"$tmp/$i"
	done
	rm -rf "$tmp"
	return 0
}

# build_clean CMD...: a build whose output must not hold one warning.
build_clean() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -ne 0 ]; then
		echo "not ok - build: $*"
		return 1
	fi
	if echo "$out" | grep -qiE '(^|: )warning:'; then
		echo "not ok - build has warnings: $*"
		return 1
	fi
	echo "ok - build without warnings: $*"
}

steps_summary() {
	if [ -s "$logs/.failures" ]; then
		echo "== failures, with what each test printed before it failed"
		head -n 200 "$logs/.failures"
	fi
	rm -f "$logs/.failures"
	echo "== times"
	printf '  %s\n' "${steps_times[@]}"
	printf '  %-28s %5ds\n' total $(($(date +%s) - steps_t0))
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
}
