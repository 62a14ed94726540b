#!/usr/bin/env node
// The benchmark of issue 7: whole-process timings of the CLI, each paired against its baseline
// in the same run; then the admission webhook's requests/s and latency (issue 15, bench/webhook.mjs).
//
//   node bench/run.mjs [--quick] [--write[=FILE]] [--strict]     (npm run bench)
//
//   --quick        fewer rounds, and no kustomize run at 10,000 documents (that row says
//                  "skipped (--quick)"); ~2 minutes idle, 4.7 min measured on a loaded machine.
//                  The default mode adds one kustomize run at 10,000 documents: ~11 min idle
//                  (~14 min in all), but it passed 21 min under load 9 on 2 cores (not finished).
//   --write        also write the report to docs/performance.md (FILE with --write=FILE). Without
//                  it nothing outside bench/data/ is touched.
//   --strict       exit 1 if a row fails (default: exit 0, the report says PASS/FAIL).
//
// Environment:
//   BENCH_CMD      the command under test (default: the executable `bin/distroless-init.js`, run from
//                  the repository root); split on blanks, '…' and "…" quote. Example: BENCH_CMD=cat.
//
// Method (docs/performance.md, the paragraph "Method"): every figure is a whole process, stdin from a
// file, stdout to /dev/null. Wall time is taken around the child with a monotonic clock; peak
// memory (max RSS) and cpu time come from GNU time (`/usr/bin/time -f '%e %M %U %S'`, Debian
// package `time`). Each row runs one warm-up of each command, then n alternating pairs in ABBA
// order (A B, B A, A B, …); the ratio is the median of the pairwise A/B wall ratios, min–max after
// it. Medians of A and B are given too, but on a shared machine only the ratio is comparable
// between runs.
//
// Inputs come from bench/gen-manifests.mjs (seed 1) and are written to bench/data/ (git-ignored),
// with one kustomize directory per size (kustomization.yaml + resources.yaml).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen-manifests.mjs';
import { webhookBench } from './webhook.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const DATA = join(HERE, 'data');
const GNU_TIME = '/usr/bin/time';
const KUBECTL = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : 'kubectl';
const SIZES = [100, 1000, 10000];
const SEED = '1';

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const opts = { quick: false, write: null, strict: false };
for (const a of argv) {
  if (a === '--quick') opts.quick = true;
  else if (a === '--strict') opts.strict = true;
  else if (a === '--write') opts.write = join(ROOT, 'docs', 'performance.md');
  else if (a.startsWith('--write=')) opts.write = resolve(a.slice('--write='.length));
  else if (a === '-h' || a === '--help') {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//')))
      .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    process.exit(0);
  } else {
    process.stderr.write(`bench: unknown argument ${a} (try --help)\n`);
    process.exit(2);
  }
}

// Rounds (pairs after one warm-up pair). Documented in the report.
const ROUNDS = opts.quick
  ? { version: 10, empty: 10, kz100: 5, kz1000: 3, kz10000: 0, scale: 2 }
  : { version: 20, empty: 20, kz100: 10, kz1000: 5, kz10000: 1, scale: 3 };

