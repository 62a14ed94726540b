// The fast reader (src/core/fast-yaml.ts) against yaml's parseDocument: on every document it
// accepts, the same tree (classes, values, styles, comments, blank lines, offsets) and the same
// printed text; nothing yaml rejects is accepted. Also the two cold-path helpers that replaced
// yaml calls: needsQuotes (was yaml's parse) and cloneNode (was node.clone()).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, LineCounter, parse, parseDocument, type Document, type YAMLMap } from 'yaml';
import { generate } from '../../bench/gen-manifests.mjs';
import { fastParseDocument, sameTree } from '../../src/core/fast-yaml.js';
import { splitDocuments } from '../../src/core/stream.js';
import { cloneNode, needsQuotes } from '../../src/core/yaml-nodes.js';
import { CORPUS, ROOT, withoutCorpus, yamlFiles } from '../helpers.js';

const OPTIONS = { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false } as const;
const WORKLOAD = /^kind:[ \t]*["']?(Deployment|StatefulSet|DaemonSet|ReplicaSet|Pod|Job|CronJob|ReplicationController)\b/m;

/** Compares the fast reader with yaml on one document; returns what happened. */
function check(text: string): 'fast' | 'fallback' | 'invalid' {
  const reference = parseDocument(text, OPTIONS);
  const lineCounter = new LineCounter();
  const fast = fastParseDocument(text, OPTIONS, lineCounter);
  if (reference.errors.length || reference.warnings.length) {
    expect(fast, `accepted what yaml rejects:\n${text}`).toBeUndefined();
    return 'invalid';
  }
  if (!fast) return 'fallback';
  expect(sameTree(fast, reference), text).toBeUndefined();
  expect(fast.toString(), text).toBe(reference.toString());
  // line positions as yaml's LineCounter records them
  const yamlCounter = new LineCounter();
  parseDocument(text, { ...OPTIONS, lineCounter: yamlCounter });
  expect(lineCounter.lineStarts).toEqual(yamlCounter.lineStarts);
  return 'fast';
}

describe('the fast reader', () => {
  /** Reads every document of `files` both ways; counts what the fast reader did. */
  function readAll(files: string[]): { counts: Record<'fast' | 'fallback' | 'invalid', number>; workloads: { fast: number; all: number } } {
    const counts = { fast: 0, fallback: 0, invalid: 0 };
    const workloads = { fast: 0, all: 0 };
    for (const f of files) {
      for (const piece of splitDocuments(readFileSync(f, 'utf8'))) {
        const r = check(piece.text);
        counts[r]++;
        if (WORKLOAD.test(piece.text) && r !== 'invalid') {
          workloads.all++;
          if (r === 'fast') workloads.fast++;
        }
      }
    }
    if (process.env.FAST_READER_REPORT === '1') console.log(`fast reader: ${JSON.stringify({ counts, workloads })}`);
    return { counts, workloads };
  }

  it('reads every document of the fixtures like yaml, or leaves it to yaml', () => {
    const { counts, workloads } = readAll(yamlFiles(join(ROOT, 'test', 'fixtures')));
    expect(counts.fast).toBeGreaterThan(60);
    expect(counts.invalid).toBeGreaterThan(0);
    // most hand-written workloads are in the subset (the rest use anchors, comments at the end, ...)
    expect(workloads.fast / workloads.all).toBeGreaterThan(0.6);
  });

  it.skipIf(withoutCorpus('the fast reader on the corpus'))('reads every document of the corpus like yaml, or leaves it to yaml', () => {
    const { counts, workloads } = readAll(yamlFiles(CORPUS));
    expect(counts.fast).toBeGreaterThan(60);
    expect(workloads.fast / workloads.all).toBeGreaterThan(0.6);
  });

  it('reads every workload of Helm-style generated streams (the benchmark input) itself', () => {
    for (const seed of ['1', '2', 'three']) {
      let workloads = 0;
      for (const piece of splitDocuments(generate(200, { seed }))) {
        const r = check(piece.text);
        if (WORKLOAD.test(piece.text)) {
          workloads++;
          expect(r, piece.text).toBe('fast');
        }
      }
      expect(workloads).toBeGreaterThan(70);
    }
  });

  it('agrees with yaml on mutated documents: comments, blank lines, quoting and flow collections anywhere', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = [
      ...splitDocuments(generate(40, { seed: 'mutations' }))
        .map((p) => p.text)
        .filter((t) => WORKLOAD.test(t)),
      'a:\n  b: 1\n',
      'a:\n- x\n- y\nb: 2\n',
      'a:\n  - x\n  - |\n    line\n     more\n  - z\n',
      'k: [a, "b", \'c\']\nm: {x: y, "q": 1}\n',
      'a: |-\n  x\n\n  y\nb: 1\n',
      'a:\n  b:\n    - c: 1\n      d: [1, 2]\n    - e\n',
      'x: 1.50\ny: 0x1F\nz: 0o17\nw: .inf\nv: ~\nu: Null\nt: 1e3\ns: -0\nr: 0755\nq: 1_000\n',
    ];
    const counts = { fast: 0, fallback: 0, invalid: 0 };
    for (let n = 0; n < 2500; n++) {
      const lines = bases[n % 3 === 0 ? bases.length - 1 - rnd(7) : rnd(bases.length - 7)]!.split('\n');
      for (let m = 1 + rnd(4); m > 0; m--) {
        const at = rnd(lines.length + 1);
        const line = lines[at];
        switch (rnd(10)) {
          case 0: lines.splice(at, 0, ''); break;
          case 1: lines.splice(at, 0, `${' '.repeat(rnd(10))}#${rnd(3) ? ` c${rnd(9)}` : ''}`); break;
          case 2: if (line) lines[at] = line + (rnd(2) ? ' # i' : '  #'); break;
          case 3: if (line) lines[at] = line + ' '.repeat(1 + rnd(2)); break;
          case 4: lines.splice(at, 0, `${' '.repeat(rnd(3) * 2)}nk${rnd(5)}:`); break;
          case 5: if (line) lines[at] = line.replace(/: (\S+)$/, rnd(2) ? ": '$1'" : ': "$1"'); break;
          case 6: lines.splice(at, 0, '', `${' '.repeat(rnd(8))}# d`, ''); break;
          case 7: if (line) lines[at] = line.replace(/: (\S+)$/, ': [$1, "x", y]'); break;
          case 8: lines.splice(at, 0, `${' '.repeat(rnd(8))}- z${rnd(4)}`); break;
          case 9: if (line) lines[at] = line.replace(/: (\S+)$/, rnd(2) ? ': |\n' + ' '.repeat(rnd(12)) + '$1' : ": '$1''s'"); break;
        }
      }
      counts[check(lines.join('\n'))]++;
    }
    // the mutations must exercise all three outcomes, the fast path most
    expect(counts.fast).toBeGreaterThan(700);
    expect(counts.fallback).toBeGreaterThan(100);
    expect(counts.invalid).toBeGreaterThan(100);
  });

  it('leaves what it does not handle to yaml', () => {
    const outside = [
      'a: &x 1\nb: *x\n', // anchors, aliases
      'a: !!str 1\n', // tags
      'a: b\n  c\n', // a multi-line plain scalar
      'a: "x\\ty"\n', // escapes
      'a: >\n  folded\n', // folded scalars
      'a:\tb\n', // tabs
      'a: 1\r\nb: 2\r\n', // CRLF
      '? a\n: b\n', // complex keys
      'a: 1\n# at the end\n', // a comment at the end of the document
      'a:\n# after an empty value\nb: 1\n',
      '[a, b]\n', // not a mapping
      'a: 1\na: 2\n', // a duplicate key (yaml reports it)
      'a:\n  b: 1\n    # deeper than the key it follows\n  c: 2\n',
      `${'k'.repeat(1025)}: 1\n`, // a key over 1024 characters (yaml reports it)
      '\uFEFFa: 1\n', // a byte-order mark
      'a: 1\n...\n', // a document end marker
      'a: {b: 1, b: 2}\n', // duplicate keys in a flow map (yaml reports them)
      'a: {1: x, 01: y}\n',
      "a: {x: 1, 'x': 2}\n",
      'a: 1\n\u00a0\n', // white space to JavaScript, content to YAML
      'a:\n  \u00a0b: 1\n',
      'a: |\n \u00a0x\nb: 1\n',
      'a: 1\n\f\n',
    ];
    for (const text of outside) expect(fastParseDocument(text, OPTIONS), text).toBeUndefined();
  });
});

