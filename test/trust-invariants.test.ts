/**
 * The trust checker (test/trust-invariants.ts) must fail on the outputs issue 11 found:
 * each case is a hand-written broken output, checked against its input.
 */
import { describe, expect, it } from 'vitest';
import { composeTextViolations, manifestTextViolations } from './trust-invariants.js';

const pod = (containers: string, inits = '', volumes = '      - name: data\n        persistentVolumeClaim: {claimName: d}\n'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${inits ? `  initContainers:\n${inits}` : ''}  containers:\n${containers}  volumes:\n${volumes}`;
const userContainer = `    - name: db
      image: postgres:16.4
      securityContext: {capabilities: {drop: [ALL], add: [CHOWN, SETUID, SETGID]}, readOnlyRootFilesystem: true}
      env: [{name: POSTGRES_PASSWORD, value: x}]
      volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
`;
const goodMain = `    - name: db
      image: postgres:16.4-distroless
      securityContext: {runAsUser: 999, runAsGroup: 999, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}
      volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
`;
const goodInit = `    - name: db-init
      image: postgres:16.4
      securityContext: {capabilities: {drop: [ALL], add: [CHOWN, SETUID, SETGID]}, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: {type: RuntimeDefault}}
      env: [{name: POSTGRES_PASSWORD, value: x}]
      volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
`;
const said = [{ code: 'DI3012', message: 'container "db" split with template "postgres": init "db-init" runs x, main runs postgres:16.4-distroless as 999:999' }];

describe('the trust checker', () => {
  it('accepts a correct split', () => {
    expect(manifestTextViolations(pod(userContainer), pod(goodMain, goodInit), said)).toEqual([]);
  });
  it.each([
    ['main runs as root', goodMain.replace('runAsNonRoot: true', 'runAsNonRoot: false'), goodInit, /runAsNonRoot/],
    ['main looser than reported', goodMain.replace('runAsUser: 999', 'runAsUser: 0'), goodInit, /reported 999:999/],
    ['a password on main', goodMain.replace('volumeMounts:', 'env: [{name: POSTGRES_PASSWORD, value: x}]\n      volumeMounts:'), goodInit, /POSTGRES_PASSWORD reaches main/],
    ['init with capabilities the user removed', goodMain, goodInit.replace('add: [CHOWN, SETUID, SETGID]', 'add: [CHOWN, SETUID, SETGID, FOWNER]'), /FOWNER/],
    ['init loses the read-only root', goodMain, goodInit.replace(', readOnlyRootFilesystem: true', ''), /readOnlyRootFilesystem/],
    ['data on an added emptyDir, not the claim', goodMain.replace('{name: data,', '{name: other,'), goodInit.replace('{name: data,', '{name: other,'), /not on the user's volume/],
    ['data volume not in init', goodMain, goodInit.replace('{name: data, mountPath: /var/lib/postgresql/data}', '{name: data, mountPath: /srv}'), /not mounted at the same path/],
  ])('fails on %s', (_what, main, init, problem) => {
    const v = manifestTextViolations(pod(userContainer), pod(main, init), said);
    expect(v.join('\n')).toMatch(problem);
  });
  it('fails on a probe aimed at a port the container does not declare', () => {
    const user = userContainer.replace('      env:', '      ports: [{containerPort: 5433}]\n      env:');
    const main = goodMain.replace('      volumeMounts:', '      ports: [{containerPort: 5433}]\n      readinessProbe: {exec: {command: [/usr/lib/postgresql/16/bin/pg_isready, -h, 127.0.0.1]}}\n      volumeMounts:');
    expect(manifestTextViolations(pod(user), pod(main, goodInit), said).join('\n')).toMatch(/targets port 5432/);
  });
  it('fails on a Compose dependent waiting for a service with no healthcheck, and on a looser init service', () => {
    const input = 'services:\n  app: {image: a, depends_on: {db: {condition: service_healthy}}}\n  db: {image: "mariadb:11.4", cap_drop: [ALL], cap_add: [CHOWN], security_opt: ["no-new-privileges:true"], volumes: ["d:/var/lib/mysql"], healthcheck: {test: [CMD-SHELL, "mariadb-admin ping"]}}\n';
    const output =
      'services:\n  app: {image: a, depends_on: {db: {condition: service_healthy}}}\n  db: {image: "mariadb:11.4-distroless", user: "999:999", read_only: true, cap_drop: [ALL], security_opt: ["no-new-privileges:true"], volumes: ["d:/var/lib/mysql"], labels: {distroless-init.io/split: "true"}}\n  db-init: {image: "mariadb:11.4", user: "0:0", cap_drop: [ALL], cap_add: [CHOWN, FOWNER], volumes: ["d:/var/lib/mysql"], labels: {distroless-init.io/init-of: db}}\n';
    const v = composeTextViolations(input, output, []).join('\n');
    expect(v).toMatch(/waits for db to be healthy/);
    expect(v).toMatch(/FOWNER/);
    expect(v).toMatch(/no-new-privileges/);
  });
});
