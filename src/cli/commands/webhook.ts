/**
 * `distroless-init webhook serve`: the in-cluster admission webhook (HTTPS,
 * POST /mutate), until SIGTERM or SIGINT. Logs are JSON lines on stderr.
 * `distroless-init webhook manifests`: the objects that run it in a cluster,
 * as YAML on stdout.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { formatDiagnostic, hasErrors } from '../../shared/diagnostics.js';
import { Metrics } from '../../webhook/metrics.js';
import { createWebhookServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS, type LogEntry } from '../../webhook/server.js';
import { loadSettings, reportReload, SettingsReloader } from '../../webhook/settings.js';
import { warmUp } from '../../webhook/review.js';
import { webhookManifests } from '../../webhook/manifests.js';
import { ensureTls, serviceDnsNames, TlsError } from '../../webhook/tls.js';
import { InputError, UsageError } from '../../shared/errors.js';
import type { Io } from '../io.js';
import { collect, MIRROR_HELP, parseFlags } from '../options.js';

interface ServeOptions {
  tlsCert: string;
  tlsKey: string;
  port: string;
  host: string;
  templates: string[];
  config?: string;
  image: string[];
  security: string[];
  mirror: string[];
  timeoutMs: string;
  maxBodyBytes: string;
  reloadIntervalMs: string;
}

interface ManifestsOptions {
  namespace: string;
  image: string;
  name: string;
  certManager?: boolean;
  tlsDir?: string;
  replicas: string;
  failurePolicy: string;
  timeoutSeconds: string;
}

export function webhookCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const webhook = program.command('webhook').description('the in-cluster admission webhook: split every pod a cluster creates');
  webhook
    .command('serve')
    .description('serve the mutating admission webhook over HTTPS (POST /mutate; /readyz, /healthz, /metrics)')
    .requiredOption('--tls-cert <file>', 'PEM certificate (chain) of the server')
    .requiredOption('--tls-key <file>', 'PEM private key of the server')
    .option('--port <n>', 'port to listen on (0: any free port)', '8443')
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .option('--templates <dir>', 'also load templates from DIR (repeatable; reloaded when it changes)', collect, [])
    .option('--config <file>', 'options from a DistrolessInit or ConfigMap file (images, templates, security, mirrors; reloaded when it changes)')
    .option('--image <name=ref>', 'main image for a container or template name (repeatable; wins over --config)', collect, [])
    .option('--security <key=value>', 'override a security default of the main container (repeatable)', collect, [])
    .option('--mirror <prefix>', MIRROR_HELP, collect, [])
    .option('--timeout-ms <ms>', 'budget for one request (headers, body and review); slower clients get 408', String(DEFAULT_TIMEOUT_MS))
    .option('--max-body-bytes <n>', 'largest request body; larger ones get 413', String(DEFAULT_MAX_BODY_BYTES))
    .addOption(new Option('--reload-interval-ms <ms>', 'how often templates, config and certificate are re-checked, at most').default('2000'))
    .action(async (opts: ServeOptions) => setExit(await serve(io, opts)));
  webhook
    .command('manifests')
    .description('print the objects that run the webhook in a cluster (Namespace ... MutatingWebhookConfiguration) as YAML')
    .requiredOption('--image <ref>', 'image whose entrypoint is distroless-init')
    .option('--namespace <ns>', 'namespace of the webhook', 'distroless-init')
    .option('--name <name>', 'name of the objects', 'distroless-init-webhook')
    .option('--cert-manager', 'TLS from cert-manager (an Issuer and a Certificate; the CA is injected by cert-manager)')
    .option('--tls-dir <dir>', 'without --cert-manager: where the self-signed CA and serving certificate are written (reused when present)')
    .option('--replicas <n>', 'replicas of the webhook', '2')
    .option('--failure-policy <policy>', 'Ignore (pods are created unchanged when the webhook is down) or Fail', 'Ignore')
    .option('--timeout-seconds <n>', 'the API server waits this long for an answer (1-30)', '10')
    .action((opts: ManifestsOptions) => setExit(manifests(io, opts)));
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function readPem(io: Io, file: string, flag: string): { text: string; stamp: string } {
  const path = resolve(io.cwd, file);
  try {
    const st = statSync(path);
    return { text: readFileSync(path, 'utf8'), stamp: `${st.size} ${st.mtimeMs} ${st.ino}` };
  } catch (e) {
    throw new InputError(`cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function serve(io: Io, opts: ServeOptions): Promise<number> {
  const port = integer(opts.port, '--port', 0, 65535);
  const timeoutMs = integer(opts.timeoutMs, '--timeout-ms', 100, 600_000);
  const maxBodyBytes = integer(opts.maxBodyBytes, '--max-body-bytes', 1024, 1 << 30);
  const reloadIntervalMs = integer(opts.reloadIntervalMs, '--reload-interval-ms', 0, 3_600_000);
  const log = (entry: LogEntry): void => void io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  const flags = parseFlags({ image: opts.image, security: opts.security, mirror: opts.mirror });
  const source = {
    templates: opts.templates.map((d) => resolve(io.cwd, d)),
    ...(opts.config ? { config: resolve(io.cwd, opts.config) } : {}),
    images: flags.images,
    hardening: flags.hardening,
    mirrors: flags.mirrors,
  };
  let cert = readPem(io, opts.tlsCert, '--tls-cert');
  let key = readPem(io, opts.tlsKey, '--tls-key');
  const initial = loadSettings(source);
  for (const d of initial.diagnostics) if (d.severity !== 'info') log({ level: d.severity === 'error' ? 'error' : 'warn', msg: formatDiagnostic(d), code: d.code });
  if (!initial.settings || hasErrors(initial.diagnostics)) throw new InputError('the templates or the config have errors (see above); not starting');
  warmUp(initial.settings);
  const metrics = new Metrics();
  const reloader = new SettingsReloader(source, { ...initial, settings: initial.settings }, {
    checkIntervalMs: reloadIntervalMs,
    onReload: reportReload(metrics, log),
  });
  let server;
  try {
    server = createWebhookServer({ cert: cert.text, key: key.text, settings: () => reloader.get(), timeoutMs, maxBodyBytes, log, metrics });
  } catch (e) {
    reloader.close();
    throw new InputError(`cannot use the TLS certificate and key: ${(e as Error).message}`);
  }
  // a renewed Secret (cert-manager) changes the mounted files: new connections get the new certificate
  const certTimer = setInterval(() => {
    try {
      const c = readPem(io, opts.tlsCert, '--tls-cert');
      const k = readPem(io, opts.tlsKey, '--tls-key');
      if (c.stamp === cert.stamp && k.stamp === key.stamp) return;
      server.setCertificate(c.text, k.text);
      cert = c;
      key = k;
      log({ level: 'info', msg: 'TLS certificate reloaded' });
    } catch (e) {
      log({ level: 'error', msg: `TLS certificate reload failed, the previous one stays: ${(e as Error).message}`, code: 'DI6007' });
    }
  }, Math.max(1000, reloadIntervalMs));
  certTimer.unref();
  let address;
  try {
    address = await server.listen(port, opts.host);
  } catch (e) {
    clearInterval(certTimer);
    reloader.close();
    throw new InputError(`cannot listen on ${opts.host}:${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  log({ level: 'info', msg: 'listening', address: address.address, port: address.port, timeoutMs, maxBodyBytes, templates: source.templates, ...(source.config ? { config: source.config } : {}) });
  const signal = await new Promise<string>((resolveSignal) => {
    const on = (s: string): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolveSignal(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  log({ level: 'info', msg: `${signal}: finishing open requests` });
  clearInterval(certTimer);
  reloader.close();
  await server.close();
  log({ level: 'info', msg: 'stopped' });
  return 0;
}

function manifests(io: Io, opts: ManifestsOptions): number {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace) || opts.namespace.length > 63) throw new UsageError(`--namespace must be a DNS label, got "${opts.namespace}"`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.name) || opts.name.length > 50) throw new UsageError(`--name must be a DNS label of at most 50 characters, got "${opts.name}"`);
  if (!opts.image.trim() || /\s/.test(opts.image)) throw new UsageError(`--image expects an image reference, got "${opts.image}"`);
  if (opts.failurePolicy !== 'Ignore' && opts.failurePolicy !== 'Fail') throw new UsageError(`--failure-policy must be Ignore or Fail, got "${opts.failurePolicy}"`);
  const replicas = integer(opts.replicas, '--replicas', 1, 100);
  const timeoutSeconds = integer(opts.timeoutSeconds, '--timeout-seconds', 1, 30);
  if (opts.certManager && opts.tlsDir) throw new UsageError('--cert-manager and --tls-dir exclude each other');
  if (!opts.certManager && !opts.tlsDir) {
    throw new UsageError('TLS: pass --cert-manager (cert-manager issues the certificate) or --tls-dir DIR (a self-signed CA and certificate are written there)');
  }
  let tls: Parameters<typeof webhookManifests>[0]['tls'];
  if (opts.certManager) tls = { certManager: true };
  else {
    try {
      const m = ensureTls({ dir: resolve(io.cwd, opts.tlsDir!), dnsNames: serviceDnsNames(opts.name, opts.namespace) });
      tls = { certManager: false, caCert: m.caCert, cert: m.cert, key: m.key };
      io.stderr.write(`distroless-init: TLS material ${m.created ? 'written to' : 'reused from'} ${m.dir} (ca.crt, ca.key, tls.crt, tls.key); keep ca.key out of Git\n`);
    } catch (e) {
      if (e instanceof TlsError) throw new InputError(e.message);
      throw e;
    }
  }
  const objects = webhookManifests({ namespace: opts.namespace, image: opts.image, name: opts.name, replicas, timeoutSeconds, failurePolicy: opts.failurePolicy, tls });
  io.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).map((y) => `---\n${y}`).join(''));
  return 0;
}
