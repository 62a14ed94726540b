/**
 * TLS material for the webhook without cert-manager: a self-signed CA and a
 * serving certificate signed by it, made by the `openssl` command (present on
 * every Linux distribution and in CI; no npm dependency for a few lines of
 * PKI). EC P-256 keys; the serving certificate names the Service's DNS names
 * in subjectAltName (the API server verifies names only there).
 *
 * Files written in `dir`: ca.crt, ca.key, tls.crt, tls.key (keys mode 0600).
 * Existing files are reused when they name the right hosts, so that running
 * `webhook manifests` again does not rotate the certificate under a running
 * webhook. Library code: throws TlsError with a readable message, never prints.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export class TlsError extends Error {}

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
  /** True when the files were made now, false when reused. */
  created: boolean;
  dir: string;
}

export interface TlsRequest {
  dir: string;
  /** DNS names for subjectAltName (the first is the common name). */
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  /** Validity of the serving certificate, days. Default 825. */
  days?: number;
  /** The openssl binary. Default `openssl` on PATH. */
  openssl?: string;
}

/** The Service's DNS names, as the API server may ask for them. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}

export function ensureTls(req: TlsRequest): TlsMaterial {
  const dir = req.dir;
  const files = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  const openssl = req.openssl ?? 'openssl';
  const run = (args: string[]): string => {
    try {
      return execFileSync(openssl, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') throw new TlsError(`the openssl command is needed to make the TLS material (not found: ${openssl}); install it, or use --cert-manager`);
      throw new TlsError(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`);
    }
  };
  const wanted = [...req.dnsNames.map((d) => `DNS:${d}`), ...(req.ipAddresses ?? []).map((ip) => `IP Address:${ip}`)];
  if (existsSync(files.cert) && existsSync(files.key) && existsSync(files.caCert)) {
    const san = run(['x509', '-noout', '-ext', 'subjectAltName', '-in', files.cert]);
    const have = new Set(san.split(/[\n,]/).map((s) => s.trim()).filter(Boolean));
    const missing = wanted.filter((w) => !have.has(w));
    if (missing.length) {
      throw new TlsError(`${files.cert} exists but does not name ${missing.join(', ')}; remove the files in ${dir} to make new ones`);
    }
    return { caCert: readFileSync(files.caCert, 'utf8'), cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), created: false, dir };
  }
  for (const f of Object.values(files)) {
    if (existsSync(f)) throw new TlsError(`${f} exists but the set (ca.crt, tls.crt, tls.key) is incomplete; remove the files in ${dir} to make new ones`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ext = join(dir, `.ext-${randomBytes(4).toString('hex')}.cnf`);
  const csr = join(dir, `.csr-${randomBytes(4).toString('hex')}.pem`);
  try {
    const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run(['req', '-x509', ...curve, '-keyout', files.caKey, '-out', files.caCert, '-days', '3650', '-subj', '/CN=distroless-init webhook CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    run(['req', ...curve, '-keyout', files.key, '-out', csr, '-subj', `/CN=${req.dnsNames[0] ?? 'distroless-init-webhook'}`]);
    writeFileSync(ext, [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${wanted.map((w) => w.replace('IP Address:', 'IP:')).join(',')}`,
      '',
    ].join('\n'));
    run(['x509', '-req', '-in', csr, '-CA', files.caCert, '-CAkey', files.caKey, '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`,
      '-days', String(req.days ?? 825), '-sha256', '-extfile', ext, '-out', files.cert]);
    chmodSync(files.key, 0o600);
    chmodSync(files.caKey, 0o600);
  } catch (e) {
    for (const f of Object.values(files)) rmSync(f, { force: true });
    throw e;
  } finally {
    rmSync(ext, { force: true });
    rmSync(csr, { force: true });
  }
  return { caCert: readFileSync(files.caCert, 'utf8'), cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), created: true, dir };
}
