/**
 * The public library API: explicit named exports only.
 *
 * ```ts
 * import { loadCatalogue, transformManifests } from 'distroless-init';
 * const { catalogue } = loadCatalogue();
 * const { output, diagnostics } = transformManifests(yamlText, { catalogue });
 * ```
 */
export { transformManifests, type TransformOptions, type TransformResult } from './core/pipeline.js';
export { transformCompose, validateCompose, type ValidateComposeOptions } from './adapters/compose.js';
export { transformResourceList, isResourceList, type ResourceListOptions, type ResourceListResult } from './adapters/krm.js';
export { readFunctionConfig, type FunctionConfig } from './core/options.js';
export { loadCatalogue, parseTemplate, withMirrors, type Catalogue, type LoadedTemplate } from './catalogue/load.js';
export { matchTemplate, type TemplateMatch } from './catalogue/match.js';
export type { Template, TemplateSpec, TemplateVariant, ProbeSpec, RuntimeSpec } from './catalogue/template.js';
export {
  planContainer,
  DEFAULT_HARDENING,
  type ContainerInput,
  type Hardening,
  type PlanOptions,
  type PlanResult,
  type SplitPlan,
} from './core/plan.js';
export { parseImageRef, formatImageRef, type ImageRef } from './shared/image-ref.js';
export { CODES, formatDiagnostic, hasErrors, type Diagnostic, type DiagnosticCode, type Severity } from './shared/diagnostics.js';
export { WORKLOAD_KINDS } from './core/workloads.js';
export { VERSION } from './shared/version.js';
