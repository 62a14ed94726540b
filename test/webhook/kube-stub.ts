/**
 * Just enough of a Kubernetes API server for `kubectl apply --dry-run=client`
 * without a cluster: discovery (/api, /apis, the resource lists of the kinds
 * `webhook manifests` prints) and 404 for every object, so kubectl takes the
 * create path. Without a server kubectl cannot map kinds to resources and
 * stops before the dry run. Listens on 127.0.0.1 only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const GROUPS: Record<string, [string, string, boolean][]> = {
  v1: [['namespaces', 'Namespace', false], ['serviceaccounts', 'ServiceAccount', true], ['services', 'Service', true], ['secrets', 'Secret', true], ['configmaps', 'ConfigMap', true]],
  'apps/v1': [['deployments', 'Deployment', true]],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'admissionregistration.k8s.io/v1': [['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false]],
  'cert-manager.io/v1': [['issuers', 'Issuer', true], ['certificates', 'Certificate', true]],
};

function resourceList(gv: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: GROUPS[gv]!.map(([name, kind, namespaced]) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
  };
}

export async function startKubeStub(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = (req.url ?? '/').split('?')[0]!;
    const json = (code: number, v: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (url === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (url === '/apis') {
      return json(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: Object.keys(GROUPS)
          .filter((g) => g !== 'v1')
          .map((gv) => {
            const [name, version] = gv.split('/') as [string, string];
            return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
          }),
      });
    }
    if (url === '/api/v1') return json(200, resourceList('v1'));
    const m = /^\/apis\/([^/]+\/[^/]+)$/.exec(url);
    if (m && GROUPS[m[1]!]) return json(200, resourceList(m[1]!));
    if (req.method !== 'GET') return json(405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 405, message: 'the stub only answers GET' });
    return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
