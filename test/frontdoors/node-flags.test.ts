/**
 * The scripts that tools run (the kustomize plugin `install kustomize-plugin`
 * writes, Helm 4's postrender.sh) start node with the flags of the bin's
 * shebang, as `distroless-init` on PATH does: the bundle's code cache is made
 * under them (V8 rejects it under other flags, and every start-up then
 * compiles the bundle), and --expose-gc keeps a large input's memory flat.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFlags } from '../../src/cli/commands/install.js';
import { tmp } from '../helpers.js';
import { builtBin, run } from './tools.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PLUGIN = join(ROOT, 'plugins', 'helm', 'distroless-init');

describe('node flags of the tool-run scripts', () => {
  const flags = nodeFlags(join(ROOT, 'bin', 'distroless-init.js'));

  it('reads the shebang', () => {
    expect(readFileSync(join(ROOT, 'bin', 'distroless-init.js'), 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags.join(' ')}`);
    expect(flags).toContain('--expose-gc');
  });

  it('Helm 4 postrender.sh runs node with them and starts from the code cache', () => {
    expect(readFileSync(join(PLUGIN, 'postrender.sh'), 'utf8')).toContain(`node ${flags.join(' ')} "$pkg_bin" --helm-plugin "$@"`);
    builtBin();
    const r = run(join(PLUGIN, 'postrender.sh'), [], { input: 'a: 1\n', env: { HELM_PLUGIN_DIR: PLUGIN, DISTROLESS_INIT_CODE_CACHE: 'report', DISTROLESS_INIT_BIN: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('code cache: used');
  });

  it('the kustomize plugin runs node with them and starts from the code cache', () => {
    const home = tmp('di-plugin-');
    const installed = run(process.execPath, [builtBin(), 'install', 'kustomize-plugin', '--dir', home]);
    expect(installed.status, installed.stderr).toBe(0);
    const script = installed.stdout.trim();
    expect(readFileSync(script, 'utf8')).toContain(` ${flags.map((f) => `'${f}'`).join(' ')} `);
    const config = join(home, 'config.yaml');
    run('sh', ['-c', `printf 'apiVersion: distroless-init.io/v1alpha1\\nkind: DistrolessInit\\nspec: {}\\n' > '${config}'`]);
    const r = run(script, [config], { input: 'a: 1\n', env: { DISTROLESS_INIT_CODE_CACHE: 'report' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('code cache: used');
  });

  it('compose runs in a child node with 32 MB semi-spaces, which stops with the command and exits as it does', async () => {
    const dir = tmp('di-compose-child-');
    const out = join(dir, 'out.yaml');
    // stdin left open: the child waits for the file
    const parent = spawn(process.execPath, [builtBin(), 'compose', '-f', '-', '-o', out], { stdio: ['pipe', 'pipe', 'pipe'] });
    // the processes whose command line names this run's output (read from /proc: no `ps` needed)
    const children = (): string[] =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .map((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
          } catch {
            return '';
          }
        })
        .filter((l) => l.includes(out) && l.includes('--max-semi-space-size=32'));
    for (let i = 0; i < 100 && children().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(children()).toHaveLength(1);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => parent.on('exit', (_code, signal) => resolve(signal)));
    parent.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    for (let i = 0; i < 100 && children().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(children()).toEqual([]);
    expect(existsSync(out)).toBe(false);
    // and a file: the child's exit status and output are the command's
    const bad = run(process.execPath, [builtBin(), 'compose', '-f', join(dir, 'missing.yaml')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('DI1002');
  });
});

