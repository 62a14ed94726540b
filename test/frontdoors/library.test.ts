/** The README's library example (examples/library/example.mjs) runs against the built package, imported by its name. */
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { builtBin, run } from './tools.js';

describe('library example', () => {
  it('runs with node, importing distroless-init (package self-reference to dist/index.js), and prints the split', () => {
    builtBin();
    const r = run(process.execPath, ['examples/library/example.mjs'], { cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('manifests changed: true');
    expect(r.stdout).toContain('- name: postgres-init');
    expect(r.stdout).toContain('image: registry.example.com/postgres:16-distroless');
    expect(r.stdout).toMatch(/info DI3012: container "postgres" split/);
    expect(r.stdout).toContain('compose changed: true');
    expect(r.stdout).toContain('db-init:');
    expect(r.stdout).toContain('plan: init runs docker-ensure-initdb.sh, main runs /usr/lib/postgresql/16/bin/postgres as 999:999');
  });
});
