/**
 * The fast renderer (src/core/fast-render.ts) against yaml's own stringifier:
 * whenever renderFast returns text it must be byte-identical to
 * `doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq })`,
 * and it must not give up on the documents the tool usually prints.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Document as YamlDocument, isMap, isSeq, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { generate } from '../../bench/gen-manifests.mjs';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { splitWorkload } from '../../src/core/apply-kube.js';
import { renderFast } from '../../src/core/fast-render.js';
import { preserveScalars } from '../../src/core/pipeline.js';
import { splitDocuments } from '../../src/core/stream.js';
import { workloadKind } from '../../src/core/workloads.js';
import { deleteKey, ensureMap, ensureSeq, getIn, newNode, setAfter, setScalar } from '../../src/core/yaml-nodes.js';
import { CORPUS, HAS_CORPUS, ROOT, withoutCorpus, yamlFiles } from '../helpers.js';

interface Tally {
  total: number;
  fast: number;
  bailed: string[];
  mismatches: { label: string; fast: string; yaml: string }[];
}

const tally = (): Tally => ({ total: 0, fast: 0, bailed: [], mismatches: [] });

/** Renders `doc` both ways with both sequence styles and records the outcome. */
function compare(doc: Document, label: string, t: Tally): void {
  for (const indentSeq of [true, false]) {
    let expected: string;
    try {
      expected = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq });
    } catch {
      expect(renderFast(doc, indentSeq)).toBeUndefined(); // yaml cannot print it: neither may we
      continue;
    }
    t.total++;
    const fast = renderFast(doc, indentSeq);
    if (fast === undefined) t.bailed.push(`${label} (indentSeq ${indentSeq})`);
    else {
      t.fast++;
      if (fast !== expected) t.mismatches.push({ label: `${label} (indentSeq ${indentSeq})`, fast, yaml: expected });
    }
  }
}

