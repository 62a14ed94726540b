/**
 * The name of the shell-free main image built from a full image. The planner
 * puts it in the manifest (src/core/plan.ts, when no --image or annotation
 * chooses one) and the runtime-image recipe tells `docker build -t` to tag it
 * (src/recipe/dockerfile.ts): one rule, or the build tags a name the manifest
 * does not use.
 */
import { formatImageRef, type ImageRef } from '../shared/image-ref.js';
import type { TemplateSpec } from './template.js';

/**
 * The template's `mainImage` when it names one; otherwise the full image's
 * repository with the tag `<tag>-distroless` (`latest-distroless` without a tag)
 * and no digest (the built image has another): `postgres:16` →
 * `postgres:16-distroless`, `ghcr.io/org/app@sha256:…` → `ghcr.io/org/app:latest-distroless`.
 */
export function defaultMainImage(ref: Omit<ImageRef, 'raw'>, spec: Pick<TemplateSpec, 'mainImage'>): string {
  return spec.mainImage ?? formatImageRef({ ...ref, tag: `${ref.tag ?? 'latest'}-distroless`, digest: undefined });
}
