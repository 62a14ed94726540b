#!/usr/bin/env bash
# The end-to-end suite: runs the tool's output under a real container engine.
#
#   npm run test:e2e            (builds the CLI, then runs this script as root)
#   bash test/e2e/run.sh [TEMPLATE...]     default: every template below
#
# For each template it
#   1. builds the FULL image locally (no registry is reachable: a debootstrap'ed
#      Debian base + Debian's packages + this project's entrypoint scripts,
#      test/e2e/images/<template>/) and the RUNTIME image with `buildah bud`
#      from the Dockerfile `distroless-init image` prints, and proves the
#      runtime image has no shell;
#   2. rewrites the Kubernetes fixtures (Pod, Deployment, StatefulSet) with the
#      real CLI, adapts them for podman 4.3's known gaps IN THE HARNESS ONLY
#      (test/e2e/podmanize.mjs says which and why), plays them with
#      `podman kube play --network none` and checks the split for real;
#   3. rewrites the Compose fixture with `distroless-init compose` and runs it
#      with docker-compose against `podman system service` (started here,
#      stopped by its PID);
#   4. parity (test/e2e/parity.sh): the same checks against the full image's own
#      start and against the split must give the same results.
# E2E_PARITY=0 skips step 4.
# Output: one line per check, `PASS|FAIL  <template> <format>: <check>`, a
# timing table, and last the line `N passed, N failed`. Exit 0 only if nothing failed.
#
# Environment: E2E_REBUILD=1 rebuilds every image; E2E_KEEP=1 keeps the work
# directory; E2E_CLEAN_IMAGES=1 also removes the images at the end (they are
# cached by a label of their inputs otherwise). E2E_PREFIX=die2e-nginx names
# and cleans only resources under that prefix (two runs at once, each on
# templates whose fixtures use it).
# Everything the suite creates is named die2e-* (images: localhost/distroless-e2e/*
# and the template's own names, labelled distroless-init.e2e=1); cleanup only
# touches those. All test traffic stays on loopback (--network none, pod
# network namespaces); only the image builds reach the Debian archive.

set -uo pipefail
umask 022
export LC_ALL=C.UTF-8

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
PFX=${E2E_PREFIX:-die2e}   # E2E_PREFIX: run two suites at once (each cleans only its own prefix)
LABEL=distroless-init.e2e=1
SOCK=/run/$PFX/podman.sock
CLI=(node "$ROOT/bin/distroless-init.js")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$PFX.XXXXXX")
NPASS=0 NFAIL=0
SERVICE_PID=
declare -a TIMINGS=()
# templates run end to end (test/e2e/templates/<name>.sh); every other template
# of the catalogue is listed as SKIP with the reason below
E2E_TEMPLATES=(postgres redis memcached nginx httpd)
skip_reason() {
    case $1 in
        elasticsearch|opensearch|rabbitmq) echo "the template declines the image (its server launcher is a shell script): there is no split to run" ;;
        mongo) echo "MongoDB is not packaged by Debian, and no registry is reachable for the official image" ;;
        mysql) echo "MySQL server is not packaged by Debian (bookworm ships MariaDB), and no registry is reachable" ;;
        bitnami-postgresql) echo "the full image is Bitnami's own build under /opt/bitnami with its scripts; it cannot be rebuilt from Debian packages" ;;
        mariadb) echo "not covered yet: the template's init wrapper sources the official docker-entrypoint.sh, which the suite does not rewrite (Debian has mariadb-server 10.11)" ;;
        wordpress) echo "not covered yet: needs php-fpm in /usr/local/sbin and the official docker-ensure-installed.sh" ;;
        *) echo "no end-to-end definition (test/e2e/templates/$1.sh)" ;;
    esac
}

# shellcheck source=test/e2e/lib.sh
. "$E2E_DIR/lib.sh"
# shellcheck source=test/e2e/images.sh
. "$E2E_DIR/images.sh"
# shellcheck source=test/e2e/parity.sh
. "$E2E_DIR/parity.sh"

# ------------------------------------------------------------------ setup --
preflight() {
    local missing=() t
    [ "$(id -u)" = 0 ] || { echo "FAIL  setup: the suite needs root (rootful podman)"; return 1; }
    for t in podman buildah runc conmon catatonit debootstrap docker-compose node; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "FAIL  setup: missing tools: ${missing[*]} (Debian packages: see .ci/apt-packages.txt)"
        return 1
    fi
    [ -f "$ROOT/bin/distroless-init.js" ] && [ -f "$ROOT/dist/cli.cjs" ] || { echo "FAIL  setup: run npm run build first"; return 1; }
    bash "$ROOT/.ci/e2e-setup.sh" || { echo "FAIL  setup: podman is not configured (runc + cgroupfs)"; return 1; }
}

