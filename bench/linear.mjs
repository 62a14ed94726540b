#!/usr/bin/env node
// Linearity of every front door (issue 13): each front door and mode is run on a 1 MB and a
// 20 MB input, the way a user or a tool runs it, and the ratio of the wall times (20 MB / 1 MB)
// must be at most 25 (20 × the 1 MB time, with room for noise). A quadratic path gives ~400.
//
//   node bench/linear.mjs [--write[=FILE]] [--strict] [--only NAME,NAME] [--list]   (part of npm run bench)
//
//   --write   also replace the "Linearity" section of docs/performance.md (FILE with --write=FILE).
//             Refused with --only: the section is one run of every row.
//   --strict  exit 1 if a row's ratio is over 25 or a run fails.
//   --only    run only these rows (names as in the table, or a unique part of one).
//   --list    print the rows and how each is run, and exit.
//
// Duration: run `npm run build` first (the bundled command is measured). On an idle 2-core machine
// the whole run takes ~5-8 min (13 rows; each row: three 1 MB runs, one 20 MB run of 5-25 s).
// It is bounded whatever happens: a 1 MB run is killed after 60 s (the row then stops, FAIL), a
// 20 MB run after 30 × its row's 1 MB time, at most 600 s (FAIL); so at most 13 min per row,
// ~2.8 h in all if every run of every row hit its limit.
//
// How each row runs (true to the front door):
// * the command is `bin/distroless-init.js` executed directly (its shebang's node flags, as on
//   PATH), with stdin from the file (`< FILE`) for the pipe-filter rows;
// * tools that feed stdin from memory (kpt, kustomize, Helm) get it through a pipe;
// * KRM: an exec function wrapper (`#!/bin/sh` + `exec distroless-init`, as docs/integrations.md
//   shows for kpt), a ResourceList with kpt's item annotations and a functionConfig, no arguments;
// * kustomize legacy exec plugin: the script `distroless-init install kustomize-plugin` writes,
//   run as kustomize runs it (the config file's path as $1, the kustomization directory as the
//   working directory, KUSTOMIZE_PLUGIN_CONFIG_STRING/ROOT in the environment), the resources
//   carrying kustomize's id annotation;
// * Helm 4: plugins/helm/distroless-init/postrender.sh with HELM_PLUGIN_DIR etc. set, the stream
//   carrying Helm 4's file name annotation on every document;
// * compose: `distroless-init compose -f FILE`.
// Wall time by a monotonic clock around the whole process tree (a shell wrapper included); peak
// memory is GNU time's max RSS (of the largest process of the tree) when /usr/bin/time exists.
// Inputs are written to bench/data/linear/ (git-ignored), once.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDocuments } from './gen-manifests.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const DATA = join(HERE, 'data', 'linear');
const BIN = join(ROOT, 'bin', 'distroless-init.js');
const HELM_PLUGIN = join(ROOT, 'plugins', 'helm', 'distroless-init');
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const MAX_RATIO = 25;
const MB = 1 << 20;
/** Kill limits: a 1 MB run; a 20 MB run (KILL_RATIO × the row's 1 MB time, at most KILL_20_CAP). */
const KILL_1 = 60;
const KILL_RATIO = 30;
const KILL_20_CAP = 600;

