// One option parser (src/core/options.ts) for every place a user writes options:
// the same strings given as command-line flags, as a ConfigMap functionConfig's
// data, as a DistrolessInit spec (KRM functionConfig, kustomize plugin,
// --config file) give the same options, or the same problem.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlags } from '../src/cli/options.js';
import { emptyOptions, OPTION_FLAGS, parseOptionFlags, readFunctionConfig, type FunctionConfig, type OptionName } from '../src/core/options.js';
import { UsageError } from '../src/shared/errors.js';
import { cli, tmp } from './helpers.js';

type Outcome = { options: FunctionConfig } | { problem: string };

/** Through the command line's flags (`--image VALUE`...). */
function viaFlags(name: OptionName, values: string[]): Outcome {
  const { options, diagnostics } = parseOptionFlags({ [name]: values });
  if (!diagnostics.length) return { options };
  expect(diagnostics.map((d) => [d.code, d.field])).toEqual(values.map(() => ['DI1008', OPTION_FLAGS[name]]).slice(0, diagnostics.length));
  return { problem: withoutPlace(diagnostics[0]!.message, OPTION_FLAGS[name]) };
}

/** Through a ConfigMap functionConfig: `data.NAME: "VALUE,VALUE"`. */
function viaConfigMap(name: OptionName, values: string[]): Outcome {
  const { config, diagnostics } = readFunctionConfig({ apiVersion: 'v1', kind: 'ConfigMap', data: { [name]: values.join(',') } });
  if (!diagnostics.length) return { options: config };
  expect(diagnostics.map((d) => [d.code, d.field])).toEqual(values.map(() => ['DI1008', `data.${name}`]).slice(0, diagnostics.length));
  return { problem: withoutPlace(diagnostics[0]!.message, `data.${name}`) };
}

function withoutPlace(message: string, place: string): string {
  expect(message.startsWith(`${place} `), message).toBe(true);
  return message.slice(place.length + 1);
}

const options = (o: Partial<FunctionConfig>): Outcome => ({ options: { ...emptyOptions(), ...o } });
const HARDENING_KEYS = 'runAsNonRoot, readOnlyRootFilesystem, noPrivilegeEscalation, dropAllCapabilities, seccompRuntimeDefault, fsGroup';

const TABLE: [OptionName, string[], Outcome][] = [
  ['images', ['db=registry.example.com/pg:16-distroless'], options({ images: { db: 'registry.example.com/pg:16-distroless' } })],
  ['images', ['db=a:1', 'cache=b:2'], options({ images: { db: 'a:1', cache: 'b:2' } })],
  ['images', [' db = a:1 '], options({ images: { db: 'a:1' } })],
  ['images', ['db=a:1', 'db=b:2'], options({ images: { db: 'b:2' } })],
  ['images', ['db='], { problem: 'expects NAME=REF, got "db="' }],
  ['images', ['=a:1'], { problem: 'expects NAME=REF, got "=a:1"' }],
  ['images', ['db'], { problem: 'expects NAME=REF, got "db"' }],
  ['security', ['readOnlyRootFilesystem=false'], options({ hardening: { readOnlyRootFilesystem: false } })],
  ['security', ['readOnlyRootFilesystem=false', 'fsGroup=true'], options({ hardening: { readOnlyRootFilesystem: false, fsGroup: true } })],
  // the same trimming in every channel (the CLI refused these, a ConfigMap accepted them)
  ['security', [' readOnlyRootFilesystem=false '], options({ hardening: { readOnlyRootFilesystem: false } })],
  ['security', ['readOnlyRootFilesystem = false'], options({ hardening: { readOnlyRootFilesystem: false } })],
  ['security', ['readOnlyRootFilesystem=no'], { problem: `expects KEY=true|false with KEY one of ${HARDENING_KEYS}; got "readOnlyRootFilesystem=no"` }],
  ['security', ['readOnlyRootFilesystem=FALSE'], { problem: `expects KEY=true|false with KEY one of ${HARDENING_KEYS}; got "readOnlyRootFilesystem=FALSE"` }],
  ['security', ['privileged=true'], { problem: `expects KEY=true|false with KEY one of ${HARDENING_KEYS}; got "privileged=true"` }],
  ['security', ['toString=true'], { problem: `expects KEY=true|false with KEY one of ${HARDENING_KEYS}; got "toString=true"` }],
  ['mirrors', ['harbor.example.com/dockerhub'], options({ mirrors: ['harbor.example.com/dockerhub'] })],
  ['mirrors', ['harbor.example.com/dockerhub/', 'localhost:5000'], options({ mirrors: ['harbor.example.com/dockerhub', 'localhost:5000'] })],
  ['mirrors', ['https://harbor.example.com'], { problem: 'expects a registry host with an optional path (harbor.example.com/dockerhub), got "https://harbor.example.com"' }],
  ['mirrors', ['dockerhub'], { problem: 'expects a registry host with an optional path (harbor.example.com/dockerhub), got "dockerhub"' }],
  ['templates', ['./my-templates', '/abs/templates'], options({ templates: ['./my-templates', '/abs/templates'] })],
  ['templates', [' ./my-templates '], options({ templates: ['./my-templates'] })],
];

