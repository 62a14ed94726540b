/**
 * Helm's post-renderer contracts, reproduced exactly (there is no helm binary
 * here): the chart in examples/helm is rendered the way Helm does for these
 * simple templates, the stream is built as Helm 3 (`# Source:` headers, hooks
 * left out, kinds in install order) or Helm 4 (every template of every kind,
 * hooks included, files sorted by name, each document annotated with
 * postrenderer.helm.sh/postrender-filename) sends it, the built bin rewrites it,
 * and the answer is split back by the annotation as Helm 4's splitAndDeannotate
 * does, then checked as SortManifests reads it (kind and name must be strings).
 */
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { ROOT, fixture, tmp } from '../helpers.js';
import { builtBin, docs, EXAMPLES, pod, run, type Obj } from './tools.js';

const ANN = 'postrenderer.helm.sh/postrender-filename';
const CHART = join(EXAMPLES, 'helm', 'chart');
const chartName = (parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { name: string }).name;
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, string>;

/** Renders the few template actions the example uses: {{ .Release.Name }} and {{ .Values.KEY }}. */
function render(text: string, release = 'db'): string {
  return text.replace(/\{\{\s*\.Release\.Name\s*\}\}/g, release).replace(/\{\{\s*\.Values\.(\w+)\s*\}\}/g, (_, k: string) => String(values[k]));
}

function templates(extra: Record<string, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(join(CHART, 'templates'))) files[`${chartName}/templates/${f}`] = render(readFileSync(join(CHART, 'templates', f), 'utf8'));
  for (const [k, v] of Object.entries(extra)) files[k] = render(v);
  return files;
}

const INSTALL_ORDER = ['Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Service', 'DaemonSet', 'Pod', 'ReplicaSet', 'Deployment', 'StatefulSet', 'Job', 'CronJob'];

/** Helm 3: `---\n# Source: FILE\n<doc>\n` per manifest, hooks left out, sorted by kind in install order. */
function helm3Stream(files: Record<string, string>): string {
  const manifests: { name: string; kind: string; content: string }[] = [];
  for (const [name, text] of Object.entries(files)) {
    for (const d of text.split(/^---\s*$/m)) {
      const content = d.trim();
      if (!content) continue;
      const head = parse(content) as Obj;
      if (head.metadata?.annotations?.['helm.sh/hook']) continue;
      manifests.push({ name, kind: head.kind ?? '', content });
    }
  }
  manifests.sort((a, b) => INSTALL_ORDER.indexOf(a.kind) - INSTALL_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : 1));
  return manifests.map((m) => `---\n# Source: ${m.name}\n${m.content}\n`).join('');
}

/** Helm 4 annotateAndMerge: files sorted by name, every document annotated with its file name, joined by `---`. */
function helm4Stream(files: Record<string, string>): string {
  const out: string[] = [];
  for (const name of Object.keys(files).sort()) {
    for (const doc of parseAllDocuments(files[name]!)) {
      if (doc.contents === null) continue;
      doc.setIn(['metadata', 'annotations', ANN], name);
      out.push(doc.toString({ lineWidth: 0, indentSeq: false }).replace(/^---\n/, ''));
    }
  }
  return out.join('---\n');
}

/** Helm 4 splitAndDeannotate + the SortManifests head check: file name → documents, or Helm's error text. */
function helm4Split(output: string): { files: Map<string, Obj[]>; error?: string } {
  const files = new Map<string, Obj[]>();
  const all = parseAllDocuments(output).filter((d) => d.contents !== null);
  all.forEach((d, i) => {
    const o = d.toJS() as Obj;
    const name = o.metadata?.annotations?.[ANN] || `generated-by-postrender-${i}.yaml`;
    delete o.metadata?.annotations?.[ANN];
    files.set(name, [...(files.get(name) ?? []), o]);
  });
  for (const [name, objs] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const o of objs) {
      if (typeof o.kind !== 'string' || (o.metadata?.name !== undefined && typeof o.metadata.name !== 'string')) {
        return { files, error: `YAML parse error on ${name}: error unmarshaling JSON: json: cannot unmarshal object into Go struct field SimpleHead.kind of type string` };
      }
    }
  }
  return { files };
}

const bin = (args: string[], input: string): ReturnType<typeof run> => run(process.execPath, [builtBin(), ...args], { input });
const IMAGE = '--image=postgres=registry.example.com/postgres:16-distroless';