describe('needsQuotes', () => {
  it('says a string needs quotes exactly when yaml would not read it back as itself (or YAML 1.1 would read another type)', () => {
    const alphabet = ['a', 'Z', '0', '7', ' ', ':', '#', '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '.', '/', '_', '=', '+', 'e', 'x', 'o'];
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const reads = (s: string): boolean => {
      try {
        return parse(s, { logLevel: 'silent' }) === s;
      } catch {
        return false;
      }
    };
    for (let n = 0; n < 20000; n++) {
      let s = '';
      for (let k = rnd(7); k >= 0; k--) s += alphabet[rnd(alphabet.length)];
      // never unquoted where yaml would read something else; quoted where it would is a YAML 1.1 rule
      if (!needsQuotes(s)) expect(reads(s), JSON.stringify(s)).toBe(true);
      else if (reads(s)) expect(/^[-+.0-9]|^(?:y|n|yes|no|on|off|true|false|null)$/i.test(s) || s === '', JSON.stringify(s)).toBe(true);
    }
    expect(needsQuotes('postgres:16-distroless')).toBe(false);
    expect(needsQuotes('a: b')).toBe(true);
    expect(needsQuotes('x #y')).toBe(true);
  });
});

describe('cloneNode', () => {
  it('copies like node.clone(): the same tree and text, no shared nodes', () => {
    for (const piece of splitDocuments(generate(30, { seed: 'clone' }))) {
      const doc = parseDocument(piece.text, OPTIONS) as Document;
      if (!isMap(doc.contents)) continue;
      const contents = doc.contents as YAMLMap;
      const copy = cloneNode(contents);
      expect(sameTree(copy, contents.clone())).toBeUndefined();
      expect(String(copy)).toBe(String(contents));
      copy.set('kind', 'Changed');
      expect(contents.get('kind')).not.toBe('Changed');
    }
  });
});
