#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc
// The command-line entry: everything lives in the bundled CLI (dist/, code
// split so that each command loads only what it uses). `--version` is answered
// before the bundle is loaded. The small young generation (--max-semi-space-size)
// keeps peak memory flat on large streams at no measurable cost in time.
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
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(argv);
}
