# shellcheck shell=bash
# postgres: what the generic checks of test/e2e/run.sh need to know.
T_NAME=postgres
T_FULL=postgres:15                 # short name: the built-in template claims it; built locally, never pulled
T_MAIN=postgres:15-distroless      # the name the planner derives and `distroless-init image` documents
T_UIDGID="999 999"
T_PASSWORD=e2e-S3cret
T_INIT_ONLY="POSTGRES_PASSWORD POSTGRES_INITDB_ARGS POSTGRES_USER POSTGRES_DB"
T_DATA=/var/lib/postgresql/data
T_KUBE="pod deployment statefulset"

t_ready()    { podman logs "$1" 2>&1 | grep 'database system is ready to accept connections' >/dev/null; }
t_readies()  { podman logs "$1" 2>&1 | grep -c 'database system is ready to accept connections'; }
t_init_noop() { podman logs "$1" 2>&1 | tail -n 3 | grep 'skipping initialization' >/dev/null; }
t_init_fresh() { podman logs "$1" 2>&1 | grep 'initialising /var/lib/postgresql/data as uid 999 gid 999' >/dev/null; }
# one-shot client from the full image in the server's network namespace ($1: podman run network options)
t_client() { # NET PASSWORD psql-args...
    local net=$1 pw=$2; shift 2
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 60 podman run --rm --image-volume ignore --entrypoint psql $net -e PGPASSWORD="$pw" "$T_FULL" \
        -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -Atc "$@"
}
t_write_read() { # NET : authenticated write, then read back
    local out
    out=$(t_client "$1" "$T_PASSWORD" "create table if not exists e2e(x text); insert into e2e values ('$2'); select string_agg(x, ',' order by x) from e2e") || return 1
    echo "$out"; grep -q "$2" <<<"$out"
}
t_has_row() { t_client "$1" "$T_PASSWORD" "select count(*) from e2e where x = '$2'" | grep -qx 1; }
t_wrong_password_rejected() {
    local out
    if out=$(t_client "$1" wrong-password 'select 1' 2>&1); then return 1; fi
    echo "$out"; grep -q 'password authentication failed' <<<"$out"
}
t_version() { timeout 60 podman run --rm --network none "$T_MAIN" --version | grep 'PostgreSQL' >/dev/null; }
