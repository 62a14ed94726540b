// The README's test command (`npm test`; .ci/run calls it): build, type-check,
// unit/integration tests (vitest), then the end-to-end suite when this machine
// can run containers (root with podman installed; .ci/run installs it; DISTROLESS_INIT_E2E=0
// skips it), and a closing line `tests: N passed, N failed` over everything that ran. A test
// file that fails as a whole (e.g. it throws while being collected) counts as one failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
const fail = (what) => {
  console.log(`${what} failed`);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
};

if (run(process.execPath, ['scripts/build.mjs']).status !== 0) fail('build');
if (run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit']).status !== 0) fail('type check');

mkdirSync(new URL('../.tmp', import.meta.url), { recursive: true });
const report = new URL('../.tmp/vitest.json', import.meta.url).pathname;
const vitest = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // a test file that failed as a whole (it threw while its tests were collected, or in a
  // file-level hook) has no failed test of its own: it counts as one failure
  for (const file of r.testResults) {
    if (file.status !== 'failed' || file.assertionResults.some((a) => a.status === 'failed')) continue;
    console.log(`test file failed: ${file.name.slice(root.length)}: ${(file.message || 'no message').split('\n')[0]}`);
    failed += 1;
  }
  const skipped = r.numPendingTests + r.numTodoTests;
  if (skipped) console.log(`${skipped} tests skipped (the reasons are printed above)`);
  if (vitest.status !== 0 && failed === 0) failed = 1;
} else if (vitest.status !== 0) failed += 1;

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const hasPodman = spawnSync('sh', ['-c', 'command -v podman'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const e2eOff = process.env.DISTROLESS_INIT_E2E === '0';
if (pkg.scripts['test:e2e'] && !e2eOff && ((hasPodman && isRoot) || process.env.CI)) {
  const e2e = spawnSync('npm', ['run', '--silent', 'test:e2e'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(e2e.stdout ?? '');
  const m = /^(\d+) passed, (\d+) failed\s*$/m.exec((e2e.stdout ?? '').trim().split('\n').pop() ?? '');
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (e2e.status !== 0 && (!m || Number(m[2]) === 0)) failed += 1;
} else if (pkg.scripts['test:e2e']) {
  const why = e2eOff ? 'DISTROLESS_INIT_E2E=0' : hasPodman ? 'it needs root (rootful podman)' : 'podman is not installed';
  console.log(`end-to-end suite skipped: ${why}; bash .ci/run, as root, installs what it needs and runs everything`);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
