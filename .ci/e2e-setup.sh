#!/usr/bin/env bash
# Makes rootful podman usable on a CI machine without systemd as PID 1 and with
# cgroup v1 (see test/e2e/README.md): runc, cgroupfs, file events logger,
# default ulimits within the hard limits (crun fails here).
# Writes /etc/containers/containers.conf only when it is missing; an existing
# file is kept, and the script only checks that podman reports runc + cgroupfs.
# Exit 0 when podman is usable, 1 otherwise. Idempotent.
set -euo pipefail
conf=/etc/containers/containers.conf
want='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
command -v podman >/dev/null || { echo "e2e-setup: podman is not installed (see .ci/apt-packages.txt)" >&2; exit 1; }
if [ ! -e "$conf" ]; then
  install -d /etc/containers
  printf '%s\n' "$want" >"$conf"
  echo "e2e-setup: wrote $conf" >&2
elif [ "$(cat "$conf")" != "$want" ]; then
  echo "e2e-setup: keeping the existing $conf" >&2
fi
got=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}}' 2>/dev/null || true)
if [ "$got" != "runc cgroupfs" ]; then
  echo "e2e-setup: podman reports '$got', the end-to-end suite needs 'runc cgroupfs' (edit $conf)" >&2
  exit 1
fi
