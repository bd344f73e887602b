# SPDX-License-Identifier: GPL-2.0
# Results into docs/results/, as the tools wrote them (README, "Results").
# Sourced, never run; needs common.sh and the caller in $SPF_TOP.

# spf_publish KIND ARCH TITLE WHAT BODY [FENCE]: BODY (a file) becomes
# docs/results/KIND-DATE-ARCH.md, headed by TITLE and a line saying which
# tool wrote it at which commit and WHAT it ran; FENCE=1 keeps BODY as
# preformatted text.  docs/results/latest-KIND-ARCH.md (for KIND bench:
# latest-ARCH.md, the name the docs have always linked) then points at
# it.  Prints the path written.
spf_publish() {
	local kind=$1 arch=$2 title=$3 what=$4 body=$5 fence=${6:-0}
	local day out latest dirty=''

	day=$(date +%F)
	out=docs/results/$kind-$day-$arch.md
	latest=docs/results/latest-$kind-$arch.md
	[ "$kind" != bench ] || latest=docs/results/latest-$arch.md
	git diff --quiet HEAD -- 2>/dev/null || dirty=' (with uncommitted changes)'
	mkdir -p docs/results
	{
		echo "# $title"
		echo
		echo "Written by ${0#"$SPF_TOP"/} at commit" \
			"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty:" \
			"$what"
		echo
		[ "$fence" = 0 ] || echo '```'
		cat "$body"
		[ "$fence" = 0 ] || echo '```'
	} >"$out"
	printf '# make %s, %s: latest\n\n[%s](%s)\n' "$kind" "$arch" \
		"$(basename "$out")" "$(basename "$out")" >"$latest"
	echo "$out"
}