/** The documents of a stream, parsed the way the pipeline parses them; undefined for pieces with errors. */
function documents(text: string): (Document | undefined)[] {
  return splitDocuments(text).map((p) => {
    const doc = parseDocument(p.text, { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
    if (doc.errors.length) return undefined;
    preserveScalars(doc, p.text);
    return doc;
  });
}

/** What took the fallback, printed with FAST_RENDER_REPORT=1 (and always when something differs). */
function report(t: Tally, what: string): void {
  if (process.env.FAST_RENDER_REPORT !== '1' && t.mismatches.length === 0) return;
  const pct = t.total ? ((100 * t.fast) / t.total).toFixed(1) : '-';
  console.log(`fast-render ${what}: ${t.fast}/${t.total} rendered fast (${pct}%), ${t.mismatches.length} mismatches`);
  for (const b of t.bailed.slice(0, 20)) console.log(`  bailed: ${b}`);
  if (t.bailed.length > 20) console.log(`  ... and ${t.bailed.length - 20} more`);
  for (const m of t.mismatches.slice(0, 3)) console.log(`MISMATCH ${m.label}\n--- fast\n${m.fast}--- yaml\n${m.yaml}`);
}

function isKube(doc: Document): boolean {
  return isMap(doc.contents) && doc.contents.has('apiVersion') && doc.contents.has('kind');
}

const POD_SPECS: (string | number)[][] = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  ['spec'],
];

/** The pod specs (maps with a `containers` sequence) of a document. */
function podSpecs(doc: Document): YAMLMap[] {
  const roots: unknown[] = [doc.contents];
  const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
  if (isSeq(items)) roots.push(...items.items);
  const out: YAMLMap[] = [];
  for (const r of roots) {
    for (const path of POD_SPECS) {
      const spec = getIn(r, path);
      if (isMap(spec) && isSeq(spec.get('containers', true))) {
        out.push(spec);
        break;
      }
    }
  }
  return out;
}

/** Edits of the kind apply-kube makes, with values that need quoting, literal blocks, flow and empty collections. */
function edit(doc: Document, variant: number): boolean {
  const specs = podSpecs(doc);
  for (const spec of specs) {
    const containers = spec.get('containers', true);
    if (!isSeq(containers)) continue;
    const init = ensureSeq(doc, spec, 'initContainers', undefined, 'containers');
    init.items.push(
      newNode(doc, {
        name: 'init-db',
        image: 'postgres:16',
        command: ['sh', '-c'],
        args: [
          variant % 2
            ? 'set -e\nif [ -z "$PGDATA" ]; then\n  echo "no data" # not a comment\nfi\n'
            : '  indented first line\n\ntext: with colon\n\n\n',
        ],
        env: [
          { name: 'A', value: 'true' },
          { name: 'B', value: '0755' },
          { name: 'C', value: '' },
          { name: 'D', value: 'a: b' },
          { name: 'E', value: 'x # y' },
          { name: 'F', value: '  lead' },
          { name: 'G', value: 'ünïcödé ☃ 😀' },
          { name: 'H', value: `it's "quoted"` },
          { name: 'I', value: 'say "hi"' },
          { name: 'J', value: '- dash' },
          { name: 'K', value: 'no\nnewline at end' },
          { name: 'L', value: 'tab\there' },
        ],
        securityContext: { runAsUser: 999, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
        resources: {},
      }),
    );
    const volumes = ensureSeq(doc, spec, 'volumes');
    volumes.items.push(newNode(doc, { name: 'pgdata-init', emptyDir: {} }));
    const sc = ensureMap(doc, spec, 'securityContext');
    setScalar(doc, sc, 'fsGroup', 999);
    setScalar(doc, sc, 'runAsGroup', '999');
    const main = containers.items[0];
    if (isMap(main)) {
      setAfter(doc, main, 'command', newNode(doc, ['postgres', '-c', 'config_file=/etc/pg.conf'], true), 'image');
      setAfter(doc, main, 'args', newNode(doc, { a: 'b', c: 'x y' }, true), 'command');
      setScalar(doc, main, 'image', variant % 3 ? 'gcr.io/distroless/base:nonroot' : 'postgres:16@sha256:abc');
      setScalar(doc, main, 'imagePullPolicy', 'IfNotPresent');
      deleteKey(main, variant % 2 ? 'ports' : 'resources');
      const probe = ensureMap(doc, main, 'livenessProbe');
      setAfter(doc, probe, 'exec', newNode(doc, { command: ['pg_isready', '-U', 'postgres'] }));
      setAfter(doc, main, 'script', newNode(doc, variant % 2 ? ' leading space\nsecond\n' : 'keep\n\n'));
    }
  }
  return specs.length > 0;
}

const corpusFiles = HAS_CORPUS ? yamlFiles(CORPUS) : [];
// alias bombs are for the error paths: expanding one to compare renders would take minutes
const fixtureFiles = yamlFiles(join(ROOT, 'test', 'fixtures')).filter((f) => !/alias-bomb/.test(f));
// the project's fixtures always; the corpus (../shared/corpus) when it is there (CI)
const SOURCES = [
  // the fixtures hold odd shapes on purpose (merge keys, flow maps, anchors: left to yaml), so fewer are fast
  { name: 'the fixtures', files: fixtureFiles, skip: false, minKube: 150, minFast: 0.9 },
  { name: 'the corpus', files: corpusFiles, skip: withoutCorpus('renderFast on the corpus'), minKube: 100, minFast: 0.95 },
];
const { catalogue } = loadCatalogue();

describe('renderFast equals yaml', () => {
  for (const source of SOURCES) {
    it.skipIf(source.skip)(`on ${source.name}`, () => {
      const all = tally();
      const kube = tally();
      for (const f of source.files) {
        documents(readFileSync(f, 'utf8')).forEach((doc, i) => {
          if (!doc) return;
          const label = `${relative(ROOT, f)}#${i}`;
          compare(doc, label, all);
          if (isKube(doc)) compare(doc, label, kube);
        });
      }
      report(all, `${source.name}, all documents`);
      report(kube, `${source.name}, Kubernetes documents`);
      expect(all.mismatches.map((m) => m.label)).toEqual([]);
      expect(kube.total).toBeGreaterThan(source.minKube);
      expect(kube.fast / kube.total).toBeGreaterThanOrEqual(source.minFast);
    });
  }

  it('on generated Helm streams', () => {
    const t = tally();
    for (const seed of ['1', '2', 'seven', 'bench']) {
      documents(generate(200, { seed })).forEach((doc, i) => doc && compare(doc, `gen(${seed})#${i}`, t));
    }
    report(t, 'generated');
    expect(t.mismatches.map((m) => m.label)).toEqual([]);
    expect(t.total).toBeGreaterThanOrEqual(1600);
    expect(t.fast / t.total).toBeGreaterThanOrEqual(0.95);
  });

  /** Edits every document of `texts` (helper edits, and the real split where one applies) and renders it both ways. */
  function editAll(texts: { name: string; text: string }[], minEdited: number, minSplit: number): void {
    const edited = tally();
    const split = tally();
    for (const { name, text } of texts) {
      splitDocuments(text).forEach((p, i) => {
        const parse = (): Document | undefined => {
          const d = parseDocument(p.text, { prettyErrors: false, uniqueKeys: true });
          return d.errors.length || !isMap(d.contents) ? undefined : d;
        };
        const a = parse();
        if (a && edit(a, i)) {
          preserveScalars(a, p.text);
          compare(a, `${name}#${i} edited`, edited);
        }
        const b = parse();
        if (b && isMap(b.contents)) {
          const wk = workloadKind(b.contents.get('apiVersion'), b.contents.get('kind'));
          if (wk && splitWorkload({ doc: b, base: [], kind: wk, resource: {}, options: { catalogue } }).changed) {
            preserveScalars(b, p.text);
            compare(b, `${name}#${i} split`, split);
          }
        }
      });
    }
    report(edited, 'edited');
    report(split, 'split by apply-kube');
    expect([...edited.mismatches, ...split.mismatches].map((m) => m.label)).toEqual([]);
    expect(edited.total).toBeGreaterThan(minEdited);
    expect(edited.fast / edited.total).toBeGreaterThanOrEqual(0.95);
    expect(split.total).toBeGreaterThan(minSplit);
    expect(split.fast / split.total).toBeGreaterThanOrEqual(0.95);
  }
  const texts = (files: string[]): { name: string; text: string }[] => files.map((f) => ({ name: relative(ROOT, f), text: readFileSync(f, 'utf8') }));

  it('on edited documents of generated streams and the fixtures (helper edits and the real split)', () => {
    editAll([...['1', 'x'].map((seed) => ({ name: `gen(${seed})`, text: generate(60, { seed }) })), ...texts(fixtureFiles)], 200, 60);
  });

  it.skipIf(SOURCES[1]!.skip)('on edited documents of the corpus (helper edits and the real split)', () => {
    editAll(texts(corpusFiles), 40, 5);
  });

  /** Hand-written documents; those named `bail: ...` are expected to fall back to yaml, the others to render fast. */
  const CASES: Record<string, string> = {
    'comments before first items of nested collections': `apiVersion: v1
kind: Pod
spec:
  # before containers
  containers:
    # before the first container
    - name: a # trailing on name
      # before image
      image: x
      args:
        # first arg
        - one
        - two # second
      # end of container a
    # before b
    - name: b
    - # a map item with a comment first
      name: c
    -
      # on its own line
      name: d
  # end of spec
# end of document
`,
    'blank lines and null values': `---
# Source: chart/templates/x.yaml

apiVersion: v1

kind: ConfigMap
metadata:
  name: x
  labels:

  annotations:
    a:
    b: ~
data:
  key:

  other: null # nothing
`,
    'no document marker, flow collections': `a: [x, "y", 'z', {k: v}]
b: {c: [], d: {}, e: 'q'}
c: []
d: {}
e: [1, 2, 3] # numbers
f:
  - [a, b]
  - {x: y}
  - []
`,
    'bail: only comments': `# just a comment
# another
`,
    'document comment then content': `# head

# more
a: b
# tail
`,
    'marker, comments, blank line before content': `# head
---

# before contents
a: b

# tail
`,
    'nested sequences and a top-level key sequence': `a:
  - - x
    - y
  - - - z
b:
- p
- q:
  - r
  - s: |
      lit
`,
    'top-level sequence': `- a
- b: c
  d:
  - e
- - f
`,
    'literal block scalars': `a: |
  text
b: |-
  no newline
c: |+
  keep

d: |2
    indented
f: |
  x
# after f
g: |+
  kept

# comment after kept
h: "double\\ttab"
i: 'single ''quote'''
j: |-
  with comment
k: | # on the header
  x
l: |

  leading blank line
m: |
  trailing spaces  
n: |-
  a

  b
`,
    'bail: folded block scalar': `e: >
  folded
  text
`,
    'keep-chomped literals in sequences': `a:
  - |+
    kept


  - |
    clip
  # trailing
b: |+
  end

`,
    'keep-chomped literal at the end of the document': `a: b
c: |+
  end


# doc comment
`,
    'quoted keys and values with specials': `"quoted key": v
'single': v
"a: b": "c # d"
k1: "-"
k2: "?"
k3: '@at'
k4: "%pct"
k5: "*star"
k6: '&amp'
k7: "!bang"
k8: "|pipe"
k9: ">gt"
k10: "trailing "
k11: "colon:"
k12: "ok:fine"
k13: "a#b"
k14: "ünï"
k17: "line\\nbreak"
k24: "short\\nenough\\n"
k20: '#'
k21: "a\\\\b"
k22: plain#hash
k23: "-x"
`,
    'document marker text, quoted': `k15: "---dash"
k16: '...'
`,
    'bail: document marker text, plain': `k15: ---dash
`,
    'bail: long multi-line double-quoted': `k: "a long line of text that goes on and on\\nand on"
`,
    'bail: control characters': `k18: "ctl\\x01"
`,
    'bail: anchors and aliases': `a: &x 1
b: *x
`,
    'bail: tags': `a: !!str 1
b: !custom x
`,
    'comment on a key and an empty value': `a: # on a
  b: c
d: # on d
e:
  # before the value
  f
g:
  - x
  # between
  - y
`,
    'multi-line plain scalar (folded by the parser)': `- one
  two
- three
`,
    'seq of maps with comments and blanks': `containers:

  # c1
  - name: a

    image: b


  - name: c
    env: []
    ports: [] # none
`,
    'multi-line comments': `# one
#
#  two
a: b # t
# x
#
# y
c:
  - d
  #
  # e
`,
    'bail: document end marker': `a: b
...
`,
    'bail: explicit directives': `%YAML 1.2
---
a: b
`,
    'bail: long key': `? ${'k'.repeat(1100)}
: v
`,
    'short double-quoted whitespace and newlines': `a: "  "
b: "\\n"
`,
    'indented literal lines': `d: |
  x
   y
e: |4

      lead blank then indented
`,
  };

  it('on hand-written tricky cases', () => {
    const t = tally();
    const slow: string[] = [];
    for (const [name, text] of Object.entries(CASES)) {
      {
        const doc = parseDocument(text); // one document each (a `---` after a comment stays inside)
        expect(doc.errors).toEqual([]);
        preserveScalars(doc, text);
        compare(doc, name, t);
        const fast = renderFast(doc, true) !== undefined;
        if (fast === name.startsWith('bail:')) slow.push(`${name}: ${fast ? 'fast' : 'bailed'}`);
        // and again with created nodes appended (untyped strings, a literal, an empty map)
        const c: unknown = doc.contents;
        if (isMap(c)) {
          c.set(doc.createNode('new'), newNode(doc, { 'x y': ['1', 'a b', 'true'], z: 'multi\nline\n', e: {} }));
          compare(doc, `${name} + created`, t);
        }
      }
    }
    report(t, 'hand-written');
    expect(t.mismatches.map((m) => m.label)).toEqual([]);
    expect(slow).toEqual([]);
  });

  it('on random node trees (types, comments, blank lines, flow flags)', () => {
    // a small deterministic PRNG (mulberry32)
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let x = seed;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const STRINGS = ['a', 'name', 'x y', '', 'true', '0755', 'a: b', 'x #y', 'x#y', '#c', '- a', '-', '-x', ' lead', 'trail ', 'é ☃', 'say "hi"',
      "it's", `'"`, 'multi\nline', 'multi\nline\n', 'x\n\n', '\nlead', '  sp\nx', 'a\n\n\nb\n\n', '[x]', '{y}', 'a,b', '---', '...x', 'tab\tx',
      '\t', ' \n', 'x\n ', '@', '%', 'k:', ':k', '? q', 'a\\b', 'long text that is longer than forty characters in all'];
    const TYPES = [undefined, undefined, 'PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL'] as const;
    const COMMENTS = [' c', 'c', ' two\n lines', ' ', '', ' a\n\n b', '\n', ' x'];
    const maybe = (p: number): string | undefined => (rnd() < p ? pick(COMMENTS) : undefined);
    const decorate = (n: Scalar | YAMLMap | YAMLSeq): void => {
      const cb = maybe(0.15);
      const c = maybe(0.15);
      if (cb !== undefined) n.commentBefore = cb;
      if (c !== undefined) n.comment = c;
      if (rnd() < 0.15) n.spaceBefore = true;
    };
    const ALPHABET = ['a', 'b', ' ', ' ', ':', '#', '-', '.', '/', '\n', '"', "'", '\t', '[', ',', '?', 'é', '%'];
    const text = (): string => {
      if (rnd() < 0.5) return pick(STRINGS);
      let x = '';
      for (let n = Math.floor(rnd() * 7); n > 0; n--) x += pick(ALPHABET);
      return x;
    };
    const scalar = (key: boolean): Scalar => {
      const s = new Scalar(key ? text().replaceAll('\n', '') || 'k' : text());
      const type = pick(TYPES);
      if (type && !(key && type === 'BLOCK_LITERAL')) s.type = type;
      if (!key) decorate(s);
      else if (rnd() < 0.1) s.commentBefore = pick(COMMENTS);
      else if (rnd() < 0.1) s.spaceBefore = true;
      return s;
    };
    const tree = (depth: number): Scalar | YAMLMap | YAMLSeq => {
      if (depth <= 0 || rnd() < 0.35) return scalar(false);
      const n = rnd() < 0.5 ? new YAMLMap() : new YAMLSeq();
      const count = Math.floor(rnd() * 4);
      for (let i = 0; i < count; i++) {
        if (n instanceof YAMLMap) n.items.push(new Pair(scalar(true), tree(depth - 1)));
        else n.items.push(tree(depth - 1));
      }
      if (rnd() < 0.2) n.flow = true;
      else if (rnd() < 0.1) n.flow = false;
      decorate(n);
      return n;
    };
    const t = tally();
    for (let i = 0; i < 4000; i++) {
      const doc = new YamlDocument(null, { schema: 'failsafe' });
      let contents = tree(4);
      if (contents instanceof Scalar) contents = new YAMLMap();
      doc.contents = contents;
      if (rnd() < 0.3 && doc.directives) doc.directives.docStart = true;
      const cb = maybe(0.2);
      const c = maybe(0.2);
      if (cb !== undefined) doc.commentBefore = cb;
      if (c !== undefined) doc.comment = c;
      compare(doc as Document, `random #${i}`, t);
    }
    report(t, 'random trees');
    expect(t.mismatches.map((m) => m.label)).toEqual([]);
    expect(t.fast).toBeGreaterThan(1000);
  });

  it('on created strings without a type (failsafe: never re-quoted for looking like numbers)', () => {
    const t = tally();
    const values = ['true', '0755', '', 'a: b', 'x #y', 'x#y', '  lead', 'trail ', '- x', '-x', '? x', '?x', ':x', 'x:', '[a]', 'a,b', '{', '#',
      'ünï', 'it\'s', 'say "x"', `"'both'"`, '---', '--- x', '...', '%x', '@x', '`x', '\tt', 't\t', 'a\tb', '~', 'null', 'multi\nline', 'multi\nline\n',
      ' lead\nline', 'x\n ', '\n\nx', 'x\n\n\n', 'é\u2028x', 'nb\u00a0sp', 'ctl\x7f', '😀', '\ud800',
      'a  b', 'a:b', 'a:', 'a: ', '/x', 'x:y:z', 'x\u0085y', 'x #', 'x\t#', '_x', 'x\u2028y', 'a b c', 'x\ufeff'];
    for (const v of values) {
      for (const flow of [false, true]) {
        const doc = parseDocument('a: b\n');
        const map = doc.contents as YAMLMap;
        const s = new Scalar(v);
        map.set(doc.createNode('k'), s);
        map.set(doc.createNode('seq'), doc.createNode([v, { [v === '' ? 'e' : v]: v }], { flow }));
        doc.setSchema('1.2', { schema: 'failsafe' });
        compare(doc, JSON.stringify(v) + (flow ? ' flow' : ''), t);
        s.type = Scalar.QUOTE_DOUBLE;
        compare(doc, JSON.stringify(v) + ' double', t);
        s.type = Scalar.QUOTE_SINGLE;
        compare(doc, JSON.stringify(v) + ' single', t);
        s.type = Scalar.PLAIN;
        compare(doc, JSON.stringify(v) + ' plain', t);
        s.type = Scalar.BLOCK_LITERAL;
        compare(doc, JSON.stringify(v) + ' literal', t);
      }
    }
    report(t, 'created strings');
    expect(t.mismatches.map((m) => m.label)).toEqual([]);
    expect(t.fast / t.total).toBeGreaterThan(0.5);
  });
});
