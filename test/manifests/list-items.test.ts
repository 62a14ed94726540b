/**
 * A `kind: List` transformed item by item (src/core/list-items.ts) reads and
 * changes what the whole-document path does: the same trees, the same
 * diagnostics (codes, lines, columns, documents, resources, fields), unchanged items
 * copied as written; shapes outside the simple one fall back to the whole
 * document and give exactly its output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { cutListItems, LIST_ITEMS } from '../../src/core/list-items.js';
import { transformManifests } from '../../src/core/pipeline.js';
import { transformResourceList } from '../../src/adapters/krm.js';
import { generate } from '../../bench/gen-manifests.mjs';
import { ROOT } from '../helpers.js';

const { catalogue } = loadCatalogue();

function both(text: string): { items: ReturnType<typeof transformManifests>; whole: ReturnType<typeof transformManifests> } {
  const items = transformManifests(text, { catalogue, file: 'list.yaml' });
  LIST_ITEMS.enabled = false;
  try {
    return { items, whole: transformManifests(text, { catalogue, file: 'list.yaml' }) };
  } finally {
    LIST_ITEMS.enabled = true;
  }
}

afterEach(() => {
  LIST_ITEMS.enabled = true;
});

const trees = (s: string): unknown[] => parseAllDocuments(s, { merge: true }).map((d) => d.toJS({ maxAliasCount: -1 }));


/** A document's lines as the items of a List: `- ` before the first, `indent` spaces before the others. */
function asItem(doc: string, dash: number): string {
  const pad = ' '.repeat(dash + 2);
  return doc
    .replace(/^---\n/, '')
    .replace(/\n$/, '')
    .split('\n')
    .map((l, i) => (i === 0 ? `${' '.repeat(dash)}- ${l}` : l === '' ? '' : pad + l))
    .join('\n')
    .concat('\n');
}

