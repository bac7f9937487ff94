#!/usr/bin/env bash
# Installs from Debian, when missing, the reference programs the benchmarks run beside the platform:
#   nats-server               peer broker of the `broker` benchmark (NATS JetStream, file storage)
#   prometheus                Prometheus of the `alerting` and `fleet` benchmarks (also promtool)
#   prometheus-alertmanager   Alertmanager of the same benchmarks
#   prometheus-node-exporter  reference of the `agent` benchmark
# The packages' services are not started (policy-rc.d in containers; the harnesses start their own
# processes on loopback with their own settings and stop them at the end).
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-peers.sh: everything is there"
  exit 0
fi
echo "install-peers.sh: installing ${need[*]} from Debian"
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
