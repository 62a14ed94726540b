/**
 * `install kustomize-plugin` and `install kubectl-plugin`: write the small
 * executables that let kustomize and kubectl find this tool.
 *
 * * kustomize legacy exec plugin (what `kubectl kustomize --enable-alpha-plugins`
 *   runs): `<plugin home>/distroless-init.io/v1alpha1/distrolessinit/DistrolessInit`,
 *   where the plugin home is `$KUSTOMIZE_PLUGIN_HOME`, else
 *   `${XDG_CONFIG_HOME:-~/.config}/kustomize/plugin`. kustomize calls it with the
 *   path of a copy of the transformer's config file and the resources on stdin.
 * * kubectl plugin: `kubectl-distroless_init` in a directory on PATH, so that
 *   `kubectl distroless-init -f deploy.yaml` works.
 *
 * Both are two-line shell scripts that run this package's bin with the node that
 * runs this command (absolute paths: kubectl and kustomize may have another PATH)
 * and the node flags of the bin's shebang.
 */
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../catalogue/load.js';
import { CONFIG_API_VERSION, CONFIG_KIND } from '../../shared/names.js';
import { InputError } from '../../shared/errors.js';
import type { Io } from '../io.js';

export function installCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const install = program.command('install').description('install the kustomize or kubectl plugin that runs this tool');

  install
    .command('kustomize-plugin')
    .description(`write the kustomize exec plugin for kind ${CONFIG_KIND} (apiVersion ${CONFIG_API_VERSION})`)
    .option('--dir <dir>', 'kustomize plugin home (default: $KUSTOMIZE_PLUGIN_HOME or ${XDG_CONFIG_HOME:-~/.config}/kustomize/plugin)')
    .action((opts: { dir?: string }) => {
      const home = opts.dir ? resolve(io.cwd, opts.dir) : kustomizePluginHome(io.env);
      const [group, version] = CONFIG_API_VERSION.split('/') as [string, string];
      const file = join(home, group, version, CONFIG_KIND.toLowerCase(), CONFIG_KIND);
      writeExecutable(
        file,
        script(
          `kustomize exec plugin for ${CONFIG_API_VERSION} ${CONFIG_KIND}, written by \`distroless-init install kustomize-plugin\`.`,
          'kustomize passes the path of a copy of the config file, and the resources on stdin.',
          '--config "$1"',
        ),
      );
      io.stdout.write(`${file}\n`);
      io.stderr.write(
        `distroless-init: kustomize plugin installed; list a ${CONFIG_KIND} file under transformers: and run kubectl kustomize --enable-alpha-plugins DIR${
          opts.dir || io.env.KUSTOMIZE_PLUGIN_HOME ? ` (with KUSTOMIZE_PLUGIN_HOME=${home})` : ''
        }\n`,
      );
      setExit(0);
    });

  install
    .command('kubectl-plugin')
    .description('write kubectl-distroless_init so that `kubectl distroless-init -f FILE` works')
    .option('--dir <dir>', 'directory to write it into, on PATH (default: next to the distroless-init command, else ~/.local/bin)')
    .action((opts: { dir?: string }) => {
      const dir = opts.dir ? resolve(io.cwd, opts.dir) : defaultBinDir(io.env);
      const file = join(dir, 'kubectl-distroless_init');
      writeExecutable(file, script('kubectl plugin, written by `distroless-init install kubectl-plugin`.', 'kubectl distroless-init ARGS runs distroless-init ARGS.', '"$@"'));
      io.stdout.write(`${file}\n`);
      const onPath = (io.env.PATH ?? '').split(delimiter).some((p) => p && resolve(p) === dir);
      if (!onPath) io.stderr.write(`distroless-init: ${dir} is not on PATH: add it, or kubectl will not find the plugin\n`);
      setExit(0);
    });
}

/** kustomize's plugin home, as kustomize computes it. */
export function kustomizePluginHome(env: Io['env']): string {
  if (env.KUSTOMIZE_PLUGIN_HOME) return env.KUSTOMIZE_PLUGIN_HOME;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'kustomize', 'plugin');
}

function defaultBinDir(env: Io['env']): string {
  const self = process.argv[1];
  if (self && basename(self) === 'distroless-init') {
    const dir = dirname(self);
    try {
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // not writable: fall back to the user's bin directory
    }
  }
  return join(env.HOME || homedir(), '.local', 'bin');
}

function script(what: string, how: string, args: string): string {
  const bin = join(packageRoot(), 'bin', 'distroless-init.js');
  const flags = nodeFlags(bin).map(shellQuote).join(' ');
  return `#!/bin/sh\n# ${what}\n# ${how}\nexec ${shellQuote(process.execPath)} ${flags ? `${flags} ` : ''}${shellQuote(bin)} ${args}\n`;
}

/**
 * The node flags of the bin's shebang (`#!/usr/bin/env -S node FLAGS`): the
 * bundle's code cache is made under them (V8 rejects it under others, and
 * start-up then compiles the bundle), and --expose-gc keeps a large stream's
 * memory flat.
 */
export function nodeFlags(bin: string): string[] {
  let first = '';
  try {
    first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return [];
  }
  const m = /^#!\S*env -S node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function writeExecutable(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, file);
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${(e as Error).message}`);
  }
}