describe('one option parser', () => {
  it.each(TABLE)('%s %j: the same through flags and a ConfigMap', (name, values, expected) => {
    expect(viaFlags(name, values)).toEqual(expected);
    expect(viaConfigMap(name, values)).toEqual(expected);
  });

  it.each(TABLE.filter(([name]) => name === 'mirrors' || name === 'templates'))('%s %j: the same through a DistrolessInit spec list', (name, values, expected) => {
    const { config, diagnostics } = readFunctionConfig({ apiVersion: 'distroless-init.io/v1alpha1', kind: 'DistrolessInit', spec: { [name]: values } });
    if ('options' in expected) expect({ options: config }).toEqual(expected);
    else expect(diagnostics.map((d) => d.message)).toContain(`spec.${name} ${expected.problem}`);
  });

  it('reads the spec\'s mappings into the same options as the text forms', () => {
    const spec = readFunctionConfig({
      apiVersion: 'distroless-init.io/v1alpha1',
      kind: 'DistrolessInit',
      spec: { images: { db: 'a:1' }, security: { readOnlyRootFilesystem: false } },
    });
    expect(spec.diagnostics).toEqual([]);
    expect(spec.config).toEqual({ ...emptyOptions(), images: { db: 'a:1' }, hardening: { readOnlyRootFilesystem: false } });
    const flags = parseOptionFlags({ images: ['db=a:1'], security: ['readOnlyRootFilesystem=false'] });
    expect(flags.options).toEqual(spec.config);
  });

  it.each([
    [{ images: { db: 5 } }, 'spec.images.db', 'spec.images.db expects an image reference, got 5'],
    [{ images: { db: '' } }, 'spec.images.db', 'spec.images.db expects an image reference, got ""'],
    [{ security: { readOnlyRootFilesystem: 'false' } }, 'spec.security.readOnlyRootFilesystem', 'spec.security.readOnlyRootFilesystem expects true or false, got "false"'],
    [{ security: { privileged: true } }, 'spec.security.privileged', `spec.security.privileged is not a security switch: expects one of ${HARDENING_KEYS}`],
    [{ mirrors: [5] }, 'spec.mirrors', 'spec.mirrors expects a registry host with an optional path (harbor.example.com/dockerhub), got 5'],
    [{ templates: 'dir' }, undefined, undefined],
    [{ imagez: {} }, 'spec.imagez', 'unknown field spec.imagez (expected images, templates, security, mirrors)'],
  ] as [Record<string, unknown>, string | undefined, string | undefined][])('spec %j: %s', (spec, field, message) => {
    const r = readFunctionConfig({ apiVersion: 'distroless-init.io/v1alpha1', kind: 'DistrolessInit', spec }, 'fn.yaml');
    expect(r.diagnostics.map((d) => [d.code, d.field, d.message, d.file])).toEqual(field ? [['DI1008', field, message, 'fn.yaml']] : []);
  });

  it('makes a flag problem the CLI\'s usage error, with the flag in front', () => {
    expect(() => parseFlags({ security: ['readOnlyRootFilesystem=no'] })).toThrow(UsageError);
    expect(() => parseFlags({ image: ['db='] })).toThrow('--image expects NAME=REF, got "db="');
    expect(parseFlags({ image: ['db=a:1'], mirror: ['localhost:5000/'] })).toEqual({ ...emptyOptions(), images: { db: 'a:1' }, mirrors: ['localhost:5000'] });
  });
});

