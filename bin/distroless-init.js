#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc
// The command-line entry, a CommonJS file (bin/package.json): an ES module entry would load
// node's ES module loader, ~10 ms of every start-up. Everything else lives in one bundled
// file, dist/cli.cjs.
// Answered here, before the bundle loads: `--version`, and an empty stream
// given to the bare pipe filter (nothing to rewrite). The small young
// generation and --expose-gc let the streaming pipeline keep peak memory flat
// on large streams.
//
// The bundle is compiled with V8's code cache (dist/cli.cjs.cache, written by
// `npm run build` from a warm-up run under the flags above): Helm runs a
// post-renderer on every install, and compiling the YAML library's functions
// again on each start-up was a fifth of a 100-document run. A cache that does
// not fit this node (another version or other flags) is rejected by V8 and the
// bundle is compiled as usual.
const argv = process.argv.slice(2);
// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else if (argv[0] === 'compose' && process.env.DISTROLESS_INIT_COMPOSE_CHILD !== '1') {
  // A Compose file is rewritten a window of services at a time (src/core/compose-text.ts), each window's YAML nodes
  // alive until it is printed: in the shebang's 2 MB semi-spaces (sized for the streaming pipe filter) they are copied
  // out of the young generation again and again (a 20 MB file: 47,000 scavenges, half of its 150 s). `compose` runs
  // in a child node with 32 MB semi-spaces (108 s), which this process waits for, passing signals on.
  const { spawn } = require('node:child_process');
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const child = spawn(process.execPath, ['--max-semi-space-size=32', '--expose-gc', __filename, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, DISTROLESS_INIT_COMPOSE_CHILD: '1' },
  });
  const forward = (signal) => child.kill(signal);
  for (const s of SIGNALS) process.on(s, forward);
  child.on('error', (e) => {
    process.stderr.write(`distroless-init: error DI9001: cannot start node for compose: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of SIGNALS) process.removeListener(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  const { readFileSync, readSync, writeFileSync } = require('node:fs');
  let first;
  let empty = false;
  if (argv.length === 0) {
    // the first chunk, by a blocking read (the bundle reads the rest the same way); a
    // non-blocking descriptor (EAGAIN) is left to the bundle, which then uses process.stdin
    const buf = Buffer.allocUnsafe(1 << 16);
    let n = -1;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EOF') n = 0;
      else if (e.code !== 'EAGAIN') {
        // a directory as stdin (EISDIR), an I/O error: a coded error, not a stack trace
        const what = e.code === 'EISDIR' ? 'error DI1013: standard input is a directory' : `error DI1002: standard input cannot be read: ${e.code}`;
        process.stderr.write(`distroless-init: <stdin>: ${what}\n`);
        process.exitCode = 1;
        n = 0;
      }
    }
    empty = n === 0;
    if (n > 0) first = buf.subarray(0, n);
  }
  if (!empty) {
    const { Script } = require('node:vm');
    const { createRequire } = require('node:module');
    const { join } = require('node:path');
    const dist = join(__dirname, '..', 'dist');
    const file = join(dist, 'cli.cjs');
    const cacheFile = `${file}.cache`;
    let cachedData;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // no cache: compile as usual
    }
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
      filename: file,
      cachedData,
    });
    const cacheMode = process.env.DISTROLESS_INIT_CODE_CACHE;
    if (cacheMode === 'report') process.stderr.write(`code cache: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none'}\n`);
    const bundle = { exports: {} };
    script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dist);
    bundle.exports.main(argv, first).then((code) => {
      process.exitCode = code;
      // scripts/build.mjs: the cache holds every function this run compiled
      if (cacheMode === 'write') writeFileSync(cacheFile, script.createCachedData());
    });
  }
}