function splitCommand(s) {
  const out = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

const benchCmdEnv = process.env.BENCH_CMD?.trim();
// the executable itself, as npm's bin link, Helm and kubectl run it (its shebang sets node's flags)
const TOOL = benchCmdEnv ? splitCommand(benchCmdEnv) : [join(ROOT, 'bin', 'distroless-init.js')];
const TOOL_LABEL = benchCmdEnv ? `BENCH_CMD=${JSON.stringify(benchCmdEnv)}` : '`bin/distroless-init.js` (executed directly)';
const NODE0 = [process.execPath, '-e', '0'];

if (opts.write && benchCmdEnv && opts.write === join(ROOT, 'docs', 'performance.md')) {
  process.stderr.write(
    'bench: refusing to write docs/performance.md with BENCH_CMD set (it would record another ' +
      'command\'s figures); use --write=FILE for a scratch copy.\n',
  );
  process.exit(2);
}

const log = (s) => process.stderr.write(s + '\n');

// ---------------------------------------------------------------------------------------------
// Running one process

const haveGnuTime = (() => {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/m.test(r.stderr);
})();
mkdirSync(DATA, { recursive: true });
const TIME_OUT = join(DATA, '.time.out');

/**
 * Run argv once. stdin: a file path (or null for /dev/null); stdout: a file path or null
 * (/dev/null). Returns { wall, cpu, peakMiB, code, stderr }.
 */
function runOnce(cmd, { stdin = null, stdout = null, env = null, timeoutS = 3600 } = {}) {
  const inFd = openSync(stdin ?? '/dev/null', 'r');
  const outFd = stdout ? openSync(stdout, 'w') : 'ignore';
  const full = haveGnuTime ? [GNU_TIME, '-f', '%e %M %U %S', '-o', TIME_OUT, ...cmd] : cmd;
  let r;
  const t0 = process.hrtime.bigint();
  try {
    r = spawnSync(full[0], full.slice(1), {
      cwd: ROOT,
      stdio: [inFd, outFd, 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutS * 1000,
      encoding: 'utf8',
    });
  } finally {
    closeSync(inFd);
    if (typeof outFd === 'number') closeSync(outFd);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let code = r.status;
  let cpu = NaN;
  let peakMiB = NaN;
  if (r.error) return { wall, cpu, peakMiB, code: -1, stderr: String(r.error.message) };
  if (haveGnuTime) {
    // GNU time prefixes "Command exited with non-zero status N" on failure; the figures are last.
    const lines = readFileSync(TIME_OUT, 'utf8').trim().split('\n');
    const m = lines[lines.length - 1].match(/^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/);
    if (m) {
      peakMiB = Number(m[2]) / 1024;
      cpu = Number(m[3]) + Number(m[4]);
    }
    const st = lines.find((l) => /Command (exited with non-zero status|terminated by signal)/.test(l));
    if (st && code === 0) code = -1;
  }
  if (r.signal) code = -1;
  return { wall, cpu, peakMiB, code, stderr: r.stderr ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs) {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const min = (xs) => Math.min(...xs);
const max = (xs) => Math.max(...xs);
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const spread = (xs, f) => (xs.length > 1 ? `${f(median(xs))} (${f(min(xs))}–${f(max(xs))})` : f(xs[0]));

/**
 * One warm-up of each (unless warmup is false), then n pairs in ABBA order.
 * a/b = { cmd, stdin, label }. Returns per-side samples and pairwise ratios.
 */
function pairs(name, a, b, n, { warmupA = true, warmupB = true } = {}) {
  const res = { a: [], b: [], ratios: [], cpuRatios: [], errors: [] };
  const check = (side, r) => {
    if (r.code !== 0) {
      res.errors.push(`${side} exited with ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return r;
  };
  if (warmupA) check('A (warm-up)', runOnce(a.cmd, { stdin: a.stdin }));
  if (warmupB) check('B (warm-up)', runOnce(b.cmd, { stdin: b.stdin }));
  for (let i = 0; i < n; i++) {
    let ra;
    let rb;
    if (i % 2 === 0) {
      ra = check('A', runOnce(a.cmd, { stdin: a.stdin }));
      rb = check('B', runOnce(b.cmd, { stdin: b.stdin }));
    } else {
      rb = check('B', runOnce(b.cmd, { stdin: b.stdin }));
      ra = check('A', runOnce(a.cmd, { stdin: a.stdin }));
    }
    res.a.push(ra);
    res.b.push(rb);
    res.ratios.push(ra.wall / rb.wall);
    res.cpuRatios.push(ra.cpu / rb.cpu);
    log(`  ${name}: pair ${i + 1}/${n}  A ${f3(ra.wall)} s  B ${f3(rb.wall)} s  A/B ${f2(ra.wall / rb.wall)}`);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Inputs

function prepareInputs() {
  mkdirSync(DATA, { recursive: true });
  const info = [];
  for (const n of SIZES) {
    const text = generate(n, { seed: SEED, format: 'stream' });
    const file = join(DATA, `m${n}.yaml`);
    writeFileSync(file, text);
    const kz = join(DATA, `kz${n}`);
    mkdirSync(kz, { recursive: true });
    writeFileSync(join(kz, 'resources.yaml'), text);
    writeFileSync(
      join(kz, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - resources.yaml\n',
    );
    const workloads = (text.match(/^kind: (Deployment|StatefulSet)$/gm) ?? []).length;
    const lines = (text.match(/\n/g) ?? []).length;
    info.push({ n, file, kz, bytes: Buffer.byteLength(text), lines, workloads });
  }
  return info;
}

function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function machineInfo() {
  let cpu = 'unknown';
  try {
    cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch {}
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1];
    if (pretty) osName = `${pretty} (kernel ${os.release()})`;
  } catch {}
  let kubectl = 'not found';
  const k = spawnSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (k.status === 0) {
    try {
      const j = JSON.parse(k.stdout);
      kubectl = `${j.clientVersion?.gitVersion} (kustomize ${j.kustomizeVersion})`;
    } catch {}
  }
  return {
    cpu,
    cores: os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    os: osName,
    node: process.version,
    kubectl,
    kubectlOk: k.status === 0,
  };
}

function pressure() {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').match(/^some avg10=([\d.]+) avg60=([\d.]+)/m);
    return `load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; CPU pressure "some" avg60 ${some?.[2] ?? '?'} %`;
  } catch {
    return `load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const started = new Date();
const machine = machineInfo();
const pressureStart = pressure();
log(`bench: ${opts.quick ? 'quick' : 'default'} mode; tool ${TOOL_LABEL}; ${pressureStart}`);
if (!haveGnuTime) {
  log(
    'bench: GNU time (/usr/bin/time) not found: peak memory and cpu time are NOT measured.\n' +
      '       Install it with `apt-get install time` (Debian package `time`) for the memory row.',
  );
}

// Preflight: the tool must answer --version and an empty stream.
const pre = runOnce([...TOOL, '--version'], { stdout: join(DATA, '.version.out') });
const toolVersion = existsSync(join(DATA, '.version.out'))
  ? readFileSync(join(DATA, '.version.out'), 'utf8').trim().split('\n')[0]
  : '';
const preEmpty = pre.code === 0 ? runOnce(TOOL) : null;
if (pre.code !== 0 || preEmpty.code !== 0) {
  const r = pre.code !== 0 ? pre : preEmpty;
  log(
    `bench: the command under test does not run (${pre.code !== 0 ? '--version' : 'empty stdin'} ` +
      `exited with ${r.code}):\n  ${r.stderr.trim().split('\n').slice(-5).join('\n  ')}\n` +
      (benchCmdEnv
        ? ''
        : '  The CLI is `node bin/distroless-init.js` (it loads dist/): build it first (`npm run build`),\n' +
          '  or set BENCH_CMD to benchmark another command (e.g. BENCH_CMD=cat).'),
  );
  process.exit(2);
}

log('bench: generating inputs in bench/data/ …');
const inputs = prepareInputs();
const input = Object.fromEntries(inputs.map((i) => [i.n, i]));

// 1. Streaming vs non-streaming output must be byte-identical.
log('bench: comparing streaming and DISTROLESS_INIT_NO_STREAM=1 output …');
const identity = [];
mkdirSync(join(DATA, 'out'), { recursive: true });
for (const { n, file } of inputs) {
  const s = join(DATA, 'out', `m${n}.stream.yaml`);
  const ns = join(DATA, 'out', `m${n}.nostream.yaml`);
  const r1 = runOnce(TOOL, { stdin: file, stdout: s });
  const r2 = runOnce(TOOL, { stdin: file, stdout: ns, env: { DISTROLESS_INIT_NO_STREAM: '1' } });
  let result;
  let detail;
  if (r1.code !== 0 || r2.code !== 0) {
    result = 'FAIL';
    detail = `exit ${r1.code} (streaming) / ${r2.code} (non-streaming): ${(r1.code ? r1 : r2).stderr.trim().split('\n').pop()}`;
  } else {
    const h1 = sha256File(s);
    const h2 = sha256File(ns);
    const size = statSync(s).size;
    result = h1 === h2 ? 'PASS' : 'FAIL';
    detail =
      h1 === h2
        ? `identical, ${size.toLocaleString('en-US')} bytes, sha256 ${h1.slice(0, 12)}…`
        : `DIFFERENT: ${size} vs ${statSync(ns).size} bytes (kept in bench/data/out/)`;
    if (h1 === h2) {
      rmSync(s);
      rmSync(ns);
    }
  }
  identity.push({ n, result, detail, peak: r1.peakMiB, peakNoStream: r2.peakMiB });
  log(`  N = ${n}: ${result} (${detail})`);
}

// 2. Timed rows.
const tool = (n) => ({ cmd: TOOL, stdin: n == null ? null : input[n].file });
const node0 = { cmd: NODE0, stdin: null };
const kustomize = (n) => ({ cmd: [KUBECTL, 'kustomize', relative(ROOT, input[n].kz)], stdin: null });
const rows = [];

function pairRow(what, target, r, extra = {}) {
  const walls = (xs) => xs.map((x) => x.wall);
  const ratio = median(r.ratios);
  const ok = r.errors.length === 0 && ratio <= target;
  rows.push({
    what,
    target: `≤ ${Number.isInteger(target) ? target.toFixed(1) : target}×`,
    a: spread(walls(r.a), f3),
    b: spread(walls(r.b), f3),
    n: r.ratios.length,
    ratio: spread(r.ratios, f2),
    cpuRatio: f2(median(r.cpuRatios)),
    peakA: f1(max(r.a.map((x) => x.peakMiB))),
    peakB: f1(max(r.b.map((x) => x.peakMiB))),
    result: r.errors.length ? `ERROR: ${r.errors[0]}` : ok ? 'PASS' : 'FAIL',
    ...extra,
  });
}

function skippedRow(what, target, why) {
  rows.push({ what, target, a: '–', b: '–', n: 0, ratio: '–', cpuRatio: '–', peakA: '–', peakB: '–', result: why });
}

log(`bench: --version vs node -e 0 (${ROUNDS.version} pairs) …`);
pairRow('`distroless-init --version` vs `node -e 0`', 1.3,
  pairs('version', { cmd: [...TOOL, '--version'], stdin: null }, node0, ROUNDS.version));

log(`bench: empty stream vs node -e 0 (${ROUNDS.empty} pairs) …`);
pairRow('rewriting an empty stream (`</dev/null`) vs `node -e 0`', 1.5,
  pairs('empty', tool(null), node0, ROUNDS.empty));

const tool10k = [];
if (machine.kubectlOk) {
  log(`bench: N = 100 vs kubectl kustomize (${ROUNDS.kz100} pairs) …`);
  pairRow('100-document stream (40 workloads) vs `kubectl kustomize` on the same documents', 1.0,
    pairs('kz100', tool(100), kustomize(100), ROUNDS.kz100));
  log(`bench: N = 1,000 vs kubectl kustomize (${ROUNDS.kz1000} pairs) …`);
  pairRow('1,000 documents vs `kubectl kustomize`', 0.5,
    pairs('kz1000', tool(1000), kustomize(1000), ROUNDS.kz1000));
} else {
  skippedRow('100-document stream (40 workloads) vs `kubectl kustomize` on the same documents', '≤ 1.0×', 'skipped (kubectl not found)');
  skippedRow('1,000 documents vs `kubectl kustomize`', '≤ 0.5×', 'skipped (kubectl not found)');
}
// Row order in the table follows the issue; the 10,000-document kustomize pair runs last.
const kz10kIndex = rows.length;
skippedRow('10,000 documents vs `kubectl kustomize`', '≤ 0.25×', 'skipped (--quick)');

log(`bench: N = 10,000 vs N = 1,000 (${ROUNDS.scale} pairs) …`);
{
  const r = pairs('scale', tool(10000), tool(1000), ROUNDS.scale);
  tool10k.push(...r.a);
  const ratio = median(r.ratios);
  rows.push({
    what: 'time for 10,000 documents / time for 1,000',
    target: '≤ 11',
    a: spread(r.a.map((x) => x.wall), f3),
    b: spread(r.b.map((x) => x.wall), f3),
    n: r.ratios.length,
    ratio: spread(r.ratios, f2),
    cpuRatio: f2(median(r.cpuRatios)),
    peakA: f1(max(r.a.map((x) => x.peakMiB))),
    peakB: f1(max(r.b.map((x) => x.peakMiB))),
    result: r.errors.length ? `ERROR: ${r.errors[0]}` : ratio <= 11 ? 'PASS' : 'FAIL',
  });
}

if (!opts.quick && machine.kubectlOk) {
  log('bench: N = 10,000 vs kubectl kustomize (1 pair; kustomize alone takes ~11 minutes) …');
  const r = pairs('kz10000', tool(10000), kustomize(10000), ROUNDS.kz10000, { warmupA: false, warmupB: false });
  tool10k.push(...r.a);
  const before = rows.length;
  pairRow('10,000 documents vs `kubectl kustomize`', 0.25, r);
  rows[kz10kIndex] = rows.pop();
  if (rows.length !== before) throw new Error('row bookkeeping');
} else if (!machine.kubectlOk) {
  rows[kz10kIndex].result = 'skipped (kubectl not found)';
}

{
  const peaks = tool10k.map((x) => x.peakMiB);
  const peak = max(peaks);
  rows.push({
    what: 'peak memory at 10,000 documents (max RSS, largest of the runs)',
    target: '≤ 150 MiB',
    a: '–', b: '–', n: peaks.length, ratio: '–', cpuRatio: '–',
    peakA: haveGnuTime ? `${f1(peak)} (median ${f1(median(peaks))})` : 'n/a',
    peakB: '–',
    result: haveGnuTime ? (peak <= 150 ? 'PASS' : 'FAIL') : 'not measured (install GNU time: Debian package `time`)',
  });
}

rmSync(TIME_OUT, { force: true });
rmSync(join(DATA, '.version.out'), { force: true });

// the admission webhook (issue 15): its own section of the report (bench/webhook.mjs runs it alone too)
log('bench: admission webhook …');
let webhook;
try {
  webhook = await webhookBench({ quick: opts.quick, log });
} catch (e) {
  webhook = { rows: [{ result: `ERROR: ${e.message}` }], markdown: `## Admission webhook\n\nERROR: ${e.message}\n` };
}

// ---------------------------------------------------------------------------------------------
// Report

const ended = new Date();
const minutes = (ended - started) / 60000;
const md = [];
md.push('# Performance');
md.push('');
md.push(
  `Generated by \`node bench/run.mjs${opts.quick ? ' --quick' : ''}\` (\`npm run bench\`) on ` +
    `${started.toISOString().replace(/\.\d+Z$/, 'Z')}, ${f1(minutes)} min. Issue 7's targets; every row is ` +
    'measured in this one run.',
);
md.push('');
md.push(`* Machine: ${machine.cpu}, ${machine.cores} cores, ${f1(machine.memGiB)} GiB RAM, ${machine.os}`);
md.push(`* Node ${machine.node}; kubectl ${machine.kubectl}`);
md.push(`* Command under test: ${TOOL_LABEL}${toolVersion ? ` (\`--version\`: ${toolVersion})` : ''}, run from the repository root`);
md.push(`* Machine load: at start ${pressureStart}; at end ${pressure()}`);
md.push('');
md.push('| what | target | A wall s, median (min–max) | B wall s, median (min–max) | pairs | A/B wall ratio, median (min–max) | A/B cpu | A peak MiB | B peak MiB | result |');
md.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  md.push(`| ${r.what} | ${r.target} | ${r.a} | ${r.b} | ${r.n} | ${r.ratio} | ${r.cpuRatio} | ${r.peakA} | ${r.peakB} | ${r.result} |`);
}
md.push('');
md.push('Streaming output vs the non-streaming path (`DISTROLESS_INIT_NO_STREAM=1`), byte for byte:');
md.push('');
md.push('| N | result | detail | peak MiB streaming / non-streaming |');
md.push('| --- | --- | --- | --- |');
for (const i of identity) md.push(`| ${i.n.toLocaleString('en-US')} | ${i.result} | ${i.detail} | ${f1(i.peak)} / ${f1(i.peakNoStream)} |`);
if (benchCmdEnv) {
  md.push('');
  md.push(`(BENCH_CMD is set: the command under test may ignore \`DISTROLESS_INIT_NO_STREAM\`, so this check proves nothing about the CLI.)`);
}
md.push('');
md.push('Inputs (`node bench/gen-manifests.mjs -n N --seed 1`; Helm-style stream, 40 % workloads, 1 in 3 workloads on postgres/mysql/redis):');
md.push('');
md.push('| N | bytes | lines | workloads |');
md.push('| --- | --- | --- | --- |');
for (const i of inputs) md.push(`| ${i.n.toLocaleString('en-US')} | ${i.bytes.toLocaleString('en-US')} | ${i.lines.toLocaleString('en-US')} | ${i.workloads.toLocaleString('en-US')} |`);
md.push('');
md.push('Method: whole processes; stdin from the file (or `/dev/null`), stdout to `/dev/null`. A is the command under test, B its baseline; ' +
  'one warm-up run of each, then n pairs in alternating order (A B, B A, …); the ratio is the median of the pairwise A/B wall ratios ' +
  '(the figure to trust on a shared machine), the absolute medians are for orientation. Wall time by a monotonic clock around the child; ' +
  (haveGnuTime ? 'cpu (user + sys) and peak RSS from GNU time (`/usr/bin/time -f \'%e %M %U %S\'`). ' : 'GNU time was missing, so no cpu or peak RSS. ') +
  `Rounds (pairs): --version ${ROUNDS.version}, empty stream ${ROUNDS.empty}, N = 100 vs kustomize ${ROUNDS.kz100}, ` +
  `N = 1,000 vs kustomize ${ROUNDS.kz1000}, 10,000 / 1,000 ${ROUNDS.scale}, ` +
  (ROUNDS.kz10000 ? 'N = 10,000 vs kustomize 1 (no warm-up: kustomize alone takes ~11 min there, it is super-linear). ' : 'N = 10,000 vs kustomize skipped (--quick). ') +
  'The kustomize baseline is `kubectl kustomize DIR` on a directory holding `kustomization.yaml` (`resources: [resources.yaml]`) and the same stream as `resources.yaml`. ' +
  'Peak memory is the largest max RSS of the tool\'s runs at N = 10,000.');
md.push('');
md.push('What the command does for these figures (true to the code this run measured): `bin/distroless-init.js`, a CommonJS file (no ES module loader at start-up), answers `--version` and an empty stdin before loading anything; ' +
  'the command is one CommonJS bundle (`dist/cli.cjs`) compiled with the V8 code cache that `npm run build` writes beside it (`dist/cli.cjs.cache`, from a warm-up run under the shebang\'s node flags; V8 rejects it under another node or other flags, and the bundle is then compiled as usual); ' +
  'stdin is read with blocking reads in 64 KiB chunks and transformed in windows as they arrive; documents whose `kind` cannot hold a pod, and workloads whose every image no template claims, are copied as their exact text without being parsed; ' +
  'the documents that may change are read by a line-oriented reader for the block-YAML subset manifests use (src/core/fast-yaml.ts), which builds `yaml`\'s own nodes and leaves anything outside the subset to `yaml`\'s parser, and changed documents keep the source text of every part the split did not change (src/core/splice-render.ts: the source is read again, what changed is printed at its column, and the result must read back as the edited document or the document is printed whole), printed parts by a renderer byte-identical to `yaml`\'s on the shapes it accepts (src/core/fast-render.ts), `yaml` printing the rest (the test suite checks both against `yaml` on every document it reads); ' +
  'the output is held in memory up to 4 MiB, then in a temporary file, until the run is known to have no error, and garbage is collected every 2 MB of input (`--expose-gc`, 2 MB semi-spaces). ' +
  'Where the 100-document row\'s time goes: node itself (`node -e 0`), loading the bundle, then reading, splitting and printing the ~13 workload documents that change, in code V8 runs cold in every new process ' +
  '(the code cache saves compiling it, not warming it up); profile with `BUILD_MINIFY=0 npm run build` and `node --cpu-prof bin/distroless-init.js < bench/data/m100.yaml`.');
md.push('');
md.push(webhook.markdown);
const report = md.join('\n');

process.stdout.write(report);
if (opts.write) {
  mkdirSync(dirname(opts.write), { recursive: true });
  // the linearity section is bench/linear.mjs's: kept as it is
  const previous = existsSync(opts.write) ? readFileSync(opts.write, 'utf8') : '';
  const linearity = previous.indexOf('## Linearity: every front door');
  writeFileSync(opts.write, linearity < 0 ? report : `${report.replace(/\n*$/, '\n\n')}${previous.slice(linearity)}`);
  log(`bench: wrote ${relative(process.cwd(), opts.write) || opts.write}`);
}
const failed = rows.some((r) => /^(FAIL|ERROR)/.test(r.result)) || identity.some((i) => i.result !== 'PASS') || webhook.rows.some((r) => /^(FAIL|ERROR)/.test(r.result));
log(`bench: done in ${f1(minutes)} min${failed ? ' — some rows FAIL' : ''}.`);
process.exitCode = opts.strict && failed ? 1 : 0;