start_api_service() { # podman's Docker-compatible API, for docker-compose; ours alone
    install -d -m 0700 "$(dirname "$SOCK")"; rm -f "$SOCK"
    podman system service --time=0 "unix://$SOCK" >"$WORK/podman-service.log" 2>&1 &
    SERVICE_PID=$!
    wait_for 20 curl -fsS --max-time 2 --unix-socket "$SOCK" http://d/_ping
}

stop_api_service() {
    if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
        kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null
    fi
    SERVICE_PID=; rm -f "$SOCK"; rmdir "$(dirname "$SOCK")" 2>/dev/null || true
}

# --------------------------------------------------------------- cleanup --
cleanup_ours() { # everything named die2e* (pods, containers, volumes, secrets, networks, build containers)
    local x
    for x in $(podman pod ps -q --filter "name=^$PFX" 2>/dev/null); do podman pod rm -f -t 5 "$x" >/dev/null 2>&1; done
    for x in $(podman ps -aq --filter "name=^$PFX" 2>/dev/null); do podman rm -f -v -t 5 "$x" >/dev/null 2>&1; done
    for x in $(podman ps -aq --filter "label=com.docker.compose.project" --format '{{.ID}} {{index .Labels "com.docker.compose.project"}}' 2>/dev/null | awk -v p="^$PFX" '$2 ~ p {print $1}'); do
        podman rm -f -v -t 5 "$x" >/dev/null 2>&1
    done
    for x in $(podman volume ls -q 2>/dev/null | grep -E "^$PFX"); do podman volume rm -f "$x" >/dev/null 2>&1; done
    for x in $(podman secret ls --format '{{.Name}}' 2>/dev/null | grep -E "^$PFX"); do podman secret rm "$x" >/dev/null 2>&1; done
    for x in $(podman network ls -q 2>/dev/null | grep -E "^$PFX"); do podman network rm -f "$x" >/dev/null 2>&1; done
    for x in $(buildah containers --format '{{.ContainerName}}' 2>/dev/null | grep -E "^$PFX"); do buildah rm "$x" >/dev/null 2>&1; done
    true
}

leftovers() {
    {
        podman pod ps -q --filter "name=^$PFX"
        podman ps -aq --filter "name=^$PFX"
        podman volume ls -q | grep -E "^$PFX"
        podman secret ls --format '{{.Name}}' | grep -E "^$PFX"
        podman network ls -q | grep -E "^$PFX"
        buildah containers --format '{{.ContainerName}}' | grep -E "^$PFX"
    } 2>/dev/null | grep .
}

