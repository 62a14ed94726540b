#!/usr/bin/env bash
# docker-entrypoint.sh, written for the distroless-init end-to-end suite:
# the official image's contract (initialise if needed, then exec the server
# as postgres) on top of this project's docker-ensure-initdb.sh.
set -Eeo pipefail
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ]; then
    docker-ensure-initdb.sh "$@"
    if [ "$(id -u)" = 0 ]; then exec gosu postgres "$@"; fi
fi
exec "$@"
