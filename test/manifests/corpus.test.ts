/**
 * Every Kubernetes file of the shared corpus (real manifests written by other
 * projects) runs through the real CLI: each is rewritten correctly or passes
 * through byte-identical with a diagnostic saying why; no crash, no error.
 * Every rewritten workload validates against the official Kubernetes schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { splitDocuments } from '../../src/core/stream.js';
import { cli, CORPUS, ROOT } from '../helpers.js';
import { validateWorkload } from '../k8s-schema.js';
import { checkSplitInvariants } from './invariants.js';
import { manifestTextViolations } from '../trust-invariants.js';

function corpusFiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(CORPUS, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(CORPUS, dir.name))) {
      const text = readFileSync(join(CORPUS, dir.name, f), 'utf8');
      if (/^services:/m.test(text)) continue; // Compose: test/compose covers it
      out.push(join(dir.name, f));
    }
  }
  return out.sort();
}

const FILES = corpusFiles();
const EXAMPLES = ['examples/postgres/deployment.yaml', 'examples/postgres/statefulset.yaml', 'examples/postgres/pod.yaml'];

describe('the Kubernetes corpus', () => {
  it('has files to test', () => expect(FILES.length).toBeGreaterThan(15));

  for (const f of FILES) {
    it(f, async () => {
      const input = readFileSync(join(CORPUS, f), 'utf8');
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