on_exit() {
    stop_api_service
    cleanup_ours
    if [ "${E2E_CLEAN_IMAGES:-0}" = 1 ]; then
        podman images -q --filter "label=$LABEL" | sort -u | xargs -r podman rmi -f >/dev/null 2>&1
    fi
    if [ "${E2E_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

# ----------------------------------------------------------------- images --
# images TEMPLATE : full + runtime image, and the runtime image's own checks
do_images() {
    local tpl=$1 m shells execs out
    if ensure_full "$tpl" "$T_FULL"; then pass "$tpl image: full image $T_FULL built locally (debootstrap base + Debian packages + project entrypoint)"
    else fail "$tpl image: cannot build the full image $T_FULL"; return 1; fi
    if ensure_runtime "$tpl" "$T_FULL" "$T_MAIN"; then
        pass "$tpl image: runtime image $T_MAIN built with buildah bud from \`distroless-init image $T_FULL\`"
    else fail "$tpl image: buildah bud of the generated Dockerfile failed"; return 1; fi
    check "$tpl image: the generated Dockerfile documents the main image name the split derives ($T_MAIN)" \
        grep -q -- "-t $T_MAIN " "$WORK/$tpl.runtime.Dockerfile"
    m=$(podman image mount "$T_MAIN") || { fail "$tpl image: podman image mount $T_MAIN"; return 1; }
    shells=$(find "$m" \( -name sh -o -name bash -o -name dash -o -name ash -o -name busybox -o -name zsh \
        -o -name ksh -o -name mksh -o -name csh -o -name tcsh -o -name fish -o -name toybox \) -print | sed "s#^$m##")
    if [ -z "$shells" ]; then pass "$tpl image: no shell in the runtime image (sh, bash, dash, ash, busybox, ...)"
    else fail "$tpl image: shell found in the runtime image: $shells"; fi
    execs=$(cd "$m" && find . -type f -perm /111 ! -name '*.so' ! -name '*.so.*' | sed 's#^\.##' | sort | tr '\n' ' ')
    info "$tpl image: executables in $T_MAIN: $execs($(podman image inspect --format '{{.Size}}' "$T_MAIN" | awk '{printf "%.0f MB", $1/1e6}'))"
    check "$tpl image: /etc/passwd and /etc/group of the runtime image have uid/gid $T_UIDGID" \
        bash -c "awk -F: '\$3 == ${T_UIDGID% *}' '$m/etc/passwd' | grep -q . && awk -F: '\$3 == ${T_UIDGID#* }' '$m/etc/group' | grep -q ."
    podman image unmount "$T_MAIN" >/dev/null 2>&1
    if out=$(timeout 60 podman run --rm --network none --entrypoint /bin/sh "$T_MAIN" -c true 2>&1); then
        fail "$tpl image: podman run --entrypoint /bin/sh worked"
    elif grep -q 'no such file or directory' <<<"$out"; then
        pass "$tpl image: podman run --entrypoint /bin/sh fails (no such file or directory)"
    else fail "$tpl image: /bin/sh failed for another reason: $(tail -n1 <<<"$out")"; fi
    check "$tpl image: the server binary runs in the runtime image (every library resolved)" t_version
    if [ "${T_BUILD_ALL:-0}" = 1 ]; then other_builders "$tpl"; fi
    return 0
}

image_listing() { # IMAGE : every path with owner, group, mode and type
    local m; m=$(podman image mount "$1") || return 1
    (cd "$m" && find . -printf '%p %U %G %m %y\n' | sort)
    podman image unmount "$1" >/dev/null 2>&1
}

# other_builders TEMPLATE : the same generated Dockerfile through `podman build` and
# `docker build` (the docker CLI's legacy builder against podman's Docker API):
# same files, owners and modes as the buildah image
other_builders() {
    local tpl=$1 df=$WORK/$1.runtime.Dockerfile img
    image_listing "$T_MAIN" >"$WORK/$tpl.listing.buildah" || return
    img=localhost/distroless-e2e/check-$tpl:podman
    if timeout 300 podman build -q --network none --pull=never -t "$img" -f "$df" "$WORK/empty" >"$WORK/podman-build.log" 2>&1 \
        && image_listing "$img" >"$WORK/$tpl.listing.podman" && cmp -s "$WORK/$tpl.listing.buildah" "$WORK/$tpl.listing.podman"; then
        pass "$tpl image: podman build of the same Dockerfile gives the same files, owners and modes"
    else fail "$tpl image: podman build: $(tail -n1 "$WORK/podman-build.log") $(diff "$WORK/$tpl.listing.buildah" "$WORK/$tpl.listing.podman" 2>&1 | head -n3 | tr '\n' ' ')"; fi
    podman rmi -f "$img" >/dev/null 2>&1
    if ! command -v docker >/dev/null 2>&1; then
        skip "$tpl image: docker build not tried: no docker CLI on this machine (it is not in Debian's podman packages)"; return
    fi
    img=localhost/distroless-e2e/check-$tpl:docker
    if DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=0 timeout 300 docker build -q -t "$img" - <"$df" >"$WORK/docker-build.log" 2>&1 \
        && image_listing "$img" >"$WORK/$tpl.listing.docker" && cmp -s "$WORK/$tpl.listing.buildah" "$WORK/$tpl.listing.docker"; then
        pass "$tpl image: docker build - (Dockerfile on stdin, no context; legacy builder via podman's API) gives the same files"
    else fail "$tpl image: docker build: $(tail -n1 "$WORK/docker-build.log") $(diff "$WORK/$tpl.listing.buildah" "$WORK/$tpl.listing.docker" 2>&1 | head -n3 | tr '\n' ' ')"; fi
    podman rmi -f "$img" >/dev/null 2>&1
}

# ------------------------------------------------------------- kubernetes --
# kube_files FIXTURE TAG : rewrite with the real CLI, then podmanize; sets KF (the podmanized file)
kube_files() {
    local fixture=$1 tag=$2 raw=$WORK/$2.split.yaml
    KF=$WORK/$tag.podman.yaml
    if ! "${CLI[@]}" "$fixture" >"$raw" 2>"$WORK/$tag.cli.err"; then
        fail "$TAG: distroless-init rewrote $(basename "$fixture"): exit $? $(tail -n1 "$WORK/$tag.cli.err")"; return 1
    fi
    node "$E2E_DIR/podmanize.mjs" "$raw" "$KF" "$WORK/$tag.secrets" || { fail "$TAG: podmanize"; return 1; }
}

kube_down() { # FILE : tear down what a podmanized manifest created (pods, volumes, secrets)
    local f=$1 v
    timeout 60 podman kube down "$f" >>"$WORK/teardown.log" 2>&1 || true
    while read -r v; do [ -n "$v" ] && podman volume rm -f "$v" >>"$WORK/teardown.log" 2>&1; done <"$f.volumes"
    for v in "${f%.podman.yaml}".secrets/*.json; do
        [ -e "$v" ] && podman secret rm "$(basename "$v" .json)" >>"$WORK/teardown.log" 2>&1
    done
    true
}

play() { # FILE : create its secrets, drop PVCs that exist, kube play --network none (bounded)
    local f=$1 s
    for s in "${f%.podman.yaml}".secrets/*.json; do
        [ -e "$s" ] || continue
        podman secret rm "$(basename "$s" .json)" >/dev/null 2>&1
        podman secret create "$(basename "$s" .json)" "$s" >/dev/null || return 1
    done
    node "$E2E_DIR/podmanize.mjs" drop-bound "$f" "$f.play.yaml" || return 1
    timeout 180 podman kube play --network none "$f.play.yaml"
}

# in_ns FN ARGS... : FN with every argument "@ns:CONTAINER" replaced by the podman run options
# that join that container's network namespace now (--network ns:/proc/PID/ns/net; fails
# while it is not running). Clients never join the pod itself (--pod): a `podman run --rm
# --pod` client becomes a member of the pod, and `podman pod stop/start` then races with its
# removal (a CI run failed "pod restart" on memcached, whose readiness check is such a
# client); podman refuses --network container: for a container in a pod.
in_ns() {
    local a pid out=()
    for a in "$@"; do
        if [[ $a == @ns:* ]]; then
            pid=$(ctr_pid "${a#@ns:}"); [ -n "$pid" ] && [ "$pid" != 0 ] || return 1
            a="--network ns:/proc/$pid/ns/net"
        fi
        out+=("$a")
    done
    "${out[@]}"
}

# pod_settled POD : no process (conmon, `podman container cleanup`) still names one of the
# pod's containers. `podman pod stop` returns before the exit commands have run; a pod started
# again before they finish was seen stopped again seconds later (CI: "pod restart" and "data
# written before the restart is still there" failed that way, on memcached and on redis).
pod_settled() {
    local id
    for id in $(podman ps -a -q --no-trunc --filter "pod=$1"); do
        pgrep -f -- "$id" >/dev/null && return 1
    done
    return 0
}

pod_state() { # POD : " [name=status ...]" of the pod's containers, for a failure message
    printf ' [%s]' "$(podman ps -a --pod --filter "pod=$1" --format '{{.Names}}={{.Status}}' 2>/dev/null | tr '\n' ' ')"
}

# env_checks MAIN WHO : no init-only variable, nor the password's value, in main's environment
env_checks() {
    local main=$1 who=$2 env insp v leaked=()
    env=$(ctr_environ "$main"); insp=$(podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$main")
    for v in $T_INIT_ONLY; do grep -q "^$v=" <<<"$env$insp" && leaked+=("$v"); done
    [ -n "$T_PASSWORD" ] && grep -qF "$T_PASSWORD" <<<"$env$insp" && leaked+=("the password's value")
    if [ ${#leaked[@]} -eq 0 ]; then pass "$TAG: no init-only secret in $who's environment (podman inspect, /proc/<pid>/environ)"
    else fail "$TAG: $who's environment has ${leaked[*]}"; fi
}

# kube_checks POD MAIN INIT : the checks on a running split pod
kube_checks() {
    local pod=$1 main=$2 init=$3 ids
    if [ "$T_HAS_INIT" = 0 ]; then :
    elif [ "$(ctr_exit "$init")" = 0 ]; then pass "$TAG: init container exited 0"
    else fail "$TAG: init container exit code '$(ctr_exit "$init")'"; fi
    if wait_for 60 in_ns t_ready "$main" "@ns:$main"; then pass "$TAG: distroless main container is serving"
    else fail "$TAG: main container not ready after 60 s: $(podman logs "$main" 2>&1 | tail -n2 | tr '\n' ' ')"; return 1; fi
    check "$TAG: a real client connects${T_PASSWORD:+ with the password}, writes and reads" in_ns t_write_read "@ns:$main" "$TAG-1"
    [ -n "$T_PASSWORD" ] && check "$TAG: a wrong password is rejected" in_ns t_wrong_password_rejected "@ns:$main"
    ids=$(ctr_ids "$main")
    if [ "$ids" = "$T_UIDGID" ]; then pass "$TAG: main runs as uid/gid $ids (/proc/<pid>/status)"
    else fail "$TAG: main runs as uid/gid '$ids', planned $T_UIDGID"; fi
    [ -z "$T_INIT_ONLY" ] || env_checks "$main" main
    if timeout 30 podman exec "$main" /bin/sh -c true >/dev/null 2>&1; then fail "$TAG: podman exec /bin/sh worked in main"
    else pass "$TAG: podman exec /bin/sh fails in main (no shell)"; fi
}

# ready_again MAIN NET BEFORE : ready after a restart (a log line counted past BEFORE, or the
# template's own probe when the server logs nothing)
ready_again() { if [ "$T_LOG_READY" = 1 ]; then [ "$(t_readies "$1")" -gt "$3" ]; else t_ready "$1" "$2"; fi; }

kube_restart_checks() { # POD MAIN INIT : restart the pod; the init is a no-op, the data is still there
    local pod=$1 main=$2 init=$3 before
    before=0; [ "$T_LOG_READY" = 1 ] && before=$(t_readies "$main")
    # let a one-second durability window pass (redis appendfsync everysec): a CI run once lost
    # the key written just before the stop; the check is about the volume, not fsync timing
    sleep 1.5
    if ! timeout 60 podman pod stop -t 10 "$pod" >"$WORK/restart.log" 2>&1; then
        fail "$TAG: pod restart: podman pod stop failed: $(tail -n2 "$WORK/restart.log" | tr '\n' ' ')$(pod_state "$pod")"; return 1
    elif ! wait_for 30 pod_settled "$pod"; then
        fail "$TAG: pod restart: 30 s after podman pod stop, a conmon or cleanup process of the pod is still running$(pod_state "$pod")"; return 1
    elif ! timeout 120 podman pod start "$pod" >"$WORK/restart.log" 2>&1; then
        fail "$TAG: pod restart: podman pod start failed: $(tail -n2 "$WORK/restart.log" | tr '\n' ' ')$(pod_state "$pod")"; return 1
    elif wait_for 60 in_ns ready_again "$main" "@ns:$main" "$before"; then
        pass "$TAG: pod restarted (podman pod stop + start), main serving again"
    else fail "$TAG: pod restart: main not serving 60 s after podman pod start: $(tail -n2 "$WORK/wait.last" | tr '\n' ' ')$(pod_state "$pod")"; return 1; fi
    if [ "$T_HAS_INIT" = 0 ]; then :
    elif [ "$(ctr_exit "$init")" = 0 ] && t_init_noop "$init"; then pass "$TAG: after the restart the init container ran again and was a no-op"
    else fail "$TAG: init after restart: exit '$(ctr_exit "$init")', log: $(podman logs "$init" 2>&1 | tail -n1)"; fi
    [ "$T_PERSISTENT" = 0 ] || check "$TAG: data written before the restart is still there" wait_for 30 in_ns t_has_row "@ns:$main" "$TAG-1" \
        || echo "      main after the restart:$(pod_state "$pod") $(podman logs "$main" 2>&1 | tail -n3 | tr '\n' ' ')"
}

kube_case() { # TEMPLATE KIND
    local tpl=$1 kind=$2 fixture=$E2E_DIR/fixtures/$1/$2.yaml pod main init t
    TAG="$tpl kubernetes $kind"
    kube_files "$fixture" "$tpl-$kind" || return
    read -r pod main init <"$KF.pods"
    if [ "$T_HAS_INIT" = 0 ]; then
        check "$TAG: the split names $T_MAIN as main image and adds no init container (the template has no init step)" \
            bash -c "grep -q 'image: $T_MAIN\$' '$KF' && ! grep -q 'initContainers:' '$KF'"
    else
        check "$TAG: the split names $T_MAIN as main image and $T_FULL as init image" \
            bash -c "grep -q 'image: $T_MAIN\$' '$KF' && grep -q 'image: $T_FULL\$' '$KF'"
    fi
    kube_down "$KF"
    t=$(now)
    if play "$KF" >"$WORK/play.log" 2>&1; then pass "$TAG: podman kube play --network none (pod $pod)"
    else fail "$TAG: kube play: $(tail -n2 "$WORK/play.log" | tr '\n' ' ')"; kube_down "$KF"; return; fi
    if kube_checks "$pod" "$main" "$init"; then
        timing "$TAG: play -> serving" "$(since "$t")"
        [ "$T_HAS_INIT" = 0 ] || check "$TAG: first run of the init container initialised the data" t_init_fresh "$init"
        if [ "$kind" = statefulset ]; then
            # a PVC outlives its pod: down + play again, the claim's volume is reused
            timeout 60 podman kube down "$KF" >/dev/null 2>&1
            if play "$KF" >"$WORK/play.log" 2>&1 && wait_for 60 in_ns t_ready "$main" "@ns:$main"; then
                pass "$TAG: played again on the same PersistentVolumeClaim, main serving"
                if [ "$T_HAS_INIT" = 0 ]; then :
                elif [ "$(ctr_exit "$init")" = 0 ] && t_init_noop "$init"; then pass "$TAG: the second init was a no-op"
                else fail "$TAG: second init: exit '$(ctr_exit "$init")': $(podman logs "$init" 2>&1 | tail -n1)"; fi
                check "$TAG: data written before is still there" wait_for 30 in_ns t_has_row "@ns:$main" "$TAG-1"
            else fail "$TAG: second play: $(tail -n2 "$WORK/play.log" | tr '\n' ' ')"; fi
        else
            kube_restart_checks "$pod" "$main" "$init"
        fi
    fi
    t=$(now); kube_down "$KF"; timing "$TAG: teardown" "$(since "$t")"
    check "$TAG: teardown left no pod, container or volume" \
        bash -c "! podman pod exists '$pod' && [ -z \"\$(podman ps -aq --filter name='^$pod')\" ] && ! grep -qxFf '$KF.volumes' <(podman volume ls -q)"
}

kube_negative_case() { # TEMPLATE : a missing password makes the init fail and main never start
    local tpl=$1 fixture=$WORK/$1-nopw.yaml pod main init rc
    TAG="$tpl kubernetes pod, no password"
    sed "s|^  password: .*|  password: \"\"|" "$E2E_DIR/fixtures/$tpl/pod.yaml" >"$fixture"
    kube_files "$fixture" "$tpl-nopw" || return
    read -r pod main init <"$KF.pods"
    kube_down "$KF"
    play "$KF" >"$WORK/play-neg.log" 2>&1; rc=$?
    if [ $rc -ne 0 ]; then pass "$TAG: kube play fails (exit $rc: $(grep -o 'init container .* exited with code [0-9]*' "$WORK/play-neg.log" | sed 's/[0-9a-f]\{64\}/<id>/' | head -n1))"
    else fail "$TAG: kube play succeeded"; fi
    local ie; ie=$(ctr_exit "$init")
    if [ -n "$ie" ] && [ "$ie" != 0 ]; then pass "$TAG: init container exited $ie: $(podman logs "$init" 2>&1 | grep -m1 -i 'password' | cut -c1-100)"
    else fail "$TAG: init container exit code '$ie'"; fi
    local st; st=$(ctr_status "$main")
    if [ -z "$st" ] || [ "$st" = created ] || [ "$st" = configured ]; then pass "$TAG: main container never started (state: ${st:-absent})"
    else fail "$TAG: main container state '$st'"; fi
    kube_down "$KF"
}

# ---------------------------------------------------------------- compose --
dc() { DOCKER_HOST="unix://$SOCK" timeout 180 docker-compose --ansi never "$@"; }
compose_down() { # PROJECT FILE
    dc -p "$1" -f "$2" down -v -t 5 >>"$WORK/teardown.log" 2>&1 || true
    podman ps -aq --filter "label=com.docker.compose.project=$1" | xargs -r podman rm -f -v >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=com.docker.compose.project=$1" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
}

compose_case() { # TEMPLATE
    local tpl=$1 p=${PFX}${1} f=$WORK/$1.compose.yaml fixture=$E2E_DIR/fixtures/$1/compose.yaml svc main init t
    TAG="$tpl compose"
    [ -e "$fixture" ] || { skip "$TAG: no Compose fixture"; return; }
    if ! "${CLI[@]}" compose -f "$fixture" >"$f" 2>"$WORK/$tpl.compose.err"; then
        fail "$TAG: distroless-init compose -f $(basename "$fixture"): $(tail -n1 "$WORK/$tpl.compose.err")"; return
    fi
    svc=$(awk '/^services:/{p=1; next} p && /^  [A-Za-z0-9_.-]+:$/{sub(":", "", $1); print $1; exit}' "$fixture")
    main=${p}_${svc}_1 init=${p}_${svc}-init_1
    if [ "$T_HAS_INIT" = 0 ]; then
        check "$TAG: the rewrite runs $T_MAIN and adds no init service (the template has no init step)" \
            bash -c "! grep -q '^  $svc-init:' '$f' && grep -q 'image: $T_MAIN\$' '$f'"
    else
        check "$TAG: the rewrite adds $svc-init and makes $svc wait for service_completed_successfully" \
            bash -c "grep -q '^  $svc-init:' '$f' && grep -q 'condition: service_completed_successfully' '$f' && grep -q 'image: $T_MAIN\$' '$f'"
    fi
    check "$TAG: docker-compose $(docker-compose version --short 2>/dev/null) accepts the rewritten file" dc -p "$p" -f "$f" config -q
    # podman gaps (tmpfs owner/mode, tmpfs across a symlink), adapted in the harness only
    node "$E2E_DIR/podmanize.mjs" compose "$f" "$f.podman.yaml" || { fail "$TAG: podmanize compose"; return; }
    f=$f.podman.yaml
    compose_down "$p" "$f"
    t=$(now)
    if dc -p "$p" -f "$f" up -d "$svc" >"$WORK/dc-up.log" 2>&1; then pass "$TAG: docker-compose up -d $svc (against podman system service)"
    else fail "$TAG: up: $(tail -n2 "$WORK/dc-up.log" | tr '\n' ' ')"; compose_down "$p" "$f"; return; fi
    if [ "$T_HAS_INIT" = 0 ]; then :
    elif [ "$(ctr_exit "$init")" = 0 ] && [ "$(ctr_status "$main")" = running ]; then pass "$TAG: $svc-init exited 0 before $svc started"
    else fail "$TAG: $svc-init exit '$(ctr_exit "$init")', $svc '$(ctr_status "$main")'"; fi
    [ "$T_HAS_INIT" = 0 ] || check "$TAG: init order: $svc-init finished before $svc started" bash -c \
        "[ \"\$(date -d \"\$(podman inspect -f '{{.State.FinishedAt}}' $init | cut -d' ' -f1,2)\" +%s%N)\" -le \"\$(date -d \"\$(podman inspect -f '{{.State.StartedAt}}' $main | cut -d' ' -f1,2)\" +%s%N)\" ]"
    if wait_for 60 t_ready "$main" "--network container:$main"; then pass "$TAG: distroless $svc is serving"; timing "$TAG: up -> serving" "$(since "$t")"
    else fail "$TAG: $svc not ready after 60 s: $(podman logs "$main" 2>&1 | tail -n2 | tr '\n' ' ')"; compose_down "$p" "$f"; return; fi
    check "$TAG: a real client connects${T_PASSWORD:+ with the password}, writes and reads" t_write_read "--network container:$main" "$TAG-1"
    [ -n "$T_PASSWORD" ] && check "$TAG: a wrong password is rejected" t_wrong_password_rejected "--network container:$main"
    if [ "$(ctr_ids "$main")" = "$T_UIDGID" ]; then pass "$TAG: $svc runs as uid/gid $T_UIDGID (/proc/<pid>/status)"
    else fail "$TAG: $svc runs as '$(ctr_ids "$main")'"; fi
    [ -z "$T_INIT_ONLY" ] || env_checks "$main" "$svc"
    if timeout 30 podman exec "$main" /bin/sh -c true >/dev/null 2>&1; then fail "$TAG: exec /bin/sh worked in $svc"
    else pass "$TAG: exec /bin/sh fails in $svc (no shell)"; fi
    # restart: down (keeping the volume) + up: the init runs again as a no-op, the data is there
    dc -p "$p" -f "$f" down -t 10 >>"$WORK/teardown.log" 2>&1
    if dc -p "$p" -f "$f" up -d "$svc" >"$WORK/dc-up2.log" 2>&1 && wait_for 60 t_ready "$main" "--network container:$main"; then
        pass "$TAG: down + up again on the same named volume, $svc serving"
        if [ "$T_HAS_INIT" = 0 ]; then :
        elif [ "$(ctr_exit "$init")" = 0 ] && t_init_noop "$init"; then pass "$TAG: the second $svc-init was a no-op"
        else fail "$TAG: second init: exit '$(ctr_exit "$init")': $(podman logs "$init" 2>&1 | tail -n1)"; fi
        [ "$T_PERSISTENT" = 0 ] || check "$TAG: data written before is still there" wait_for 30 t_has_row "--network container:$main" "$TAG-1"
    else fail "$TAG: second up: $(tail -n2 "$WORK/dc-up2.log" | tr '\n' ' ')"; fi
    compose_down "$p" "$f"
    check "$TAG: down -v left no container or volume" \
        bash -c "[ -z \"\$(podman ps -aq --filter label=com.docker.compose.project=$p)\" ] && [ -z \"\$(podman volume ls -q --filter label=com.docker.compose.project=$p)\" ]"
    { [ "$T_HAS_INIT" = 0 ] || [ "$T_NEGATIVE" = 0 ]; } && return
    # negative: a missing password on a fresh volume
    TAG="$tpl compose, no password"
    if E2E_PASSWORD='' dc -p "$p" -f "$f" up -d "$svc" >"$WORK/dc-neg.log" 2>&1; then fail "$TAG: up succeeded"
    else pass "$TAG: up fails: $(grep -m1 -o 'exited with code [0-9]*' "$WORK/dc-neg.log")"; fi
    local st; st=$(ctr_status "$main")
    if [ -z "$st" ] || [ "$st" = created ] || [ "$st" = configured ]; then pass "$TAG: $svc never started (state: ${st:-absent})"
    else fail "$TAG: $svc state '$st'"; fi
    E2E_PASSWORD='' compose_down "$p" "$f"
}

# ------------------------------------------------------------------- main --
run_template() {
    local tpl=$1 kind t
    if [ ! -e "$E2E_DIR/templates/$tpl.sh" ]; then skip "$tpl: $(skip_reason "$tpl")"; return; fi
    T_HAS_INIT=1 T_NEGATIVE=1 T_PASSWORD= T_INIT_ONLY= T_PERSISTENT=1 T_LOG_READY=1 P_CHECKS= P_FIXTURE=
    unset -f p_rewrite
    # shellcheck source=/dev/null
    . "$E2E_DIR/templates/$tpl.sh"
    if ! "${CLI[@]}" templates list 2>/dev/null | cut -f1 | grep -qx "$tpl"; then
        skip "$tpl: the catalogue has no template \"$tpl\" (yet); nothing to run"; return
    fi
    t=$(now)
    if ! do_images "$tpl"; then fail "$tpl: Kubernetes and Compose checks not run (the image stage failed)"; return; fi
    timing "$tpl: images + image checks" "$(since "$t")"
    for kind in $T_KUBE; do kube_case "$tpl" "$kind"; done
    if [ "$T_HAS_INIT" = 1 ] && [ "$T_NEGATIVE" = 1 ]; then kube_negative_case "$tpl"; fi
    compose_case "$tpl"
    if [ "${E2E_PARITY:-1}" = 1 ]; then parity_image_checks "$tpl"; parity_case "$tpl"; fi
}

main() {
    local t0 tpl
    t0=$(now)
    trap on_exit EXIT
    trap 'exit 130' INT TERM
    preflight || { printf '%d passed, %d failed\n' 0 1; exit 1; }
    cleanup_ours
    local t; t=$(now)
    if ensure_base; then pass "setup: Debian bookworm base image ($BASE_IMAGE)"
    else fail "setup: cannot build the base image (debootstrap)"; printf '%d passed, %d failed\n' "$NPASS" "$NFAIL"; exit 1; fi
    timing "setup: base image" "$(since "$t")"
    if start_api_service; then pass "setup: podman system service on $SOCK (pid $SERVICE_PID)"
    else fail "setup: podman system service did not answer"; fi
    local catalogue; catalogue=$("${CLI[@]}" templates list 2>/dev/null | cut -f1)
    for tpl in "${@:-${E2E_TEMPLATES[@]}}"; do run_template "$tpl"; done
    if [ $# -eq 0 ]; then
        for tpl in $catalogue; do
            [[ " ${E2E_TEMPLATES[*]} " == *" $tpl "* ]] || skip "$tpl: $(skip_reason "$tpl")"
        done
    fi
    stop_api_service
    cleanup_ours
    if leftovers >"$WORK/leftovers.txt"; then fail "cleanup: left behind: $(tr '\n' ' ' <"$WORK/leftovers.txt")"
    else pass "cleanup: no pod, container, volume, secret, network or build container of the suite is left"; fi
    timing "whole run" "$(since "$t0")"
    printf '\n---- timings ----\n'; printf '%s\n' "${TIMINGS[@]}"; echo
    if [ ${#PARITY_SUMMARY[@]} -gt 0 ]; then printf -- '---- parity (full image vs split) ----\n'; printf '%s\n' "${PARITY_SUMMARY[@]}"; echo; fi
    printf '%d passed, %d failed\n' "$NPASS" "$NFAIL"
    [ "$NFAIL" -eq 0 ]
}

main "$@"
