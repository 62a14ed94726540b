/**
 * Every Kubernetes file of the project's own corpus (test/fixtures/corpus) and of
 * the shared corpus (real manifests written by other projects, ../shared/corpus,
 * CI only) runs through the real CLI: each is rewritten correctly or passes
 * through byte-identical with a diagnostic saying why; no crash, no error.
 * Every rewritten workload validates against the official Kubernetes schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { splitDocuments } from '../../src/core/stream.js';
import { cli, CORPUS, HAS_CORPUS, OWN_CORPUS, ROOT, withoutCorpus } from '../helpers.js';
import { manifestTextViolations } from '../trust-invariants.js';
import { validateWorkload } from '../k8s-schema.js';
import { checkSplitInvariants } from './invariants.js';

function corpusFiles(corpus: string): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(corpus, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(corpus, dir.name))) {
      const text = readFileSync(join(corpus, dir.name, f), 'utf8');
      if (/^services:/m.test(text)) continue; // Compose: test/compose covers it
      out.push(join(dir.name, f));
    }
  }
  return out.sort();
}

const SOURCES = [
  { name: 'the project\'s own corpus', dir: OWN_CORPUS, files: corpusFiles(OWN_CORPUS), skip: false, min: 6 },
  { name: 'the Kubernetes corpus', dir: CORPUS, files: HAS_CORPUS ? corpusFiles(CORPUS) : [], skip: withoutCorpus('the Kubernetes corpus'), min: 16 },
];
const EXAMPLES = ['examples/postgres/deployment.yaml', 'examples/postgres/statefulset.yaml', 'examples/postgres/pod.yaml'];

for (const { name, dir, files, skip, min } of SOURCES) {
  describe.skipIf(skip)(name, () => {
    it('has files to test', () => expect(files.length).toBeGreaterThanOrEqual(min));

    for (const f of files) {
      it(f, async () => {
        const input = readFileSync(join(dir, f), 'utf8');
        const r = await cli(['--output-format', 'json', '-v'], input);
        const diagnostics = (JSON.parse(r.stderr) as { diagnostics: { code: string; severity: string; message: string }[] }).diagnostics;
        expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(r.code).toBe(0);
        if (r.stdout === input) {
          // passed through: say why, for every workload
          const workloads = parseAllDocuments(input).filter((d) => /Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|CronJob|List/.test(String(d.get('kind'))));
          if (workloads.length) expect(diagnostics.length).toBeGreaterThan(0);
        } else {
          checkRewrite(input, r.stdout);
          expect(manifestTextViolations(input, r.stdout, diagnostics)).toEqual([]);
        }
        const again = await cli([], r.stdout);
        expect(again.stdout).toBe(r.stdout);
      });
    }
  });
}

describe('examples', () => {
  for (const f of EXAMPLES) {
    it(`${f} is rewritten into valid workloads`, async () => {
      const input = readFileSync(join(ROOT, f), 'utf8');
      const r = await cli([f]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toBe(input);
      checkRewrite(input, r.stdout);
    });
  }
});

/** Untouched documents are byte-identical; changed workloads validate and hold the split invariants. */
function checkRewrite(input: string, output: string): void {
  const before = splitDocuments(input).map((d) => d.text);
  const after = splitDocuments(output).map((d) => d.text);
  expect(after.length).toBe(before.length);
  let changed = 0;
  after.forEach((text, i) => {
    if (text === before[i]) return;
    changed++;
    const doc = parseAllDocuments(text)[0]!;
    expect(doc.errors).toEqual([]);
    const obj = doc.toJS() as { kind: string; items?: unknown[] };
    const objs = obj.kind.endsWith('List') ? (obj.items as typeof obj[]) : [obj];
    for (const o of objs) {
      if (validateWorkload(o)) checkSplitInvariants(o);
    }
  });
  expect(changed).toBeGreaterThan(0);
}
