/**
 * The streaming path (stdin transformed as it arrives, output held in memory
 * up to 4 MiB, then spilled to a temporary file) gives exactly what the whole-text path gives, and stays all
 * or nothing.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../bench/gen-manifests.mjs';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { ManifestStream, transformManifests } from '../../src/core/pipeline.js';
import { BIN, ROOT, tmp } from '../helpers.js';

const STREAM = (generate as (n: number, o: { seed: string }) => string)(300, { seed: '7' });

function runBin(input: string, env: Record<string, string> = {}, args: string[] = []): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(BIN, args, { input, cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('streaming', () => {
  it('the library stream, fed in odd-sized chunks, equals transformManifests', () => {
    const { catalogue } = loadCatalogue();
    const whole = transformManifests(STREAM, { catalogue, file: 'x' });
    for (const size of [1, 7, 4096, 65536]) {
      const s = new ManifestStream({ catalogue, file: 'x' });
      const pieces: string[] = [];
      for (let i = 0; i < STREAM.length; i += size) {
        s.push(STREAM.slice(i, i + size));
        pieces.push(...s.drain());
      }
      const end = s.end();
      pieces.push(...end.pieces);
      expect(pieces.join('')).toBe(whole.output);
      expect(end.diagnostics).toEqual(whole.diagnostics);
    }
  });

  it('the bin gives the same bytes and diagnostics streaming and not', () => {
    const a = runBin(STREAM);
    const b = runBin(STREAM, { DISTROLESS_INIT_NO_STREAM: '1' });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toBe(b.stderr);
    expect(a.stdout).toContain('-init');
  });

  it('prints nothing and leaves no temporary file when a late document is broken', () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('.distroless-init.'));
    const r = runBin(`${STREAM}---\napiVersion: v1\nkind: Pod\nmetadata: {name: [\n`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error DI1001/);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('.distroless-init.'))).toEqual(before);
  });

  it('writes -o through the temporary file and renames it', () => {
    const dir = tmp();
    const out = join(dir, 'out.yaml');
    const r = runBin(STREAM, {}, ['-o', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(runBin(STREAM).stdout);
    expect(readdirSync(dir)).toEqual(['out.yaml']);
  });

  it('spills past 4 MiB of output to a temporary file: the same bytes, -o renamed, nothing left behind', () => {
    const big = (generate as (n: number, o: { seed: string }) => string)(2600, { seed: 'spill' });
    expect(big.length).toBeGreaterThan(4 << 20);
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('.distroless-init.'));
    const streamed = runBin(big);
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(runBin(big, { DISTROLESS_INIT_NO_STREAM: '1' }).stdout);
    const dir = tmp();
    const out = join(dir, 'out.yaml');
    expect(runBin(big, {}, ['-o', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(streamed.stdout);
    expect(readdirSync(dir)).toEqual(['out.yaml']);
    const broken = runBin(`${big}---\napiVersion: v1\nkind: Pod\nmetadata: {name: [\n`);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('.distroless-init.'))).toEqual(before);
  });

  // stdin is read with blocking reads; a descriptor left non-blocking by the caller (EAGAIN while
  // the writer is slow) continues through process.stdin. python3 sets O_NONBLOCK and execs the bin.
  it.skipIf(spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status !== 0)(
    'reads a non-blocking stdin whose writer is slow to the same output',
    () => {
      const dir = tmp();
      const input = join(dir, 'in.yaml');
      writeFileSync(input, STREAM);
      const nonblocking =
        'import os, fcntl, sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])';
      const r = spawnSync('sh', ['-c', `(sleep 0.3; head -c 100000 "$1"; sleep 0.2; tail -c +100001 "$1") | python3 -c "$2" "$3"`, 'sh', input, nonblocking, BIN], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(runBin(STREAM).stdout);
    },
  );

  it('still answers a ResourceList and JSON on stdin with their own formats', () => {
    const rl = runBin('apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: db}\n  spec:\n    containers:\n    - {name: db, image: "postgres:16"}\n');
    expect(rl.code).toBe(0);
    expect(rl.stdout).toMatch(/^kind: ResourceList$/m);
    const json = runBin(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } }));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).spec.initContainers[0].name).toBe('db-init');
  });
});

describe('workloads whose images no template claims (copied without parsing)', () => {
  const { catalogue } = loadCatalogue();
  const POD = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: app',
    'spec:',
    '  containers:',
    '    - image: ghcr.io/acme/api:1 # first',
    '      name: "api"',
    '    - name: worker',
    '      args: [run]',
    '      image: ghcr.io/acme/worker:1',
    '    - {name: flow, image: ghcr.io/acme/flow:1}',
    '',
  ].join('\n');

  it('are copied byte for byte, and DI3001 names each container where the block layout shows it', () => {
    const r = transformManifests(POD, { catalogue });
    expect(r.output).toBe(POD);
    expect(r.changed).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['DI3001', 7, 7, 'no template for image "ghcr.io/acme/api:1"; container "api" left unchanged'],
      ['DI3001', 11, 7, 'no template for image "ghcr.io/acme/worker:1"; container "worker" left unchanged'],
      ['DI3001', 12, 20, 'no template for image "ghcr.io/acme/flow:1"; container left unchanged'],
    ]);
    expect(r.diagnostics[0]!.resource).toEqual({ kind: 'Pod', name: 'app' });
  });
});
