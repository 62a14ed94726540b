/**
 * Confinement: the security settings of the init and the main container,
 * decided once, here, for both formats. The appliers only translate a
 * `Confinement` into a Kubernetes `securityContext` or Compose keys.
 *
 * The rules (README "Security rules"):
 * - **Main**: the hardening defaults win over the container's own looser
 *   values (runAsUser/runAsNonRoot, allowPrivilegeEscalation,
 *   readOnlyRootFilesystem, privileged, an `Unconfined` seccomp profile), and every value overridden is
 *   reported (DI3017) with the `--security` switch that keeps it. The user's
 *   stricter settings (seccomp/SELinux/AppArmor profiles, added
 *   capabilities after `drop: [ALL]`) are kept as written.
 * - **Init**: starts from the container's own confinement (Kubernetes: its
 *   securityContext node; Compose: cap_drop, cap_add, security_opt,
 *   read_only, tmpfs, pids_limit), drops every capability and adds back only
 *   what the template's init step needs *and* the container had
 *   (DI3018 names a needed capability the user had removed), never gains
 *   privileges (`allowPrivilegeEscalation: false` / `no-new-privileges`), is
 *   never privileged, and runs as root only when the template's init step
 *   starts as root and nothing in the pod forbids root (DI3008). What the init
 *   gets beyond the container's own settings is reported (DI3019).
 */
import type { Hardening } from './hardening.js';

/** The container's own confinement, as both formats describe it (absent: not set). */
export interface UserSecurity {
  runAsNonRoot?: boolean;
  privileged?: boolean;
  /** Kubernetes `allowPrivilegeEscalation`; Compose `security_opt: no-new-privileges:false` → true. */
  allowPrivilegeEscalation?: boolean;
  /** Kubernetes `readOnlyRootFilesystem`; Compose `read_only`. */
  readOnlyRootFilesystem?: boolean;
  /** Capabilities dropped and added (upper case, no `CAP_` prefix; `ALL` allowed). */
  capDrop?: string[];
  capAdd?: string[];
  /** A seccomp profile is set for this container (its own or the pod's; Compose: `security_opt: seccomp=...`). */
  seccomp?: boolean;
  /** That profile is `Unconfined` (Compose: `seccomp=unconfined`): looser than the hardening default. */
  seccompUnconfined?: boolean;
}

/** What an applier writes: every field set is a decision; an absent field leaves the container's own value. */
export interface Confinement {
  runAsUser: number;
  runAsGroup: number;
  /** `true`/`false` is written; absent leaves the container's own value. */
  runAsNonRoot?: boolean;
  /** `allowPrivilegeEscalation: false` (Compose `no-new-privileges:true`, replacing a `:false`). */
  noNewPrivileges?: true;
  /** `readOnlyRootFilesystem: true` (Compose `read_only: true`). */
  readOnlyRootFilesystem?: true;
  /** Drop every capability; `add` replaces the container's add list when given, else the container's list is kept. */
  capabilities?: { drop: ['ALL']; add?: string[] };
  /** Add `seccompProfile: RuntimeDefault` when the container and pod set none (Kubernetes only). */
  seccompRuntimeDefault?: true;
  /**
   * The container's (or pod's) `Unconfined` profile is replaced: Kubernetes writes
   * `seccompProfile: RuntimeDefault` on the container, Compose removes
   * `seccomp=unconfined` (Docker and Podman then apply their default profile).
   */
  seccompReplaceUnconfined?: true;
  /** Remove `privileged: true`. */
  unprivileged?: true;
}

/** The capabilities a container runtime grants by default (containerd, CRI-O, Docker, Podman). */
export const RUNTIME_DEFAULT_CAPABILITIES: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/**
 * What an official entrypoint started as root needs: chown/chmod of the data
 * directory (CHOWN, FOWNER), writing into directories it does not own before
 * the chown (DAC_OVERRIDE), and dropping to the data uid (SETUID, SETGID; gosu/su-exec).
 */
export const ROOT_INIT_CAPABILITIES: readonly string[] = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

/** `cap_net_raw`, `CAP_NET_RAW` → `NET_RAW`. */
export function normalCapability(c: string): string {
  return c.trim().toUpperCase().replace(/^CAP_/, '');
}

