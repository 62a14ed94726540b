/**
 * The init scripts embedded in the mysql, mariadb and mongo templates, run by
 * real bash against mocks: a stand-in for the image's docker-entrypoint.sh
 * (functions that log their calls), and `gosu`, `id`, `mongod`, `mongosh` on
 * PATH. This checks the control flow (root → gosu re-run, fresh vs existing
 * data, upgrade branch, argument filtering) without pulling images; the
 * podman e2e tests run the real images.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../src/catalogue/load.js';
import { ROOT, tmp } from '../helpers.js';

function initScript(template: string): { script: string; name: string } {
  const t = parseTemplate(readFileSync(join(ROOT, 'templates', `${template}.yaml`), 'utf8'), template).template!;
  const cmd = t.spec!.init!.command;
  expect(cmd.slice(0, 2)).toEqual(['bash', '-c']);
  return { script: cmd[2]!, name: cmd[3]! };
}

function exe(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A sandbox with mock binaries on PATH; `run` executes the script like the init container would. */
function sandbox(): { dir: string; log: string; bin: string; run(script: string, name: string, args: string[], env?: Record<string, string>): { code: number; log: string[]; stderr: string } } {
  const dir = tmp('di-init-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  // gosu USER CMD...: "drops" to uid 999 (the mock id reads MOCK_UID)
  exe(join(bin, 'gosu'), `#!/bin/sh\necho "gosu $1" >> "$LOG"\nshift\nMOCK_UID=999 exec "$@"\n`);
  exe(join(bin, 'id'), `#!/bin/sh\nif [ "$1" = -u ]; then echo "\${MOCK_UID:-0}"; else exec /usr/bin/id "$@"; fi\n`);
  return {
    dir,
    log,
    bin,
    run(script, name, args, env = {}) {
      const r = spawnSync('bash', ['-c', script, name, ...args], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, LOG: log, HOME: dir, TMPDIR: dir, ...env },
      });
      const calls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      return { code: r.status ?? -1, log: calls, stderr: r.stderr };
    },
  };
}

/** docker-entrypoint.sh stand-in: every function the wrappers call logs "name args"; `_is_sourced` is honoured. */
function mockEntrypoint(dir: string, functions: string[]): string {
  const path = join(dir, 'docker-entrypoint.sh');
  const defs = functions.map((f) => `${f}() { echo "${f}\${*:+ $*}" >> "$LOG"; }`).join('\n');
  exe(
    path,
    `#!/usr/bin/env bash
${defs}
mysql_note() { :; }
_mysql_want_help() { local a; for a; do case "$a" in --help|--version|-V) return 0 ;; esac; done; return 1; }
docker_setup_env() { echo "docker_setup_env\${*:+ $*}" >> "$LOG"; declare -g DATABASE_ALREADY_EXISTS; DATABASE_ALREADY_EXISTS="\${MOCK_EXISTS:-}"; }
_check_if_upgrade_is_needed() { echo "_check_if_upgrade_is_needed" >> "$LOG"; [ -n "\${MOCK_UPGRADE:-}" ]; }
_is_sourced() { [ "\${#FUNCNAME[@]}" -ge 2 ] && [ "\${FUNCNAME[0]}" = _is_sourced ] && [ "\${FUNCNAME[1]}" = source ]; }
if ! _is_sourced; then echo "MAIN RAN" >> "$LOG"; fi
`,
  );
  return path;
}

