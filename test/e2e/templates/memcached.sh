# shellcheck shell=bash
# memcached: what the generic checks of test/e2e/run.sh need to know. No init
# step and no persistent data (the template says persistent: false), so the
# init, password, secret and "data survives a restart" checks do not apply.
T_NAME=memcached
T_FULL=memcached:1
T_MAIN=memcached:1-distroless
T_UIDGID="11211 11211"
T_HAS_INIT=0
T_PERSISTENT=0
T_KUBE="pod"

# a client in bash (/dev/tcp) from the full image, in the server's network namespace
t_send() { # NET PROTOCOL-TEXT : prints the server's answer
    local net=$1
    # shellcheck disable=SC2086  # $net is a list of options
    timeout 10 podman run --rm --image-volume ignore --entrypoint bash $net "$T_FULL" -c \
        'exec 3<>/dev/tcp/127.0.0.1/11211; printf "%b" "$1" >&3; timeout 2 cat <&3; true' _ "$2"
}
T_LOG_READY=0     # memcached logs nothing when ready: the harness asks it

t_ready() { # CONTAINER NET
    shift; t_send "$1" 'version\r\nquit\r\n' | grep '^VERSION ' >/dev/null; }
t_write_read() { t_send "$1" "set e2e 0 0 ${#2}\r\n$2\r\nget e2e\r\nquit\r\n" | tr -d '\r' | grep -x "$2" >/dev/null; }
t_has_row() { t_send "$1" 'get e2e\r\nquit\r\n' | tr -d '\r' | grep -x "$2" >/dev/null; }
t_version() { timeout 60 podman run --rm --network none "$T_MAIN" --version | grep '^memcached ' >/dev/null; }
T_BUILD_ALL=1     # also builds the runtime image with podman build and docker build

# ---- parity (test/e2e/parity.sh): the Pod fixture as it is (args -m 64)
P_FIXTURE=pod.yaml
P_CHECKS="settings version_and_libevent set_get_incr"
p_ready() { t_send "$1" 'version\r\nquit\r\n' | grep -q '^VERSION '; }
p_settings() { t_send "$1" 'stats settings\r\nquit\r\n' | tr -d '\r' | grep -E '^STAT (maxbytes|maxconns|tcpport|udpport|evictions|growth_factor|item_size_max|binding_protocol|hashpower_init|slab_reassign|lru_crawler|ext_item_size) '; }
p_version_and_libevent() { t_send "$1" 'stats\r\nquit\r\n' | tr -d '\r' | grep -E '^STAT (version|libevent|pointer_size|max_connections) '; }
p_set_get_incr() { t_send "$1" 'set die2e 0 0 1\r\n7\r\nincr die2e 35\r\nget die2e\r\nquit\r\n' | tr -d '\r'; }
