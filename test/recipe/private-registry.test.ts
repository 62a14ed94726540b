/**
 * Images from a private or local registry whose last path element is a catalogue
 * image (issue 12): the rewrite says what it does (DI3040 split / DI3041 left
 * unchanged) and the image recipe goes ahead and says what it assumed (DI5004).
 * Run through the real CLI, the way a user meets them.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';

const pod = (image: string, annotation = ''): string =>
  [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: db',
    ...(annotation ? ['  annotations:', `    distroless-init.io/image.db: ${annotation}`] : []),
    'spec:',
    '  containers:',
    '    - name: db',
    `      image: ${image}`,
    '      env:',
    '        - {name: POSTGRES_PASSWORD, value: x}',
    '',
  ].join('\n');

describe('a catalogue image from a private registry, rewrite', () => {
  it.each([
    ['localhost/postgres:16', 'localhost'],
    ['registry.example.com/team/postgres:16', 'registry.example.com/team'],
    ['registry.example.com:5000/postgres:16', 'registry.example.com:5000'],
  ])('%s with no main image named: left unchanged, warning DI3041 with the --mirror to pass, exit 0', async (image, mirror) => {
    const input = pod(image);
    const r = await cli([], input);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(input);
    expect(r.stderr).toContain('DI3041');
    expect(r.stderr).toContain(`looks like postgres:16 from a private registry`);
    expect(r.stderr).toContain(`--mirror ${mirror}`);
    // and with that --mirror it is split, with no warning about the registry
    const m = await cli(['--mirror', mirror], input);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('initContainers:');
    expect(m.stderr).not.toMatch(/DI304[01]/);
  });

  it('HOST/library/postgres:16 is read as a mirror of Docker Hub: split (DI3006 says how to build the main image)', async () => {
    const r = await cli([], pod('registry.example.com/library/postgres:16'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('initContainers:');
    expect(r.stderr).toContain('DI3006');
    expect(r.stderr).not.toMatch(/DI304[01]/);
  });

  it('named by the annotation: split as postgres:16 with warning DI3040 (init runs the image as written, main the named one)', async () => {
    const r = await cli([], pod('registry.example.com/team/postgres:16', 'registry.example.com/team/postgres:16-distroless'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('DI3040');
    expect(r.stderr).toContain('treated as postgres:16 from a private registry (template "postgres")');
    expect(r.stderr).toContain('--mirror registry.example.com/team');
    expect(r.stdout).toContain('initContainers:');
    expect(r.stdout).toMatch(/^ {6}image: registry\.example\.com\/team\/postgres:16$/m);
    expect(r.stdout).toMatch(/^ {6}image: registry\.example\.com\/team\/postgres:16-distroless$/m);
    expect(r.stdout).toContain('docker-ensure-initdb.sh');
  });

  it('named by --image: split with warning DI3040', async () => {
    const r = await cli(['--image', 'db=localhost/postgres:16-distroless'], pod('localhost/postgres:16'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('DI3040');
    expect(r.stderr).toContain('because --image db=... names its main image');
    expect(r.stdout).toContain('image: localhost/postgres:16-distroless');
  });

  it('Compose: the same warning for a service', async () => {
    const compose = 'services:\n  db:\n    image: localhost/postgres:16\n    environment:\n      POSTGRES_PASSWORD: x\n';
    const r = await cli(['compose', '-f', '-'], compose);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('DI3041');
    expect(r.stdout).not.toContain('db-init');
  });

  it('an image no template knows under any name stays silent (info DI3001 only with -v)', async () => {
    const input = pod('registry.example.com/team/unknown:1');
    const r = await cli([], input);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, input, '']);
    expect((await cli(['-v'], input)).stderr).toContain('DI3001');
  });
});

describe('a catalogue image from a private registry, image recipe', () => {
  it.each([
    ['localhost/postgres:15', 'localhost'],
    ['registry.example.com/library/postgres:16', 'registry.example.com'],
    ['registry.example.com/team/postgres:16', 'registry.example.com/team'],
  ])('distroless-init image %s: a Dockerfile without --mirror, and DI5004 says what was assumed', async (image, mirror) => {
    const r = await cli(['image', image]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`FROM ${image} AS full`);
    if (image.includes('/library/')) {
      // HOST/library/NAME is read as a mirror of Docker Hub already: no assumption to report
      expect(r.stdout).toContain(`distroless-init image ${image} | docker build -t ${image}-distroless -`);
      expect(r.stderr).toBe('');
      return;
    }
    expect(r.stdout).toContain(`distroless-init image --mirror ${mirror} ${image} | docker build -t ${image}-distroless -`);
    expect(r.stderr).toContain('DI5004');
    expect(r.stderr).toContain(`assumed to be postgres:${image.split(':').pop()} (template "postgres") from the private registry ${mirror}`);
    // with --mirror: no warning
    const m = await cli(['image', '--mirror', mirror, image]);
    expect([m.code, m.stderr]).toEqual([0, '']);
  });
});