/** The capabilities the container has, by its own settings (the runtime's defaults, minus drops, plus adds). */
export function effectiveCapabilities(sec: UserSecurity | undefined): Set<string> | 'all' {
  if (sec?.privileged) return 'all';
  const drop = new Set((sec?.capDrop ?? []).map(normalCapability));
  const add = (sec?.capAdd ?? []).map(normalCapability);
  if (add.includes('ALL')) return 'all';
  const base = drop.has('ALL') ? [] : RUNTIME_DEFAULT_CAPABILITIES.filter((c) => !drop.has(c));
  return new Set([...base, ...add]);
}

export interface ConfinementDecision {
  main: Confinement;
  init?: Confinement;
  /** Values of the container's own that main overrides: `[field, theirs, ours, --security key]`. */
  overridden: { field: string; theirs: string; ours: string; key: keyof Hardening | 'uid' }[];
  /** Capabilities the init step needs that the container had removed. */
  missingForInit: string[];
  /** What the init gets beyond the container's own settings, in words. */
  initAdded: string[];
}

export interface ConfinementInput {
  uid: number;
  gid: number;
  hardening: Hardening;
  user: UserSecurity | undefined;
  runAsUser?: number;
  /** The init step starts as root (already decided against the pod's runAsNonRoot). */
  init?: { runAsRoot: boolean; capabilities?: readonly string[] };
}

/** Decides the confinement of main and init from the hardening defaults and the container's own settings. */
export function decideConfinement(input: ConfinementInput): ConfinementDecision {
  const { uid, gid, hardening: h, user } = input;
  const overridden: ConfinementDecision['overridden'] = [];
  const main: Confinement = { runAsUser: uid, runAsGroup: gid };
  if (input.runAsUser !== undefined && input.runAsUser !== uid) overridden.push({ field: 'runAsUser', theirs: String(input.runAsUser), ours: String(uid), key: 'uid' });
  if (h.runAsNonRoot) {
    main.runAsNonRoot = true;
    if (user?.runAsNonRoot === false) overridden.push({ field: 'runAsNonRoot', theirs: 'false', ours: 'true', key: 'runAsNonRoot' });
  }
  if (h.noPrivilegeEscalation) {
    main.noNewPrivileges = true;
    if (user?.allowPrivilegeEscalation === true) overridden.push({ field: 'allowPrivilegeEscalation', theirs: 'true', ours: 'false', key: 'noPrivilegeEscalation' });
    // the API rejects privileged: true beside allowPrivilegeEscalation: false
    if (user?.privileged) {
      main.unprivileged = true;
      overridden.push({ field: 'privileged', theirs: 'true', ours: 'false', key: 'noPrivilegeEscalation' });
    }
  }
  if (h.readOnlyRootFilesystem) {
    main.readOnlyRootFilesystem = true;
    if (user?.readOnlyRootFilesystem === false) overridden.push({ field: 'readOnlyRootFilesystem', theirs: 'false', ours: 'true', key: 'readOnlyRootFilesystem' });
  }
  if (h.dropAllCapabilities) main.capabilities = { drop: ['ALL'] };
  if (h.seccompRuntimeDefault) {
    main.seccompRuntimeDefault = true;
    if (user?.seccompUnconfined) {
      main.seccompReplaceUnconfined = true;
      overridden.push({ field: 'seccompProfile', theirs: 'Unconfined', ours: 'RuntimeDefault', key: 'seccompRuntimeDefault' });
    }
  }

  const decision: ConfinementDecision = { main, overridden, missingForInit: [], initAdded: [] };
  if (!input.init) return decision;

  const root = input.init.runAsRoot;
  const needed = input.init.capabilities ?? (root ? ROOT_INIT_CAPABILITIES : []);
  const has = effectiveCapabilities(user);
  const granted = needed.filter((c) => has === 'all' || has.has(c));
  decision.missingForInit = needed.filter((c) => !granted.includes(c));
  const init: Confinement = {
    runAsUser: root ? 0 : uid,
    runAsGroup: root ? 0 : gid,
    runAsNonRoot: !root,
    noNewPrivileges: true,
    capabilities: { drop: ['ALL'], add: granted },
    seccompRuntimeDefault: true,
    unprivileged: true,
  };
  decision.init = init;
  // what the init has that the container's own settings did not give it
  if (root && user?.runAsNonRoot === true) decision.initAdded.push('runs as root although runAsNonRoot');
  if (!root && input.runAsUser !== undefined && input.runAsUser !== uid) decision.initAdded.push(`runs as ${uid} instead of ${input.runAsUser}`);
  return decision;
}
