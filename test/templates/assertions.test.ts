/**
 * What each template does, asserted on the parsed output of the real CLI (not
 * only by snapshot): uid/gid, env split, paths, args, probes, declined images.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'test', 'fixtures', 'templates');

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  securityContext?: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; emptyDir?: unknown }[];
  securityContext?: { fsGroup?: number };
}

async function split(fixture: string, extra: string[] = []): Promise<{ pod: PodSpec; codes: string[]; messages: string[]; stdout: string }> {
  const input = readFileSync(join(FIX, fixture, 'input.yaml'), 'utf8');
  const r = await cli([...extra, '--output-format', 'json'], input);
  expect(r.code, r.stderr).toBe(0);
  const diags = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics;
  const doc = parseAllDocuments(r.stdout)[0]!.toJS() as { kind: string; spec: { template?: { spec: PodSpec } } & PodSpec };
  const pod = doc.kind === 'Pod' ? doc.spec : doc.spec.template!.spec;
  return { pod, codes: diags.map((d) => d.code), messages: diags.map((d) => d.message), stdout: r.stdout };
}

const main = (pod: PodSpec, name?: string): Container => (name ? pod.containers.find((c) => c.name === name)! : pod.containers[0]!);
const init = (pod: PodSpec): Container | undefined => pod.initContainers?.[0];
const envNames = (c: Container | undefined): string[] => (c?.env ?? []).map((e) => e.name);
const mountPaths = (c: Container | undefined): string[] => (c?.volumeMounts ?? []).map((m) => m.mountPath);
const user = (c: Container | undefined): [number | undefined, number | undefined] => [c?.securityContext?.runAsUser, c?.securityContext?.runAsGroup];

describe('mysql', () => {
  it('8.4 pod: wrapper init as root with the server args, mysqld as 999:999, secrets only on init', async () => {
    const { pod } = await split('mysql/pod-8.4');
    const i = init(pod)!;
    expect(i.image).toBe('mysql:8.4.6');
    expect(i.command?.slice(0, 2)).toEqual(['bash', '-c']);
    expect(i.command?.[2]).toContain('source /usr/local/bin/docker-entrypoint.sh');
    expect(i.command?.[2]).toContain('docker_setup_db');
    expect(i.command?.[3]).toBe('mysql-init');
    expect(i.args).toEqual(['--character-set-server=utf8mb4']);
    expect(user(i)).toEqual([0, 0]);
    expect(envNames(i)).toEqual(['MYSQL_ROOT_PASSWORD', 'MYSQL_DATABASE', 'TZ']);
    const m = main(pod);
    expect(m.command).toEqual(['/usr/sbin/mysqld']);
    expect(m.args).toEqual(['--character-set-server=utf8mb4']);
    expect(envNames(m)).toEqual(['TZ']);
    expect(user(m)).toEqual([999, 999]);
    expect(mountPaths(m)).toEqual(expect.arrayContaining(['/var/lib/mysql', '/var/run/mysqld', '/tmp']));
    expect(m.readinessProbe).toMatchObject({ exec: { command: ['/usr/bin/mysqladmin', 'ping', '-h', '127.0.0.1'] } });
    expect(pod.securityContext?.fsGroup).toBe(999);
  });

  it('9.x statefulset: the PVC is shared, the _FILE secret mount leaves main, the shell probe is replaced', async () => {
    const { pod, codes } = await split('mysql/statefulset-9');
    const m = main(pod);
    expect(mountPaths(m)).toContain('/var/lib/mysql');
    expect(mountPaths(m)).not.toContain('/run/secrets/mysql');
    expect(mountPaths(init(pod))).toContain('/run/secrets/mysql');
    expect(envNames(m)).toEqual([]);
    expect(m.readinessProbe).toMatchObject({ exec: { command: ['/usr/bin/mysqladmin', 'ping', '-h', '127.0.0.1'] }, periodSeconds: 5 });
    expect(codes).toContain('DI4001');
    expect(codes).not.toContain('DI3005');
  });

  it('8.0 and 5.7 are outside the supported series (DI3004, unchanged)', async () => {
    for (const tag of ['8.0', '5.7']) {
      const input = `apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n  - name: m\n    image: mysql:${tag}\n`;
      const r = await cli(['--output-format', 'json'], input);
      expect(r.stdout).toBe(input);
      expect(JSON.parse(r.stderr).diagnostics.map((d: { code: string }) => d.code)).toEqual(['DI3004']);
    }
  });
});

describe('mariadb', () => {
  it('11.8: install/upgrade wrapper, mariadbd, MARIADB_* off main but MYSQL_TCP_PORT kept, TCP probe replaces healthcheck.sh', async () => {
    const { pod } = await split('mariadb/statefulset-11.8');
    const i = init(pod)!;
    expect(i.command?.[2]).toContain('docker_mariadb_init "$@"');
    expect(i.command?.[2]).toContain('_check_if_upgrade_is_needed');
    expect(i.command?.[2]).toContain('docker_mariadb_upgrade "$@"');
    expect(i.args).toEqual(['--max-connections=500']);
    expect(envNames(i)).toEqual(['MARIADB_ROOT_PASSWORD', 'MARIADB_AUTO_UPGRADE', 'MYSQL_TCP_PORT']);
    const m = main(pod);
    expect(m.command).toEqual(['/usr/sbin/mariadbd']);
    expect(m.args).toEqual(['--max-connections=500']);
    expect(envNames(m)).toEqual(['MYSQL_TCP_PORT']);
    expect(user(m)).toEqual([999, 999]);
    expect(mountPaths(m)).toEqual(expect.arrayContaining(['/var/lib/mysql', '/run/mysqld']));
    expect(m.livenessProbe).toMatchObject({ tcpSocket: { port: 3306 } });
    expect(m.readinessProbe).toMatchObject({ tcpSocket: { port: 3306 } });
  });

  it('UBI variant: socket dir /run/mariadb', async () => {
    const { pod, messages } = await split('mariadb/deployment-10.11-ubi');
    expect(mountPaths(main(pod))).toContain('/run/mariadb');
    expect(mountPaths(main(pod))).not.toContain('/run/mysqld');
    expect(messages[0]).toContain('(ubi)');
  });
});

describe('mongo', () => {
  it('credentials: --auth and --bind_ip_all added, MONGO_INITDB_* only on init, HOME and GLIBC_TUNABLES on both', async () => {
    const { pod } = await split('mongo/statefulset-8-auth');
    const i = init(pod)!;
    expect(i.command?.[2]).toContain('db.createUser');
    expect(i.args).toEqual(['--replSet', 'rs0']);
    expect(envNames(i)).toEqual(['MONGO_INITDB_ROOT_USERNAME', 'MONGO_INITDB_ROOT_PASSWORD', 'HOME', 'GLIBC_TUNABLES']);
    const m = main(pod);
    expect(m.command).toEqual(['/usr/bin/mongod']);
    expect(m.args).toEqual(['--replSet', 'rs0', '--auth', '--bind_ip_all']);
    expect(envNames(m)).toEqual(['HOME', 'GLIBC_TUNABLES']);
    expect(m.env?.find((e) => e.name === 'GLIBC_TUNABLES')?.value).toBe('glibc.pthread.rseq=0');
    expect(user(m)).toEqual([999, 999]);
    expect(mountPaths(m)).toEqual(expect.arrayContaining(['/data/db', '/tmp']));
    expect(m.readinessProbe).toMatchObject({ tcpSocket: { port: 27017 } });
  });

  it('no credentials and an explicit --bind_ip: neither --auth nor --bind_ip_all', async () => {
    const { pod } = await split('mongo/deployment-7-bind-ip');
    expect(main(pod).args).toEqual(['--bind_ip', '0.0.0.0', '--wiredTigerCacheSizeGB', '1']);
  });

  it('the windows images are declined and pass through byte-identical', async () => {
    await expectDeclined('mongo/pod-windows-declined');
  });
});

describe('redis', () => {
  it('8.x: no init, the four bundled modules loaded explicitly after the user args, redis-cli probe kept', async () => {
    const { pod, messages } = await split('redis/deployment-8');
    expect(init(pod)).toBeUndefined();
    const m = main(pod);
    expect(m.command).toEqual(['/usr/local/bin/redis-server']);
    const mods = ['redisbloom', 'redisearch', 'redistimeseries', 'rejson'].flatMap((n) => ['--loadmodule', `/usr/local/lib/redis/modules/${n}.so`]);
    expect(m.args).toEqual(['--appendonly', 'yes', ...mods]);
    expect(m.livenessProbe).toMatchObject({ exec: { command: ['redis-cli', 'ping'] } });
    expect(user(m)).toEqual([999, 999]);
    expect(messages.some((s) => s.includes('umask 0077'))).toBe(true);
  });

  it('7.x alpine: no modules, uid 999 gid 1000, the command override becomes args', async () => {
    const { pod } = await split('redis/pod-7-alpine');
    const m = main(pod);
    expect(m.args).toEqual(['--save', '', '--maxmemory', '100mb']);
    expect(user(m)).toEqual([999, 1000]);
    expect(pod.securityContext?.fsGroup).toBe(1000);
  });

  it('8.x alpine from docker.io/library: gid 1000, the sh -c probe replaced by TCP', async () => {
    const { pod } = await split('redis/statefulset-8-alpine');
    const m = main(pod);
    expect(user(m)).toEqual([999, 1000]);
    expect(m.readinessProbe).toMatchObject({ tcpSocket: { port: 6379 } });
    expect(m.args?.filter((a) => a === '--loadmodule')).toHaveLength(4);
  });

  it('--sentinel gets no modules; another registry\'s redis is not the official image', async () => {
    const sentinel = `apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n  containers:\n  - name: s\n    image: redis:8.2\n    args: [/etc/redis/sentinel.conf, --sentinel]\n`;
    const r = await cli(['--output-format', 'json'], sentinel);
    const c = (parseAllDocuments(r.stdout)[0]!.toJS() as { spec: PodSpec }).spec.containers[0]!;
    expect(c.args).toEqual(['/etc/redis/sentinel.conf', '--sentinel']);
    const k8s = `apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n  containers:\n  - name: r\n    image: registry.k8s.io/redis:e2e\n`;
    const r2 = await cli(['--output-format', 'json'], k8s);
    expect(r2.stdout).toBe(k8s);
    expect(JSON.parse(r2.stderr).diagnostics.map((d: { code: string }) => d.code)).toEqual(['DI3001']);
  });
});

describe('a template network probe follows the port the container declares', () => {
  const pod = (ports: number[], probe = ''): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  containers:\n  - name: web\n    image: nginx:1.29\n` +
    (ports.length ? `    ports:\n${ports.map((p) => `    - containerPort: ${p}\n`).join('')}` : '') +
    probe;
  const readiness = async (text: string): Promise<{ probe: unknown; messages: string[] }> => {
    const r = await cli(['--output-format', 'json'], text);
    const spec = (parseAllDocuments(r.stdout)[0]!.toJS() as { spec: PodSpec }).spec;
    return { probe: (main(spec) as { readinessProbe?: unknown }).readinessProbe, messages: (JSON.parse(r.stderr) as { diagnostics: { message: string }[] }).diagnostics.map((d) => d.message) };
  };
  it('no port declared, or the template\'s: the template probe as it is; one other port: moved there', async () => {
    expect((await readiness(pod([]))).probe).toMatchObject({ httpGet: { path: '/', port: 80 } });
    expect((await readiness(pod([80, 8443]))).probe).toMatchObject({ httpGet: { path: '/', port: 80 } });
    expect((await readiness(pod([8080]))).probe).toMatchObject({ httpGet: { path: '/', port: 8080 } });
  });
  it('several other ports: no probe is added, and a shell probe that must go is removed rather than aimed at port 80', async () => {
    expect((await readiness(pod([8080, 8443]))).probe).toBeUndefined();
    const shell = '    readinessProbe:\n      exec:\n        command: [sh, -c, "curl -f localhost:8080"]\n';
    const r = await readiness(pod([8080, 8443], shell));
    expect(r.probe).toBeUndefined();
    expect(r.messages.find((m) => m.startsWith('readiness check'))).toMatch(/httpGet :80\/ is not one of the ports the container declares \(8080, 8443\); removed$/);
    const one = await readiness(pod([8080], shell));
    expect(one.probe).toMatchObject({ httpGet: { path: '/', port: 8080 } });
  });
});

describe('--mirror: a registry prefix that serves Docker Hub images', () => {
  const pod = (image: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n  - name: db\n    image: ${image}\n`;
  it('PREFIX/postgres:16 and PREFIX/library/postgres:16 are split as postgres 16; the main image keeps the prefix; the DI3006 hint repeats --mirror', async () => {
    for (const image of ['harbor.example.com/dockerhub/postgres:16', 'harbor.example.com/dockerhub/library/postgres:16']) {
      const r = await cli(['--mirror', 'harbor.example.com/dockerhub/', '--output-format', 'json'], pod(image));
      expect(r.code, r.stderr).toBe(0);
      const spec = (parseAllDocuments(r.stdout)[0]!.toJS() as { spec: PodSpec }).spec;
      expect(init(spec)!.image).toBe(image);
      expect(main(spec).image).toBe(`${image}-distroless`);
      expect(main(spec).command).toEqual(['/usr/lib/postgresql/16/bin/postgres']);
      const hint = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics.find((d) => d.code === 'DI3006')!;
      expect(hint.message).toContain(`distroless-init image --mirror harbor.example.com/dockerhub ${image} |`);
    }
  });
  it('without --mirror, or under another prefix, the image is another registry\'s and is left alone', async () => {
    for (const args of [[], ['--mirror', 'harbor.example.com/other']]) {
      const r = await cli([...args, '--output-format', 'json'], pod('harbor.example.com/dockerhub/postgres:16'));
      expect(r.stdout).toBe(pod('harbor.example.com/dockerhub/postgres:16'));
      expect(JSON.parse(r.stderr).diagnostics.map((d: { code: string }) => d.code)).toEqual(['DI3001']);
    }
  });
  it('a value that is not a registry prefix is a usage error (exit 2)', async () => {
    for (const bad of ['https://harbor.example.com', 'postgres', 'harbor.example.com/x:16']) {
      const r = await cli(['--mirror', bad], pod('postgres:16'));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--mirror expects a registry host');
    }
  });
  it('compose, image and explain take it too', async () => {
    const compose = 'services:\n  db:\n    image: harbor.example.com/dockerhub/postgres:16\n';
    const c = await cli(['compose', '-f', '-', '--mirror', 'harbor.example.com/dockerhub'], compose);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('db-init:');
    const i = await cli(['image', '--mirror', 'harbor.example.com/dockerhub', 'harbor.example.com/dockerhub/postgres:16']);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toContain('distroless-init image --mirror harbor.example.com/dockerhub harbor.example.com/dockerhub/postgres:16 | docker build');
    const e = await cli(['explain', '--mirror', 'harbor.example.com/dockerhub', 'harbor.example.com/dockerhub/postgres:16']);
    expect(e.stdout).toContain('template "postgres"');
  });
});

describe('nginx', () => {
  it('init renders templates into the shared /etc/nginx/generated; main runs nginx -g "daemon off;" as 101', async () => {
    const { pod, codes } = await split('nginx/deployment-alpine-templates');
    const i = init(pod)!;
    expect(i.command).toEqual(['/docker-entrypoint.sh', 'nginx', '-v']);
    expect(i.args).toBeUndefined();
    expect(i.env?.find((e) => e.name === 'NGINX_ENVSUBST_OUTPUT_DIR')?.value).toBe('/etc/nginx/generated');
    expect(mountPaths(i)).toEqual(expect.arrayContaining(['/etc/nginx/templates', '/etc/nginx/generated']));
    const m = main(pod);
    expect(m.command).toEqual(['/usr/sbin/nginx']);
    expect(m.args).toEqual(['-g', 'daemon off;']);
    expect(envNames(m)).toEqual(['BACKEND']);
    expect(mountPaths(m)).toEqual(expect.arrayContaining(['/etc/nginx/generated', '/var/cache/nginx', '/var/run', '/etc/nginx/nginx.conf']));
    expect(mountPaths(m)).not.toContain('/etc/nginx/conf.d');
    expect(user(m)).toEqual([101, 101]);
    expect(codes).not.toContain('DI3005');
    expect(codes.filter((c) => c === 'DI3014')).toHaveLength(2);
  });

  it('explicit `nginx -g "daemon off;"` args are kept once', async () => {
    const { pod } = await split('nginx/pod-debian');
    expect(main(pod).args).toEqual(['-g', 'daemon off;']);
    expect(main(pod).readinessProbe).toMatchObject({ httpGet: { path: '/', port: 80 } });
  });
});

describe('httpd', () => {
  it('no init; httpd -DFOREGROUND as www-data 33 with a writable logs/', async () => {
    const { pod, codes } = await split('httpd/deployment-2.4');
    expect(init(pod)).toBeUndefined();
    const m = main(pod);
    expect([...(m.command ?? []), ...(m.args ?? [])]).toEqual(['/usr/local/apache2/bin/httpd', '-DFOREGROUND']);
    expect(user(m)).toEqual([33, 33]);
    expect(mountPaths(m)).toContain('/usr/local/apache2/logs');
    expect(codes).not.toContain('DI3005');
  });

  it('alpine: uid 82, httpd-foreground replaced', async () => {
    const { pod } = await split('httpd/pod-alpine');
    expect(user(main(pod))).toEqual([82, 82]);
    expect([...(main(pod).command ?? []), ...(main(pod).args ?? [])]).toEqual(['/usr/local/apache2/bin/httpd', '-DFOREGROUND']);
  });
});

describe('memcached', () => {
  it('no init; memcached with the user args as 11211', async () => {
    const { pod, codes } = await split('memcached/deployment');
    expect(init(pod)).toBeUndefined();
    expect(main(pod).command).toEqual(['/usr/local/bin/memcached']);
    expect(main(pod).args).toEqual(['-m', '64', '-c', '1024']);
    expect(user(main(pod))).toEqual([11211, 11211]);
    expect(main(pod).readinessProbe).toMatchObject({ tcpSocket: { port: 11211 } });
    expect(codes).not.toContain('DI3005');
  });

  it('alpine, command [memcached, -vv]', async () => {
    const { pod } = await split('memcached/pod-alpine');
    expect(main(pod).args).toEqual(['-vv']);
    expect(user(main(pod))).toEqual([11211, 11211]);
  });
});

describe('wordpress', () => {
  it('fpm: docker-ensure-installed.sh in init, php-fpm in main, WORDPRESS_* kept on main', async () => {
    const { pod } = await split('wordpress/deployment-fpm');
    const i = init(pod)!;
    expect(i.command).toEqual(['docker-ensure-installed.sh']);
    expect(i.args).toBeUndefined();
    expect(user(i)).toEqual([0, 0]);
    const m = main(pod);
    expect(m.command).toEqual(['/usr/local/sbin/php-fpm']);
    expect(envNames(m)).toEqual(['WORDPRESS_DB_HOST', 'WORDPRESS_DB_USER', 'WORDPRESS_DB_PASSWORD']);
    expect(user(m)).toEqual([33, 33]);
    expect(mountPaths(m)).toEqual(expect.arrayContaining(['/var/www/html', '/tmp', '/run']));
  });

  it('fpm-alpine: uid 82', async () => {
    const { pod } = await split('wordpress/pod-fpm-alpine');
    expect(user(main(pod))).toEqual([82, 82]);
  });

  it('apache is declined with a reason and passes through byte-identical', async () => {
    const messages = await expectDeclined('wordpress/deployment-apache-declined');
    expect(messages[0]).toContain('apache2-foreground');
  });
});

describe('bitnami/postgresql', () => {
  it('setup.sh via the entrypoint gate in init, postgres with the generated config, conf/ and tmp/ shared', async () => {
    const { pod } = await split('bitnami-postgresql/statefulset-16');
    const i = init(pod)!;
    expect(i.command).toEqual(['/opt/bitnami/scripts/postgresql/entrypoint.sh']);
    expect(i.args).toEqual(['/bin/true', '/opt/bitnami/scripts/postgresql/run.sh']);
    expect(user(i)).toEqual([1001, 1001]);
    const m = main(pod);
    expect(m.command?.[0]).toBe('/opt/bitnami/postgresql/bin/postgres');
    expect(m.command).toContain('--config-file=/opt/bitnami/postgresql/conf/postgresql.conf');
    expect(envNames(m)).toEqual(['BITNAMI_DEBUG']);
    for (const p of ['/bitnami/postgresql', '/opt/bitnami/postgresql/conf', '/opt/bitnami/postgresql/tmp']) {
      expect(mountPaths(i)).toContain(p);
      expect(mountPaths(m)).toContain(p);
    }
    expect(m.readinessProbe).toMatchObject({ exec: { command: ['/opt/bitnami/postgresql/bin/pg_isready', '-h', '127.0.0.1', '-p', '5432'] } });
    expect(user(m)).toEqual([1001, 1001]);
  });
});

describe('declined images', () => {
  for (const f of ['rabbitmq/statefulset-declined', 'elasticsearch/statefulset-declined', 'opensearch/deployment-declined']) {
    it(`${f}: DI3009 with what a user template needs, output byte-identical`, async () => {
      const messages = await expectDeclined(f);
      expect(messages[0]).toMatch(/shell/);
      expect(messages[0]).toContain('A user template would have to provide');
    });
  }
});

describe('custom entrypoints (annotations)', () => {
  it('builds the split from the annotations: init = entrypoint + no-op as the user, main = the final command, shared paths', async () => {
    const { pod, messages } = await split('custom-entrypoint/deployment');
    const i = init(pod)!;
    expect(i.command).toEqual(['/docker-entrypoint.sh', 'true']);
    expect(i.args).toBeUndefined();
    expect(user(i)).toEqual([10001, 10001]);
    const m = main(pod);
    expect(m.image).toBe('ghcr.io/acme/app:2.3-static');
    expect(m.command).toEqual(['/usr/local/bin/app', '--config', '/etc/app/app.toml']);
    expect(m.args).toBeUndefined();
    expect(envNames(m)).toEqual(['APP_LISTEN']);
    expect(envNames(i)).toEqual(['APP_LISTEN', 'APP_ADMIN_PASSWORD']);
    for (const p of ['/etc/app', '/var/lib/app/keys']) {
      expect(mountPaths(i)).toContain(p);
      expect(mountPaths(m)).toContain(p);
    }
    expect(user(m)).toEqual([10001, 10001]);
    expect(messages[0]).toContain('custom-entrypoint');
  });

  it('only the container named by distroless-init.io/container; its existing volume is the shared one', async () => {
    const { pod, codes } = await split('custom-entrypoint/pod-sidecar-named');
    expect(main(pod, 'proxy').image).toBe('envoyproxy/envoy:v1.31.0');
    expect(main(pod, 'app').command).toEqual(['/app/server']);
    expect(pod.volumes?.map((v) => v.name)).toEqual(['config']);
    expect(codes).toEqual(['DI3012', 'DI3006', 'DI3019', 'DI3001']);
  });

  it('malformed annotations are DI3015 errors: nothing is written', async () => {
    for (const f of ['custom-entrypoint/error-bad-values', 'custom-entrypoint/error-two-containers-unnamed']) {
      const r = await cli(['--output-format', 'json'], readFileSync(join(FIX, f, 'input.yaml'), 'utf8'));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr).diagnostics.map((d: { code: string }) => d.code)).toContain('DI3015');
    }
  });
});

/** A declined image: DI3009, exit 0, the input back byte for byte. */
async function expectDeclined(fixture: string): Promise<string[]> {
  const input = readFileSync(join(FIX, fixture, 'input.yaml'), 'utf8');
  const r = await cli(['--output-format', 'json'], input);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(input);
  const diags = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics;
  expect(diags.map((d) => d.code)).toEqual(['DI3009']);
  return diags.map((d) => d.message);
}
