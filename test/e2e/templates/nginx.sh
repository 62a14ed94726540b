# shellcheck shell=bash
# nginx: what the generic checks of test/e2e/run.sh need to know. The init step
# (/docker-entrypoint.sh nginx -v, as root) renders the fixture's
# /etc/nginx/templates/default.conf.template into the shared /etc/nginx/generated;
# the distroless main (uid 101) serves it on 8080, and the fixture's own conf.d
# (static.conf, the image's html on 8081). Nothing persists (the template says
# persistent: false) and there is no password: no "data survives" check, and no
# "missing password" case (T_NEGATIVE=0).
T_NAME=nginx
T_FULL=nginx:1.29
T_MAIN=nginx:1.29-distroless
T_UIDGID="101 101"
T_HAS_INIT=1
T_PERSISTENT=0
T_NEGATIVE=0
T_PASSWORD=
T_INIT_ONLY="NGINX_ENVSUBST_OUTPUT_DIR"   # the split gives it to the init step only
T_KUBE="pod deployment"
T_LOG_READY=0     # nginx logs nothing when ready: the harness asks it over HTTP
T_GREETING=hello-from-die2e-nginx          # GREETING of the fixtures
T_RENDERED=/etc/nginx/generated/default.conf
# the Compose fixture binds ./templates and ./conf.d; docker-compose resolves a relative
# path against the rewritten file's directory (the suite's work directory), so the
# fixture takes the absolute paths from these variables
export E2E_NGINX_TEMPLATES=$E2E_DIR/fixtures/nginx/templates E2E_NGINX_CONFD=$E2E_DIR/fixtures/nginx/conf.d

# a client in bash (/dev/tcp) from the full image, in the server's network namespace:
# HTTP/1.0 GET / with the header X-E2E: TAG; prints the whole answer
t_get() { # NET PORT TAG
    local net=$1
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 15 podman run --rm --image-volume ignore --entrypoint bash $net "$T_FULL" -c \
        'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
         printf "GET / HTTP/1.0\r\nHost: localhost\r\nX-E2E: %s\r\n\r\n" "$2" >&3
         timeout 5 cat <&3' _ "$2" "$3" | tr -d '\r'
}
# 8080, the server of the rendered template: the greeting comes from the environment
# (substituted by the init's envsubst), the tag from the request header through nginx's
# own $http_x_e2e (which envsubst must leave alone)
t_answers() { # NET TAG
    local out; out=$(t_get "$1" 8080 "$2") || return 1
    echo "$out"
    head -n1 <<<"$out" | grep -q '^HTTP/1\.[01] 200 ' && grep -qxF "$T_GREETING $2" <<<"$out"
}
t_ready() { t_answers "$2" ready; }
# then 8081, the fixture's conf.d/static.conf: the image's /usr/share/nginx/html, which
# the runtime recipe copied
t_write_read() {
    t_answers "$1" "$2" || return 1
    local out; out=$(t_get "$1" 8081 "$2") || return 1
    echo "$out"
    head -n1 <<<"$out" | grep -q '^HTTP/1\.[01] 200 ' && grep -q 'stock page of the e2e full image' <<<"$out"
}

# the file the init rendered into the shared volume: GREETING substituted, nginx's variable kept
t_rendered_ok() { # INIT
    local dir; dir=$(mount_src "$1" /etc/nginx/generated)
    [ -n "$dir" ] && ls -l "$dir" && cat "$dir/default.conf" || return 1
    grep -qF "return 200 \"$T_GREETING \$http_x_e2e\\n\";" "$dir/default.conf" && ! grep -qF '$GREETING' "$dir/default.conf"
}
t_render_line() { grep -q "rendered /etc/nginx/templates/default.conf.template into $T_RENDERED\$"; }
# first run: the entrypoint ran 20-envsubst-on-templates.sh, which rendered the
# template into the shared directory, then exec'd `nginx -v`
t_init_fresh() {
    local logs; logs=$(podman logs "$1" 2>&1); echo "$logs"
    t_render_line <<<"$logs" && grep -q '^nginx version: nginx/' <<<"$logs" && t_rendered_ok "$1"
}
# a second run (pod restart: the same init container again, so its log holds both runs;
# Compose: a new container) renders the same file again and exits 0 (the harness checks
# the exit code): the last lines of its log are the render and `nginx -v`, and the shared
# file is the same rendering. (run.sh calls this outside `check`: output to the checks log)
t_init_noop() {
    {
        local logs tail; logs=$(podman logs "$1" 2>&1); tail=$(tail -n 4 <<<"$logs"); echo "$tail"
        if [[ $TAG == *kubernetes* ]]; then
            [ "$(grep -c '^nginx version: nginx/' <<<"$logs")" -ge 2 ] || { echo "the init ran only once"; return 1; }
        fi
        t_render_line <<<"$tail" && grep -q '^nginx version: nginx/' <<<"$tail" && t_rendered_ok "$1"
    } >>"$WORK/checks.log" 2>&1
}
t_version() { timeout 60 podman run --rm --network none "$T_MAIN" -V 2>&1 | grep '^nginx version: nginx/' >/dev/null; }

# ---- parity (test/e2e/parity.sh): fixtures/nginx/parity.yaml, a server on 8080
P_CHECKS="static_page mime_and_headers not_found gzip time_zone access_log"
p_http() { # NET PATH [HEADER] : status line, headers without Date, and the body (CRs removed)
    local net=$1
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 15 podman run --rm --image-volume ignore --entrypoint bash $net "$T_FULL" -c \
        'exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1
         { printf "GET %s HTTP/1.0\r\nHost: localhost\r\n" "$1"; [ -z "$2" ] || printf "%s\r\n" "$2"; printf "\r\n"; } >&3
         timeout 5 cat <&3' _ "$2" "${3:-}" | tr -d '\r' | grep -av '^Date: '
}
p_ready() { p_http "$1" /tz | head -n1 | grep -q ' 200 '; }
p_static_page() { p_http "$1" / | sed -n '/^$/,$p'; }
p_mime_and_headers() { p_http "$1" /index.html | sed '/^$/q'; }
p_not_found() { p_http "$1" /die2e-missing; }
p_gzip() { local out; out=$(p_http "$1" /index.html 'Accept-Encoding: gzip' | sed '/^$/q'); grep -E '^(HTTP|Content-Encoding|Content-Type)' <<<"$out"; }
p_time_zone() { p_http "$1" /tz | tail -n1; }
p_access_log() { # the request is in the server's log (access.log -> /dev/stdout)
    p_http "$1" /die2e-log-probe >/dev/null
    sleep 0.5
    podman logs "$P_MAIN" 2>/dev/null | grep -o '"GET /die2e-log-probe HTTP/1.0" 404' | head -n1
}
