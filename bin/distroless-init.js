#!/usr/bin/env node
// The command-line entry: everything lives in the bundled CLI (one file, fast
// start-up). `--version` is answered before the bundle is loaded.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(argv);
}