const argv = process.argv.slice(2);
let write = null;
let strict = false;
let only = null;
let list = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--write') write = join(ROOT, 'docs', 'performance.md');
  else if (a.startsWith('--write=')) write = resolve(a.slice(8));
  else if (a === '--strict') strict = true;
  else if (a === '--only') only = argv[++i].split(',');
  else if (a === '--list') list = true;
  else if (a === '--quick') {
    // accepted for `npm run bench -- --quick`: this part has one mode
  } else {
    process.stderr.write(`unknown option ${a}\n`);
    process.exit(2);
  }
}
if (write && only) {
  process.stderr.write('--write needs every row: leave out --only\n');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Inputs of about `bytes` bytes, per shape

/** The generator's documents (Helm-style stream: ~40% workloads, a third of them on an image the tool splits), up to `bytes`. */
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

/** Adds annotation lines (`key: value` text) to a document's top-level metadata.annotations, creating it when absent. */
function annotate(doc, lines) {
  const meta = /^metadata:\n((?: {2}.*\n|\n)*)/m.exec(doc);
  if (!meta) return doc;
  const block = meta[1];
  const at = meta.index + 'metadata:\n'.length;
  const ann = /^ {2}annotations:\n/m.exec(block);
  const text = lines.map((l) => `    ${l.replace(/\n/g, '\n    ')}\n`).join('');
  if (ann) {
    const after = at + ann.index + ann[0].length;
    return doc.slice(0, after) + text + doc.slice(after);
  }
  return `${doc.slice(0, at)}  annotations:\n${text}${doc.slice(at)}`;
}

/** A document as a list item: `- ` before its first line, two spaces before the others (the `---` line dropped). */
function item(doc) {
  return `${doc
    .replace(/^---\n/, '')
    .replace(/\n$/, '')
    .split('\n')
    .map((l, i) => (i === 0 ? `- ${l}` : l === '' ? '' : `  ${l}`))
    .join('\n')}\n`;
}

const kindAndName = (d) => [/^kind: *(\S+)/m.exec(d)?.[1] ?? 'Unknown', /^ {2}name: *(\S+)/m.exec(d)?.[1] ?? 'x'];

const FUNCTION_CONFIG =
  'functionConfig:\n  apiVersion: distroless-init.io/v1alpha1\n  kind: DistrolessInit\n  metadata:\n    name: distroless-init\n    annotations:\n' +
  '      config.kubernetes.io/local-config: "true"\n  spec:\n    security:\n      readOnlyRootFilesystem: true\n';

const inputs = {
  stream: (bytes) => stream(bytes).join(''),
  // one document: a ConfigMap with many keys (the streaming reader sees no `---` until the end)
  document: (bytes) => {
    let s = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n';
    for (let i = 0; s.length < bytes; i++) s += `  key-${i}: "${'v'.repeat(60)}"\n`;
    return s;
  },
  // one `kind: List` holding the stream's objects, as `kubectl get -o yaml` lays one out (kind and metadata after the items)
  list: (bytes) => `apiVersion: v1\nitems:\n${stream(bytes).map(item).join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`,
  // what kpt fn eval --exec sends: items annotated with their file, index and id; the function config last
  resourcelist: (bytes) => {
    const items = stream(bytes).map((d, i) => {
      const path = `manifests/${kindAndName(d)[0].toLowerCase()}-${Math.floor(i / 10)}.yaml`;
      const index = i % 10;
      return item(
        annotate(d, [
          `config.kubernetes.io/index: '${index}'`,
          `config.kubernetes.io/path: '${path}'`,
          `internal.config.kubernetes.io/index: '${index}'`,
          `internal.config.kubernetes.io/path: '${path}'`,
          `internal.config.kubernetes.io/seqindent: 'wide'`,
          `internal.config.kubernetes.io/id: '${i + 1}'`,
          `config.k8s.io/id: '${i + 1}'`,
        ]),
      );
    });
    return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items.join('')}${FUNCTION_CONFIG}`;
  },
  // what kustomize hands a legacy exec plugin: the resources, each with its id annotation
  kustomize: (bytes) =>
    stream(bytes)
      .map((d) => {
        const [kind, name] = kindAndName(d);
        return annotate(d.replace(/^# Source: .*\n/m, ''), [`kustomize.config.k8s.io/id: |\n  kind: ${kind}\n  name: ${name}\n  version: v1`]);
      })
      .join(''),
  // what Helm 4 sends a post-renderer plugin: every document with its template's file name
  helm4: (bytes) => stream(bytes).map((d, i) => annotate(d, [`postrenderer.helm.sh/postrender-filename: "chart/templates/t${i % 50}.yaml"`])).join(''),
  compose: (bytes) => {
    let s = 'x-common: &common\n  restart: unless-stopped\n  logging: {driver: json-file}\nservices:\n';
    const images = ['postgres:16', 'redis:7', 'nginx:1.27', 'busybox:1', 'mysql:8.4', 'ghcr.io/acme/api:2.3'];
    let n = 0;
    for (; s.length < bytes; n++) {
      const image = images[n % images.length];
      s += `  svc${n}:\n    <<: *common\n    image: ${image}\n    environment:\n      POSTGRES_PASSWORD: example\n      APP_INDEX: "${n}"\n`;
      s += `    ports: ["${10000 + (n % 50000)}:80"]\n    volumes:\n      - data${n}:/var/lib/data\n`;
    }
    s += 'volumes:\n';
    for (let i = 0; i < n; i++) s += `  data${i}: {}\n`;
    return s;
  },
};

// ---------------------------------------------------------------------------------------------
// The front doors

const CONFIG = join(DATA, 'kustomize', 'distroless-init.yaml');
const KRM_FN = join(DATA, 'distroless-init-fn');
let KUSTOMIZE_PLUGIN;

/** The wrappers, written once per run: the KRM exec function and the kustomize plugin (by the command itself). */
function setUp() {
  mkdirSync(join(DATA, 'kustomize'), { recursive: true });
  writeFileSync(CONFIG, 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nmetadata:\n  name: distroless-init\nspec:\n  security:\n    readOnlyRootFilesystem: true\n');
  writeFileSync(join(DATA, 'kustomize', 'kustomization.yaml'), 'resources: [resources.yaml]\ntransformers: [distroless-init.yaml]\n');
  writeFileSync(KRM_FN, `#!/bin/sh\nexec '${BIN}' "$@"\n`);
  chmodSync(KRM_FN, 0o755);
  const home = join(DATA, 'kustomize-plugin-home');
  const r = spawnSync(BIN, ['install', 'kustomize-plugin', '--dir', home], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`install kustomize-plugin failed: ${r.stderr}`);
  KUSTOMIZE_PLUGIN = r.stdout.trim();
}

/**
 * The rows: front door, input shape, command, and how stdin arrives (`file`: `< FILE`; `pipe`:
 * written by the parent, as a tool does; `none`). `{file}` is the input file, `{out}` an output file.
 */
const ROWS = [
  { name: 'stdin stream', input: 'stream', cmd: () => [BIN], stdin: 'file' },
  { name: 'stdin one document', input: 'document', cmd: () => [BIN], stdin: 'file' },
  { name: 'stdin kind: List', input: 'list', cmd: () => [BIN], stdin: 'file' },
  { name: '-f file', input: 'stream', cmd: () => [BIN, '-f', '{file}'], stdin: 'none' },
  { name: '-f … -o FILE', input: 'stream', cmd: () => [BIN, '-f', '{file}', '-o', '{out}'], stdin: 'none' },
  { name: '--diff', input: 'stream', cmd: () => [BIN, '--diff'], stdin: 'file' },
  { name: '--check', input: 'stream', cmd: () => [BIN, '--check'], stdin: 'file', ok: [0, 1] },
  { name: 'compose -f FILE', input: 'compose', cmd: () => [BIN, 'compose', '-f', '{file}'], stdin: 'none' },
  { name: 'compose --diff', input: 'compose', cmd: () => [BIN, 'compose', '-f', '{file}', '--diff'], stdin: 'none' },
  { name: 'KRM function (kpt fn eval --exec)', input: 'resourcelist', cmd: () => [KRM_FN], stdin: 'pipe' },
  {
    name: 'kustomize plugin (--config)',
    input: 'kustomize',
    cmd: () => [KUSTOMIZE_PLUGIN, CONFIG],
    stdin: 'pipe',
    cwd: () => join(DATA, 'kustomize'),
    env: () => ({ KUSTOMIZE_PLUGIN_CONFIG_STRING: readFileSync(CONFIG, 'utf8'), KUSTOMIZE_PLUGIN_CONFIG_ROOT: join(DATA, 'kustomize') }),
  },
  {
    name: 'Helm 4 plugin (postrender.sh)',
    input: 'helm4',
    cmd: () => [join(HELM_PLUGIN, 'postrender.sh')],
    stdin: 'pipe',
    env: () => ({ HELM_PLUGIN_DIR: HELM_PLUGIN, HELM_PLUGIN_NAME: 'distroless-init', HELM_BIN: 'helm', HELM_NAMESPACE: 'default' }),
    check: (stdout) => (/distroless-init failed/.test(stdout) ? 'the plugin answered with its failure document' : undefined),
  },
  { name: 'Helm 3 post-renderer', input: 'stream', cmd: () => [BIN], stdin: 'pipe' },
];

const rowMatches = (row) => !only || only.some((o) => row.name === o || (row.name.includes(o) && ROWS.filter((r) => r.name.includes(o)).length === 1));

if (list) {
  for (const row of ROWS) process.stdout.write(`${row.name}: ${row.input} input, stdin ${row.stdin}\n`);
  process.exit(0);
}

mkdirSync(DATA, { recursive: true });
setUp();

function file(shape, bytes) {
  // named after the generator's code: a changed generator writes new files
  const version = createHash('sha256').update(inputs[shape].toString() + stream.toString() + annotate.toString() + item.toString()).digest('hex').slice(0, 8);
  const path = join(DATA, `${shape}-${bytes / MB}mb-${version}.yaml`);
  if (!existsSync(path)) writeFileSync(path, inputs[shape](bytes));
  return path;
}

/** One run of a row: the whole process tree, killed (its process group) after `limit` seconds. */
function runOnce(row, input, limit) {
  const sub = (a) => a.replace('{file}', input).replace('{out}', join(DATA, '.out.yaml'));
  const args = row.cmd().map(sub);
  const rssFile = join(DATA, '.rss');
  rmSync(rssFile, { force: true });
  const cmd = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...args] : args;
  const stdinFd = row.stdin === 'file' ? openSync(input, 'r') : undefined;
  const checkOut = row.check ? join(DATA, '.stdout') : undefined;
  const stdoutFd = checkOut ? openSync(checkOut, 'w') : 'ignore';
  return new Promise((done) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: row.cwd?.() ?? ROOT,
      env: { ...process.env, ...(row.env?.() ?? {}) },
      stdio: [stdinFd ?? (row.stdin === 'pipe' ? 'pipe' : 'ignore'), stdoutFd, 'pipe'],
      detached: true, // its own process group: a timeout kills the wrapper's children too
    });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr = (stderr + b).slice(-2000);
    });
    if (row.stdin === 'pipe') {
      child.stdin.on('error', () => {}); // a child that exits before reading it all
      child.stdin.end(readFileSync(input));
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, limit * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (stdinFd !== undefined) closeSync(stdinFd);
      if (typeof stdoutFd === 'number') closeSync(stdoutFd);
      let rss = NaN;
      try {
        const kb = readFileSync(rssFile, 'utf8').trim().split('\n').pop();
        if (/^\d+$/.test(kb ?? '')) rss = Number(kb) / 1024;
      } catch {
        // killed, or no GNU time
      }
      // GNU time reports a child's non-zero exit on its own stderr line: the child's code is `code`
      let error;
      if (timedOut) error = `killed after ${limit} s`;
      else if (!(row.ok ?? [0]).includes(code)) error = `exit ${code}${signal ? ` (${signal})` : ''}: ${stderr.trim().split('\n').filter((l) => !l.startsWith('Command exited')).pop() ?? ''}`;
      else if (row.check) error = row.check(readFileSync(checkOut, 'utf8'));
      done({ wall, rss, error, timedOut });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const started = new Date();
const loadAtStart = load();
const results = [];
for (const row of ROWS) {
  if (!rowMatches(row)) continue;
  const out = {};
  for (const size of [1, 20]) {
    const input = file(row.input, size * MB);
    const runs = [];
    if (size === 20 && out[1].error) {
      out[20] = { wall: NaN, rss: NaN, error: 'not run (the 1 MB run failed)' };
      break;
    }
    const limit = size === 1 ? KILL_1 : Math.round(Math.min(KILL_20_CAP, Math.max(10, KILL_RATIO * out[1].wall)));
    for (let i = 0; i < (size === 1 ? 3 : 1); i++) {
      const r = await runOnce(row, input, limit);
      runs.push(r);
      if (r.error) break; // a failed run: no more of this row
    }
    const bad = runs.find((r) => r.error);
    const rsses = runs.map((r) => r.rss).filter(Number.isFinite);
    out[size] = { wall: median(runs.map((r) => r.wall)), rss: rsses.length ? Math.max(...rsses) : NaN, error: bad?.error, timedOut: bad?.timedOut };
    process.stderr.write(`${row.name} ${size} MB: ${out[size].wall.toFixed(2)} s, ${Number.isFinite(out[size].rss) ? `${out[size].rss.toFixed(0)} MiB` : ''}${out[size].error ? ` ${out[size].error}` : ''}\n`);
  }
  const ratio = out[20].wall / out[1].wall;
  const pass = ratio <= MAX_RATIO && !out[1].error && !out[20].error;
  results.push({ row, out, ratio, pass });
}
rmSync(join(DATA, '.out.yaml'), { force: true });
rmSync(join(DATA, '.stdout'), { force: true });
const minutes = (Date.now() - started.getTime()) / 60000;

const mib = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MiB` : 'n/a');
const cell = (o) => (o.timedOut ? `> ${o.error.replace(/^killed after /, '')} (killed)` : Number.isFinite(o.wall) ? `${o.wall.toFixed(2)} s, ${mib(o.rss)}` : '–');
let table = `| front door / mode | input | 1 MB: wall, peak RSS | 20 MB: wall, peak RSS | ratio 20 MB / 1 MB (≤ ${MAX_RATIO}) | result |\n|---|---|---|---|---|---|\n`;
for (const { row, out, ratio, pass } of results) {
  const why = out[1].error ?? out[20].error;
  const shown = !Number.isFinite(ratio) || out[1].timedOut ? '–' : out[20].timedOut ? `> ${ratio.toFixed(1)}` : ratio.toFixed(1);
  table += `| ${row.name} | ${row.input} | ${cell(out[1])} | ${cell(out[20])} | ${shown} | ${pass ? 'PASS' : `FAIL${why ? `: ${why.replace(/\|/g, '\\|')}` : ''}`} |\n`;
}
const failed = results.filter((r) => !r.pass).length;
const summary = `${results.length - failed} of ${results.length} rows linear (ratio ≤ ${MAX_RATIO})${failed ? `; ${failed} FAIL` : ''}.`;
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start ${loadAtStart}, at end ${load()}`;
process.stdout.write(`\n## Linearity (bench/linear.mjs)\n\n${table}\n${summary}\n\n${machine}; ${minutes.toFixed(1)} min.\n`);

if (write) {
  const doc = existsSync(write) ? readFileSync(write, 'utf8') : '';
  const section =
    `## Linearity: every front door at 1 MB and 20 MB\n\n` +
    `Written by \`node bench/linear.mjs --write\` (part of \`npm run bench\`) on ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, ${minutes.toFixed(1)} min: ` +
    `node ${process.version}, ${machine}. ` +
    `A row passes when the 20 MB run takes at most ${MAX_RATIO} times the 1 MB run: linear is ~20, quadratic ~400. ` +
    `Figures are whole processes, start-up included (the median of 3 runs at 1 MB, one run at 20 MB; peak RSS the largest of the runs, of the largest process). ` +
    `Each front door is run as its tool runs it (bench/linear.mjs says how: the command executed directly, stdin from the file or through a pipe, ` +
    `the kpt exec wrapper, the script \`install kustomize-plugin\` writes, Helm 4's postrender.sh). Inputs: ` +
    `"stream" is the benchmark generator's mix of documents (~40% workloads, a third of them on images that are split); "document" a ConfigMap with as many keys as it takes; ` +
    `"list" the stream's objects as the items of a \`kind: List\` laid out as kubectl prints one; "resourcelist" the same as a ResourceList with kpt's item annotations and a functionConfig; ` +
    `"kustomize" the stream with kustomize's id annotation; "helm4" the stream with Helm 4's file name annotation; ` +
    `"compose" one service per ~200 bytes (postgres, redis, nginx, mysql and others, each merging \`<<: *common\`).\n\n${table}\n${summary}\n\n` +
    `Compose is the slow door per byte: its rewrite is ~5 times its input (each split service gains an init service), and every window of ` +
    `services is parsed twice (the first pass finds which services refer to each other), split, and its printed text read back in pieces; ` +
    `a file over 1 MiB is rewritten a window of services at a time (src/core/compose-text.ts), in a child node with 32 MB semi-spaces (bin/distroless-init.js). Its peak RSS at 20 MB is mostly the ` +
    `~106 MB result and ~330,000 warnings held until the run is known to have no error, and garbage V8 has not collected yet: ` +
    `the same run completes under \`node --max-old-space-size=800\`.\n`;
  const start = doc.indexOf('## Linearity: every front door');
  const next = start < 0 ? -1 : doc.indexOf('\n## ', start + 3);
  const updated = start < 0 ? `${doc.replace(/\n*$/, '\n\n')}${section}` : `${doc.slice(0, start)}${section}${next < 0 ? '' : `\n${doc.slice(next + 1)}`}`;
  writeFileSync(write, updated);
  process.stderr.write(`wrote ${write}\n`);
}
if (strict && failed) process.exit(1);