describe('the channels, end to end', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    dirs.push(tmp('di-options-'));
    return dirs.at(-1)!;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers:\n  - name: db\n    image: postgres:16\n';
  const resourceList = (fnConfig: string): string =>
    `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- ${POD.replaceAll('\n', '\n  ').trimEnd()}\nfunctionConfig:\n${fnConfig}`;
  const results = (stdout: string): { message: string; tags: { code: string }; field?: { path: string } }[] =>
    ((parseDocument(stdout).toJS() as { results?: [] }).results ?? []) as never;

  it('gives the same problem as a usage error (exit 2), a KRM result (exit 1) and a --config input error (exit 1)', async () => {
    const problem = `expects KEY=true|false with KEY one of ${HARDENING_KEYS}; got "readOnlyRootFilesystem=no"`;
    const flag = await cli(['--security', 'readOnlyRootFilesystem=no'], POD);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`--security ${problem}`);
    const krm = await cli([], resourceList('  apiVersion: v1\n  kind: ConfigMap\n  data:\n    security: readOnlyRootFilesystem=no\n'));
    expect(krm.code).toBe(1);
    expect(results(krm.stdout).map((r) => [r.tags.code, r.field?.path, r.message])).toEqual([['DI1008', 'data.security', `data.security ${problem}`]]);
    const cwd = dir();
    writeFileSync(join(cwd, 'fn.yaml'), 'apiVersion: v1\nkind: ConfigMap\ndata:\n  security: readOnlyRootFilesystem=no\n');
    const config = await cli(['--config', 'fn.yaml'], POD, cwd);
    expect(config.code).toBe(1);
    expect(config.stderr).toContain(`fn.yaml: data.security ${problem}`);
  });

  it('applies the same options from flags, a functionConfig and a --config file', async () => {
    const flag = await cli(['--image', ' db = registry.example.com/pg:16-distroless ', '--security', 'readOnlyRootFilesystem=false'], POD);
    expect(flag.code, flag.stderr).toBe(0);
    const krm = await cli([], resourceList('  apiVersion: v1\n  kind: ConfigMap\n  data:\n    images: " db = registry.example.com/pg:16-distroless "\n    security: readOnlyRootFilesystem=false\n'));
    expect(krm.code, krm.stderr).toBe(0);
    const cwd = dir();
    writeFileSync(join(cwd, 'fn.yaml'), 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec:\n  images: {db: registry.example.com/pg:16-distroless}\n  security: {readOnlyRootFilesystem: false}\n');
    const config = await cli(['--config', 'fn.yaml'], POD, cwd);
    expect(config.code, config.stderr).toBe(0);
    const item = (parseDocument(krm.stdout).toJS() as { items: unknown[] }).items[0];
    for (const out of [parseDocument(flag.stdout).toJS(), item, parseDocument(config.stdout).toJS()]) {
      const main = (out as { spec: { containers: { image: string; securityContext: Record<string, unknown> }[] } }).spec.containers[0]!;
      expect(main.image).toBe('registry.example.com/pg:16-distroless');
      expect(main.securityContext.readOnlyRootFilesystem).toBeUndefined();
    }
    expect(parseDocument(flag.stdout).toJS()).toEqual(parseDocument(config.stdout).toJS());
  });
});
