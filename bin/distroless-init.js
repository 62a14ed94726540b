#!/usr/bin/env node
// The command-line entry: everything lives in the bundled CLI (one file, fast start-up).
import { run } from '../dist/cli.js';

process.exitCode = await run(process.argv.slice(2));
