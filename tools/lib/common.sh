# SPDX-License-Identifier: GPL-2.0
# Shared helpers for spf's shell tools: where the cache is, how to log.
# Sourced, never run.

SPF_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SPF_CACHE=${SPF_CACHE:-$HOME/.cache/spf}
export SPF_CACHE

spf_log() { echo "spf: $*" >&2; }

# A script picks its own ARCH, FLAVOUR and kernel tree, and runs its own
# make: nothing of the caller's make (make check's ARCH, a parent's
# jobserver flags) may leak into the builds it starts.
spf_clean_env() {
	unset ARCH CROSS_COMPILE FLAVOUR KDIR MAKEFLAGS MAKELEVEL MFLAGS
}
spf_die() { echo "spf: error: $*" >&2; exit 1; }

# Debian architecture name for a kernel/qemu architecture name.
spf_debarch() {
	case "$1" in
	x86_64|amd64) echo amd64 ;;
	arm64|aarch64) echo arm64 ;;
	*) spf_die "unknown architecture '$1' (want x86_64 or arm64)" ;;
	esac
}

# The kernel flavour suffix Debian uses for ARCH and FLAVOUR.
# "bpo" is Debian's 6.12 from bookworm-backports (tools/fetch-kernels --bpo).
spf_kflavour() {
	local debarch
	debarch=$(spf_debarch "$1")
	case "$2" in
	stock|bpo) echo "$debarch" ;;
	rt)
		[ "$debarch" = amd64 ] || spf_die "flavour rt is fetched for x86_64 only"
		echo "rt-amd64" ;;
	*) spf_die "unknown flavour '$2' (want stock, rt or bpo)" ;;
	esac
}

# The ABI (e.g. 6.1.0-56) last resolved by tools/fetch-kernels.
spf_abi() {
	[ -s "$SPF_CACHE/kernel/abi" ] ||
		spf_die "no kernel in the cache; run tools/fetch-kernels first"
	cat "$SPF_CACHE/kernel/abi"
}

# The ABI (e.g. 6.12.95+deb12) last resolved by tools/fetch-kernels --bpo.
spf_bpo_abi() {
	[ -s "$SPF_CACHE/kernel/abi-bpo" ] ||
		spf_die "no bookworm-backports kernel in the cache; run tools/fetch-kernels --bpo"
	cat "$SPF_CACHE/kernel/abi-bpo"
}

# Root of the extracted kernel (image, modules, headers) for ARCH FLAVOUR.
spf_kroot() {
	if [ "${2:-stock}" = bpo ]; then
		echo "$SPF_CACHE/kernel/bpo/$(spf_bpo_abi)-$(spf_kflavour "$1" bpo)"
		return
	fi
	echo "$SPF_CACHE/kernel/$(spf_abi)-$(spf_kflavour "$1" "${2:-stock}")"
}

# The kernel release (uname -r) of the cached kernel for ARCH FLAVOUR.
spf_krelease() {
	if [ "${2:-stock}" = bpo ]; then
		echo "$(spf_bpo_abi)-$(spf_kflavour "$1" bpo)"
		return
	fi
	echo "$(spf_abi)-$(spf_kflavour "$1" "${2:-stock}")"
}

spf_kdir() {
	[ "${2:-stock}" != bpo ] ||
		spf_die "flavour bpo (Debian's 6.12) has no headers: spf builds for 6.1 only"
	echo "$(spf_kroot "$1" "${2:-stock}")/usr/src/linux-headers-$(spf_abi)-$(spf_kflavour "$1" "${2:-stock}")"
}

spf_source() {
	echo "$SPF_CACHE/src/linux-source-6.1"
}