describe('Helm 3 post-renderer (executable; # Source: headers; no hooks)', () => {
  const stream = helm3Stream(templates());

  it('keeps every # Source: header, in order, and splits the StatefulSet', () => {
    expect(stream).not.toContain('helm.sh/hook');
    const r = bin([IMAGE], stream);
    expect(r.status, r.stderr).toBe(0);
    const headers = (s: string): string[] => s.match(/^# Source: .*$/gm) ?? [];
    expect(headers(r.stdout)).toEqual(headers(stream));
    expect(headers(stream)).toEqual([`# Source: ${chartName}/templates/secret.yaml`, `# Source: ${chartName}/templates/service.yaml`, `# Source: ${chartName}/templates/statefulset.yaml`]);
    const sts = docs(r.stdout).find((o) => o.kind === 'StatefulSet')!;
    expect(pod(sts).initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    expect(pod(sts).containers[0]!.image).toBe('registry.example.com/postgres:16-distroless');
    // what `helm template db examples/helm/chart --post-renderer distroless-init --post-renderer-args IMAGE` prints (UPDATE_EXPECTED=1 rewrites it)
    const expected = join(EXAMPLES, 'helm', 'expected-helm3.yaml');
    if (process.env.UPDATE_EXPECTED === '1') writeFileSync(expected, r.stdout);
    expect(r.stdout).toBe(readFileSync(expected, 'utf8'));
    // the untouched documents come back byte for byte
    expect(r.stdout.startsWith(stream.slice(0, stream.indexOf('---\n# Source: postgres-demo/templates/statefulset.yaml')))).toBe(true);
  });

  it('never answers a non-empty stream with an empty one', () => {
    const noWorkloads = helm3Stream(Object.fromEntries(Object.entries(templates()).filter(([k]) => k.endsWith('service.yaml'))));
    const r = bin([], noWorkloads);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(noWorkloads);
  });

  it('an empty chart: Helm sends nothing and gets nothing back, exit 0', () => {
    const r = bin([], '');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('fails with exit 1 and the reason on stderr (Helm 3 shows it), printing nothing', () => {
    const r = bin([], `${stream}---\n# Source: ${chartName}/templates/broken.yaml\nkind: Pod\nspec: [\n`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error DI1001/);
  });
});

describe('Helm 4 post-renderer plugin (annotation on every document; hooks included)', () => {
  const files = templates({ [`${chartName}/templates/seed-hook.yaml`]: fixture('helm', 'seed-hook.yaml') });
  const stream = helm4Stream(files);
  const plugin = parse(readFileSync(join(ROOT, 'plugins', 'helm', 'distroless-init', 'plugin.yaml'), 'utf8')) as {
    apiVersion: string;
    type: string;
    name: string;
    runtime: string;
    runtimeConfig: { platformCommand: { command: string }[] };
  };

  /** Runs the plugin the way Helm 4 does: folder symlinked into the plugins dir, ${HELM_PLUGIN_DIR} expanded, extra args appended. */
  function runPlugin(args: string[], input: string): ReturnType<typeof run> {
    return runPluginWith({}, args, input);
  }

  function runPluginWith(env: Record<string, string>, args: string[], input: string): ReturnType<typeof run> {
    const pluginDir = join(tmp('di-helm-plugins-'), plugin.name);
    symlinkSync(join(ROOT, 'plugins', 'helm', 'distroless-init'), pluginDir);
    const command = plugin.runtimeConfig.platformCommand[0]!.command.replace('${HELM_PLUGIN_DIR}', pluginDir);
    builtBin();
    return run(command, args, { input, env: { HELM_PLUGIN_NAME: plugin.name, HELM_PLUGIN_DIR: pluginDir, ...env } });
  }

  it('plugin.yaml is a postrenderer/v1 subprocess plugin', () => {
    expect(plugin).toMatchObject({ apiVersion: 'v1', type: 'postrenderer/v1', name: 'distroless-init', runtime: 'subprocess' });
    expect(plugin.runtimeConfig.platformCommand[0]!.command).toContain('${HELM_PLUGIN_DIR}');
  });

  it('keeps the annotation on every document, so Helm splits the answer back into the same files; hooks are split too', () => {
    const r = runPlugin([IMAGE], stream);
    expect(r.status, r.stderr).toBe(0);
    const back = helm4Split(r.stdout);
    expect(back.error).toBeUndefined();
    expect([...back.files.keys()].sort()).toEqual(Object.keys(files).sort());
    const sts = back.files.get(`${chartName}/templates/statefulset.yaml`)![0]!;
    expect(pod(sts).initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    const seed = back.files.get(`${chartName}/templates/seed-hook.yaml`)![0]!;
    expect(seed.metadata?.annotations?.['helm.sh/hook']).toBe('pre-install');
    expect(pod(seed).initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    const dbInit = back.files.get(`${chartName}/templates/init-job.yaml`)![0]!;
    expect(dbInit.metadata?.annotations?.['helm.sh/hook']).toBe('post-install');
    expect(pod(dbInit).initContainers).toEqual([]);
    for (const d of parseAllDocuments(r.stdout)) expect(parseDocument(String(d)).getIn(['metadata', 'annotations', ANN])).toBeTruthy();
  });

  it('answers an empty chart with a comment, since Helm 4 refuses empty output', () => {
    const r = runPlugin([], '');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).not.toBe('');
    expect(helm4Split(r.stdout).files.size).toBe(0);
  });

  it('on failure exits 0 with a document that Helm refuses while quoting the error (Helm 4 hides stderr)', () => {
    const bad = runPlugin(['--image=postgres='], stream);
    expect(bad.status).toBe(0);
    const back = helm4Split(bad.stdout);
    expect(back.error).toMatch(/^YAML parse error on distroless-init failed: --image expects NAME=REF, got "postgres="/);
    const broken = runPlugin([], `${stream}---\nkind: Pod\nspec: [\n`);
    expect(broken.status).toBe(0);
    expect(helm4Split(broken.stdout).error).toMatch(/distroless-init failed: .*error DI1001/);
    expect(broken.stdout).not.toContain('initContainers');
  });

  it('also turns failures the command cannot catch itself (an unknown option, no command) into that document', () => {
    const unknown = runPlugin(['--imag=postgres=x'], stream);
    expect(unknown.status).toBe(0);
    expect(helm4Split(unknown.stdout).error).toMatch(/^YAML parse error on distroless-init failed: error: unknown option '--imag=postgres=x'/);
    const missing = runPluginWith({ DISTROLESS_INIT_BIN: join(tmp('di-none-'), 'nothing') }, [], stream);
    expect(missing.status).toBe(0);
    expect(helm4Split(missing.stdout).error).toMatch(/^YAML parse error on distroless-init failed: .*nothing/);
  });
});
