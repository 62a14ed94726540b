// The library API: the same functions the CLI uses. Run it with
//   npm run build && node examples/library/example.mjs
// (inside this repository `distroless-init` resolves to the package itself).
import { loadCatalogue, planContainer, transformCompose, transformManifests } from 'distroless-init';

// 1. Load the templates once: the built-ins plus any directory of your own.
const { catalogue, diagnostics: catalogueProblems } = loadCatalogue([]);
if (catalogueProblems.length) throw new Error(catalogueProblems.map((d) => d.message).join('\n'));

// 2. Kubernetes manifests: text in, text out, diagnostics as values.
const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  template:
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
`;
const k8s = transformManifests(manifest, {
  catalogue,
  images: { postgres: 'registry.example.com/postgres:16-distroless' },
});
console.log(`manifests changed: ${k8s.changed}`);
console.log(k8s.output);
for (const d of k8s.diagnostics) console.log(`${d.severity} ${d.code}: ${d.message}`);

// 3. Compose files go through the same engine.
const compose = transformCompose('services:\n  db:\n    image: postgres:16.4\n', {
  catalogue,
  images: { db: 'registry.example.com/postgres:16-distroless' },
});
console.log(`compose changed: ${compose.changed}`);
console.log(compose.output);

// 4. Or ask for the plan of one container: plain data, no YAML.
const plan = planContainer(
  { name: 'db', image: 'postgres:16.4', env: [], envFromSecrets: [], mounts: [], probes: [], hooks: [], requiresNonRoot: false },
  { catalogue },
);
if (plan.kind === 'split') {
  console.log(`plan: init runs ${plan.plan.init?.command.join(' ')}, main runs ${plan.plan.main.command.join(' ')} as ${plan.plan.uid}:${plan.plan.gid}`);
}
