#!/bin/sh
# 20-envsubst-on-templates.sh, written for the distroless-init end-to-end suite
# after the official nginx image's contract: every file under
# $NGINX_ENVSUBST_TEMPLATE_DIR (/etc/nginx/templates) named *$NGINX_ENVSUBST_TEMPLATE_SUFFIX
# (.template) is rendered with envsubst into $NGINX_ENVSUBST_OUTPUT_DIR
# (/etc/nginx/conf.d), keeping its relative path and losing the suffix. Only the
# variables defined in the environment (and matching the regular expression
# $NGINX_ENVSUBST_FILTER when it is set) are substituted: nginx's own $variables
# stay as they are. A missing template directory or an output directory that
# cannot be written is not an error.
set -e

me=$(basename "$0")
say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || printf '%s: %s\n' "$me" "$*"; }

src=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
dst=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

[ -d "$src" ] || exit 0
if [ ! -w "$dst" ]; then
    say "cannot write to $dst: templates not rendered"
    exit 0
fi

# "${A} ${B} ...": the names of the variables defined now (the SHELL-FORMAT argument of envsubst)
vars=$(awk -v re="$filter" 'BEGIN { for (v in ENVIRON) if (v ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && (re == "" || v ~ re)) printf "${%s} ", v }')

find "$src" -follow -type f -name "*$suffix" -print | sort | while read -r t; do
    rel=${t#"$src"/}
    out=$dst/${rel%"$suffix"}
    mkdir -p "$(dirname "$out")"
    envsubst "$vars" <"$t" >"$out"
    say "rendered $t into $out"
done
