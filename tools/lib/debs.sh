# SPDX-License-Identifier: GPL-2.0
# Debian packages fetched into the cache and extracted there, never
# installed: tools/fetch-kernels (the kernels) and tools/setup/qemu (the
# newer qemu).  Sourced after common.sh, never run.
#
#   spf_debs_bpo            use a private apt configuration for
#                           bookworm-backports ($SPF_CACHE/apt-bpo; the
#                           host's apt sources are left alone)
#   spf_fetch_deb PKG[:ARCH]  download into $SPF_CACHE/debs, print its path
#   spf_extract_into DEST DEB...  extract atomically; DEST/.complete
#
# Without spf_debs_bpo, packages come from the host's own sources
# (Debian 12).

spf_debs=$SPF_CACHE/debs
spf_apt_opts=()

spf_debs_bpo() {
	local aptd=$SPF_CACHE/apt-bpo

	mkdir -p "$aptd/lists/partial" "$aptd/cache/archives/partial"
	echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$aptd/sources.list"
	spf_apt_opts=(-o "Dir::Etc::sourcelist=$aptd/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::lists=$aptd/lists" -o "Dir::Cache=$aptd/cache"
		-o APT::Get::List-Cleanup=0)
	# The host's dpkg architectures (arm64 is a foreign one, see
	# tools/setup/host-deps) decide which Packages files are fetched.
	# apt-get update exits 0 when an index fails to download: look.
	if ! apt-get -qq "${spf_apt_opts[@]}" update > "$aptd/update.log" 2>&1 ||
		grep -q '^E:\|Failed to fetch' "$aptd/update.log"; then
		spf_log "apt-get update for bookworm-backports failed (network?); using the lists from the last run, if any:"
		grep -v 'unsandboxed as root' "$aptd/update.log" | sed 's/^/spf:   /' >&2
	fi
	return 0
}

# apt-cache with the configuration chosen.
spf_apt_cache() {
	apt-cache ${spf_apt_opts[@]+"${spf_apt_opts[@]}"} "$@"
}

# The version apt would fetch for PKG, or nothing.
spf_deb_version() {
	local ver
	ver=$(spf_apt_cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
	[ "$ver" = "(none)" ] || echo "$ver"
}

# Download PKG (optionally PKG:ARCH) into the deb cache; print its path.
spf_fetch_deb() {
	local pkg=$1 name ver file try

	name=${pkg%%:*}
	mkdir -p "$spf_debs/partial"
	ver=$(spf_deb_version "$pkg")
	[ -n "$ver" ] ||
		spf_die "package $pkg is not in the package registry (apt-get update? network?)"
	# apt names files with the epoch's ':' escaped as %3a.
	file=$(ls "$spf_debs/${name}_${ver//:/%3a}_"*".deb" 2>/dev/null | head -n1 || true)
	if [ -z "$file" ]; then
		spf_log "downloading $pkg $ver"
		for try in 1 2 3; do
			rm -f "$spf_debs/partial/"*
			if (cd "$spf_debs/partial" && apt-get download -qq ${spf_apt_opts[@]+"${spf_apt_opts[@]}"} "$pkg=$ver" >/dev/null 2>&1); then
				mv "$spf_debs/partial/"*.deb "$spf_debs/"
				break
			fi
			[ $try -lt 3 ] || spf_die "downloading package $pkg=$ver failed 3 times"
			sleep $((try * 5))
		done
		file=$(ls "$spf_debs/${name}_${ver//:/%3a}_"*".deb" | head -n1)
	fi
	echo "$file"
}

# Extract DEBS into DEST atomically; DEST/.complete marks success, and
# an interrupted run leaves nothing half-done.
spf_extract_into() {
	local dest=$1 tmp d
	shift
	[ -e "$dest/.complete" ] && return 0
	tmp="$dest.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for d in "$@"; do
		dpkg-deb -x "$d" "$tmp" || spf_die "cannot extract $d"
	done
	touch "$tmp/.complete"
	rm -rf "$dest"
	mv "$tmp" "$dest"
}
