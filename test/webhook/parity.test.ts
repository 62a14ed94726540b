/**
 * The webhook hands pods to the pipeline as block YAML (src/webhook/to-yaml.ts);
 * the pipe filter reads whatever it is given: YAML as people write it, or JSON
 * (`kubectl get -o json`). All must give the same pod. (This found an
 * existing-number edit, e.g. `runAsUser: 1000` → 999, being written back as
 * the source text `1000` on the YAML path: src/core/yaml-nodes.ts setScalar.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { transformManifests } from '../../src/core/pipeline.js';
import type { JsonValue } from '../../src/webhook/patch.js';
import { toBlockYaml } from '../../src/webhook/to-yaml.js';
import { CORPUS, ROOT } from '../helpers.js';
import { filesUnder, podsOf, readText } from './helpers.js';

const { catalogue } = loadCatalogue();

function forms(pod: JsonValue): { block: unknown; yaml: unknown; json: unknown } {
  const b = transformManifests(toBlockYaml(pod), { catalogue });
  const y = transformManifests(stringify(pod), { catalogue });
  const j = transformManifests(JSON.stringify(pod, null, 2), { catalogue });
  // the warnings the webhook returns are the pipe filter's (infos may differ between YAML and JSON input:
  // YAML whose images no template claims is not parsed, and says DI3001 per image line)
  const problems = (r: typeof b): string[] => r.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code} ${d.message}`);
  expect(problems(b)).toEqual(problems(y));
  expect(problems(b)).toEqual(problems(j));
  if (b.diagnostics.some((d) => d.severity === 'error')) return { block: 'error', yaml: 'error', json: 'error' }; // nothing is written, by any front door
  expect(b.changed).toBe(j.changed);
  return { block: parse(b.output), yaml: parse(y.output), json: JSON.parse(j.output) };
}

function allPods(): { label: string; pod: JsonValue }[] {
  const dir = join(ROOT, 'test', 'fixtures', 'manifests');
  const out = readdirSync(dir)
    .filter((d) => !d.startsWith('error-'))
    .flatMap((d) => podsOf(readText(existsSync(join(dir, d, 'input.yaml')) ? join(dir, d, 'input.yaml') : join(dir, d, 'input.json'))).map((p) => ({ label: `${d}: ${p.label}`, pod: p.pod as JsonValue })));
  if (existsSync(CORPUS)) {
    for (const f of filesUnder(CORPUS).filter((x) => /\.(ya?ml|json)$/.test(x))) {
      const text = readText(f);
      if (!/^services:/m.test(text)) out.push(...podsOf(text).map((p) => ({ label: `${f.slice(CORPUS.length + 1)}: ${p.label}`, pod: p.pod as JsonValue })));
    }
  }
  return out;
}

describe('pipeline parity: block YAML (the webhook), yaml.stringify and JSON input give the same pod', () => {
  it('an existing runAsUser that the split changes is changed on every path', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cache' },
      spec: {
        securityContext: { runAsUser: 1000, fsGroup: 1000 },
        containers: [{ name: 'redis', image: 'redis:8.0.2-alpine', securityContext: { runAsUser: 1000 } }],
      },
    };
    const { block, yaml, json } = forms(pod);
    expect(yaml).toEqual(json);
    expect(block).toEqual(json);
    const main = (json as { spec: { containers: { securityContext: { runAsUser: number } }[] } }).spec.containers[0]!;
    expect(main.securityContext.runAsUser).toBe(999);
  });

  it('every fixture and corpus pod', () => {
    const pods = allPods();
    expect(pods.length).toBeGreaterThan(20);
    for (const { label, pod } of pods) {
      const { block, yaml, json } = forms(pod);
      expect(block, label).toEqual(json);
      expect(yaml, label).toEqual(json);
    }
  });

  it('toBlockYaml reads back as the same value, odd strings included', () => {
    const odd: JsonValue = {
      'a:b': 'x: y',
      '#': '# not a comment',
      '<<': { merge: 'key' },
      yes: ['yes', 'no', 'on', '0755', '1e3', '', ' lead', 'trail ', '- dash', '"q"', "'s'", 'multi\nline', 'tab\there', 'ünï', '@at', '*star', '&amp', '!tag', '%p', '`b'],
      n: [0, -1, 1.5, 1e21, true, false, null],
      empty: { m: {}, s: [] },
      nested: [[1, [2]], [{ a: 1 }], { b: [] }],
    };
    expect(parse(toBlockYaml(odd))).toEqual(odd);
  });
});
