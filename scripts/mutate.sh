#!/usr/bin/env bash
# Mutation testing of Tack's capability packages with go-gremlins (pinned).
#
#   ./scripts/mutate.sh                    # every capability package, one after another
#   ./scripts/mutate.sh chat account       # just these packages
#   ./scripts/mutate.sh --changed          # packages touched relative to origin/main (or main)
#   ./scripts/mutate.sh --changed HEAD~3   # packages touched relative to a commit
#   ./scripts/mutate.sh --budget 1200      # stop starting/running packages after 20 minutes
#
# Options: --workers N (default 2; the machine is shared), --timeout-coefficient N
# (default 20: a mutant's test run may take N times the package's coverage run,
# which includes compiling), --budget SECONDS (0 = none; packages not finished in
# time are reported as "budget" and do not fail the run), --keep DIR (keep the
# gremlins JSON and logs there), --list (print the packages it would run),
# --from DIR (print the figures of an earlier --keep DIR run again, with the
# current allow-list, without running anything), --recheck DIR (run the
# current tests only against the mutants that lived in an earlier --keep DIR
# run: after writing tests, a quick way to see which survivors they kill;
# the mutated file reaches go test through -overlay, the tree is untouched),
# --sample N [--seed S] (test N covered mutants per package drawn at random,
# the same ones for the same seed and code: an estimate of the efficacy when
# a full run takes too long; marked SAMPLE), --all (every covered mutant, in
# file order, the way --sample tries them: the fastest full run; marked ALL).
# --sample, --all and --recheck first record which tests execute which lines
# (a coverage profile per top-level test, scripts/mutcover.go) and try each
# mutant only against those tests (--no-select: against all of them), with
# --workers mutants side by side; a mutant's tests may run 10 times what they
# took in the coverage run (at least 30 s, at most TACK_RECHECK_TIMEOUT
# seconds, default 240) before it counts as timed out. They build the
# package's mutants into one test binary (mutant schemata, scripts/mutschema.go:
# TACK_MUTANT picks the live one) and build on its own only a mutant the
# schema cannot hold (--no-schemata: every mutant on its own).
#
# For each package it runs only the package's own tests (go test of that
# package, the fastest command that kills its mutants) and prints
#   test efficacy = killed ÷ (killed + lived − allow-listed equivalents)
# with the surviving mutants as file:line. Goals: ≥ 90 % in chat/, account/ and
# hub/, ≥ 85 % in every other capability package. Exits 1 when a goal is missed.
#
# Equivalent mutants (a mutation that cannot change behaviour) are listed in
# scripts/mutate-allow.txt, one a line:
#   <pkg/file.go> ;; <MUTATOR> ;; <the mutated source line, trimmed> ;; <reason>
# They are keyed by the line's text, not its number, so they survive edits
# elsewhere in the file; a listed entry that no longer matches is reported as
# stale. Timed-out mutants are shown separately and left out of the ratio.
set -euo pipefail
# The whole script is one block, parsed before it runs: editing the file
# during a long run cannot derail it.
{
cd "$(dirname "$0")/.."
root=$(pwd)

GREMLINS_VERSION=v0.6.0
# Capability packages: every top-level package with Go code except the
# infrastructure below (transports, stores, servers, tools), so a new
# capability is included as it lands. Goals are in goal_for.
INFRA=" api backup bench blob bus client cmd docs e2e node postgres scripts sqlite storetest tacktest web "
PACKAGES=()
for d in */; do
	d=${d%/}
	[[ $INFRA == *" $d "* ]] && continue
	ls "$d"/*.go 2>/dev/null | grep -qv '_test\.go$' && PACKAGES+=("$d")
done
goal_for() {
	case "$1" in
	chat | account | hub) echo 90 ;;
	*) echo 85 ;;
	esac
}

workers=2
coef=20
budget=0
changed=""
changed_mode=0
keep=""
list_only=0
from=""
recheck=""
sample=0
seed=1
select=1
schemata=1
pkgs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--changed)
		changed_mode=1
		if [ $# -gt 1 ] && [ "${2#-}" = "$2" ] && git rev-parse -q --verify "$2^{commit}" >/dev/null 2>&1; then
			changed=$2
			shift
		fi
		;;
	--workers) workers=$2; shift ;;
	--timeout-coefficient) coef=$2; shift ;;
	--budget) budget=$2; shift ;;
	--keep) keep=$2; shift ;;
	--list) list_only=1 ;;
	--from) from=$2; shift ;;
	--recheck) recheck=$2; shift ;;
	--sample) sample=$2; shift ;;
	--seed) seed=$2; shift ;;
	--all) sample=all ;;
	--no-select) select=0 ;;
	--no-schemata) schemata=0 ;;
	-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
	-*) echo "mutate.sh: unknown option $1" >&2; exit 2 ;;
	*) pkgs+=("${1%/}") ;;
	esac
	shift
done

if [ "$changed_mode" = 1 ]; then
	if [ -z "$changed" ]; then
		for ref in origin/main main; do
			if git rev-parse -q --verify "$ref^{commit}" >/dev/null 2>&1; then
				changed=$(git merge-base "$ref" HEAD)
				break
			fi
		done
		# On main itself (CI after a merge) the merge base is HEAD: take the
		# last commit's change (a merge commit: what the merged branch changed).
		if [ -z "$changed" ] || [ "$(git rev-parse "$changed")" = "$(git rev-parse HEAD)" ]; then
			changed=$(git rev-parse -q --verify HEAD~1 || true)
			[ -n "$changed" ] || { echo "mutate.sh: no earlier commit to compare with"; exit 0; }
		fi
	else
		# Only what this branch changed, not what the base moved on to.
		changed=$(git merge-base "$changed" HEAD)
	fi
	files=$( (git diff --name-only "$changed" -- '*.go'; git ls-files --others --exclude-standard -- '*.go') | sort -u)
	pkgs=()
	for p in "${PACKAGES[@]}"; do
		if grep -q "^$p/[^/]*\.go$" <<<"$files"; then pkgs+=("$p"); fi
	done
	if [ ${#pkgs[@]} -eq 0 ]; then
		echo "mutate.sh: no capability package changed since $changed"
		exit 0
	fi
	echo "mutate.sh: packages changed since $changed: ${pkgs[*]}"
fi
[ ${#pkgs[@]} -gt 0 ] || pkgs=("${PACKAGES[@]}")
if [ "$list_only" = 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

command -v jq >/dev/null || { echo "mutate.sh: needs jq" >&2; exit 2; }

# Pinned gremlins, installed once into a cache directory.
bindir=${TACK_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tack/bin}
gremlins=$bindir/gremlins
if [ -z "$from$recheck" ] && { ! [ -x "$gremlins" ] || ! go version -m "$gremlins" 2>/dev/null | grep -q "mod[[:space:]]*github.com/go-gremlins/gremlins[[:space:]]*$GREMLINS_VERSION"; }; then
	echo "mutate.sh: installing gremlins $GREMLINS_VERSION into $bindir" >&2
	mkdir -p "$bindir"
	GOBIN=$bindir go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

allow=$root/scripts/mutate-allow.txt
out=${keep:-$(mktemp -d)}
mkdir -p "$out"
[ -n "$keep" ] || trap 'rm -rf "$out"' EXIT

# field N: the Nth " ;; "-separated field of an allow-list line, trimmed.
field() { awk -F"$SEP" -v n="$1" '{ gsub(/^[ \t]+|[ \t]+$/, "", $n); print $n }'; }
SEP=' ;; '
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }

# log2json LOG: gremlins' JSON rebuilt from its log (a run stopped before
# it wrote its JSON: the mutants it tested so far).
log2json() {
	sed -nE 's/^ *(KILLED|LIVED|TIMED OUT|NOT COVERED|NOT VIABLE|SKIPPED) ([A-Z_]+) at ([^:]+):([0-9]+):([0-9]+)$/\3\t\2\t\1\t\4\t\5/p' "$1" |
		jq -R -s '{files: (split("\n") | map(select(length > 0) | split("\t")) | group_by(.[0])
			| map({file_name: .[0][0], mutations: map({type: .[1], status: .[2], line: (.[3] | tonumber), column: (.[4] | tonumber)})}))}'
}

# allowed FILE MUTATOR TEXT COLUMN: is this survivor a listed equivalent
# mutant? An entry's mutator may name the column (CONDITIONALS_BOUNDARY@19):
# then it covers only the mutant at that column of the line, so a line
# holding an equivalent mutant and a killable one of the same kind can list
# the first without hiding the second.
allowed() {
	[ -f "$allow" ] || return 1
	awk -F"$SEP" -v f="$1" -v m="$2" -v t="$3" -v c="$4" '
		/^[[:space:]]*(#|$)/ { next }
		{ for (i = 1; i <= 3; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i) } }
		$1 == f && ($2 == m || $2 == m "@" c) && $3 == t { found = 1; exit }
		END { exit !found }' "$allow"
}

start=$SECONDS
failed=0
summary=()
for p in "${pkgs[@]}"; do
	if ! [ -d "$p" ]; then echo "mutate.sh: no package $p" >&2; failed=1; continue; fi
	goal=$(goal_for "$p")
	timeout_cmd=()
	if [ "$budget" -gt 0 ]; then
		left=$((budget - (SECONDS - start)))
		if [ "$left" -le 0 ]; then
			summary+=("$(printf '%-11s %s' "$p/" "not run: time budget of ${budget}s spent")")
			continue
		fi
		timeout_cmd=(timeout --kill-after=10 "$left")
	fi
	echo "== $p/ (goal ${goal}%)" >&2
	json=$out/$p.json
	partial=""
	for d in "$from" "$recheck"; do
		if [ -n "$d" ] && ! [ -s "$d/$p.json" ] && [ -s "$d/$p.log" ]; then
			log2json "$d/$p.log" >"$out/$p.partial.json"
			partial=" (PARTIAL: an unfinished run's log)"
		fi
	done
	if [ -n "$from" ]; then
		json=$from/$p.json
		[ -z "$partial" ] || json=$out/$p.partial.json
		[ -s "$json" ] || { summary+=("$(printf '%-11s %s' "$p/" "no results in $from")"); continue; }
	fi
	log=$out/$p.log
	t0=$SECONDS
	if [ "$sample" != 0 ]; then
		# Which mutants the tests cover (gremlins' dry run), then N of them
		# at random, marked LIVED for the recheck below to try.
		if ! (GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1" "$gremlins" unleash --dry-run -o "$out/$p.dry.json" "./$p" >"$log" 2>&1); then
			summary+=("$(printf '%-11s %s' "$p/" "FAILED to run (dry run; log: $log)")")
			failed=1
			continue
		fi
		picked=$(jq -r '.files[] | .file_name as $f | .mutations[] | select(.status == "RUNNABLE") | [$f, .type, .line, .column] | @tsv' "$out/$p.dry.json" |
			if [ "$sample" = all ]; then cat; else shuf -n "$sample" --random-source=<(yes "$seed"); fi | jq -R -s 'split("\n") | map(select(length > 0))')
		jq --argjson pick "$picked" '.files |= map(.file_name as $f | .mutations |= map(
				if .status == "RUNNABLE" then
					(if ([$f, .type, (.line | tostring), (.column | tostring)] | join("\t")) as $k | $pick | index($k) then .status = "LIVED" else empty end)
				else . end))' "$out/$p.dry.json" >"$out/$p.sample.json"
		partial=" (SAMPLE of $(jq 'length' <<<"$picked") of $(jq '[.files[].mutations[] | select(.status == "RUNNABLE")] | length' "$out/$p.dry.json") covered mutants, seed $seed)"
		[ "$sample" != all ] || partial=" (ALL $(jq 'length' <<<"$picked") covered mutants, each against the tests that run its line)"
	fi
	if [ -n "$recheck" ] || [ "$sample" != 0 ]; then
		rj=$recheck/$p.json
		[ -z "$partial" ] || rj=$out/$p.partial.json
		[ "$sample" = 0 ] || rj=$out/$p.sample.json
		if ! [ -s "$rj" ]; then
			summary+=("$(printf '%-11s %s' "$p/" "no results in $recheck")")
			continue
		fi
		[ -x "$out/mutant" ] || go build -o "$out/mutant" "$root/scripts/mutant.go"
		[ -x "$out/mutcover" ] || go build -o "$out/mutcover" "$root/scripts/mutcover.go"
		ipath=$(go list "./$p")
		# Which tests run which lines: one coverage profile per top-level
		# test, each from a run of that test alone, so a mutant is tried only
		# against the tests that execute it (--no-select: all of them).
		cov=$out/$p.cover
		if [ "$select" = 1 ] && ! [ -d "$cov" ]; then
			mkdir -p "$cov.tmp"
			go test -c -cover -covermode=count -o "$cov.tmp/cover.test" "./$p/" >&2
			(cd "$p" && "$cov.tmp/cover.test" -test.list '.*' 2>/dev/null) | grep -E '^(Test|Example)' >"$cov.tmp/tests" || true
			echo "   $p/: coverage of $(wc -l <"$cov.tmp/tests") tests, one at a time" >&2
			covone() {
				local t0 rc=0
				t0=$(date +%s.%N)
				(cd "$p" && timeout --kill-after=10 600 "$cov.tmp/cover.test" -test.run "^$1\$" -test.count=1 \
					-test.coverprofile="$cov.tmp/$1.out" >"$cov.tmp/$1.log" 2>&1) || rc=$?
				[ "$rc" = 0 ] || echo "   $p/: $1 failed on its own (rc $rc, log $cov.tmp/$1.log): mutants it covers count as not covered" >&2
				[ "$rc" = 0 ] || rm -f "$cov.tmp/$1.out"
				awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' >"$cov.tmp/$1.secs"
			}
			while read -r t; do
				while [ "$(jobs -rp | wc -l)" -ge "$workers" ]; do wait -n || true; done
				covone "$t" &
			done <"$cov.tmp/tests"
			wait
			mv "$cov.tmp" "$cov"
		fi
		# one IDX FILE TYPE LINE COL PATTERN SECS: try one mutant, in its own
		# work directory (workers run side by side), and write its status.
		one() {
			local idx=$1 file=$2 type=$3 line=$4 col=$5 pat=$6 secs=$7 fpat=$8 spat=$9 sid=${10} w=$out/w$idx st rc lim
			mkdir -p "$w"
			# The time limit: 10 times what the selected tests took in
			# their coverage runs, at least 30 s, at most
			# TACK_RECHECK_TIMEOUT (default 240).
			lim=$(awk -v s="$secs" -v m="${TACK_RECHECK_TIMEOUT:-240}" 'BEGIN { l = 10 * s; if (l < 30) l = 30; if (s == 0 || l > m) l = m; printf "%d", l }')
			[ "$pat" != "-" ] || pat=.
			if [ "$sid" != "-" ]; then
				# In the schema binary: no build of its own. The fast
				# tests first; the slow ones only if the mutant survived.
				rc=0
				if [ "$fpat" != none ] && [ "$spat" != none ]; then
					(cd "$p" && TACK_MUTANT=$sid timeout --kill-after=10 "$lim" "$schema/schema.test" -test.run "$fpat" -test.failfast -test.count=1 >"$w/run.log" 2>&1) || rc=$?
					pat=$spat
				fi
				[ "$rc" != 0 ] || (cd "$p" && TACK_MUTANT=$sid timeout --kill-after=10 "$lim" "$schema/schema.test" -test.run "$pat" -test.failfast -test.count=1 >>"$w/run.log" 2>&1) || rc=$?
				case $rc in
				0) st=LIVED ;;
				124 | 137) st="TIMED OUT" ;;
				*) st=KILLED ;;
				esac
			elif ! "$out/mutant" "$p/$file" "$line" "$col" "$type" >"$w/mutated.go"; then
				st="NOT VIABLE" # gremlins' position holds no such operator (any more): nothing to try
			else
				printf '{"Replace":{"%s":"%s"}}' "$root/$p/$file" "$w/mutated.go" >"$w/overlay.json"
				if ! GOFLAGS= go test -c -overlay "$w/overlay.json" -o "$w/m.test" "./$p/" >"$w/build.log" 2>&1; then
					st="NOT VIABLE" # the mutant does not compile: not a kill
				else
					rc=0
					(cd "$p" && timeout --kill-after=10 "$lim" "$w/m.test" -test.run "$pat" -test.failfast -test.count=1 >"$w/run.log" 2>&1) || rc=$?
					case $rc in
					0) st=LIVED ;;
					124 | 137) st="TIMED OUT" ;;
					*) st=KILLED ;;
					esac
				fi
			fi
			rm -rf "$w"
			echo "   $p/$file:$line:$col $type: $st" >&2
			printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$line" "$col" "$type" "$st" >"$out/$p.recheck.d/$idx"
		}
		rm -rf "$out/$p.recheck.d"
		mkdir -p "$out/$p.recheck.d"
		# The mutants to try, each with its tests (mutcover.go) and its
		# number in one test binary holding them all (mutschema.go, mutant
		# schemata: one build for the package instead of one per mutant;
		# "-" for those it cannot hold, built one at a time as before).
		if [ "$sample" != 0 ]; then
			jq -r '.[]' <<<"$picked" # in the drawn order: a run stopped early is still a random sample
		else
			jq -r '.files[] | .file_name as $f | .mutations[] | select(.status == "LIVED") | [$f, .type, .line, .column] | @tsv' "$rj"
		fi | if [ "$select" = 1 ]; then "$out/mutcover" "$cov" "$ipath"; else sed 's/$/\t-\t0\tnone\tnone/'; fi >"$out/$p.todo"
		schema=$out/$p.schema
		if [ "$schemata" = 1 ]; then
			[ -x "$out/mutschema" ] || go build -o "$out/mutschema" "$root/scripts/mutschema.go"
			rm -rf "$schema"
			cut -f1-4 "$out/$p.todo" | "$out/mutschema" "$p" "$schema" | cut -f5 >"$out/$p.sid" || : >"$out/$p.sid"
			# The schema binary with no mutant live must pass every test,
			# or none of its mutants is tried with it.
			if [ -s "$out/$p.sid" ] && [ -x "$schema/schema.test" ] &&
				(cd "$p" && timeout --kill-after=10 1200 "$schema/schema.test" -test.count=1 >"$schema/baseline.log" 2>&1); then
				echo "   $p/: $(grep -cv '^-$' "$out/$p.sid") of $(wc -l <"$out/$p.todo") mutants in one schema binary" >&2
			else
				echo "   $p/: no schema binary (see $schema): every mutant built on its own" >&2
				sed 's/.*/-/' "$out/$p.todo" >"$out/$p.sid"
			fi
		else
			sed 's/.*/-/' "$out/$p.todo" >"$out/$p.sid"
		fi
		idx=0
		while IFS=$'\t' read -r file type line col pat secs fpat spat sid; do
			idx=$((idx + 1))
			text=$(sed -n "${line}p" "$p/$file" | trim)
			allowed "$p/$file" "$type" "$text" "$col" && continue
			if [ "$budget" -gt 0 ] && [ $((SECONDS - start)) -ge "$budget" ]; then
				# out of time: neither killed nor lived
				[[ $partial == *"time budget"* ]] || partial="$partial (stopped by the time budget)"
				printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$line" "$col" "$type" SKIPPED >"$out/$p.recheck.d/$idx"
				continue
			fi
			[ "$select" = 1 ] || { pat=-; fpat=none; spat=none; }
			while [ "$(jobs -rp | wc -l)" -ge "$workers" ]; do wait -n || true; done
			one "$idx" "$file" "$type" "$line" "$col" "$pat" "${secs:-0}" "${fpat:-none}" "${spat:-none}" "${sid:--}" &
		done < <(paste "$out/$p.todo" "$out/$p.sid")
		wait
		(cd "$out/$p.recheck.d" && ls | sort -n | xargs -r cat) >"$out/$p.recheck"
		jq --rawfile r "$out/$p.recheck" '
			($r | split("\n") | map(select(length > 0) | split("\t") | {key: (.[0] + ":" + .[1] + ":" + .[2] + ":" + .[3]), value: .[4]}) | from_entries) as $m
			| .files |= map(.file_name as $f | .mutations |= map(.status = ($m[$f + ":" + (.line | tostring) + ":" + (.column | tostring) + ":" + .type] // .status)))' \
			"$rj" >"$json"
	elif [ -z "$from" ]; then
		rm -f "$json"
		# -count=1 so the coverage run (whose duration sets each mutant's timeout)
		# is never a cached result.
		if ! (GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1" "${timeout_cmd[@]}" "$gremlins" unleash \
			--workers "$workers" --timeout-coefficient "$coef" -o "$json" "./$p" >"$log" 2>&1); then
			if [ ! -s "$json" ]; then
				if [ "$budget" -gt 0 ] && [ $((SECONDS - start)) -ge "$budget" ]; then
					summary+=("$(printf '%-11s %s' "$p/" "not finished: time budget of ${budget}s spent")")
				else
					echo "mutate.sh: gremlins failed on $p/ (log: $log)" >&2
					tail -20 "$log" >&2
					summary+=("$(printf '%-11s %s' "$p/" "FAILED to run")")
					failed=1
				fi
				continue
			fi
		fi
	fi
	killed=0 lived=0 timedout=0 notcov=0 notviable=0 allowed_n=0
	survivors=()
	while IFS=$'\t' read -r file type status line col; do
		case "$status" in
		KILLED) killed=$((killed + 1)) ;;
		"TIMED OUT") timedout=$((timedout + 1)) ;;
		"NOT COVERED") notcov=$((notcov + 1)) ;;
		"NOT VIABLE") notviable=$((notviable + 1)) ;;
		LIVED)
			lived=$((lived + 1))
			text=$(sed -n "${line}p" "$p/$file" | trim)
			if allowed "$p/$file" "$type" "$text" "$col"; then
				allowed_n=$((allowed_n + 1))
			else
				survivors+=("$p/$file:$line:$col $type	$text")
			fi
			;;
		esac
	done < <(jq -r '.files[] | .file_name as $f | .mutations[] | [$f, .type, .status, .line, .column] | @tsv' "$json")
	denom=$((killed + lived - allowed_n))
	if [ "$denom" -gt 0 ]; then
		eff=$(awk -v k="$killed" -v d="$denom" 'BEGIN { printf "%.1f", 100 * k / d }')
	else
		eff=100.0
	fi
	verdict=ok
	if awk -v e="$eff" -v g="$goal" 'BEGIN { exit !(e < g) }'; then
		verdict=MISSED
		# A run the time budget cut short is reported, not failed: the
		# mutants it reached are a slice in file order, not the package.
		if [[ $partial == *"time budget"* ]]; then verdict=budget; else failed=1; fi
	fi
	line=$(printf '%-11s %6s%% (goal %s%%) %-6s killed %4d lived %3d equivalent %2d timed-out %2d not-covered %4d  %ds%s' \
		"$p/" "$eff" "$goal" "$verdict" "$killed" "$lived" "$allowed_n" "$timedout" "$notcov" $((SECONDS - t0)) "$partial")
	summary+=("$line")
	echo "$line"
	for s in "${survivors[@]}"; do echo "   lived: $s"; done
done

echo
echo "test efficacy = killed / (killed + lived - equivalent); gremlins $GREMLINS_VERSION, workers $workers, timeout coefficient $coef"
printf '%s\n' "${summary[@]}"
if [ -f "$allow" ]; then
	# Entries that no longer match any line of their file are stale.
	while IFS= read -r entry; do
		f=$(field 1 <<<"$entry")
		t=$(field 3 <<<"$entry")
		if [ -f "$f" ] && ! trim <"$f" | grep -xF -- "$t" >/dev/null; then
			echo "stale allow-list entry (line not found in $f): $t"
		fi
	done < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$allow")
fi
exit "$failed"
}
