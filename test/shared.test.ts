// Facts with one home each (src/shared and their users): the names the tool
// owns, the shell list, the main-image naming rule, the probe description.
import { describe, expect, it } from 'vitest';
import { ADHOC_ANNOTATIONS } from '../src/catalogue/adhoc.js';
import { defaultMainImage } from '../src/catalogue/main-image.js';
import { describeProbe, type ProbeSpec } from '../src/catalogue/template.js';
import { IMAGE_ANNOTATION, SKIP_ANNOTATION, SPLIT_ANNOTATION } from '../src/core/apply-kube.js';
import { INIT_OF_LABEL, SKIP_LABEL, SPLIT_LABEL } from '../src/core/apply-compose.js';
import { isShellCommand } from '../src/core/lint.js';
import { SHELL_NAMES as RECIPE_SHELLS } from '../src/recipe/dockerfile.js';
import { parseImageRef } from '../src/shared/image-ref.js';
import { CONFIG_API_VERSION, CONFIG_KIND, KEY_PREFIX } from '../src/shared/names.js';
import { SHELL_NAMES } from '../src/shared/shells.js';

describe('the names the tool owns', () => {
  it('are the documented ones, from one prefix', () => {
    expect(KEY_PREFIX).toBe('distroless-init.io/');
    expect(CONFIG_API_VERSION).toBe('distroless-init.io/v1alpha1');
    expect(CONFIG_KIND).toBe('DistrolessInit');
    expect([SKIP_ANNOTATION, SPLIT_ANNOTATION, IMAGE_ANNOTATION]).toEqual(['distroless-init.io/skip', 'distroless-init.io/split', 'distroless-init.io/image.']);
    expect([SKIP_LABEL, SPLIT_LABEL, INIT_OF_LABEL]).toEqual(['distroless-init.io/skip', 'distroless-init.io/split', 'distroless-init.io/init-of']);
    for (const name of Object.values(ADHOC_ANNOTATIONS)) expect(name.startsWith(KEY_PREFIX)).toBe(true);
  });
});

describe('the shell list', () => {
  it('is the one the recipe keeps out of the runtime image', () => {
    expect(RECIPE_SHELLS).toBe(SHELL_NAMES);
  });

  it.each(SHELL_NAMES.map((n) => [n]))('makes the lint see %s as a shell, by name or path', (name) => {
    expect(isShellCommand([name, '-c', 'true'])).toBe(true);
    expect(isShellCommand([`/bin/${name}`])).toBe(true);
    expect(isShellCommand(['env', 'A=1', name, '-c', 'true'])).toBe(true);
  });

  it.each([[['pg_isready']], [['/usr/bin/env']], [['env', 'A=1']], [[]], [['redis-cli', 'ping']], [['shellcheck']]])('does not take %j for a shell', (argv) => {
    expect(isShellCommand(argv)).toBe(false);
  });
});

describe('the main-image naming rule', () => {
  it.each([
    ['postgres:16', {}, 'postgres:16-distroless'],
    ['postgres', {}, 'postgres:latest-distroless'],
    ['docker.io/library/postgres:16.4', {}, 'postgres:16.4-distroless'],
    ['localhost:5000/team/app:1.2', {}, 'localhost:5000/team/app:1.2-distroless'],
    ['ghcr.io/org/app@sha256:' + 'c'.repeat(64), {}, 'ghcr.io/org/app:latest-distroless'],
    ['postgres:16@sha256:' + 'c'.repeat(64), {}, 'postgres:16-distroless'],
    ['postgres:16', { mainImage: 'registry.example.com/pg:16-static' }, 'registry.example.com/pg:16-static'],
  ])('%s %j -> %s', (image, spec, expected) => {
    expect(defaultMainImage(parseImageRef(image)!, spec)).toBe(expected);
  });
});

describe('describeProbe', () => {
  it.each([
    [{ exec: ['pg_isready', '-q'] }, 'exec ["pg_isready","-q"]'],
    [{ tcpSocket: { port: 6379 } }, 'tcpSocket :6379'],
    [{ httpGet: { path: '/health', port: 8080 } }, 'httpGet :8080/health'],
  ] as [ProbeSpec, string][])('%j -> %s', (probe, text) => {
    expect(describeProbe(probe)).toBe(text);
  });
});
