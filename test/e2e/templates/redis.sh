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

# ---- parity (test/e2e/parity.sh): fixtures/redis/parity.yaml, port 6380, appendonly
P_CHECKS="config server_info lua set_get bgsave modules"
p_cli() { local net=$1; shift; t_cli "$net" -p 6380 "$@"; }
p_ready() { p_cli "$1" PING | grep -qx PONG; }
p_config() { p_cli "$1" CONFIG GET port && p_cli "$1" CONFIG GET appendonly && p_cli "$1" CONFIG GET dir && p_cli "$1" CONFIG GET protected-mode; }
# not `executable`: redis derives it from argv[0] and the working directory, and the
# official entrypoint execs a bare `redis-server` (found on PATH) from /data, so the full
# image reports /data/redis-server, a file that does not exist; the split runs the
# absolute path. Nothing reads it but `INFO`
p_server_info() { p_cli "$1" INFO server | tr -d '\r' | grep -E '^(redis_version|redis_mode|arch_bits|multiplexing_api|config_file|tcp_port|gcc_version):'; }
p_lua() { p_cli "$1" EVAL "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('STRLEN', KEYS[1])" 1 die2e-lua hello-lua; }
p_set_get() { p_cli "$1" SET die2e parity >/dev/null && p_cli "$1" INCRBY die2e-n 42 && p_cli "$1" GET die2e; }
p_bgsave() { # a fork of the server writes the RDB file into /data
    p_cli "$1" BGSAVE >/dev/null || return 1
    local i; for i in $(seq 40); do p_cli "$1" INFO persistence | tr -d '\r' | grep -qx 'rdb_bgsave_in_progress:0' && break; sleep 0.25; done
    p_cli "$1" INFO persistence | tr -d '\r' | grep -E '^(rdb_last_bgsave_status|aof_enabled|aof_last_write_status):'
}
p_modules() { p_cli "$1" MODULE LIST | wc -l; }
