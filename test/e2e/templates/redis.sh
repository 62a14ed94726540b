# shellcheck shell=bash
# redis: what the generic checks of test/e2e/run.sh need to know. The template
# has no init step, so the init, password and secret checks do not apply.
T_NAME=redis
T_FULL=redis:7
T_MAIN=redis:7-distroless
T_UIDGID="999 999"
T_HAS_INIT=0
T_PASSWORD=
T_INIT_ONLY=
T_KUBE="pod deployment"

t_ready()   { podman logs "$1" 2>&1 | grep 'Ready to accept connections' >/dev/null; }
t_readies() { podman logs "$1" 2>&1 | grep -c 'Ready to accept connections'; }
t_cli() { # NET redis-cli-args...
    local net=$1; shift
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 60 podman run --rm --image-volume ignore --entrypoint redis-cli $net "$T_FULL" -h 127.0.0.1 "$@"
}
t_write_read() { t_cli "$1" SET e2e "$2" | grep -x OK >/dev/null && t_cli "$1" GET e2e | grep -x "$2" >/dev/null; }
t_has_row()    { t_cli "$1" GET e2e | grep -x "$2" >/dev/null; }
t_version()    { timeout 60 podman run --rm --network none "$T_MAIN" --version | grep 'Redis server' >/dev/null; }
