#!/usr/bin/env bash
# Runs every test of Tack, installing what the tests need first.
#
#   ./scripts/test.sh            # everything, with the race detector
#   ./scripts/test.sh -short     # skip the slow cases (crash test, big imports)
#   TACK_MUTATE=1 ./scripts/test.sh   # then mutation-test the changed packages
#
# With TACK_MUTATE=1, once every test passed, scripts/mutate.sh --all --changed
# mutation-tests the capability packages changed since origin/main (or main;
# TACK_MUTATE_BASE=<commit> to choose) and fails when one misses its test
# efficacy goal (see docs/testing.md). It is bounded by TACK_MUTATE_BUDGET
# seconds (default 3000: with the ~6 min suite it fits CI's 90 minutes on 2
# cores); packages it had no time for are reported and do not fail the run.
#
# Needs: Go 1.26. Installs (Debian, when missing and run as root or with
# sudo): chromium and fonts-wqy-microhei for the browser tests. Uses
# PostgreSQL and NATS when TACK_TEST_POSTGRES / TACK_TEST_NATS are set or
# reachable on their usual local ports; those cases skip with a message
# otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_pkgs+=(fonts-wqy-microhei)
if [ ${#need_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "installing ${need_pkgs[*]} for the browser tests" >&2
	$sudo apt-get update -qq >/dev/null || true
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || echo "could not install ${need_pkgs[*]}: browser tests will skip" >&2
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "${TACK_TEST_POSTGRES:-}" ] && port_open 5432; then
	export TACK_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
fi
if [ -z "${TACK_TEST_NATS:-}" ] && port_open 4222; then
	export TACK_TEST_NATS="nats://127.0.0.1:4222"
fi
echo "TACK_TEST_POSTGRES=${TACK_TEST_POSTGRES:-(unset: PostgreSQL cases skip)}" >&2
echo "TACK_TEST_NATS=${TACK_TEST_NATS:-(unset: external NATS cases skip; embedded NATS still runs)}" >&2

if ! go mod tidy -diff >/dev/null 2>&1; then
	echo "go.mod/go.sum are not tidy: run go mod tidy" >&2
	go mod tidy -diff >&2 || true
	exit 1
fi
go vet ./...
# Resident memory bounds, the file bombs and the sheet limits that take tens
# of megabytes are measured without the race detector, which multiplies
# memory and time (those tests skip under -race).
go test -count=1 -run 'InMemoryBounds|ImportMemory|XLSXBombs|XLSXUpToMaxShared|XLSXSharedText|XLSXSharedXML|XLSXUnpacking' "$@" ./org/ ./sheet/
# The written import's bound also depends on SQLite's page caches: measure it
# on SQLite too when the run above used PostgreSQL.
if [ -n "${TACK_TEST_POSTGRES:-}" ]; then
	TACK_TEST_POSTGRES= go test -count=1 -run 'LargeImportMemory' "$@" ./org/
fi
# Every fuzz target (decoders: request bodies, stream frames, imports,
# uploads, robot payloads, forms, search queries, logins) runs for a short
# while: TACK_FUZZTIME, default 5s each; 0 skips. A crash it finds is
# saved under the package's testdata/fuzz and fails the run; commit it as a
# regression case once fixed. Longer runs: docs/testing.md.
fuzztime="${TACK_FUZZTIME:-5s}"
# corpus_size DIR: how many inputs a fuzz target has saved (0 without DIR).
corpus_size() {
	if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi
}
if [ "$fuzztime" != 0 ]; then
	for pkg in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pkg"/*_test.go | cut -d' ' -f2); do
			echo "fuzz $target ($pkg, $fuzztime)" >&2
			# A crash writes its input under testdata/fuzz/<target>: that fails
			# the run. A failure that wrote none is the fuzzing engine's own
			# (a worker that did not answer on a loaded machine): shown, and
			# tried once more.
			corpus="$pkg/testdata/fuzz/$target"
			before=$(corpus_size "$corpus")
			for try in 1 2; do
				log=$(go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" "$pkg" 2>&1) && break
				echo "$log" | tail -30 >&2
				if [ "$(corpus_size "$corpus")" != "$before" ] || [ "$try" = 2 ]; then
					echo "fuzz $target failed (see above)" >&2
					exit 1
				fi
				echo "fuzz $target: no crashing input was saved; trying once more" >&2
			done
		done
	done
fi
# The suite's output is what go test prints, and then one line naming every
# skipped test by its reason (no PostgreSQL, no NATS, no Chromium, -short):
# scripts/testsum.go reads go test -json.
go build -o "${TMPDIR:-/tmp}/tack-testsum" scripts/testsum.go
go test -json -race -count=1 -timeout 45m "$@" ./... | "${TMPDIR:-/tmp}/tack-testsum"
if [ "${TACK_MUTATE:-0}" = 1 ]; then
	./scripts/mutate.sh --all --changed ${TACK_MUTATE_BASE:+"$TACK_MUTATE_BASE"} --budget "${TACK_MUTATE_BUDGET:-3000}"
fi
