/**
 * cli/bounded-diff.ts: the same patch as `diff` on small inputs, a valid patch
 * (applies to give the new text) on large ones with many changes, in bounded time.
 */
import { applyPatch, createTwoFilesPatch, formatPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { boundedStructuredPatch } from '../../src/cli/bounded-diff.js';

const patch = (a: string, b: string): string => formatPatch(boundedStructuredPatch('f', 'f', a, b, 'original', 'distroless-init'));

function compose(n: number, split: boolean): string {
  let s = 'services:\n';
  for (let i = 0; i < n; i++) {
    if (split && i % 3 !== 2) s += `  svc${i}-init:\n    image: postgres:16\n    entrypoint: [sh, -c, 'chown 999 /data']\n    restart: "no"\n`;
    s += `  svc${i}:\n    image: ${split && i % 3 !== 2 ? 'postgres:16-distroless' : 'postgres:16'}\n    environment:\n      APP_INDEX: "${i}"\n      MODE: same\n`;
  }
  return s;
}

describe('bounded diff', () => {
  it('gives diff’s own patch on small inputs', () => {
    const a = compose(30, false);
    const b = compose(30, true);
    expect(patch(a, b)).toBe(createTwoFilesPatch('f', 'f', a, b, 'original', 'distroless-init'));
    expect(patch('a\nb', 'a\nc')).toBe(createTwoFilesPatch('f', 'f', 'a\nb', 'a\nc', 'original', 'distroless-init'));
  });

  it('gives a patch that applies on a large input with many changes, in bounded time', () => {
    const a = compose(8000, false);
    const b = compose(8000, true);
    const t0 = Date.now();
    const p = patch(a, b);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(applyPatch(a, p)).toBe(b);
    expect(p.split('\n').filter((l) => l.startsWith('+')).length).toBeLessThan(8000 * 5); // hunks, not the whole file again
  });

  for (const [name, a, b] of [
    ['no line occurs once', 'x\n'.repeat(30000), 'x\ny\n'.repeat(15000)],
    ['no newline at the end', `${compose(6000, false)}end`, `${compose(6000, true)}end!`],
    ['everything changes', 'a\n'.repeat(20000), 'b\n'.repeat(20000)],
  ] as const) {
    it(`applies: ${name}`, () => {
      expect(applyPatch(a, patch(a, b))).toBe(b);
    });
  }
});
