#!/bin/sh
# /docker-entrypoint.sh, written for the distroless-init end-to-end suite after
# the official nginx image's contract: when the command is nginx or nginx-debug,
# run the scripts of /docker-entrypoint.d in version order (executable *.envsh
# are sourced, executable *.sh are run, anything else is skipped); then exec
# the command. NGINX_ENTRYPOINT_QUIET_LOGS silences this script's messages.
set -e

say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || printf '%s: %s\n' "$0" "$*"; }

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
    scripts=$(find /docker-entrypoint.d/ -follow -type f -print 2>/dev/null | sort -V)
    if [ -z "$scripts" ]; then
        say "no script in /docker-entrypoint.d/, nothing to configure"
    else
        say "running the scripts of /docker-entrypoint.d/"
        for s in $scripts; do
            case $s in
                *.envsh)
                    if [ -x "$s" ]; then say "sourcing $s"; . "$s"
                    else say "$s is not executable: skipped"; fi ;;
                *.sh)
                    if [ -x "$s" ]; then say "running $s"; "$s"
                    else say "$s is not executable: skipped"; fi ;;
                *) say "$s: not a .sh or .envsh script: skipped" ;;
            esac
        done
        say "configuration done, starting $1"
    fi
fi

exec "$@"
