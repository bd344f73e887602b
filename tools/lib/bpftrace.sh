# SPDX-License-Identifier: GPL-2.0
# bpftrace_stop PID: stop a bpftrace started in the background, as
# Ctrl-C would, and wait for it (its status is returned).
#
# Debian 12's bpftrace (0.17) acts on SIGINT only when the signal
# interrupts its epoll_wait(): its handler just sets a flag, which the
# poll loop looks at on EINTR alone (fixed upstream in 0.19).  A SIGINT
# handled while bpftrace is between two of its 100 ms polls (the poll
# returned on its timeout, the signal came before the next one) sets
# the flag for nothing, and bpftrace runs on, idle, for good.  So the
# first SIGINT is followed, every 2 s until bpftrace has gone, by a
# SIGTERM: it sets the same flag, and unlike a second SIGINT (reset to
# the default action once the poll loop is left) it stays caught, and
# harmless, while bpftrace runs END and prints its maps.
bpftrace_stop() {
	kill -INT "$1" 2>/dev/null
	( while sleep "${BPFTRACE_NUDGE:-2}"; do
		kill -TERM "$1" 2>/dev/null || exit 0
	done ) &
	_bt_nudge=$!
	wait "$1"
	_bt_rc=$?
	kill "$_bt_nudge" 2>/dev/null
	return $_bt_rc
}
