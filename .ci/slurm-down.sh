#!/usr/bin/env bash
# Stops the daemons .ci/slurm-up.sh started (by their pid files; munged by its own pid file).
SLURM_DIR=${SLURM_DIR:-/tmp/strata-slurm}
for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" /run/munge/munged.pid; do
  [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
done
exit 0
