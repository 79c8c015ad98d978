#!/usr/bin/env bash
# A single-node Slurm on 127.0.0.1 for the shard integration test (tests/integration/shard-slurm.test.ts).
# Installs slurm-wlm + munge from Debian when missing, starts munged, slurmctld and slurmd without
# systemd, and writes the client config to $SLURM_DIR/slurm.conf (export SLURM_CONF to use it).
# Both daemons bind 127.0.0.1 only (CommunicationParameters=NoCtldInAddrAny,NoInAddrAny).
set -euo pipefail
SLURM_DIR=${SLURM_DIR:-/tmp/strata-slurm}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -o DPkg::Lock::Timeout=900 >/dev/null
  apt-get install -y -o DPkg::Lock::Timeout=900 --no-install-recommends slurm-wlm munge >/dev/null
fi
mkdir -p "$SLURM_DIR"/{state,spool,log} /run/munge /var/log/munge /var/lib/munge /etc/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
fi
pgrep -u munge munged >/dev/null || su -s /bin/sh munge -c 'munged'
cat > "$SLURM_DIR/slurm.conf" <<CONF
ClusterName=strata-ci
SlurmctldHost=localhost
SlurmctldPort=6817
SlurmdPort=6818
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MaxArraySize=10001
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$SLURM_DIR/slurm.conf"
slurmctld -i -f "$SLURM_CONF"
slurmd -N localhost -f "$SLURM_CONF"
for _ in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q -E '^(idle|mixed)'; then echo "slurm up: SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 1
done
echo "slurm did not become idle; see $SLURM_DIR/log" >&2
exit 1
