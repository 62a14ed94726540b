# shellcheck shell=bash
# Image builds of the end-to-end suite (sourced by test/e2e/run.sh).
# No registry is reachable: the base is a debootstrap'ed Debian bookworm
# (minbase), the full images are built on it with `buildah bud` from
# test/e2e/images/<template>/Containerfile, the runtime images with
# `buildah bud` from the Dockerfile `distroless-init image` prints.
# Every image carries the label e2e.inputs=<hash of what it was built from>;
# an image whose label matches is reused unless E2E_REBUILD=1.

BASE_IMAGE=localhost/distroless-e2e/base:bookworm
MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${E2E_SEC_MIRROR:-http://deb.debian.org/debian-security}

base_inputs() { { declare -f build_base; echo "$MIRROR $SEC_MIRROR"; } | sha256sum | cut -c1-16; }

build_base() {
    local ctr=${PFX}-build-base mnt
    buildah rm "$ctr" >/dev/null 2>&1 || true
    buildah from --name "$ctr" scratch >/dev/null || return 1
    mnt=$(buildah mount "$ctr") || return 1
    log "debootstrap --variant=minbase bookworm (about 2 minutes)"
    if ! debootstrap --variant=minbase bookworm "$mnt" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
        tail -20 "$WORK/debootstrap.log" >&2; buildah rm "$ctr" >/dev/null 2>&1; return 1
    fi
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
        "$MIRROR" "$MIRROR" "$SEC_MIRROR" >"$mnt/etc/apt/sources.list"
    # no service is ever started while packages are installed
    printf '#!/bin/sh\nexit 101\n' >"$mnt/usr/sbin/policy-rc.d"; chmod 0755 "$mnt/usr/sbin/policy-rc.d"
    rm -rf "$mnt/var/cache/apt/archives/"*.deb "$mnt/var/lib/apt/lists/"*
    buildah config --env DEBIAN_FRONTEND=noninteractive --cmd '["bash"]' \
        --label e2e.inputs="$(base_inputs)" --label "$LABEL" "$ctr" >/dev/null || return 1
    buildah commit --rm --quiet "$ctr" "$BASE_IMAGE" >/dev/null
}

ensure_base() {
    if [ "${E2E_REBUILD:-0}" != 1 ] && [ "$(image_label "$BASE_IMAGE" e2e.inputs)" = "$(base_inputs)" ]; then
        return 0
    fi
    local t; t=$(now)
    build_base || return 1
    timing "build $BASE_IMAGE (debootstrap)" "$(since "$t")"
}

# ensure_full TEMPLATE IMAGE : build test/e2e/images/TEMPLATE/ as IMAGE on the base
ensure_full() {
    local dir=$E2E_DIR/images/$1 img=$2 h t
    h=$(cd "$dir" && { cat ./*; image_label "$BASE_IMAGE" e2e.inputs; } | sha256sum | cut -c1-16)
    if [ "${E2E_REBUILD:-0}" != 1 ] && [ "$(image_label "$img" e2e.inputs)" = "$h" ]; then return 0; fi
    t=$(now)
    # --network host: apt reaches the Debian archive (the only non-loopback traffic of the suite)
    buildah bud --quiet --network host --layers=false --build-arg BASE="$BASE_IMAGE" \
        --label e2e.inputs="$h" --label "$LABEL" -t "$img" -f "$dir/Containerfile" "$dir" \
        >"$WORK/build-$1.log" 2>&1 || { tail -20 "$WORK/build-$1.log" >&2; return 1; }
    timing "build $img (full image, buildah bud)" "$(since "$t")"
}

# ensure_runtime TEMPLATE FULL RUNTIME : the generated Dockerfile, built with buildah bud
ensure_runtime() {
    local full=$2 img=$3 df=$WORK/$1.runtime.Dockerfile h t
    mkdir -p "$WORK/empty"   # the build context: the Dockerfile needs none
    "${CLI[@]}" image "$full" >"$df" 2>"$WORK/image-$1.err" || { cat "$WORK/image-$1.err" >&2; return 1; }
    h=$( { cat "$df"; image_label "$full" e2e.inputs; } | sha256sum | cut -c1-16)
    if [ "${E2E_REBUILD:-0}" != 1 ] && [ "$(image_label "$img" e2e.inputs)" = "$h" ]; then return 0; fi
    t=$(now)
    buildah bud --quiet --network none --layers=false --pull-never \
        --label e2e.inputs="$h" --label "$LABEL" -t "$img" -f "$df" "$WORK/empty" \
        >"$WORK/build-$1-runtime.log" 2>&1 || { tail -20 "$WORK/build-$1-runtime.log" >&2; return 1; }
    timing "build $img (runtime image, generated Dockerfile)" "$(since "$t")"
}
