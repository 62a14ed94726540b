/**
 * The admission webhook's HTTPS server (Node's https module, no framework):
 *
 *   POST /mutate   AdmissionReview (admission.k8s.io/v1) in, AdmissionReview out
 *   GET  /readyz   200 once the settings are loaded, 503 while shutting down
 *   GET  /healthz  200 while the process serves
 *   GET  /metrics  Prometheus text
 *
 * Bad input never takes the server down: a malformed review is a 400, a body
 * over `maxBodyBytes` a 413, a client that does not finish its request within
 * `timeoutMs` a 408 (and the connection is closed), TLS errors (plain HTTP on
 * the TLS port, a failed handshake) close only that connection. Every request
 * is one JSON log entry (given to `log`, never printed here) and counted in the
 * metrics. Stateless: run as many replicas as needed.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Metrics } from './metrics.js';
import { review, type ReviewResult, type WebhookSettings } from './review.js';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [key: string]: unknown;
}

export interface WebhookServerOptions {
  /** PEM certificate chain and key (or functions reading them: called again by `reloadTls`). */
  cert: string | Buffer;
  key: string | Buffer;
  /** The settings for each request (a SettingsReloader's `get`). */
  settings: () => WebhookSettings;
  /** Whole-request budget (headers, body and review), ms. Default 8000 (the manifests' timeoutSeconds is 10). */
  timeoutMs?: number;
  /** Largest request body accepted, bytes. Default 3 MiB (the API server's object limit). */
  maxBodyBytes?: number;
  /** Receives one entry per request and per notable event. Default: nothing. */
  log?: (entry: LogEntry) => void;
  metrics?: Metrics;
}

export interface WebhookServer {
  server: Server;
  metrics: Metrics;
  /** Listens on host:port (port 0: any free port) and resolves with the address. */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, answers /readyz with 503, and resolves when open requests are done. */
  close(): Promise<void>;
  /** Loads a new certificate and key for new connections (a renewed Secret). */
  setCertificate(cert: string | Buffer, key: string | Buffer): void;
}

