#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for tests of kr's cluster mode (bench/slurm/check.sh).
#   local-slurm.sh start DIR   installs slurmd, slurmctld, slurm-client and munge (Debian) if missing,
#                              writes DIR/slurm.conf, starts munged (unless one runs), slurmctld and slurmd;
#                              prints the node name. Root is needed (CI and sessions run as root).
#   local-slurm.sh stop DIR    cancels this cluster's jobs, stops the daemons it started (by their pid
#                              files in DIR) and nothing else.
# Every Slurm command must see the configuration: export SLURM_CONF=DIR/slurm.conf.
# From /work/shared/slurm/local-slurm.sh (checked on Debian 12, Slurm 22.05.8), plus: free ports picked at
# start, so two clusters (two checkouts, CI beside a session) can run on one machine, and a stop that waits.
set -euo pipefail
cmd=${1:?start|stop}; dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)

free_port() { # a TCP port nobody listens on, from the range Slurm's defaults live in
  local p
  for p in $(shuf -i 20000-40000 -n 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "local-slurm: no free TCP port found" >&2; return 1
}

case "$cmd" in
start)
  if ! command -v slurmd >/dev/null || ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null || ! command -v munge >/dev/null \
     || ! command -v pgrep >/dev/null; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmd slurmctld slurm-client munge procps >/dev/null
  fi
  node=$(hostname -s); cpus=$(nproc)
  ctld_port=$(free_port); slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=kr
SlurmctldHost=$node
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$node CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  # The daemons and the client tools read SLURM_CONF; export it to every command that talks to this cluster.
  export SLURM_CONF="$dir/slurm.conf"
  [ -s /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge; chown munge:munge /run/munge
  if ! munge -n >/dev/null 2>&1; then /usr/sbin/munged --force; echo "$(pgrep -nx munged)" > "$dir/munged.pid"; fi
  /usr/sbin/slurmctld -f "$SLURM_CONF"
  /usr/sbin/slurmd -f "$SLURM_CONF"
  for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
  sinfo -h -o %T | grep -q idle || { echo "local-slurm: node not idle; see $dir/log" >&2; exit 1; }
  echo "$node"
  ;;
stop)
  # jobs first, so no task outlives its cluster
  if [ -f "$dir/slurmctld.pid" ] && [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 20 scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(SLURM_CONF="$dir/slurm.conf" timeout 10 squeue -h 2>/dev/null)" ] && break; sleep 1; done
  fi
  for p in slurmd slurmctld munged; do
    if [ -f "$dir/$p.pid" ]; then
      pid=$(cat "$dir/$p.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      rm -f "$dir/$p.pid"
    fi
  done
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
