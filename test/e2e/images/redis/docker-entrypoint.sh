#!/bin/sh
# docker-entrypoint.sh, written for the distroless-init end-to-end suite: the
# official redis image's contract (first argument starting with '-' or ending
# in .conf means redis-server; as root, own /data and drop to redis with gosu).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec gosu redis "$0" "$@"
fi
umask 0077
exec "$@"
