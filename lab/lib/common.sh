# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared by every lab script: paths, logging, process control, waits.
# Sourced after `set -euo pipefail`.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_LIB=$LAB_DIR/lib
S=${LAB_STATE_DIR:-/var/lib/osmeta-lab}
export LAB_STATE_DIR=$S               # read by the python helpers
PY=/usr/bin/python3
ETC=$S/etc
RUN=$S/run
LOG=$S/log
NSTATE=$S/neutron                    # neutron's state_path (every agent's)
OVS_DB_DIR=$S/openvswitch             # Open vSwitch's database (conf.db)
OVS_RUN=$RUN/openvswitch              # its sockets and pid files (OVS_RUNDIR)
OVS_DB_SOCK=$OVS_RUN/db.sock
# the lab's flavour: ovs (ML2/OVS with neutron's own OVS, DHCP and L3 agents; the
# default) or ovn (ML2/OVN: OVN central, ovn-controller, neutron-ovn-metadata-agent).
# lab/up takes the one asked for (--ovn or LAB_FLAVOUR); every other script works on
# the flavour the state was made by ($S/flavour).
LAB_FLAVOUR=${LAB_FLAVOUR:-ovs}
if [ "${LAB_UP:-}" != 1 ] && [ -s "$S/flavour" ]; then LAB_FLAVOUR=$(cat "$S/flavour"); fi
export LAB_FLAVOUR                    # read by the python helpers
OVN_DB_DIR=$S/ovn                     # OVN's NB and SB databases (flavour ovn)
OVN_RUN=$RUN/ovn                      # their sockets, pid files, ovn-controller's ctl (OVN_RUNDIR)
OVN_NB_SOCK=$OVN_RUN/ovnnb_db.sock
OVN_SB_SOCK=$OVN_RUN/ovnsb_db.sock
OVN_NB_REMOTE=tcp:127.0.0.1:6641      # what neutron-server, the agent and ovn-controller use
OVN_SB_REMOTE=tcp:127.0.0.1:6642
CHILD_CHECK_INTERVAL=10               # the agents' ProcessMonitor: respawn a dead haproxy after ≤10 s
SECRETS=$S/secrets.env
IDS=$S/ids.json
FAULTS=$S/faults
PRISTINE=$S/pristine
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

T0=${LAB_T0:-$(date +%s)}

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '[%3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root (the lab creates namespaces and runs services as their own users)"; }

# Bounded wait: wait_for SECONDS DESCRIPTION CMD...  (polls every 0.2 s)
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { printf 'error: timed out after %ss waiting for %s\n' "$limit" "$what" >&2; return 1; }
    sleep 0.2
  done
}

# ---- processes -------------------------------------------------------------
pidfile_of() { printf '%s/%s.pid' "$RUN" "$1"; }

# cmdline_has PID TEXT (no grep -q on a pipe: an early exit + pipefail lies)
cmdline_has() {
  local c
  c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $c == *"$2"* ]]
}

pid_alive() {  # pid_alive PID: a live (non-zombie) process
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

read_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1"; }

# start_svc NAME USER LOGFILE [VAR=value ...] -- CMD ARGS...
# A new session (pgid = pid) as USER with a clean environment; pid in $RUN/NAME.pid.
start_svc() {
  local name=$1 user=$2 logf=$3; shift 3
  local -a envv=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8)
  while [ "$1" != -- ]; do envv+=("$1"); shift; done
  shift
  local pidf home
  pidf=$(pidfile_of "$name")
  home=$(getent passwd "$user" | cut -d: -f6); [ -n "$home" ] || home=/
  [[ " ${envv[*]} " == *" HOME="* ]] || envv+=("HOME=$home")
  mkdir -p "$(dirname "$logf")"
  [ "$user" = root ] || chown "$user": "$(dirname "$logf")"
  rm -f "$pidf"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" \
    setpriv --reuid="$user" --regid="$(id -gn "$user")" --init-groups \
    env -i "${envv[@]}" "$@" </dev/null >>"$logf" 2>&1 9>&- &
  wait_for 5 "$name to record its pid" test -s "$pidf"
  wait_for 10 "$name to start" svc_pid "$name"
}

