// Adapts a manifest the tool wrote for podman 4.3's `kube play`, IN THE
// HARNESS ONLY (the tool's output is written for Kubernetes and stays so).
// Each change works around a known podman 4.3 gap (see test/e2e/README.md):
//   P1  restartPolicy Never: with the default Always, 4.3 restarts a finished
//       init container and kube play fails (podman#16343, fixed in 4.4)
//   P3  annotation io.podman.annotations.init.container.type=always: keeps the
//       init container after it ran (exit code and log stay inspectable) and
//       re-runs it on every pod start (the init step must be idempotent)
//   --  imagePullPolicy Never: no registry is ever contacted
//   P5  emptyDir volumes renamed <pod>-<name>: 4.3 makes an emptyDir a podman
//       volume named exactly like the volume, shared by every pod using it
//   P6  StatefulSet (unsupported; silently skipped next to a supported kind)
//       becomes one PersistentVolumeClaim per volumeClaimTemplate + a Pod <name>-<i>
//   P8  Secret documents are taken out and written to SECRETS/<name>.json as
//       the JSON {key: base64} that 4.3's secretKeyRef reads; the harness
//       creates them with `podman secret create`
//   P9  container ports removed: 4.3 maps even a bare containerPort, and
//       `--network none` (loopback only) then refuses the pod
//   P7  (mode drop-bound) PVC documents whose volume exists are dropped: 4.3
//       refuses them ("volume already exists"); Kubernetes keeps the claim
// Usage: node podmanize.mjs IN OUT SECRETS_DIR     (also writes OUT.volumes and OUT.pods)
//        node podmanize.mjs drop-bound IN OUT
//        node podmanize.mjs compose IN OUT          (a Compose file)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const load = (file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
const dump = (docs) => docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

if (process.argv[2] === 'drop-bound') {
  const [, , , input, output] = process.argv;
  const keep = load(input).filter(
    (d) => !(d.kind === 'PersistentVolumeClaim' && spawnSync('podman', ['volume', 'exists', d.metadata.name]).status === 0),
  );
  writeFileSync(output, dump(keep));
  process.exit(0);
}

if (process.argv[2] === 'compose') {
  // podman 4.3 gaps for Compose, adapted here only:
  //   a tmpfs is created root-owned with mode 1755 (Docker: 1777), so a non-root
  //   main cannot write to it; and a tmpfs whose path crosses a symlink of the
  //   image (/var/run -> /run) is dropped ("Could not find mount at destination").
  //   Each tmpfs of a service becomes a named volume <svc>-tmpfs-<i>, which podman
  //   creates with the owner and mode of the image's directory (as kube play does
  //   for an emptyDir); `down -v` removes it.
  const [, , , input, output] = process.argv;
  const doc = parseAllDocuments(readFileSync(input, 'utf8'))[0].toJS();
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    const tmpfs = svc.tmpfs === undefined ? [] : [svc.tmpfs].flat();
    if (tmpfs.length === 0) continue;
    delete svc.tmpfs;
    tmpfs.forEach((t, i) => {
      const vol = `${name}-tmpfs-${i}`;
      (svc.volumes ??= []).push(`${vol}:${String(t).split(':')[0]}`);
      (doc.volumes ??= {})[vol] = {};
    });
  }
  // YAML 1.1 output: docker-compose reads YAML 1.1, where an unquoted 999:999 is a number
  writeFileSync(output, stringify(doc, { lineWidth: 0, version: '1.1' }));
  process.exit(0);
}

const [, , input, output, secretDir] = process.argv;
mkdirSync(secretDir, { recursive: true });
const out = [];
const volumes = [];
const pods = []; // "<pod> <main container> <init container>" as podman names them
const podLine = (pod, spec) => `${pod} ${pod}-${spec.containers?.[0]?.name ?? ''} ${pod}-${spec.initContainers?.[0]?.name ?? ''}`;

function fixSpec(spec, owner) {
  spec.restartPolicy = 'Never';
  const renamed = new Map();
  for (const v of spec.volumes ?? []) {
    if ('emptyDir' in v) {
      renamed.set(v.name, `${owner}-${v.name}`);
      v.name = `${owner}-${v.name}`;
      volumes.push(v.name);
    }
    if (v.persistentVolumeClaim) volumes.push(v.persistentVolumeClaim.claimName);
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    c.imagePullPolicy = 'Never';
    delete c.ports; // P9: 4.3 turns containerPort into a port mapping, which --network none rejects
    for (const m of c.volumeMounts ?? []) m.name = renamed.get(m.name) ?? m.name;
  }
}
const keepInit = (meta) => {
  meta.annotations = { ...(meta.annotations ?? {}), 'io.podman.annotations.init.container.type': 'always' };
};

for (const d of load(input)) {
  d.metadata ??= {};
  if (d.kind === 'Secret') {
    const data = { ...(d.data ?? {}) };
    for (const [k, v] of Object.entries(d.stringData ?? {})) data[k] = Buffer.from(String(v)).toString('base64');
    writeFileSync(join(secretDir, `${d.metadata.name}.json`), JSON.stringify(data));
  } else if (d.kind === 'Pod') {
    fixSpec(d.spec, d.metadata.name);
    keepInit(d.metadata);
    pods.push(podLine(d.metadata.name, d.spec));
    out.push(d);
  } else if (d.kind === 'Deployment') {
    fixSpec(d.spec.template.spec, d.metadata.name);
    keepInit(d.metadata);
    keepInit((d.spec.template.metadata ??= {}));
    pods.push(podLine(`${d.metadata.name}-pod-0`, d.spec.template.spec)); // 4.3 names the pod <name>-pod-0
    out.push(d);
  } else if (d.kind === 'StatefulSet') {
    const tmpl = d.spec.template;
    for (let i = 0; i < (d.spec.replicas ?? 1); i++) {
      const pod = `${d.metadata.name}-${i}`;
      const spec = structuredClone(tmpl.spec);
      for (const vct of d.spec.volumeClaimTemplates ?? []) {
        const claim = `${vct.metadata.name}-${pod}`;
        out.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim }, spec: vct.spec ?? {} });
        (spec.volumes ??= []).push({ name: vct.metadata.name, persistentVolumeClaim: { claimName: claim } });
      }
      fixSpec(spec, pod);
      const meta = { ...structuredClone(tmpl.metadata ?? {}), name: pod };
      keepInit(meta);
      pods.push(podLine(pod, spec));
      out.push({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
    }
  } else {
    out.push(d);
  }
}
writeFileSync(output, dump(out));
writeFileSync(`${output}.pods`, pods.map((p) => `${p}\n`).join(''));
writeFileSync(`${output}.volumes`, [...new Set(volumes)].map((v) => `${v}\n`).join(''));
