/**
 * The CLI entry: declares the commands and holds the one top-level catch.
 * Usage errors exit 2, input errors 1, internal errors 1 with a request for a
 * bug report. Nothing here calls process.exit: `run` returns the exit code.
 */
import { Command, CommanderError } from 'commander';
import { InputError, UsageError, type Io } from './io.js';
import { manifestsCommand } from './commands/manifests.js';
import { templatesCommands } from './commands/templates.js';
import { composeCommand } from './commands/compose.js';
import { imageCommand } from './commands/image.js';
import { installCommands } from './commands/install.js';
import { VERSION } from '../version.js';

export function defaultIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('distroless-init')
    .description(
      'Split containers whose image needs a shell at start-up into an init container (full image) and a distroless main container.',
    )
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run distroless-init --help for usage)')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
  manifestsCommand(program, io, setExit);
  templatesCommands(program, io, setExit);
  composeCommand(program, io, setExit);
  imageCommand(program, io, setExit);
  installCommands(program, io, setExit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`distroless-init: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr.write(`distroless-init: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(
      `distroless-init: internal error: ${(e as Error).stack ?? String(e)}\nThis is a bug: please report it with the input that caused it.\n`,
    );
    return 1;
  }
}