function list(docs: readonly string[], dash = 0, tail = ''): string {
  return `apiVersion: v1\nkind: List\nitems:\n${docs.map((d) => asItem(d, dash)).join('')}${tail}`;
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: postgres:16
          env:
            - name: POSTGRES_PASSWORD
              value: pw
`;
const CONFIGMAP = `# a comment before the item
apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts
data:
  run.sh: |
    #!/bin/sh
    echo "*" && exit 0

    # a comment in the script
  mode: "0644"
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: db # trailing comment
spec:
  ports:
  - port: 5432
`;
const STATEFULSET = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cache
spec:
  serviceName: cache
  selector:
    matchLabels: {app: cache}
  template:
    metadata:
      labels: {app: cache}
    spec:
      containers:
      - name: redis
        image: redis:7.4
      - name: app
        image: ghcr.io/acme/app:1
`;
const UNKNOWN = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:2
`;
const NESTED = `apiVersion: v1
kind: List
items:
- apiVersion: batch/v1
  kind: Job
  metadata:
    name: migrate
  spec:
    template:
      spec:
        restartPolicy: Never
        containers:
        - name: migrate
          image: postgres:17-alpine
`;
const KINDS = [DEPLOYMENT, CONFIGMAP, SERVICE, STATEFULSET, UNKNOWN, NESTED];

function expectSameAsWhole(text: string): ReturnType<typeof transformManifests> {
  const { items, whole } = both(text);
  expect(items.changed).toBe(whole.changed);
  expect(trees(items.output)).toEqual(trees(whole.output));
  expect(items.diagnostics).toEqual(whole.diagnostics);
  return items;
}

describe('kind: List, item by item', () => {
  for (const dash of [0, 2, 4]) {
    it(`reads and changes what the whole document does (items at column ${dash}), copying unchanged items as written`, () => {
      const text = list(KINDS, dash);
      expect(cutListItems(text)?.items.length).toBe(KINDS.length);
      const r = expectSameAsWhole(text);
      expect(r.changed).toBe(true);
      for (const doc of [CONFIGMAP, SERVICE, UNKNOWN]) expect(r.output).toContain(asItem(doc, dash));
      expect(r.output.startsWith('apiVersion: v1\nkind: List\nitems:\n')).toBe(true);
      expect(r.diagnostics.map((d) => d.code)).toContain('DI3001');
    });
  }

  it('keeps a kubectl-style tail (kind and metadata after the items) and a head with a marker and comments', () => {
    const text = `--- # from kubectl\n# a comment\napiVersion: v1\n${list([SERVICE, DEPLOYMENT], 0, 'kind: List\nmetadata:\n  resourceVersion: ""\n# the end\n').replace('apiVersion: v1\nkind: List\n', '')}`;
    expect(cutListItems(text)?.tail).toBe('kind: List\nmetadata:\n  resourceVersion: ""\n# the end\n');
    const r = expectSameAsWhole(text);
    expect(r.output.endsWith('kind: List\nmetadata:\n  resourceVersion: ""\n# the end\n')).toBe(true);
  });

  it('handles items that start with a comment line (`- # Source: …`), comments between items and blank lines', () => {
    const docs = [DEPLOYMENT, SERVICE].map((d) => `# Source: chart/templates/x.yaml\n${d}`);
    const text = list(docs).replace(/\n- # Source/g, '\n\n  # between\n- # Source');
    expect(cutListItems(text)?.items.length).toBe(2);
    expectSameAsWhole(text);
  });

  it('an item in a stream after other documents: diagnostics point at the image line of the stream', () => {
    const text = `${SERVICE}---\n${list([CONFIGMAP, UNKNOWN, DEPLOYMENT], 2)}`;
    const r = expectSameAsWhole(text);
    const lines = text.split('\n');
    for (const d of r.diagnostics.filter((x) => x.code === 'DI3001' || x.code === 'DI3006')) {
      expect(d.document).toBe(1);
      expect(d.file).toBe('list.yaml');
      const line = lines[d.line! - 1]!;
      expect(line.slice(d.column! - 1)).toMatch(/^(?:- )?(?:name|image): /); // the container (its first key)
    }
    expect(r.diagnostics.some((d) => d.code === 'DI3006')).toBe(true);
    expect(r.diagnostics.find((d) => d.code === 'DI3001')?.resource).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  });

  it('the benchmark mix as a List: the same trees and diagnostics', () => {
    const docs = (generate as (n: number, o: { seed: string }) => string)(60, { seed: 'list' }).split(/^---\n/m).filter((d) => d !== '');
    for (const dash of [0, 2]) expectSameAsWhole(list(docs, dash));
  });

  it('every fixture document as items of a List: the same trees and diagnostics', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'manifests');
    let checked = 0;
    for (const name of readdirSync(dir)) {
      if (name.startsWith('error-')) continue;
      let input: string;
      try {
        input = readFileSync(join(dir, name, 'input.yaml'), 'utf8');
      } catch {
        continue;
      }
      if (/^\s*[{[]/.test(input) || input.includes('\r')) continue;
      const docs = input.split(/^---(?:[ \t][^\n]*)?\n/m).filter((d) => /^[a-zA-Z]/m.test(d) && !/^items:/m.test(d) && !/^services:/m.test(d));
      if (docs.length === 0) continue;
      const text = list(docs.map((d) => (d.endsWith('\n') ? d : `${d}\n`)));
      try {
        expectSameAsWhole(text);
      } catch (e) {
        throw new Error(`fixture ${name}: ${(e as Error).message}`);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('kind: List shapes left to the whole document', () => {
  const cases: Record<string, string> = {
    'an alias to an anchor in another item': list([DEPLOYMENT.replace('value: pw', 'value: &pw pw'), UNKNOWN.replace('name: web\nspec', 'name: *pw\nspec')]),
    'flow-style items': 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: apps/v1, kind: Deployment, metadata: {name: db}, spec: {template: {spec: {containers: [{name: db, image: "postgres:16"}]}}}}\n',
    'a flow sequence of items': `apiVersion: v1\nkind: List\nitems: [${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } })}]\n`,
    'an item that is a sequence': `apiVersion: v1\nkind: List\nitems:\n- - a\n${asItem(DEPLOYMENT, 0)}`,
    'a line less indented than its item': list([DEPLOYMENT]).replace('    name: db\n', '    name: db\n x: 1\n'),
    'CRLF line ends': list([DEPLOYMENT, SERVICE]).replace(/\n/g, '\r\n'),
    'a tab at the start of a line': list([DEPLOYMENT, CONFIGMAP]).replace('    echo', '\techo'),
    'a duplicate key in an item (an error)': list([DEPLOYMENT.replace('  name: db\n', '  name: db\n  name: dup\n'), SERVICE]),
    'a YAML error in an item': list([SERVICE, DEPLOYMENT.replace('matchLabels: {app: db}', 'matchLabels: {app: db')]),
    'a YAML error in an item that cannot change': list([CONFIGMAP.replace('mode: "0644"', 'mode: "0644'), DEPLOYMENT]),
    'a duplicate key in an item that cannot change': list([SERVICE.replace('  name: db', '  name: db\n  name: again'), DEPLOYMENT]),
    'two items keys': `${list([DEPLOYMENT])}items: []\n`,
    'a tail that is not a key': `${list([DEPLOYMENT])}- x\n`,
    'a List kind in a quoted multi-line head': `apiVersion: v1\nkind: List\nmetadata: {name: "a\n  b"}\nitems:\n${asItem(DEPLOYMENT, 0)}`,
    'items of a map that is not a List': `apiVersion: v1\nkind: Thing\nitems:\n${asItem(DEPLOYMENT, 0)}`,
    'an empty item': `apiVersion: v1\nkind: List\nitems:\n-\n${asItem(DEPLOYMENT, 0)}`,
    'a document end marker in an item': list([SERVICE]).replace(/\n$/, '\n  ...\n'),
    'a tag on the document marker': `%YAML 1.1\n---\n${list([DEPLOYMENT])}`.replace('---\n', '--- !!map\n'),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: exactly the whole document's output and diagnostics`, () => {
      const { items, whole } = both(text);
      expect(items.output).toBe(whole.output);
      expect(items.diagnostics).toEqual(whole.diagnostics);
    });
  }

  it('cuts none of the shapes it cannot keep exact', () => {
    for (const name of ['an alias to an anchor in another item', 'flow-style items', 'a flow sequence of items', 'an item that is a sequence', 'a line less indented than its item', 'CRLF line ends', 'a tab at the start of a line', 'a tail that is not a key', 'an empty item', 'a tag on the document marker', 'a document end marker in an item']) {
      expect(cutListItems(cases[name]!), name).toBeUndefined();
    }
  });

  it('a head and tail cut back to the exact text', () => {
    const text = `# c\napiVersion: v1\nkind: List\nitems: # the items\n\n${asItem(SERVICE, 2)}  # after\n${asItem(CONFIGMAP, 2)}\n# trailing\nmetadata: {}\n`;
    const cut = cutListItems(text)!;
    expect(cut.head + cut.items.map((i) => i.text).join('') + cut.tail).toBe(text);
    expect(cut.items.map((i) => i.standalone().split('\n').length)).toEqual(cut.items.map((i) => i.text.split('\n').length));
  });
});

describe('KRM ResourceList, item by item', () => {
  function bothLists(text: string): { items: ReturnType<typeof transformResourceList>; whole: ReturnType<typeof transformResourceList> } {
    const items = transformResourceList(text, { catalogue });
    LIST_ITEMS.enabled = false;
    try {
      return { items, whole: transformResourceList(text, { catalogue }) };
    } finally {
      LIST_ITEMS.enabled = true;
    }
  }
  const rl = (generate as (n: number, o: { seed: string; format: string }) => string)(80, { seed: 'rl', format: 'resourcelist' });
  const inputs: Record<string, string> = {
    'the benchmark mix': rl,
    'the benchmark mix with a functionConfig': `${rl}functionConfig:\n  apiVersion: distroless-init.io/v1alpha1\n  kind: DistrolessInit\n  metadata:\n    name: fn\n  spec:\n    images:\n      postgres: registry.example.com/pg:16-distroless\n`,
    'test/fixtures/krm/resourcelist.yaml': readFileSync(join(ROOT, 'test', 'fixtures', 'krm', 'resourcelist.yaml'), 'utf8'),
    'test/fixtures/krm/kustomize-resourcelist.yaml': readFileSync(join(ROOT, 'test', 'fixtures', 'krm', 'kustomize-resourcelist.yaml'), 'utf8'),
    'a YAML error in an item': rl.replace('kind: ConfigMap', 'kind: [ConfigMap'),
    'a YAML error in an item that cannot change': rl.replace('kind: Service\n', 'kind: Service\n  spec: [\n'),
    'an alias between items': rl.replace('kind: Secret', 'kind: &k Secret').replace('kind: ConfigMap', 'kind: *k'),
  };
  for (const [name, text] of Object.entries(inputs)) {
    it(`${name}: exactly the whole list's output, diagnostics and exit`, () => {
      const { items, whole } = bothLists(text);
      expect(items.output).toBe(whole.output);
      expect(items.diagnostics).toEqual(whole.diagnostics);
      expect([items.failed, items.changed]).toEqual([whole.failed, whole.changed]);
    });
  }

  it('cuts the generated and the kpt/kustomize lists', () => {
    for (const name of ['the benchmark mix', 'the benchmark mix with a functionConfig', 'test/fixtures/krm/resourcelist.yaml', 'test/fixtures/krm/kustomize-resourcelist.yaml']) {
      expect(cutListItems(inputs[name]!), name).toBeDefined();
    }
  });
});
