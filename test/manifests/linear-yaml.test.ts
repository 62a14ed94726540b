/**
 * The linear-time replacements for three things yaml does in quadratic time
 * on large inputs (issue 13), each held against yaml itself:
 *  - parseYaml (src/shared/yaml-parse.ts): the duplicate-key check;
 *  - toValue (src/core/yaml-merge.ts): toJS with aliases and merge keys;
 *  - verifyInPieces (src/core/splice-render.ts): the read-back of a large
 *    spliced document a piece at a time must say what reading it whole says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseYaml } from '../../src/shared/yaml-parse.js';
import { aliasProblem } from '../../src/shared/limits.js';
import { toValue } from '../../src/core/yaml-merge.js';
import { parseLikeInput, snapshot, verifyInPieces, verifySplice } from '../../src/core/splice-render.js';
import { CORPUS, HAS_CORPUS, OWN_CORPUS, ROOT, yamlFiles } from '../helpers.js';
import { join } from 'node:path';

const TEXTS: Record<string, string> = {
  'no duplicate': 'a: 1\nb: {c: 1, d: 2}\n',
  'a block map': 'a: 1\nb: 2\na: 3\n',
  'a flow map': 'x: {b: 1, b: 2}\n',
  'nested, twice': 'a:\n  b: 1\n  b: 2\n  c: [ {d: 1, d: 1} ]\nz: 1\nz: 2\n',
  'equal values of different types are different keys': 'a: 1\n"1": x\n1: y\n',
  'the same number written twice': '1: a\n0x1: b\n',
  'a key with an anchor': '&k a: 1\na: 2\n',
  'null keys': '? \n: 1\n~: 2\n',
  'two merge keys': 'b: &b {x: 1}\nc:\n  <<: *b\n  <<: *b\n',
  'a pair in a sequence': '- a: 1\n  a: 2\n- [b: 1, b: 2]\n',
  'another error first': 'a: [1\nb: 1\nb: 2\n',
};

const errorsOf = (d: { errors: { code: string; message: string; pos: [number, number] }[] }) => d.errors.map((e) => [e.code, e.message, e.pos[0]]);

/** Every YAML text of the project's fixtures and corpora, and the shared corpus when present. */
function allYaml(): string[] {
  const dirs = [join(ROOT, 'test', 'fixtures'), OWN_CORPUS, ...(HAS_CORPUS ? [CORPUS] : [])];
  return [...new Set(dirs.flatMap((d) => yamlFiles(d)))];
}

describe('parseYaml', () => {
  for (const merge of [false, true]) {
    it.each(Object.entries(TEXTS))(`reports duplicate keys as yaml does (merge: ${merge}): %s`, (_, text) => {
      const ours = parseYaml(text, { merge, prettyErrors: false });
      const theirs = parseDocument(text, { merge, prettyErrors: false, uniqueKeys: true });
      expect(errorsOf(ours)).toEqual(errorsOf(theirs));
      expect(ours.options.uniqueKeys).toBe(true);
    });
  }

  it('reads every fixture and corpus file as yaml does', () => {
    const files = allYaml();
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const ours = parseYaml(text, { merge: true, prettyErrors: false });
      const theirs = parseDocument(text, { merge: true, prettyErrors: false, uniqueKeys: true });
      expect(errorsOf(ours), file).toEqual(errorsOf(theirs));
      if (!theirs.errors.length) expect(ours.toJS({ maxAliasCount: -1 }), file).toEqual(theirs.toJS({ maxAliasCount: -1 }));
    }
  });

  it('leaves the check off when asked, and takes only true or false', () => {
    expect(parseYaml('a: 1\na: 2\n', { uniqueKeys: false }).errors).toEqual([]);
    expect(() => parseYaml('a: 1\n', { uniqueKeys: (() => false) as never })).toThrow(/uniqueKeys/);
  });

  it('finds a duplicate among 200,000 keys', () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}: ${i}\n`);
    keys.push('k7: again\n');
    const doc = parseYaml(keys.join(''));
    expect(errorsOf(doc)).toEqual([['DUPLICATE_KEY', 'Map keys must be unique', keys.join('').lastIndexOf('k7:')]]);
  });
});

const VALUES: Record<string, string> = {
  'a merge key': 'x: &c {restart: always, logging: {driver: json}}\ns:\n  <<: *c\n  image: a\n',
  'own keys before and after the merge win': 'x: &c {a: 1, b: 2, c: 3}\ns:\n  a: own\n  <<: *c\n  c: own\n',
  'a list of merge sources: the first wins': 'x: &a {k: 1, p: a}\ny: &b {k: 2, q: b}\ns:\n  <<: [*a, *b]\n',
  'a merge source that merges': 'x: &a {k: 1}\ny: &b\n  <<: *a\n  j: 2\ns:\n  <<: *b\n  i: 3\n',
  'an inline merge source': 's:\n  <<: {k: 1}\n  k: 2\n',
  'aliases of scalars and sequences': 'a: &n 5\nb: *n\nc: &l [1, 2]\nd: *l\n',
  'an anchor redefined: the last one before the alias': 'a: &x 1\nb: *x\nc: &x 2\nd: *x\n',
  'keys that are not strings': '1: a\ntrue: b\n~: c\n1.5: d\n',
  '__proto__ as a key': '__proto__: {polluted: 1}\nsafe: 1\n',
  'a set and an omap': 's: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\n',
  'a merge into a sequence item': 'env:\n  - &e {name: A, value: "1"}\n  - <<: *e\n    name: B\n',
};

describe('toValue', () => {
  it.each(Object.entries(VALUES))('is what toJS gives: %s', (_, text) => {
    const doc = parseDocument(text, { merge: true });
    expect(doc.errors).toEqual([]);
    expect(toValue(doc, doc.contents)).toEqual(doc.toJS({ maxAliasCount: -1 }));
  });

  it('is what toJS gives on every fixture and corpus file', () => {
    for (const file of allYaml()) {
      const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true });
      if (doc.errors.length) continue;
      let theirs: unknown;
      try {
        theirs = doc.toJS({ maxAliasCount: -1 });
      } catch (e) {
        expect(() => toValue(doc, doc.contents), file).toThrow((e as Error).message);
        continue;
      }
      expect(toValue(doc, doc.contents), file).toEqual(theirs);
    }
  });

  it('throws as toJS does on a missing anchor and a merge source that is not a map', () => {
    for (const text of ['a: *nowhere\n', 's:\n  <<: 5\n']) {
      const doc = parseDocument(text, { merge: true });
      expect(() => toValue(doc, doc.contents)).toThrow();
      expect(() => doc.toJS({ maxAliasCount: -1 })).toThrow();
    }
  });
});

/** A Compose-like document: services with a merge key and an alias each, comments and blank lines between them. */
function services(n: number, extra = ''): string {
  let s = '# a comment\nx-common: &common\n  restart: always\nservices:\n';
  for (let i = 0; i < n; i++) {
    s += `  # service ${i}\n  svc${i}:\n    <<: *common\n    image: "postgres:16"\n    mode: 0644\n    ports: ["${i}:80"]\n    run: |\n      echo ${i}\n\n      done\n${extra}`;
  }
  return `${s}volumes:\n  data: {}\n`;
}

