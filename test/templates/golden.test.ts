/**
 * Golden fixtures of the template catalogue: test/fixtures/templates/<template>/<case>/
 *   input.yaml      what the user pipes in
 *   expected.yaml   stdout (UPDATE_GOLDEN=1 rewrites it)
 *   codes.txt       the diagnostic codes, in order (UPDATE_GOLDEN=1 rewrites it)
 *   exit.txt        the exit code when not 0
 * Run through the real CLI in-process; every case is also checked for
 * idempotence (the tool run on its own output changes nothing).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';
import { manifestTextViolations } from '../trust-invariants.js';

export const TEMPLATE_FIXTURES = join(ROOT, 'test', 'fixtures', 'templates');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function read(dir: string, name: string): string | undefined {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

for (const template of readdirSync(TEMPLATE_FIXTURES).sort()) {
  describe(`template ${template}`, () => {
    for (const name of readdirSync(join(TEMPLATE_FIXTURES, template)).sort()) {
      const dir = join(TEMPLATE_FIXTURES, template, name);
      it(name, async () => {
        const input = read(dir, 'input.yaml') ?? '';
        const r = await cli(['--output-format', 'json'], input);
        const diagnostics = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics;
        const codes = diagnostics.map((d) => d.code);
        const exit = Number(read(dir, 'exit.txt') ?? '0');
        if (UPDATE) {
          writeFileSync(join(dir, 'expected.yaml'), r.stdout);
          writeFileSync(join(dir, 'codes.txt'), `${codes.join('\n')}\n`);
        }
        expect(r.code, r.stderr).toBe(exit);
        expect(r.stdout).toBe(read(dir, 'expected.yaml'));
        expect(codes).toEqual((read(dir, 'codes.txt') ?? '').split('\n').filter(Boolean));
        expect(manifestTextViolations(input, r.stdout, diagnostics)).toEqual([]);
        if (exit !== 0) {
          expect(r.stdout).toBe('');
          return;
        }
        const again = await cli(['--output-format', 'json'], r.stdout);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toBe(r.stdout);
      });
    }
  });
}
