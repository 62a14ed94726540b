/**
 * The webhook hands pods to the pipeline as values (src/core/transform-object.ts:
 * nodes built from the object, the pipe filter's own split walk, the edited
 * object returned); the pipe filter reads whatever it is given: YAML as people
 * write it, or JSON (`kubectl get -o json`). All must give the same pod and the
 * same warnings. (This found an existing-number edit, e.g. `runAsUser: 1000` →
 * 999, being written back as the source text `1000` on the YAML path:
 * src/core/yaml-nodes.ts setScalar.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { transformManifests } from '../../src/core/pipeline.js';
import { transformObject } from '../../src/core/transform-object.js';
import type { JsonValue } from '../../src/webhook/patch.js';
import { CORPUS, ROOT } from '../helpers.js';
import { filesUnder, podsOf, readText } from './helpers.js';

const { catalogue } = loadCatalogue();

function forms(pod: JsonValue): { object: unknown; yaml: unknown; json: unknown } {
  const before = structuredClone(pod);
  const o = transformObject(pod, { catalogue });
  expect(pod, 'the input object is not modified').toEqual(before);
  const y = transformManifests(stringify(pod), { catalogue });
  const j = transformManifests(JSON.stringify(pod, null, 2), { catalogue });
  // the warnings the webhook returns are the pipe filter's (infos may differ between YAML and JSON input:
  // YAML whose images no template claims is not parsed, and says DI3001 per image line; so is an object)
  const problems = (r: { diagnostics: typeof o.diagnostics }): string[] => r.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code} ${d.message}`);
  expect(problems(o)).toEqual(problems(y));
  expect(problems(o)).toEqual(problems(j));
  if (o.diagnostics.some((d) => d.severity === 'error')) return { object: 'error', yaml: 'error', json: 'error' }; // nothing is written, by any front door
  expect(o.changed).toBe(j.changed);
  expect(o.changed).toBe(y.changed);
  return { object: o.changed ? o.value : pod, yaml: parse(y.output), json: JSON.parse(j.output) };
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

describe('pipeline parity: the object entry (the webhook), YAML and JSON input give the same pod', () => {
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
    const { object, yaml, json } = forms(pod);
    expect(yaml).toEqual(json);
    expect(object).toEqual(json);
    const main = (json as { spec: { containers: { securityContext: { runAsUser: number } }[] } }).spec.containers[0]!;
    expect(main.securityContext.runAsUser).toBe(999);
  });

  it('every fixture and corpus pod', () => {
    const pods = allPods();
    expect(pods.length).toBeGreaterThan(20);
    for (const { label, pod } of pods) {
      const { object, yaml, json } = forms(pod);
      expect(object, label).toEqual(json);
      expect(yaml, label).toEqual(json);
    }
  });

  it('odd keys and values survive the object entry as they survive JSON input', () => {
    const odd: JsonValue = {
      'a:b': 'x: y',
      '#': '# not a comment',
      '<<': { merge: 'key' },
      yes: ['yes', 'no', 'on', '0755', '1e3', '', ' lead', 'trail ', '- dash', '"q"', "'s'", 'multi\nline', 'tab\there', 'ünï', '@at', '*star', '&amp', '!tag', '%p', '`b'],
      n: [0, -1, 1.5, 1e21, true, false, null],
      empty: { m: {}, s: [] },
      nested: [[1, [2]], [{ a: 1 }], { b: [] }],
    };
    const pod: JsonValue = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' }, odd, spec: { containers: [{ name: 'db', image: 'postgres:16.4', env: [{ name: 'POSTGRES_DB', value: '0755' }] }] } };
    const { object, json } = forms(pod);
    expect((object as { odd: unknown }).odd).toEqual(odd);
    expect(object).toEqual(json);
  });

  it('a pod no template claims is answered without building nodes, with the same infos as the YAML text', () => {
    const pod: JsonValue = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api' }, spec: { containers: [{ name: 'api', image: 'ghcr.io/example/api:1' }, { name: 'side', image: 'busybox-like/x:2' }] } };
    const o = transformObject(pod, { catalogue });
    const y = transformManifests(stringify(pod), { catalogue });
    expect(o.changed).toBe(false);
    const infos = (r: { diagnostics: typeof o.diagnostics }): string[] => r.diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(infos(o)).toEqual(infos(y));
    expect(infos(o)).toHaveLength(2);
  });

  it('an object nested too deep is refused (DI1011), not walked', () => {
    let deep: JsonValue = 'x';
    for (let i = 0; i < 400; i++) deep = { a: deep };
    const pod: JsonValue = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' }, deep, spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] } };
    const o = transformObject(pod, { catalogue });
    expect(o.changed).toBe(false);
    expect(o.diagnostics.map((d) => d.code)).toEqual(['DI1011']);
  });
});
