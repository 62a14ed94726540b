#!/usr/bin/env node
// Linearity of every front door (issue 13): each front door and mode is run on a 1 MB and a
// 20 MB input, and the ratio of the wall times (20 MB / 1 MB) must be at most 25 (20 × the
// 1 MB time, with room for noise). A quadratic path gives ~400.
//
//   node bench/linear.mjs [--write[=FILE]] [--strict] [--only NAME,NAME]   (part of npm run bench)
//
//   --write   also replace the "Linearity" section of docs/performance.md (FILE with --write=FILE).
//   --strict  exit 1 if a row's ratio is over 25 or a run fails.
//   --only    run only these rows (names as in the table).
//
// Each figure is one whole process (the bundled CLI, `bin/distroless-init.js`), stdin from a file,
// stdout to /dev/null; the median of 3 runs at 1 MB, one run at 20 MB (a 20 MB run is long
// enough that start-up noise does not matter). Peak memory (max RSS) comes from GNU time when it
// is installed. Inputs are written to bench/data/linear/ (git-ignored).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDocuments } from './gen-manifests.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const DATA = join(HERE, 'data', 'linear');
const BIN = join(ROOT, 'bin', 'distroless-init.js');
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const MAX_RATIO = 25;
const MB = 1 << 20;

const argv = process.argv.slice(2);
let write = null;
let strict = false;
let only = null;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--write') write = join(ROOT, 'docs', 'performance.md');
  else if (a.startsWith('--write=')) write = resolve(a.slice(8));
  else if (a === '--strict') strict = true;
  else if (a === '--only') only = new Set(argv[++i].split(','));
  else if (a === '--quick') {
    // accepted for `npm run bench -- --quick`: this part has one mode
  } else {
    process.stderr.write(`unknown option ${a}\n`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs of about `bytes` bytes, per shape

/** A multi-document stream (the bench generator's mix: ~40% workloads). */
function stream(bytes) {
  const docs = [];
  let size = 0;
  for (const d of generateDocuments(Math.ceil(bytes / 1500) + 10, 'lin')) {
    if (size >= bytes) break;
    docs.push(d);
    size += d.length;
  }
  return docs;
}

const inputs = {
  stream: (bytes) => stream(bytes).join(''),
  // one document: a ConfigMap with many keys (the streaming reader sees no `---` until the end)
  document: (bytes) => {
    let s = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n';
    for (let i = 0; s.length < bytes; i++) s += `  key-${i}: "${'v'.repeat(60)}"\n`;
    return s;
  },
  // one `kind: List` holding the stream's objects
  list: (bytes) => {
    let s = 'apiVersion: v1\nkind: List\nitems:\n';
    for (const d of stream(bytes)) {
      s += d.replace(/^---\n/, '').replace(/\n$/, '').split('\n').map((l, i) => (i === 0 ? `- ${l}` : l === '' ? '' : `  ${l}`)).join('\n') + '\n';
    }
    return s;
  },
  resourcelist: (bytes) => {
    let s = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n';
    for (const d of stream(bytes)) {
      s += d.replace(/^---\n/, '').replace(/\n$/, '').split('\n').map((l, i) => (i === 0 ? `- ${l}` : l === '' ? '' : `  ${l}`)).join('\n') + '\n';
    }
    return s;
  },
  helm4: (bytes) =>
    stream(bytes)
      .map((d, i) => d.replace(/^(metadata:\n)/m, `$1  annotations:\n    postrenderer.helm.sh/postrender-filename: "chart/templates/t${i % 50}.yaml"\n`))
      .join(''),
  compose: (bytes) => {
    let s = 'x-common: &common\n  restart: unless-stopped\n  logging: {driver: json-file}\nservices:\n';
    const images = ['postgres:16', 'redis:7', 'nginx:1.27', 'busybox:1', 'mysql:8.4', 'ghcr.io/acme/api:2.3'];
    for (let i = 0; s.length < bytes; i++) {
      const image = images[i % images.length];
      s += `  svc${i}:\n    <<: *common\n    image: ${image}\n    environment:\n      POSTGRES_PASSWORD: example\n      APP_INDEX: "${i}"\n`;
      s += `    ports: ["${10000 + (i % 50000)}:80"]\n    volumes:\n      - data${i}:/var/lib/data\n`;
    }
    s += 'volumes:\n';
    // every service's named volume
    const n = (s.match(/^ {2}svc\d+:/gm) ?? []).length;
    for (let i = 0; i < n; i++) s += `  data${i}: {}\n`;
    return s;
  },
};

const CONFIG = 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec:\n  security: {fsGroup: true}\n';

/** The rows: front door, input shape, arguments. */
const ROWS = [
  { name: 'stdin stream', input: 'stream', args: [] },
  { name: 'stdin one document', input: 'document', args: [] },
  { name: 'stdin kind: List', input: 'list', args: [] },
  { name: '-f file', input: 'stream', args: ['-f', '{file}'] },
  { name: '-f … -o FILE', input: 'stream', args: ['-f', '{file}', '-o', '{out}'] },
  { name: '--diff', input: 'stream', args: ['--diff'] },
  { name: '--check', input: 'stream', args: ['--check'], ok: [0, 1] },
  { name: 'compose', input: 'compose', args: ['compose', '-f', '-'] },
  { name: 'KRM ResourceList', input: 'resourcelist', args: [] },
  { name: 'kustomize plugin (--config)', input: 'stream', args: ['--config', '{config}'] },
  { name: 'Helm 4 plugin', input: 'helm4', args: ['--helm-plugin'] },
];

mkdirSync(DATA, { recursive: true });
writeFileSync(join(DATA, 'config.yaml'), CONFIG);

function file(shape, bytes) {
  const path = join(DATA, `${shape}-${bytes / MB}mb.yaml`);
  if (!existsSync(path)) writeFileSync(path, inputs[shape](bytes));
  return path;
}

function runOnce(args, stdinFile) {
  const cmd = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', join(DATA, '.rss'), process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    stdio: [readFileSync(stdinFile) ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    input: readFileSync(stdinFile),
    maxBuffer: 1 << 30,
    timeout: 600_000,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let rss;
  try {
    rss = Number(readFileSync(join(DATA, '.rss'), 'utf8').trim().split('\n').pop()) / 1024;
  } catch {
    rss = NaN;
  }
  return { wall, rss, code: r.status ?? -1, signal: r.signal, stderr: String(r.stderr ?? '').slice(-400) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const row of ROWS) {
  if (only && !only.has(row.name)) continue;
  const out = {};
  for (const size of [1, 20]) {
    const input = file(row.input, size * MB);
    const args = row.args.map((a) => a.replace('{file}', input).replace('{out}', join(DATA, '.out.yaml')).replace('{config}', join(DATA, 'config.yaml')));
    const runs = [];
    for (let i = 0; i < (size === 1 ? 3 : 1); i++) runs.push(runOnce(args, input));
    const bad = runs.find((r) => !(row.ok ?? [0]).includes(r.code));
    out[size] = { wall: median(runs.map((r) => r.wall)), rss: median(runs.map((r) => r.rss)), error: bad ? `exit ${bad.code}${bad.signal ? ` (${bad.signal})` : ''}: ${bad.stderr.trim().split('\n').pop()}` : undefined };
    process.stderr.write(`${row.name} ${size} MB: ${out[size].wall.toFixed(2)} s, ${Number.isFinite(out[size].rss) ? `${out[size].rss.toFixed(0)} MiB` : ''}${out[size].error ? ` ${out[size].error}` : ''}\n`);
  }
  const ratio = out[20].wall / out[1].wall;
  const pass = ratio <= MAX_RATIO && !out[1].error && !out[20].error;
  results.push({ row, out, ratio, pass });
}
rmSync(join(DATA, '.out.yaml'), { force: true });

const mib = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MiB` : 'n/a');
let table = `| front door / mode | 1 MB: wall, peak RSS | 20 MB: wall, peak RSS | ratio 20 MB / 1 MB (≤ ${MAX_RATIO}) | result |\n|---|---|---|---|---|\n`;
for (const { row, out, ratio, pass } of results) {
  table += `| ${row.name} | ${out[1].wall.toFixed(2)} s, ${mib(out[1].rss)} | ${out[20].wall.toFixed(2)} s, ${mib(out[20].rss)} | ${ratio.toFixed(1)} | ${pass ? 'PASS' : `FAIL${out[1].error || out[20].error ? `: ${out[1].error ?? out[20].error}` : ''}`} |\n`;
}
const failed = results.filter((r) => !r.pass).length;
const summary = `${results.length - failed} of ${results.length} rows linear (ratio ≤ ${MAX_RATIO})${failed ? `; ${failed} FAIL` : ''}.`;
process.stdout.write(`\n## Linearity (bench/linear.mjs)\n\n${table}\n${summary}\n`);

if (write) {
  const doc = existsSync(write) ? readFileSync(write, 'utf8') : '';
  const section =
    `## Linearity: every front door at 1 MB and 20 MB\n\n` +
    `Written by \`node bench/linear.mjs --write\` (part of \`npm run bench\`) on ${new Date().toISOString().slice(0, 10)}, ` +
    `node ${process.version}, a machine shared with other jobs (figures are whole processes: start-up included; one run at 20 MB, the median of 3 at 1 MB). ` +
    `A row passes when the 20 MB run takes at most ${MAX_RATIO} times the 1 MB run: linear is ~20, quadratic ~400. Inputs (bench/linear.mjs): ` +
    `"stream" is the benchmark generator's mix of documents (~40% workloads, a third of them databases that are split); "one document" a ConfigMap with as many keys as it takes; ` +
    `"kind: List" and the ResourceList hold the stream's objects as items; compose is one service per ~200 bytes (postgres, redis, nginx, mysql and others, each merging \`<<: *common\`); ` +
    `the Helm 4 input carries Helm 4's file name annotation on every document.\n\n${table}\n${summary}\n`;
  const start = doc.indexOf('## Linearity: every front door');
  let next = start < 0 ? -1 : doc.indexOf('\n## ', start + 3);
  const updated = start < 0 ? `${doc.replace(/\n*$/, '\n\n')}${section}` : `${doc.slice(0, start)}${section}${next < 0 ? '' : doc.slice(next + 1)}`;
  writeFileSync(write, updated);
  process.stderr.write(`wrote ${write}\n`);
}
if (strict && failed) process.exit(1);
