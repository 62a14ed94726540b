/**
 * The CLI entry: declares the commands and holds the one top-level catch.
 * Usage errors exit 2, input errors 1, internal errors 1 with a request for a
 * bug report. Nothing here calls process.exit: `run` returns the exit code.
 */
import { Command, CommanderError } from 'commander';
import { InputError, UsageError } from '../shared/errors.js';
import { stdinChunks, type Io } from './io.js';
import { manifestsCommand } from './commands/manifests.js';
import { VERSION } from '../shared/version.js';
import { removeTempFilesOnSignals } from './safe-write.js';
import { removeTempFiles } from './temp-files.js';
import { knownFailure } from './failures.js';
import { escapeControls } from '../shared/diagnostics.js';

type Register = (program: Command, io: Io, setExit: (code: number) => void) => void;

/**
 * The subcommands, loaded only when the command line names one (or asks for
 * help): the default pipe filter, which Helm runs on every install, never
 * loads the code of `compose`, `image`, `templates`...
 */
const SUBCOMMANDS: Record<string, () => Promise<Register>> = {
  templates: async () => (await import('./commands/templates.js')).templatesCommands,
  explain: async () => (await import('./commands/templates.js')).templatesCommands,
  compose: async () => (await import('./commands/compose.js')).composeCommand,
  image: async () => (await import('./commands/image.js')).imageCommand,
  install: async () => (await import('./commands/install.js')).installCommands,
  webhook: async () => (await import('./commands/webhook.js')).webhookCommands,
};

async function subcommandsFor(argv: readonly string[]): Promise<Register[]> {
  const first = argv[0];
  const wanted =
    first !== undefined && Object.hasOwn(SUBCOMMANDS, first)
      ? [first]
      : argv.some((a) => a === '--help' || a === '-h' || a === 'help')
        ? Object.keys(SUBCOMMANDS)
        : [];
  const loaders = [...new Set(wanted.map((w) => SUBCOMMANDS[w]!))];
  return [...new Set(await Promise.all(loaders.map((l) => l())))];
}

export function defaultIo(firstChunk?: Buffer): Io {
  return { stdin: stdinChunks(firstChunk), stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

/** The bin's entry: `run` with the process's streams; `firstChunk` is what the bin has already read from stdin. */
export async function main(argv: readonly string[], firstChunk?: Buffer): Promise<number> {
  removeTempFilesOnSignals();
  return run(argv, defaultIo(firstChunk));
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
  for (const register of await subcommandsFor(argv)) register(program, io, setExit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    removeTempFiles();
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`distroless-init: ${escapeLines(e.message)}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr.write(`distroless-init: ${escapeLines(e.message)}\n`);
      return 1;
    }
    const known = knownFailure(e);
    if (known) {
      io.stderr.write(`distroless-init: ${known}\n`);
      return 1;
    }
    io.stderr.write(
      `distroless-init: internal error: ${(e as Error).stack ?? String(e)}\nThis is a bug: please report it with the input that caused it.\n`,
    );
    return 1;
  }
}


/** A message's lines with the control characters that came from the input escaped. */
function escapeLines(message: string): string {
  return message.split('\n').map(escapeControls).join('\n');
}
