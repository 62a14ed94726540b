/** review() without a server: warnings within Kubernetes' limits, internal errors, the cache. */
import { describe, expect, it } from 'vitest';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/load.js';
import { formatWarnings, review, WARNING_MAX } from '../../src/webhook/review.js';
import { admissionReview } from './helpers.js';

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'db-' }, spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] } };

describe('formatWarnings', () => {
  it('one line per code, at most 120 characters (code points), at most 20 lines, the rest counted in DI6009', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ code: 'DI3006' as const, field: `spec.containers[${i}]`, message: `ünïcödé ${'x'.repeat(200)}\nsecond line ${i}` }));
    const w = formatWarnings(many);
    expect(w).toHaveLength(20);
    for (const line of w) {
      expect([...line].length).toBeLessThanOrEqual(WARNING_MAX);
      expect(line).not.toContain('\n');
    }
    expect(w[0]).toMatch(/^DI3006 containers\[0\]: ünïcödé x+…$/);
    expect(w[19]).toMatch(/^DI6009: 11 more warnings left out/);
  });

  it('drops duplicates', () => {
    expect(formatWarnings([{ code: 'DI3006', message: 'a' }, { code: 'DI3006', message: 'a' }])).toEqual(['DI3006: a']);
  });
});

describe('review', () => {
  const { catalogue } = loadCatalogue();

  it('an exception inside the pipeline admits the pod unchanged with DI6004', () => {
    const broken = {
      get templates(): never {
        throw new Error('boom');
      },
      get byImage(): never {
        throw new Error('boom');
      },
    } as unknown as Catalogue;
    const r = review(JSON.stringify(admissionReview(POD)), { catalogue: broken });
    expect(r.status).toBe(200);
    expect(r.outcome).toBe('declined');
    const body = JSON.parse(r.body) as { response: { allowed: boolean; patch?: string; warnings: string[] } };
    expect(body.response.allowed).toBe(true);
    expect(body.response.patch).toBeUndefined();
    expect(body.response.warnings[0]).toMatch(/^DI6004: /);
  });

  it('identical pods get identical answers (each with its own uid); other settings are not mixed up', () => {
    const a = review(JSON.stringify(admissionReview(POD)), { catalogue });
    const b = review(JSON.stringify(admissionReview(POD)), { catalogue });
    expect(b.patch).toEqual(a.patch);
    expect(JSON.parse(b.body).response.uid).not.toBe(JSON.parse(a.body).response.uid);
    const other = review(JSON.stringify(admissionReview(POD)), { catalogue, images: { db: 'registry.example.com/pg:16' } });
    expect(JSON.stringify(other.patch)).toContain('registry.example.com/pg:16');
    expect(JSON.stringify(a.patch)).not.toContain('registry.example.com/pg:16');
  });

  it('a 400 never echoes a huge or odd uid, and names the field', () => {
    const r = review(JSON.stringify(admissionReview(POD, { uid: 'u'.repeat(300) })), { catalogue });
    expect(r.status).toBe(400);
    expect(r.reason).toMatch(/request.uid is longer than 256/);
  });
});
