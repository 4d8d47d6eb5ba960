#!/usr/bin/env bash
# A one-machine Slurm cluster for testing soma's batch scripts (as root, without systemd):
# munged + slurmctld + slurmd on localhost, everything private to STATE_DIR (config, key,
# sockets, spool, logs, pid files), so /etc/slurm and a system munged are never touched.
#
#   tools/slurm/local_cluster.sh start STATE_DIR   # then: export SLURM_CONF=STATE_DIR/slurm.conf
#   tools/slurm/local_cluster.sh stop  STATE_DIR   # kills the three daemons by their pid files
#   tools/slurm/local_cluster.sh status STATE_DIR
#
# Ports 26817/26818 (SOMA_SLURM_PORT_BASE=26817) keep clear of a real Slurm on the host.
# Needs slurm-wlm and munge (Debian: apt-get install slurm-wlm munge). Recipe and background:
# CLUSTER_NOTES.md of the project (verified on Debian 12).
set -euo pipefail

cmd=${1:?usage: local_cluster.sh start|stop|status STATE_DIR}
state=${2:?usage: local_cluster.sh start|stop|status STATE_DIR}
mkdir -p "$state"
state=$(cd "$state" && pwd)
port=${SOMA_SLURM_PORT_BASE:-26817}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() {  # pid file, name
  local f=$1 name=$2 i
  if pid_alive "$f"; then
    kill "$(cat "$f")" 2>/dev/null || true
    for i in $(seq 1 50); do pid_alive "$f" || break; sleep 0.1; done
    if pid_alive "$f"; then kill -9 "$(cat "$f")" 2>/dev/null || true; fi
    echo "stopped $name"
  fi
  rm -f "$f"
}

case "$cmd" in
  start)
    for exe in munged slurmctld slurmd sbatch squeue; do
      command -v "$exe" >/dev/null || [ -x "/usr/sbin/$exe" ] || {
        echo "local_cluster: $exe not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
    done
    [ "$(id -u)" -eq 0 ] || { echo "local_cluster: must run as root" >&2; exit 3; }
    mkdir -p "$state"/{munge,spool/ctld,spool/d,log}
    if [ ! -f "$state/munge/munge.key" ]; then
      dd if=/dev/urandom bs=1 count=1024 of="$state/munge/munge.key" status=none
    fi
    chmod 700 "$state/munge"
    chmod 400 "$state/munge/munge.key"
    if ! pid_alive "$state/munged.pid"; then
      /usr/sbin/munged --force --socket="$state/munge/munge.socket" \
        --key-file="$state/munge/munge.key" --log-file="$state/log/munged.log" \
        --pid-file="$state/munged.pid" --seed-file="$state/munge/munged.seed"
    fi
    host=$(hostname)
    cat > "$state/slurm.conf" <<CONF
# soma local test cluster (tools/slurm/local_cluster.sh)
ClusterName=somatest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmdSpoolDir=$state/spool/d
StateSaveLocation=$state/spool/ctld
SlurmUser=root
SlurmdUser=root
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$state/slurm.conf"
    pid_alive "$state/slurmctld.pid" || /usr/sbin/slurmctld -f "$SLURM_CONF"
    pid_alive "$state/slurmd.pid" || /usr/sbin/slurmd -f "$SLURM_CONF"
    for i in $(seq 1 60); do
      if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        echo "local Slurm cluster up: export SLURM_CONF=$SLURM_CONF"
        sinfo
        exit 0
      fi
      sleep 0.5
    done
    echo "local_cluster: the node did not become idle; logs in $state/log" >&2
    sinfo >&2 || true
    tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
    exit 1
    ;;
  stop)
    stop_one "$state/slurmd.pid" slurmd
    stop_one "$state/slurmctld.pid" slurmctld
    stop_one "$state/munged.pid" munged
    ;;
  status)
    for d in munged slurmctld slurmd; do
      if pid_alive "$state/$d.pid"; then echo "$d running (pid $(cat "$state/$d.pid"))"; else echo "$d stopped"; fi
    done
    ;;
  *)
    echo "usage: local_cluster.sh start|stop|status STATE_DIR" >&2
    exit 2
    ;;
esac
