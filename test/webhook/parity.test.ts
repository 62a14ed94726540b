/**
 * The webhook sends pods through the pipeline as JSON; the pipe filter mostly
 * reads YAML. Both must give the same object. (This found an existing-number
 * edit, e.g. `runAsUser: 1000` → 999, being written back as the source text
 * `1000` on the YAML path: src/core/yaml-nodes.ts setScalar.)
 */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { transformManifests } from '../../src/core/pipeline.js';

const { catalogue } = loadCatalogue();

function both(pod: unknown): { yaml: unknown; json: unknown } {
  const y = transformManifests(stringify(pod), { catalogue });
  const j = transformManifests(JSON.stringify(pod, null, 2), { catalogue });
  return { yaml: parse(y.output), json: JSON.parse(j.output) };
}

describe('pipeline parity: YAML and JSON input give the same pod', () => {
  it('an existing runAsUser that the split changes is changed on both paths', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cache' },
      spec: {
        securityContext: { runAsUser: 1000, fsGroup: 1000 },
        containers: [{ name: 'redis', image: 'redis:8.0.2-alpine', securityContext: { runAsUser: 1000 } }],
      },
    };
    const { yaml, json } = both(pod);
    expect(yaml).toEqual(json);
    const main = (json as { spec: { containers: { securityContext: { runAsUser: number } }[] } }).spec.containers[0]!;
    expect(main.securityContext.runAsUser).toBe(999);
  });
});
