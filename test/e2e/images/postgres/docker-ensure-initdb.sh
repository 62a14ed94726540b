#!/usr/bin/env bash
# docker-ensure-initdb.sh, written for the distroless-init end-to-end suite.
# Same contract as the official image's script of that name: initialise
# $PGDATA if it holds no cluster yet, never start the long-running server,
# exit 0 when $PGDATA holds a cluster afterwards. Idempotent.
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_USER (postgres), POSTGRES_DB (= user), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (scram-sha-256); *_FILE forms of the first three.
set -Eeo pipefail

log() { printf 'docker-ensure-initdb: %s\n' "$*" >&2; }

file_env() { # VAR: VAR or VAR_FILE, not both
    local var=$1 file=${1}_FILE
    if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then log "both $var and $file are set"; exit 1; fi
    if [ -n "${!file:-}" ]; then export "$var"="$(< "${!file}")"; fi
}

: "${PGDATA:?PGDATA must be set}"

if [ "$(id -u)" = 0 ]; then
    # as root: create the directories with the right owner, then drop to postgres
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    chown postgres:postgres "$PGDATA" || :
    mkdir -p /var/run/postgresql 2>/dev/null && chown postgres:postgres /var/run/postgresql 2>/dev/null || :
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
    log "PostgreSQL database directory appears to contain a database; skipping initialization (uid $(id -u))"
    exit 0
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER
file_env POSTGRES_DB
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "Error: Database is uninitialized and superuser password is not specified."
    log "       You must specify POSTGRES_PASSWORD to a non-empty value for the superuser."
    exit 1
fi

mkdir -p "$PGDATA" 2>/dev/null || :
log "initialising $PGDATA as uid $(id -u) gid $(id -g)"
# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is word-split on purpose, as in the official image
initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") $POSTGRES_INITDB_ARGS

printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.auto.conf"

if [ "$POSTGRES_DB" != postgres ]; then
    # single-user mode: no server, no socket, nothing left running
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | postgres --single -D "$PGDATA" -j postgres >/dev/null
fi
log "PostgreSQL init process complete; ready for start up."
