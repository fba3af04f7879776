#!/usr/bin/env bash
# Runs every test of Tack, installing what the tests need first.
#
#   ./scripts/test.sh            # everything, with the race detector
#   ./scripts/test.sh -short     # skip the slow cases (crash test, big imports)
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

go vet ./...
exec go test -race -count=1 -timeout 45m "$@" ./...
