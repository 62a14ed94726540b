# shellcheck shell=bash
# The parity suite (sourced by test/e2e/run.sh): the same checks against the
# FULL image started the way its author intended (the fixture as the user wrote
# it: the image's own entrypoint) and against the SPLIT (the same fixture
# rewritten by the real CLI: init container + shell-free main). Every check must
# give the same result on both sides.
#
# A template takes part with a Pod fixture (with its Secret or ConfigMaps if it
# has any) and, in test/e2e/templates/<template>.sh:
#   P_FIXTURE      the fixture in test/e2e/fixtures/<template>/ (default parity.yaml)
#   P_CHECKS       the check names, in order
#   p_ready NET    ready to answer (bounded by the caller); NET: podman run options
#   p_<check> NET  prints the check's result on stdout (what is compared) and
#                  exits 0; a non-zero exit is a failure on that side. P_MAIN is
#                  the server's container (for its log)
#   p_rewrite      (optional) rewrite-time checks on the CLI's output: prints
#                  lines "PASS|FAIL|SKIP text"
# Output: one PASS/FAIL line per check (`<template> parity: <check>`), and a
# line per template in the summary: `parity <template>: N checks, N same, N differ`.

declare -a PARITY_SUMMARY=()

# parity_side TEMPLATE SIDE FILE : play FILE (full: the fixture as written; split: the
# CLI's output), wait until ready, run every check; results in $WORK/parity/<tpl>.<side>.<check>
parity_side() {
    local tpl=$1 side=$2 src=$3 base=$WORK/$1-parity-$2 kf pod main init c rc
    kf=$base.podman.yaml
    node "$E2E_DIR/podmanize.mjs" "$src" "$kf" "$base.secrets" || { echo "podmanize failed"; return 1; }
    read -r pod main init <"$kf.pods"
    kube_down "$kf"
    if ! play "$kf" >"$base.play.log" 2>&1; then
        echo "kube play: $(tail -n2 "$base.play.log" | tr '\n' ' ')"; kube_down "$kf"; return 1
    fi
    if ! wait_for 90 in_ns p_ready "@ns:$main"; then
        echo "not ready after 90 s: $(podman logs "$main" 2>&1 | tail -n3 | tr '\n' ' ')"; kube_down "$kf"; return 1
    fi
    P_MAIN=$main
    for c in $P_CHECKS; do
        in_ns "p_$c" "@ns:$main" >"$WORK/parity/$tpl.$side.$c" 2>&1; rc=$?
        echo "$rc" >"$WORK/parity/$tpl.$side.$c.rc"
    done
    podman logs "$main" >"$base.server.log" 2>&1
    kube_down "$kf"
}

parity_case() { # TEMPLATE
    local tpl=$1 fixture=$E2E_DIR/fixtures/$1/${P_FIXTURE:-parity.yaml} split=$WORK/$1-parity.split.yaml side c n=0 same=0 differ=0 why t line
    if [ ! -e "$fixture" ] || [ -z "${P_CHECKS:-}" ]; then skip "$tpl parity: no parity checks (P_CHECKS and a fixture in test/e2e/templates/$tpl.sh)"; return; fi
    mkdir -p "$WORK/parity"
    t=$(now)
    if ! "${CLI[@]}" "$fixture" >"$split" 2>"$WORK/$tpl-parity.cli.err"; then
        fail "$tpl parity: distroless-init rewrote parity.yaml: $(tail -n1 "$WORK/$tpl-parity.cli.err")"; return
    fi
    if declare -F p_rewrite >/dev/null; then
        while read -r line; do
            case $line in
                PASS*) pass "$tpl parity: ${line#PASS }" ;;
                FAIL*) fail "$tpl parity: ${line#FAIL }" ;;
                SKIP*) skip "$tpl parity: ${line#SKIP }" ;;
            esac
        done < <(p_rewrite "$fixture" "$split")
    fi
    for side in full split; do
        if [ $side = full ]; then why=$(parity_side "$tpl" full "$fixture"); else why=$(parity_side "$tpl" split "$split"); fi
        [ $? -eq 0 ] || { fail "$tpl parity: the $side side did not start: $why"; PARITY_SUMMARY+=("parity $tpl: not run ($side side did not start)"); return; }
    done
    for c in $P_CHECKS; do
        n=$((n+1))
        local fr sr fo so
        fr=$(cat "$WORK/parity/$tpl.full.$c.rc") sr=$(cat "$WORK/parity/$tpl.split.$c.rc")
        fo=$(cat "$WORK/parity/$tpl.full.$c") so=$(cat "$WORK/parity/$tpl.split.$c")
        if [ "$fr" != 0 ]; then
            differ=$((differ+1)); fail "$tpl parity: $c: fails on the full image itself (exit $fr: $(tail -n1 <<<"$fo"))"
        elif [ "$sr" = 0 ] && [ "$fo" = "$so" ]; then
            same=$((same+1)); pass "$tpl parity: $c: same result on the full image and the split ($(head -c 70 <<<"$fo" | tr '\n' ' ')$([ ${#fo} -gt 70 ] && echo ...))"
        else
            differ=$((differ+1))
            fail "$tpl parity: $c: full image: $(tr '\n' ' ' <<<"$fo" | head -c 100); split (exit $sr): $(tr '\n' ' ' <<<"$so" | head -c 160)"
        fi
    done
    PARITY_SUMMARY+=("parity $tpl: $n checks, $same same, $differ differ")
    timing "$tpl parity: both sides" "$(since "$t")"
}

# parity_image_checks TEMPLATE : the runtime image next to the full image: every directory
# they both have has the same mode, and no symlink dangles in the runtime image whose
# target the full image has (links into /dev, /proc and /sys are left out)
parity_image_checks() {
    local tpl=$1 fm rm out
    fm=$(podman image mount "$T_FULL") && rm=$(podman image mount "$T_MAIN") || { fail "$tpl parity: podman image mount"; return; }
    out=$(cd "$rm" && find . -mindepth 1 -type d -printf '%p %m\n' | while read -r p m; do
        [ -d "$fm/$p" ] && [ ! -L "$fm/$p" ] || continue
        fmode=$(stat -c %a "$fm/$p"); [ "$fmode" = "$m" ] || echo "${p#.} $m (full image: $fmode)"
    done)
    if [ -z "$out" ]; then pass "$tpl parity: every directory of the runtime image has the full image's mode"
    else fail "$tpl parity: directory modes differ from the full image: $(head -n5 <<<"$out" | tr '\n' ';')"; fi
    out=$(cd "$rm" && find . -xtype l -printf '%p -> %l\n' | while read -r p _ l; do
        case $l in /*) tgt=$l ;; *) tgt=$(dirname "${p#.}")/$l ;; esac
        # links into the container's own /dev, /proc, /sys (nginx' access.log -> /dev/stdout)
        # resolve when it runs
        case /$tgt/ in */dev/*|*/proc/*|*/sys/*) continue ;; esac
        [ -e "$fm$tgt" ] && echo "${p#.} -> $l"
    done)
    if [ -z "$out" ]; then pass "$tpl parity: no symlink of the runtime image dangles where the full image's resolves"
    else fail "$tpl parity: dangling symlinks in the runtime image: $(head -n5 <<<"$out" | tr '\n' ';')"; fi
    podman image unmount "$T_MAIN" >/dev/null 2>&1; podman image unmount "$T_FULL" >/dev/null 2>&1
}
