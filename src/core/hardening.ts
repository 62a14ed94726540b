/** The main container's security defaults: a module of its own, so the CLI can list them without loading the planner. */

/** Security defaults of the main container, each overridable (`--security key=value`). */
export interface Hardening {
  /** `runAsNonRoot: true` with the numeric uid/gid. Default true. */
  runAsNonRoot: boolean;
  /** `readOnlyRootFilesystem: true`, writable paths as emptyDir/tmpfs. Default true. */
  readOnlyRootFilesystem: boolean;
  /** `allowPrivilegeEscalation: false` (Compose: `no-new-privileges:true`). Default true. */
  noPrivilegeEscalation: boolean;
  /** Drop every capability. Default true. */
  dropAllCapabilities: boolean;
  /** `seccompProfile: RuntimeDefault` (Kubernetes only). Default true. */
  seccompRuntimeDefault: boolean;
  /** Pod `fsGroup` = gid with `fsGroupChangePolicy: OnRootMismatch` (Kubernetes only). Default true. */
  fsGroup: boolean;
}

export const DEFAULT_HARDENING: Readonly<Hardening> = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  noPrivilegeEscalation: true,
  dropAllCapabilities: true,
  seccompRuntimeDefault: true,
  fsGroup: true,
};
