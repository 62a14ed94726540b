# shellcheck shell=bash
# httpd: what the generic checks of test/e2e/run.sh need to know. The template
# has no init step (httpd-foreground only removes a stale pid file; main runs
# httpd -DFOREGROUND itself) and keeps no data (persistent: false: logs/ holds
# the pid file only), so the init, password, secret and "data survives a
# restart" checks do not apply. The page the client reads is
# htdocs/index.html of the image (test/e2e/images/httpd/index.html), which the
# runtime recipe copies into the runtime image.
T_NAME=httpd
T_FULL=httpd:2.4
T_MAIN=httpd:2.4-distroless
T_UIDGID="33 33"
T_HAS_INIT=0
T_PERSISTENT=0
T_PASSWORD=
T_INIT_ONLY=
T_KUBE="pod deployment"
T_PORT=8080                 # the test image's httpd.conf: uid 33 cannot bind 80
T_MARKER='die2e-httpd: served by the shell-free httpd'
T_READY='AH00489: .* configured -- resuming normal operations'
T_LOG_READY=1     # httpd logs AH00489 once per start, after its listener is bound

t_ready()   { podman logs "$1" 2>&1 | grep -E "$T_READY" >/dev/null; }
t_readies() { podman logs "$1" 2>&1 | grep -cE "$T_READY"; }
# an HTTP/1.0 client in bash (/dev/tcp) from the full image, in the server's network namespace
t_get() { # NET PATH : prints the whole response (status line, headers, body)
    local net=$1
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 20 podman run --rm --image-volume ignore --entrypoint bash $net "$T_FULL" -c \
        'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3; timeout 5 cat <&3' _ "$T_PORT" "$2"
}
# "a real client ... reads": GET / answers 200 with the index page of htdocs, and a
# missing page 404 (httpd itself answers, through mod_dir and the document root)
t_write_read() {
    local out
    out=$(t_get "$1" /) || return 1
    echo "$out"
    head -n1 <<<"$out" | tr -d '\r' | grep -x 'HTTP/1.1 200 OK' >/dev/null || return 1
    grep -F "$T_MARKER" <<<"$out" >/dev/null || return 1
    out=$(t_get "$1" /die2e-missing.html) || return 1
    echo "$out"
    head -n1 <<<"$out" | tr -d '\r' | grep -x 'HTTP/1.1 404 Not Found' >/dev/null
}
t_has_row() { t_write_read "$@"; }
# the binary runs in the runtime image (-v needs no config), the image's config parses with
# every module it loads (-t), and every module the recipe copied has its libraries there
# (the runtime image's own loader lists them, chrooted: no shell, no ldd needed)
t_version() {
    timeout 60 podman run --rm --network none "$T_MAIN" -v | grep '^Server version: Apache/2\.4' || return 1
    timeout 60 podman run --rm --network none "$T_MAIN" -t -f /usr/local/apache2/conf/httpd.conf 2>&1 | grep -x 'Syntax OK' || return 1
    local m mod bad=0
    m=$(podman image mount "$T_MAIN") || return 1
    for mod in "$m"/usr/local/apache2/modules/*.so; do
        if ! chroot "$m" /lib64/ld-linux-x86-64.so.2 --list "${mod#"$m"}" >"$WORK/httpd-ldlist.out" 2>&1 \
            || grep -q 'not found' "$WORK/httpd-ldlist.out"; then
            echo "module ${mod#"$m"}: $(tr '\n' ' ' <"$WORK/httpd-ldlist.out")"; bad=1
        fi
    done
    podman image unmount "$T_MAIN" >/dev/null 2>&1
    [ "$bad" = 0 ]
}

# ---- parity (test/e2e/parity.sh): the Pod fixture as it is (httpd-foreground with -f)
P_FIXTURE=pod.yaml
P_CHECKS="page_and_headers not_found mime_type access_log_and_time_zone"
p_http() { t_get "$1" "$2" | tr -d '\r' | grep -av '^Date: '; }   # ETag and Last-Modified stay: same file, same mtime
p_ready() { p_http "$1" / | head -n1 | grep -q ' 200 '; }
p_page_and_headers() { p_http "$1" /; }
p_not_found() { p_http "$1" /die2e-missing.html; }
p_mime_type() { p_http "$1" /index.html | grep -E '^(HTTP|Content-Type)'; }
# CustomLog /proc/self/fd/1 (the server's stdout): the request, with the local time's offset
p_access_log_and_time_zone() {
    p_http "$1" /die2e-log-probe >/dev/null
    sleep 0.5
    podman logs "$P_MAIN" 2>/dev/null | grep -F '"GET /die2e-log-probe HTTP/1.0" 404' | grep -oE ' [+-][0-9]{4}\] "GET [^"]*" [0-9]+' | head -n1
}
