#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the Slurm tests and CI (../shared/notes/slurm-local.md).
#
#   .ci/slurm-local.sh start   starts munged, slurmctld and slurmd with a private configuration and prints
#                              "started STATE/slurm.conf" (or "running STATE/slurm.conf" when this script's
#                              cluster is already up; nothing is started then)
#   .ci/slurm-local.sh stop    stops the daemons this script started (by the pids it recorded), nothing else
#   .ci/slurm-local.sh conf    prints the configuration's path (clients need SLURM_CONF=that path)
#
# Everything lives in STATE (INSPO_SLURM_STATE, default /tmp/inspo-slurm): slurm.conf, a munge key and socket of
# its own, spool and state folders, logs and pid files, and the controller listens on ports of its own, so a
# machine's own munge or Slurm (if any) is neither used nor touched. Needs root (the daemons run as root) and the
# Debian packages slurm-wlm and munge.
set -euo pipefail
state=${INSPO_SLURM_STATE:-/tmp/inspo-slurm}
conf=$state/slurm.conf

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() { # pid file, name
    if alive "$1"; then
        local pid; pid=$(cat "$1")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { kill -9 "$pid" 2>/dev/null || true; }
        echo "stopped $2 (pid $pid)"
    fi
    rm -f "$1"
}

case "${1:-}" in
start)
    for tool in munged slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || { echo "slurm-local: $tool is not installed (apt-get install slurm-wlm munge)" >&2; exit 2; }
    done
    [ "$(id -u)" = 0 ] || { echo "slurm-local: the daemons need root" >&2; exit 2; }
    if alive "$state/slurmctld.pid" && alive "$state/slurmd.pid" && alive "$state/munged.pid"; then
        echo "running $conf"
        exit 0
    fi
    # A half-started cluster from an earlier run: stop what is left of it and start afresh.
    stop_one "$state/slurmd.pid" slurmd; stop_one "$state/slurmctld.pid" slurmctld; stop_one "$state/munged.pid" munged
    mkdir -p "$state/ctld" "$state/d" "$state/munge"
    chmod 700 "$state" "$state/munge"
    if [ ! -s "$state/munge/munge.key" ]; then
        head -c 1024 /dev/urandom > "$state/munge/munge.key"
        chmod 400 "$state/munge/munge.key"
    fi
    munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/socket" \
        --pid-file="$state/munged.pid" --log-file="$state/munged.log" --seed-file="$state/munge/seed"
    host=$(hostname)
    # Memory a little under the machine's, so the node is not drained for having less than it claims.
    memory=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
    cat > "$conf" <<EOF
ClusterName=inspo-local
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$conf
    # -c: a clean start (no jobs saved by an earlier controller of this state folder).
    slurmctld -c -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 1 60); do
        if sinfo --noheader --format=%t 2>/dev/null | grep -qx idle; then echo "started $conf"; exit 0; fi
        sleep 0.5
    done
    echo "slurm-local: the node did not become idle in 30 s (logs: $state/slurmctld.log, $state/slurmd.log)" >&2
    exit 1
    ;;
stop)
    stop_one "$state/slurmd.pid" slurmd
    stop_one "$state/slurmctld.pid" slurmctld
    stop_one "$state/munged.pid" munged
    ;;
conf)
    echo "$conf"
    ;;
*)
    echo "usage: $0 start|stop|conf" >&2
    exit 2
    ;;
esac
