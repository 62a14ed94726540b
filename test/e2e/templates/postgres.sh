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

# ---- parity (test/e2e/parity.sh): fixtures/postgres/parity.yaml, server on port 5433
P_CHECKS="port jit_default_threshold jit_inlining timezone_names timezone_convert localtime pgcrypto copy_to_stdout locale_sort text_search plpgsql"
p_sql() { # NET SQL : psql from the full image, in the server's network namespace, port 5433
    local net=$1; shift
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 60 podman run --rm --image-volume ignore --entrypoint psql $net -e PGPASSWORD="$T_PASSWORD" "$T_FULL" \
        -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5433 -U postgres -At -c "$@"
}
p_ready() { p_sql "$1" 'select 1' | grep -qx 1; }
p_port() { p_sql "$1" 'show port'; }
# jit=on and jit_above_cost=100000 are the defaults: a join of 16 million rows is planned
# above them (cost about 360000), so the server compiles it with LLVM (llvmjit.so reads
# llvmjit_types.bc); EXPLAIN shows the JIT section only with ANALYZE and COSTS on
p_jit_default_threshold() {
    p_sql "$1" 'explain (analyze, timing off, summary off) select count(*) from generate_series(1, 4000) a, generate_series(1, 4000) b' \
        | grep -E '^ *(JIT:|Functions:|Options:)'
}
# every JIT stage forced on a tiny query: inlining reads the bitcode/ tree
p_jit_inlining() {
    p_sql "$1" 'set jit_above_cost = 0; set jit_inline_above_cost = 0; set jit_optimize_above_cost = 0;
        explain (analyze, timing off, summary off) select sum(g) from generate_series(1, 100) g' | grep -E '^ *(JIT:|Functions:|Options:)'
}
p_timezone_names() { p_sql "$1" 'select count(*) from pg_timezone_names'; }
p_timezone_convert() {
    p_sql "$1" "select (timestamptz '2024-07-01 12:00:00+00') at time zone 'America/New_York', (timestamptz '2024-01-01 12:00:00+00') at time zone 'Europe/Paris'"
}
# the zone 'localtime' is zoneinfo/localtime -> /etc/localtime
p_localtime() { p_sql "$1" "set time zone 'localtime'; select (timestamptz '2024-07-01 12:00:00+00')::text"; }
p_pgcrypto() {
    p_sql "$1" "create extension if not exists pgcrypto; select encode(digest('abc', 'sha256'), 'hex'), crypt('pw', '\$1\$saltsalt')"
}
p_copy_to_stdout() { p_sql "$1" 'copy (select g, md5(g::text) from generate_series(1, 3) g) to stdout with (format csv, header)'; }
# the database's collation is en_US.utf8 (the image's LANG at initdb): locale order, not byte order
p_locale_sort() {
    p_sql "$1" "select datcollate, datctype from pg_database where datname = current_database()" && \
    p_sql "$1" "select string_agg(x, ' ' order by x) from (values ('b'), ('A'), ('a'), ('B'), ('é'), ('e'), ('_z'), ('Z')) v(x)" && \
    p_sql "$1" "select upper('éa'), lower('ÉA')"
}
# the english stop words and snowball stemmer: share/postgresql/15/tsearch_data
p_text_search() { p_sql "$1" "select to_tsvector('english', 'The quick brown foxes jumped over the lazy dogs')"; }
p_plpgsql() {
    p_sql "$1" 'create or replace function die2e_twice(int) returns int language plpgsql as $$ begin return $1 * 2; end $$; select die2e_twice(21)'
}
# rewrite time: a server setting that needs a shell is reported (DI4008, the planner's
# warning for archive_command & co.). On once docs/errors.md documents DI4008.
p_rewrite() { # FIXTURE SPLIT
    local f=$WORK/postgres-parity-archive.yaml err
    if ! grep -q '^## DI4008' "$ROOT/docs/errors.md"; then
        echo "SKIP archive_command in the container's args is reported at rewrite time (DI4008 is not in docs/errors.md yet)"; return
    fi
    sed 's|args: \["-c", "port=5433"\]|args: ["-c", "port=5433", "-c", "archive_mode=on", "-c", "archive_command=test ! -f /archive/%f \&\& cp %p /archive/%f"]|' "$1" >"$f"
    err=$("${CLI[@]}" "$f" 2>&1 >/dev/null)
    if grep -q 'DI4008' <<<"$err"; then echo "PASS archive_command in the container's args is reported at rewrite time: $(grep -m1 DI4008 <<<"$err" | cut -c1-120)"
    else echo "FAIL archive_command in the container's args is not reported at rewrite time (no DI4008 on stderr)"; fi
}
