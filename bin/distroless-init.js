#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc
// The command-line entry. Everything lives in the bundled CLI (dist/, code
// split so that each command loads only what it uses). Answered here, before
// the bundle loads: `--version`, and an empty stream given to the bare pipe
// filter (nothing to rewrite). The small young generation and --expose-gc let
// the streaming pipeline keep peak memory flat on large streams.
const argv = process.argv.slice(2);
// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  let stdin;
  let empty = false;
  if (argv.length === 0) {
    const it = process.stdin[Symbol.asyncIterator]();
    const first = await it.next();
    empty = first.done === true;
    stdin = (async function* rest() {
      if (!first.done) yield first.value;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    })();
  }
  if (!empty) {
    const { main } = await import('../dist/cli.js');
    process.exitCode = await main(argv, stdin);
  }
}