describe('mysql init wrapper', () => {
  const { script, name } = initScript('mysql');
  const fns = ['mysql_check_config', 'docker_create_db_directories', 'docker_verify_minimum_env', 'docker_init_database_dir', 'docker_temp_server_start', 'mysql_socket_fix', 'docker_setup_db', 'docker_process_init_files', 'mysql_expire_root_user', 'docker_temp_server_stop', 'docker_process_start_files'];

  it('fresh data: prepares as root, re-runs itself as mysql, initialises with mysqld + the server args, never runs _main', () => {
    const sb = sandbox();
    const ep = mockEntrypoint(sb.dir, fns);
    mkdirSync(join(sb.dir, 'initdb.d'));
    const text = script.replaceAll('/usr/local/bin/docker-entrypoint.sh', ep).replaceAll('/docker-entrypoint-initdb.d', join(sb.dir, 'initdb.d'));
    const r = sb.run(text, name, ['--character-set-server=utf8mb4']);
    expect(r.code, r.stderr).toBe(0);
    const a = 'mysqld --character-set-server=utf8mb4';
    expect(r.log).toEqual([
      `mysql_check_config ${a}`, `docker_setup_env ${a}`, `docker_create_db_directories ${a}`,
      'gosu mysql',
      `mysql_check_config ${a}`, `docker_setup_env ${a}`, `docker_create_db_directories ${a}`,
      'docker_verify_minimum_env', `docker_init_database_dir ${a}`, `docker_temp_server_start ${a}`, 'mysql_socket_fix',
      'docker_setup_db', `docker_process_init_files ${sb.dir}/initdb.d/*`, 'mysql_expire_root_user', 'docker_temp_server_stop',
    ]);
  });

  it('existing data: no initialisation, exit 0', () => {
    const sb = sandbox();
    const ep = mockEntrypoint(sb.dir, fns);
    const r = sb.run(script.replaceAll('/usr/local/bin/docker-entrypoint.sh', ep), name, [], { MOCK_EXISTS: 'true', MOCK_UID: '999' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.log).toEqual(['mysql_check_config mysqld', 'docker_setup_env mysqld', 'docker_create_db_directories mysqld']);
  });

  it('--help in the server args: nothing at all', () => {
    const sb = sandbox();
    const ep = mockEntrypoint(sb.dir, fns);
    const r = sb.run(script.replaceAll('/usr/local/bin/docker-entrypoint.sh', ep), name, ['--help']);
    expect(r.code).toBe(0);
    expect(r.log).toEqual([]);
  });
});

describe('mariadb init wrapper', () => {
  const { script, name } = initScript('mariadb');
  const fns = ['mysql_check_config', 'docker_create_db_directories', 'docker_verify_minimum_env', 'docker_mariadb_init', 'docker_mariadb_upgrade'];
  const run = (env: Record<string, string>): string[] => {
    const sb = sandbox();
    const ep = mockEntrypoint(sb.dir, fns);
    const r = sb.run(script.replaceAll('/usr/local/bin/docker-entrypoint.sh', ep), name, ['--max-connections=500'], { MOCK_UID: '999', ...env });
    expect(r.code, r.stderr).toBe(0);
    return r.log;
  };

  it('fresh data: docker_mariadb_init with mariadbd + args', () => {
    expect(run({})).toEqual([
      'mysql_check_config mariadbd --max-connections=500', 'docker_setup_env mariadbd --max-connections=500', 'docker_create_db_directories',
      'docker_verify_minimum_env', 'docker_mariadb_init mariadbd --max-connections=500',
    ]);
  });

  it('existing data that needs an upgrade: the auto-upgrade branch', () => {
    expect(run({ MOCK_EXISTS: 'true', MOCK_UPGRADE: '1' }).slice(3)).toEqual(['_check_if_upgrade_is_needed', 'docker_mariadb_upgrade mariadbd --max-connections=500']);
  });

  it('existing, current data: nothing', () => {
    expect(run({ MOCK_EXISTS: 'true' }).slice(3)).toEqual(['_check_if_upgrade_is_needed']);
  });
});

describe('mongo init script', () => {
  const { script, name } = initScript('mongo');

  function mongoSandbox(): { sb: ReturnType<typeof sandbox>; data: string; initdb: string; text: string } {
    const sb = sandbox();
    const data = join(sb.dir, 'data');
    mkdirSync(join(data, 'db'), { recursive: true });
    mkdirSync(join(data, 'configdb'));
    const initdb = join(sb.dir, 'initdb.d');
    mkdirSync(initdb);
    exe(join(sb.bin, 'mongod'), `#!/bin/sh\necho "mongod $*" >> "$LOG"\n`);
    exe(join(sb.bin, 'mongosh'), `#!/bin/sh\necho "mongosh $*" >> "$LOG"\n`);
    exe(join(sb.bin, 'chown'), '#!/bin/sh\n');
    exe(join(sb.bin, 'sleep'), '#!/bin/sh\n');
    const text = script.replaceAll('/data/', `${data}/`).replaceAll('/docker-entrypoint-initdb.d', initdb).replace('find ', 'true ');
    return { sb, data, initdb, text };
  }

  it('credentials: temp mongod without auth/replSet/bind settings on 127.0.0.1, root user created, initdb .js run, shutdown', () => {
    const { sb, data, initdb, text } = mongoSandbox();
    writeFileSync(join(initdb, '01-app.js'), 'db.x.insert({})');
    writeFileSync(join(sb.dir, 'pw'), 's3cret');
    const r = sb.run(text, name, ['--replSet', 'rs0', '--auth', '--keyFile=/k', '--bind_ip_all', '--wiredTigerCacheSizeGB', '1'], {
      MONGO_INITDB_ROOT_USERNAME: 'root',
      MONGO_INITDB_ROOT_PASSWORD_FILE: join(sb.dir, 'pw'),
    });
    expect(r.code, r.stderr).toBe(0);
    const db = join(data, 'db');
    expect(r.log[0]).toBe('gosu mongodb');
    expect(r.log[1]).toBe(
      `mongod --wiredTigerCacheSizeGB 1 --dbpath ${db} --bind_ip 127.0.0.1 --port 27017 --tlsMode disabled --logpath ${sb.dir}/mongod-init.log --pidfilepath ${sb.dir}/mongod-init.pid --fork`,
    );
    expect(r.log[2]).toBe("mongosh --host 127.0.0.1 --port 27017 --quiet admin --eval quit(0)");
    expect(r.log[3]).toMatch(/^mongosh --host 127\.0\.0\.1 --port 27017 --quiet admin --eval db\.createUser\(\{ user: process\.env\.MONGO_INITDB_ROOT_USERNAME/);
    expect(r.log[4]).toBe(`mongosh --host 127.0.0.1 --port 27017 --quiet test ${initdb}/01-app.js`);
    expect(r.log[5]).toBe(`mongod --dbpath ${db} --shutdown`);
  });

  it('does nothing without credentials or initdb scripts, or when the data exists', () => {
    const a = mongoSandbox();
    expect(a.sb.run(a.text, name, [], { MOCK_UID: '999' }).log).toEqual([]);
    const b = mongoSandbox();
    writeFileSync(join(b.data, 'db', 'WiredTiger'), '');
    const r = b.sb.run(b.text, name, [], { MOCK_UID: '999', MONGO_INITDB_ROOT_USERNAME: 'u', MONGO_INITDB_ROOT_PASSWORD: 'p' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.log).toEqual([]);
  });

  it('one credential without the other is an error', () => {
    const { sb, text } = mongoSandbox();
    const r = sb.run(text, name, [], { MOCK_UID: '999', MONGO_INITDB_ROOT_USERNAME: 'u' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must be set together');
  });

  it('--configsvr initialises /data/configdb', () => {
    const { sb, data, initdb, text } = mongoSandbox();
    writeFileSync(join(initdb, 'a.sh'), 'echo "sourced a.sh" >> "$LOG"');
    const r = sb.run(text, name, ['--configsvr'], { MOCK_UID: '999' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.log[0]).toContain(`--configsvr --dbpath ${data}/configdb`);
    expect(r.log).toContain('sourced a.sh');
  });
});