export const DEFAULT_TIMEOUT_MS = 8000;
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export function createWebhookServer(options: WebhookServerOptions): WebhookServer {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const metrics = options.metrics ?? new Metrics();
  const log = options.log ?? ((): void => {});
  let closing = false;

  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      minVersion: 'TLSv1.2',
      handshakeTimeout: timeoutMs,
      // Node's own guards against slow clients: the headers within the budget; the whole request a little
      // later, so that a stalled body meets the handler's own deadline (readBody) first and gets its 408 with a reason
      headersTimeout: timeoutMs,
      requestTimeout: timeoutMs + 1000,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4))),
      keepAliveTimeout: 30_000,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      try {
        handle(req, res);
      } catch (e) {
        internalError(res, e, req.url);
      }
    },
  );

  const count = (path: string, status: number): void => metrics.inc('requests_total', { path, code: String(status) });

  function send(res: ServerResponse, status: number, contentType: string, body: string, close = false): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(body);
  }

  function internalError(res: ServerResponse, e: unknown, url: string | undefined): void {
    metrics.inc('errors_total', { kind: 'internal' });
    log({ level: 'error', msg: 'internal error', code: 'DI9001', path: url, error: (e as Error).stack ?? String(e) });
    count(pathLabel(url), 500);
    send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, path, 'GET');
      req.resume();
      const status = path === '/readyz' && closing ? 503 : 200;
      const body = path === '/metrics' ? metrics.render() : status === 200 ? 'ok\n' : 'shutting down\n';
      count(path, status);
      return send(res, status, path === '/metrics' ? 'text/plain; version=0.0.4; charset=utf-8' : 'text/plain; charset=utf-8', body);
    }
    if (path !== '/mutate') {
      req.resume();
      count('other', 404);
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: the webhook answers POST /mutate, GET /readyz, /healthz, /metrics\n');
    }
    if (req.method !== 'POST') return methodNotAllowed(req, res, path, 'POST');
    readBody(req, res);
  }

  function methodNotAllowed(req: IncomingMessage, res: ServerResponse, path: string, allow: string): void {
    req.resume();
    count(path, 405);
    res.setHeader('allow', allow);
    send(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed on ${path}: use ${allow}\n`);
  }

  function fail(req: IncomingMessage, res: ServerResponse, status: number, kind: string, code: string, reason: string): void {
    metrics.inc('errors_total', { kind });
    count('/mutate', status);
    log({ level: 'warn', msg: reason, code, status, remote: req.socket.remoteAddress });
    send(res, status, 'text/plain; charset=utf-8', `${code}: ${reason}\n`, true);
    // the rest of the body is not read: close the connection once the answer is out
    res.on('finish', () => req.destroy());
    if (res.destroyed || res.writableEnded) setImmediate(() => req.destroy());
  }

  function readBody(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) {
      return fail(req, res, 413, 'too_large', 'DI6002', `request body of ${declared} bytes is over the limit of ${maxBody} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      fail(req, res, 408, 'timeout', 'DI6005', `request not received within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBody) {
        done = true;
        clearTimeout(timer);
        return fail(req, res, 413, 'too_large', 'DI6002', `request body is over the limit of ${maxBody} bytes`);
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      // the client went away (reset, aborted): nothing to answer
      if (done) return;
      done = true;
      clearTimeout(timer);
      metrics.inc('errors_total', { kind: 'client' });
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        answer(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        internalError(res, e, req.url);
      }
    });
  }

  function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const t0 = process.hrtime.bigint();
    const r: ReviewResult = review(body, options.settings());
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status === 200) metrics.observeLatency(seconds);
    const dryRun = String(r.dryRun);
    metrics.inc('reviews_total', { outcome: r.outcome, dry_run: dryRun });
    if (r.outcome === 'patched') metrics.inc('patches_total', { dry_run: dryRun });
    if (r.outcome === 'declined') metrics.inc('declines_total', { code: r.code ?? 'unknown' });
    if (r.outcome === 'bad-request') metrics.inc('errors_total', { kind: 'bad_request' });
    count('/mutate', r.status);
    const errors = r.diagnostics.filter((d) => d.severity !== 'info');
    log({
      level: r.status === 200 ? (r.outcome === 'declined' ? 'warn' : 'info') : 'warn',
      msg: r.status === 200 ? `review ${r.outcome}${r.dryRun ? ' (dry run)' : ''}` : `bad request: ${r.reason}`,
      ...(r.uid ? { uid: r.uid } : {}),
      ...(r.namespace ? { namespace: r.namespace } : {}),
      ...(r.pod ? { pod: r.pod } : {}),
      ...(r.operation ? { operation: r.operation } : {}),
      dryRun: r.dryRun,
      outcome: r.outcome,
      status: r.status,
      ...(r.code ? { code: r.code } : {}),
      ...(r.patch ? { patchOps: r.patch.length } : {}),
      ...(errors.length ? { codes: [...new Set(errors.map((d) => d.code))] } : {}),
      durationMs: Math.round(seconds * 1e6) / 1e3,
    });
    if (seconds * 1000 > timeoutMs) {
      metrics.inc('errors_total', { kind: 'timeout' });
      log({ level: 'warn', msg: `review took ${Math.round(seconds * 1000)} ms, over the ${timeoutMs} ms budget`, code: 'DI6005', uid: r.uid });
    }
    send(res, r.status, r.contentType, r.body, r.status !== 200);
  }

  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    metrics.inc('errors_total', { kind: 'tls' });
    log({ level: 'warn', msg: `TLS error from a client: ${err.code ?? err.message}`, code: 'DI6008', remote: socket.remoteAddress });
    socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code?.startsWith('ERR_SSL_')) {
      // a TLS failure is also a tlsClientError (counted and logged there)
      socket.destroy();
      return;
    }
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    metrics.inc('errors_total', { kind: timeout ? 'timeout' : 'client' });
    if (err.code !== 'ECONNRESET') {
      log({ level: 'warn', msg: `client error: ${err.code ?? err.message}`, code: timeout ? 'DI6005' : 'DI6008', remote: (socket as { remoteAddress?: string }).remoteAddress });
    }
    if (socket.writable && !socket.destroyed) {
      const body = timeout ? `DI6005: request not received within ${timeoutMs} ms\n` : 'DI6008: bad request\n';
      socket.end(`HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroy();
  });

  return {
    server,
    metrics,
    listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
      return new Promise((resolveListen, reject) => {
        const onError = (e: Error): void => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolveListen(server.address() as AddressInfo);
        });
      });
    },
    close(): Promise<void> {
      closing = true;
      return new Promise((resolveClose) => {
        server.close(() => resolveClose());
        server.closeIdleConnections();
      });
    },
    setCertificate(cert: string | Buffer, key: string | Buffer): void {
      server.setSecureContext({ cert, key, minVersion: 'TLSv1.2' });
    },
  };
}

function pathLabel(url: string | undefined): string {
  const p = (url ?? '/').split('?')[0] ?? '/';
  return ['/mutate', '/readyz', '/healthz', '/metrics'].includes(p) ? p : 'other';
}
