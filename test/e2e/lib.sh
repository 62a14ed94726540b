# shellcheck shell=bash
# Helpers of the end-to-end suite (sourced by test/e2e/run.sh).

now()   { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log()   { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
pass()  { NPASS=$((NPASS+1)); printf 'PASS  %s\n' "$*"; }
fail()  { NFAIL=$((NFAIL+1)); printf 'FAIL  %s\n' "$*"; }
skip()  { printf 'SKIP  %s\n' "$*"; }
info()  { printf 'INFO  %s\n' "$*"; }
timing() { TIMINGS+=("$(printf '%-60s %7ss' "$1" "$2")"); }
# check "description" command... : PASS when the command succeeds (its output goes to the log)
check() {
    local d=$1; shift
    if "$@" >>"$WORK/checks.log" 2>&1; then pass "$d"; else fail "$d"; return 1; fi
}

# wait_for SECONDS command... : poll every 0.25 s, bounded
wait_for() {
    local t=$1 end; shift
    end=$(awk -v n="$(now)" -v t="$t" 'BEGIN{printf "%.3f", n+t}')
    while :; do
        "$@" >"$WORK/wait.last" 2>&1 && return 0
        awk -v n="$(now)" -v e="$end" 'BEGIN{exit !(n>e)}' && { echo "wait_for $t s gave up: $*"; cat "$WORK/wait.last"; } >>"$WORK/checks.log" && return 1
        sleep 0.25
    done
}

ctr_exit()   { podman inspect --format '{{.State.ExitCode}}' "$1" 2>/dev/null; }
ctr_status() { podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
ctr_pid()    { podman inspect --format '{{.State.Pid}}' "$1" 2>/dev/null; }
ctr_ids() { # "uid gid" of a container's main process, read on the host from /proc
    local pid; pid=$(ctr_pid "$1") || return 1
    [ -n "$pid" ] && [ "$pid" != 0 ] || return 1
    awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u, g}' "/proc/$pid/status"
}
ctr_environ() { # the main process's environment, one VAR=value a line
    local pid; pid=$(ctr_pid "$1") || return 1
    tr '\0' '\n' <"/proc/$pid/environ"
}
mount_src() { # host directory behind a container's mount point
    podman inspect --format "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{.Source}}{{end}}{{end}}" "$1"
}

# image_hash FILE... : hash of the recipe inputs of an image
inputs_hash() { cat "$@" | sha256sum | cut -c1-16; }
image_label() { podman image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null; }
