#!/usr/bin/env bash
# Passes every test on a fresh machine with the .NET 10 SDK: installs what the tests need from
# Debian when it is missing, then runs the test suite.
#   ./test.sh            the default run (under ~10 minutes on 2 cores)
#   SLOW=1 ./test.sh     also the slow soak, stress and fault tests (trait Category=Slow)
# Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use: kcat (a real Kafka client), chromium (Playwright drives it),
# prometheus (its promtool checks the /metrics output).
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]} from Debian"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

filter=()
if [ "${SLOW:-0}" != "1" ]; then
  filter=(--filter "Category!=Slow")
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Monitoring.sln -c Release -nologo -v q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Monitoring.sln -c Release --no-build -nologo "${filter[@]}" "$@" 2>&1 | tee "$log" || status=$?

# One closing line over every test assembly.
sed -nE 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/p' "$log" \
  | awk '{f+=$1; p+=$2; s+=$3} END {printf "tests: %d passed, %d failed, %d skipped\n", p, f, s}'
exit "$status"
