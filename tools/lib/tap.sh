# SPDX-License-Identifier: GPL-2.0
# TAP lines for the scripts that check a list of facts, host (bash) or
# guest (busybox sh): "tap STATUS TEXT" prints "ok N - TEXT" when STATUS
# is 0, else "not ok N - TEXT" and sets bad=1; "tap_plan" prints the
# plan line and returns bad.
n=0
bad=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		bad=1
	fi
}
tap_plan() {
	echo "1..$n"
	return $bad
}
