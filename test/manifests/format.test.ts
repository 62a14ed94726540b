/**
 * The formatting rule on every golden input written in other styles: 4-space
 * indentation with `- ` counted as indentation, 3-space indentation with
 * indented sequences, CRLF line ends. Whatever the style, the split says the
 * same thing (the output data equals the output data of the fixture as
 * written), every line the split did not change is in the output as written
 * (test/format-invariants.ts), and a second run changes nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { transformCompose } from '../../src/adapters/compose.js';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { transformManifests } from '../../src/core/pipeline.js';
import { splitDocuments } from '../../src/core/stream.js';
import { ROOT } from '../helpers.js';
import { untouchedTextViolations } from '../format-invariants.js';

const { catalogue } = loadCatalogue();

const STYLES: Record<string, (text: string) => string> = {
  'indent 4, sequences not indented': (t) => restyle(t, { indent: 4, indentSeq: false }),
  'indent 3, sequences indented': (t) => restyle(t, { indent: 3, indentSeq: true }),
  'CRLF line ends': (t) => t.replace(/\r?\n/g, '\r\n'),
};

function restyle(text: string, options: { indent: number; indentSeq: boolean }): string {
  return splitDocuments(text)
    .map((d) => {
      const doc = parseDocument(d.text, { merge: true });
      if (doc.errors.length || doc.contents === null) return d.text;
      const out = doc.toString({ ...options, lineWidth: 0 });
      return d.text.startsWith('---') && !out.startsWith('---') ? `---\n${out}` : out;
    })
    .join('');
}

const data = (text: string): unknown[] => parseAllDocuments(text.replace(/\r\n/g, '\n'), { merge: true }).map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);

function inputs(dir: string): { name: string; text: string }[] {
  const base = join(ROOT, 'test', 'fixtures', dir);
  return readdirSync(base)
    .filter((c) => existsSync(join(base, c, 'input.yaml')) && !existsSync(join(base, c, 'args.txt')) && !existsSync(join(base, c, 'templates')))
    .map((c) => ({ name: c, text: readFileSync(join(base, c, 'input.yaml'), 'utf8') }));
}

describe('the formatting rule in other styles', () => {
  for (const { name, text } of inputs('manifests')) {
    const first = transformManifests(text, { catalogue });
    if (!first.changed || first.diagnostics.some((d) => d.severity === 'error')) continue;
    for (const [style, make] of Object.entries(STYLES)) {
      it(`manifests/${name}, ${style}`, () => {
        const input = make(text);
        const r = transformManifests(input, { catalogue });
        expect(r.changed).toBe(true);
        expect(data(r.output)).toEqual(data(first.output));
        expect(untouchedTextViolations(input, r.output)).toEqual([]);
        expect(transformManifests(r.output, { catalogue }).changed).toBe(false);
        if (style === 'CRLF line ends') expect(r.output.replace(/\r\n/g, '')).not.toContain('\n');
      });
    }
  }
  for (const { name, text } of inputs('compose')) {
    const first = transformCompose(text, { catalogue });
    if (!first.changed) continue;
    for (const [style, make] of Object.entries(STYLES)) {
      it(`compose/${name}, ${style}`, () => {
        const input = make(text);
        const r = transformCompose(input, { catalogue });
        expect(r.changed).toBe(true);
        expect(data(r.output)).toEqual(data(first.output));
        expect(untouchedTextViolations(input, r.output)).toEqual([]);
        expect(transformCompose(r.output, { catalogue }).changed).toBe(false);
        if (style === 'CRLF line ends') expect(r.output.replace(/\r\n/g, '')).not.toContain('\n');
      });
    }
  }
});
