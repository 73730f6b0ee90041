# shellcheck shell=bash
# Debian's prometheus-node-exporter, run by the lab the way a network node runs it:
# its textfile collector reads the directory osmeta-trace.service writes to
# (/var/lib/prometheus/node-exporter/osmeta.prom, the .deb's unit), and it listens
# on loopback only. Needs common.sh and services.sh (and setup.sh for PACKAGES).

NODE_EXPORTER=node-exporter
NODE_EXPORTER_PORT=9100
NODE_EXPORTER_ADDR=127.0.0.1:$NODE_EXPORTER_PORT
# Debian's default --collector.textfile.directory and the unit's ReadWritePaths=
NODE_EXPORTER_TEXTFILE_DIR=/var/lib/prometheus/node-exporter

# lab/up installs it with the lab's other packages (its own daemon is not started:
# policy-rc.d, and this container has no systemd)
if declare -p PACKAGES >/dev/null 2>&1; then PACKAGES+=(prometheus-node-exporter); fi
SVC_USER[$NODE_EXPORTER]=prometheus
SVC_TOKEN[$NODE_EXPORTER]=prometheus-node-exporter
SVC_LISTEN[$NODE_EXPORTER]=$NODE_EXPORTER_ADDR
SVC_WAIT[$NODE_EXPORTER]=20

node_exporter_healthy() {
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$NODE_EXPORTER_ADDR/metrics" 2>/dev/null) || return 1
  [ "$code" = 200 ]
}

close_inherited_fds() {  # every descriptor above stderr of this (sub)shell
  local f fd
  for f in /proc/"$BASHPID"/fd/*; do
    fd=${f##*/}
    [[ $fd =~ ^[0-9]+$ ]] && [ "$fd" -gt 2 ] || continue
    eval "exec $fd>&-" 2>/dev/null || true
  done
}

# node_exporter_ensure: start it unless it runs; refuse a port someone else holds.
node_exporter_ensure() {
  command -v prometheus-node-exporter >/dev/null \
    || die "prometheus-node-exporter is not installed (lab/up installs it)"
  install -d -m 0755 "$NODE_EXPORTER_TEXTFILE_DIR"
  if svc_running "$NODE_EXPORTER"; then
    node_exporter_healthy && return 0
    stop_svc "$NODE_EXPORTER"
  fi
  if tcp_listening "$NODE_EXPORTER_PORT"; then
    die "port $NODE_EXPORTER_PORT is taken by another process ($(ss -Hltnp "sport = :$NODE_EXPORTER_PORT" | head -n1)); the lab's node_exporter needs it"
  fi
  # only the collectors a metadata check needs next to it: the textfile one, and the
  # process's own go_/process_ series and node_exporter's scrape results
  # in a subshell without the caller's descriptors: a daemon that inherits the fd of
  # `flock /run/osmeta-e2e.lock lab/up` would hold that lock for as long as it runs
  ( close_inherited_fds
    start_svc "$NODE_EXPORTER" prometheus "$LOG/node-exporter/node-exporter.out" -- \
      prometheus-node-exporter --web.listen-address="$NODE_EXPORTER_ADDR" \
        --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$NODE_EXPORTER_TEXTFILE_DIR" )
  wait_for "${SVC_WAIT[$NODE_EXPORTER]}" "node_exporter to answer on $NODE_EXPORTER_ADDR" node_exporter_healthy \
    || { printf 'error: node_exporter did not answer; see %s\n' "$LOG/node-exporter/node-exporter.out" >&2; return 1; }
}

node_exporter_stop() { stop_svc "$NODE_EXPORTER" 10; }

# node_exporter_status: one line in lab/status's table (its account/row helpers)
node_exporter_status() {
  local pid h=0
  if pid=$(svc_pid "$NODE_EXPORTER"); then
    node_exporter_healthy && h=1
    account "$NODE_EXPORTER" "$pid" "$NODE_EXPORTER_ADDR" "$h"
    [ "$h" = 1 ]
  else
    row "$NODE_EXPORTER" stopped - "$NODE_EXPORTER_ADDR" -
    return 1
  fi
}
