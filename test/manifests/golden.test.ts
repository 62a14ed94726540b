/**
 * Golden fixtures for the pipe filter: test/fixtures/manifests/<case>/
 *   input.yaml | input.json   what the user pipes in
 *   args.txt                  extra CLI arguments, one per line (optional)
 *   expected.yaml | .json     stdout (UPDATE_GOLDEN=1 rewrites it)
 *   codes.txt                 the diagnostic codes, in order (UPDATE_GOLDEN=1 rewrites it)
 *   exit.txt                  the exit code when not 0
 * Every case also checks idempotence: the tool run on its own output changes nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';
import { manifestTextViolations } from '../trust-invariants.js';

const DIR = join(ROOT, 'test', 'fixtures', 'manifests');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function read(dir: string, name: string): string | undefined {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

describe('golden manifests', () => {
  for (const name of readdirSync(DIR).sort()) {
    const dir = join(DIR, name);
    it(name, async () => {
      const json = existsSync(join(dir, 'input.json'));
      const input = read(dir, json ? 'input.json' : 'input.yaml') ?? '';
      const args = (read(dir, 'args.txt') ?? '').split('\n').filter(Boolean);
      const r = await cli([...args, '--output-format', 'json'], input);
      const diagnostics = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics;
      const codes = diagnostics.map((d) => d.code);
      const expectedName = json ? 'expected.json' : 'expected.yaml';
      const exit = Number(read(dir, 'exit.txt') ?? '0');
      if (UPDATE) {
        writeFileSync(join(dir, expectedName), r.stdout);
        writeFileSync(join(dir, 'codes.txt'), `${codes.join('\n')}\n`);
      }
      expect(r.code, r.stderr).toBe(exit);
      expect(r.stdout).toBe(read(dir, expectedName));
      expect(codes).toEqual((read(dir, 'codes.txt') ?? '').split('\n').filter(Boolean));
      expect(manifestTextViolations(input, r.stdout, diagnostics, args)).toEqual([]);
      if (exit !== 0) {
        expect(r.stdout).toBe('');
        return;
      }
      const again = await cli([...args, '--output-format', 'json'], r.stdout);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(r.stdout);
    });
  }
});