# stop_pid NAME PID [SECONDS]: TERM the process group, then KILL after the wait.
stop_pid() {
  local name=$1 pid=$2 limit=${3:-15}
  pid_alive "$pid" || return 0
  local pg
  pg=$(awk '{print $5}' "/proc/$pid/stat" 2>/dev/null || true)
  if [ "$pg" = "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true
  else kill -TERM "$pid" 2>/dev/null || true; fi
  if ! wait_for "$limit" "$name (pid $pid) to exit" bash -c "! [ -d /proc/$pid ] || [ \"\$(awk '{print \$3}' /proc/$pid/stat)\" = Z ]" 2>/dev/null; then
    printf 'warning: %s (pid %s) ignored SIGTERM, sending SIGKILL\n' "$name" "$pid" >&2
    if [ "$pg" = "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.3
  fi
}

rss_kib() {  # resident set of a process group (the service and its workers), or of one process
  local pid=$1
  { ps -o rss= -g "$pid" 2>/dev/null || ps -o rss= -p "$pid" 2>/dev/null || true; } \
    | awk '{s+=$1} END {print s+0}'
}

# ---- Open vSwitch (the lab's own ovsdb-server and ovs-vswitchd) -------------
ovs_vsctl() { OVS_RUNDIR=$OVS_RUN ovs-vsctl --db="unix:$OVS_DB_SOCK" --timeout=10 "$@"; }
ovs_appctl() { OVS_RUNDIR=$OVS_RUN ovs-appctl --timeout=10 "$@"; }
# the userspace datapath does not complete partial checksums: a veth end on a netdev
# bridge must compute them itself (ethtool -K DEV tx off), in its namespace
ovn_nbctl() { OVN_RUNDIR=$OVN_RUN ovn-nbctl --db="unix:$OVN_NB_SOCK" --timeout=10 "$@"; }
ovn_sbctl() { OVN_RUNDIR=$OVN_RUN ovn-sbctl --db="unix:$OVN_SB_SOCK" --timeout=10 "$@"; }
# this host's chassis name (Open_vSwitch external_ids:system-id), made once per state
ovn_chassis() { cat "$OVN_DB_DIR/system-id" 2>/dev/null; }
tx_off() {  # tx_off NS|- DEV
  if [ "$1" = - ]; then ethtool -K "$2" tx off >/dev/null 2>&1
  else ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1; fi
}

# ---- checks ----------------------------------------------------------------
tcp_listening() {  # tcp_listening PORT  (on 127.0.0.1 in the host namespace)
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}
http_ok() {  # http_ok URL: any HTTP answer below 500
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null) || return 1
  [ "$code" -ge 200 ] && [ "$code" -lt 500 ]
}
unix_listening() {  # a listening socket bound at PATH
  awk -v p="$1" '$NF == p && $6 == "01" { found=1 } END { exit !found }' /proc/net/unix
}

netns_exists() {  # gotcha 17: read the whole list, no grep -q on a pipe
  [ -e "/run/netns/$1" ] || return 1
  ip netns list 2>/dev/null | awk -v n="$1" '$1 == n { f=1 } END { exit !f }'
}

# One lab-changing script at a time (up, down, break, heal, scale-*): a second
# one waits for the first instead of interleaving starts and stops. heal runs
# up while holding the lock; LAB_LOCK_HELD lets the inner one through.
lab_lock() {
  [ "${LAB_LOCK_HELD:-}" = "$S" ] && return 0
  mkdir -p "$S"
  exec 9>"$S/.lock"
  if ! flock -n 9; then
    say "waiting for another lab script to finish (lock $S/.lock)"
    flock -w "${1:-900}" 9 || die "another lab script still holds $S/.lock"
  fi
  export LAB_LOCK_HELD=$S
}

# ---- state -----------------------------------------------------------------
# exported: the python helpers read them from their environment
# shellcheck source=/dev/null
load_secrets() { [ -r "$SECRETS" ] || die "no $SECRETS: run lab/up first"; set -a; . "$SECRETS"; set +a; }
load_env() {
  [ -r "$S/env" ] || die "no $S/env: run lab/up first"
  # shellcheck disable=SC1091
  . "$S/env"
}
ids_get() { jq -er "$1" "$IDS"; }
fault_active() { [ -f "$FAULTS" ] && grep -qx "$1" "$FAULTS"; }