describe('verifyInPieces', () => {
  const expected = (text: string): string[] => snapshot(parseLikeInput(text), text);

  it.each([
    ['a document of services, cut small', services(40)],
    ['a sequence under a service', services(30, '    list:\n      - a\n      - b: c\n')],
    ['a four-space indent', services(30).replace(/^( +)/gm, '$1$1')],
    ['a flow map spanning lines', services(20, '    f: {a: 1,\n      b: 2}\n')],
    ['CRLF line breaks', services(20).replace(/\n/g, '\r\n')],
  ])('says what reading it whole says: %s', (_, text) => {
    const want = expected(text);
    for (const size of [1, 50, 300, 5000]) {
      expect(verifyInPieces(text, want, size)).toBe(true);
      // one value changed, one entry dropped: false, never true
      const changed = want.map((s) => (s === 'secho 7\n\ndone\n' ? 'secho 8\n\ndone\n' : s));
      expect(changed).not.toEqual(want);
      expect(verifyInPieces(text, changed, size)).toBe(false);
      expect(verifyInPieces(text, want.slice(0, -3).concat(want.slice(-1)), size)).not.toBe(true);
    }
  });

  it.each([
    ['a document marker', `---\n${services(5)}`],
    ['a sequence at the top', '- a: 1\n- b: 2\n'],
    ['a line indented less than its map', 'a:\n    b: 1\n  c: 2\n'],
    ['a tab', 'a:\n\tb: 1\n'],
    ['an anchor on a large entry', services(20).replace('services:', 'services: &s')],
  ])('leaves to the whole reading what it cannot cut: %s', (_, text) => {
    const doc = parseDocument(text);
    const want = doc.errors.length ? ['{', '}'] : expected(text);
    const r = verifyInPieces(text, want, 50);
    if (r !== undefined) expect(r).toBe(!doc.errors.length);
  });

  it('is what verifySplice uses above a megabyte, with the whole reading as its answer', () => {
    const text = services(9000);
    expect(text.length).toBeGreaterThan(1 << 20);
    const want = expected(text);
    expect(verifySplice(text, want)).toBe(true);
    expect(verifySplice(text.replace('echo 8999', 'echo 9000'), want)).toBe(false);
  });

  it('never disagrees with the whole reading on the fixtures and corpora', () => {
    for (const file of allYaml()) {
      const text = readFileSync(file, 'utf8');
      const doc = parseLikeInput(text);
      if (doc.errors.length || doc.warnings.length) continue;
      const want = snapshot(doc, text);
      const r = verifyInPieces(text, want, 100);
      expect([true, undefined], file).toContain(r);
    }
  });
});

describe('aliasProblem: bounded by expanded size, in proportion to the document', () => {
  /** A document of `n` entries of its own, each merging a three-value anchor. */
  const merging = (n: number): string => {
    let s = 'x: &c {a: 1, b: 2, c: 3}\n';
    for (let i = 0; i < n; i++) s += `s${i}: {<<: *c, i: ${i}}\n`;
    return s;
  };
  it('accepts many uses of a small anchor, above the fixed bound, when the document is that large', () => {
    const doc = parseDocument(merging(1000), { merge: true });
    // ~5,000 values of its own, ~7,000 once expanded: over a bound of 1,000, under 4 times its own
    expect(aliasProblem(doc, 1000)).toBeUndefined();
  });
  it('refuses a bomb: expansion far beyond the document', () => {
    const bomb = ['a: &a [x, x]', ...Array.from({ length: 20 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    const doc = parseDocument(bomb);
    expect(aliasProblem(doc, 1000)).toMatch(/alias bomb/);
    expect(aliasProblem(doc)).toMatch(/more than 2,000,000 values/);
  });
});
