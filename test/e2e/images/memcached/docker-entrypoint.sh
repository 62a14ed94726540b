#!/bin/sh
# docker-entrypoint.sh, written for the distroless-init end-to-end suite: the
# official memcached image's contract (a first argument starting with '-'
# means memcached).
set -e
if [ "${1#-}" != "$1" ]; then set -- memcached "$@"; fi
exec "$@"
