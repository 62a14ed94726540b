/**
 * The runtime-image recipe: from a template's `runtime` section, a multi-stage
 * Dockerfile that turns the FULL image into a shell-free runtime image.
 *
 * Stage 1 (`FROM <full image> AS full`) runs a collector written in POSIX sh
 * that uses only what Debian and Alpine images have (`ldd`, `cp -a`, `awk`,
 * `readlink`, `find`). It gathers into /out:
 *   - each binary and each module (globs; dlopen'd libraries that `ldd` of the
 *     binary misses), with the shared-library closure `ldd` reports for each;
 *     every symlink hop to the real file, and every symlinked directory above
 *     it (`/lib64 -> usr/lib64` on merged-/usr), so the paths as written work;
 *   - the data files and directories (`files`; missing ones are skipped with a
 *     warning: a binary that is missing fails the build);
 *   - locale data for the `LANG`/`LC_ALL` the runtime env sets (glibc's
 *     locale-archive and the named locale directory, when the image has them);
 *   - `/etc/passwd` and `/etc/group` with root and the runtime uid/gid, taken
 *     from the full image (so the names match), and `/etc/nsswitch.conf`;
 *   - the writable directories, owned by uid:gid with the template's mode,
 *     the data directory with the owner and mode the full image gives it,
 *     and `/tmp` (1777);
 * then fails the build if anything named like a shell ended up in /out.
 * Stage 2 is `FROM scratch`, `COPY --from=full /out /` and the image config:
 * USER uid:gid, ENV, ENTRYPOINT (the main command), STOPSIGNAL.
 *
 * Same binary paths, uid and data paths as the full image, so every fact of
 * the split plan holds for the image this recipe builds. Plain Dockerfile
 * syntax only (no heredocs), so `docker build`, `buildah bud` and
 * `podman build` all accept it.
 */
import type { Catalogue } from '../catalogue/load.js';
import { matchTemplate, mirrorOf } from '../catalogue/match.js';
import { defaultMainImage } from '../catalogue/main-image.js';
import type { TemplateSpec } from '../catalogue/template.js';
import { diag, type Diagnostic } from '../shared/diagnostics.js';
import { parseImageRef } from '../shared/image-ref.js';
import { SHELL_NAMES } from '../shared/shells.js';

export interface RuntimeRecipe {
  /** The Dockerfile text; absent when a diagnostic of severity error says why. */
  dockerfile?: string;
  /** The image name the planner gives the main container by default (what the recipe should be tagged). */
  mainImage?: string;
  /** Name of the template used. */
  template?: string;
  diagnostics: Diagnostic[];
}

/** Names that must never be in a runtime image (a shell, or a multi-call binary that is one): the shared list. */
export { SHELL_NAMES };


/** Builds the runtime-image Dockerfile for the full image `image`. Never throws on bad input. */
export function runtimeRecipe(image: string, catalogue: Catalogue): RuntimeRecipe {
  const ref = parseImageRef(image);
  if (!ref) return { diagnostics: [diag('DI5001', `"${image}" is not an image reference`)] };
  const match = matchTemplate(catalogue, ref);
  if (!match) {
    return { diagnostics: [diag('DI5001', `no template knows the image "${image}"; see: distroless-init templates list`)] };
  }
  const name = match.template.name;
  const spec = match.spec;
  const declined = match.template.decline ?? spec?.decline;
  if (!spec || declined) {
    return {
      template: name,
      diagnostics: [diag('DI5002', `template "${name}" declines "${image}": ${declined?.reason ?? 'no spec'}; there is no runtime image to build`)],
    };
  }
  if (!spec.runtime || spec.runtime.binaries.length === 0) {
    return {
      template: name,
      diagnostics: [diag('DI5002', `template "${name}" has no runtime section (binaries, files, directories): cannot say what the runtime image of "${image}" needs`)],
    };
  }
  const diagnostics: Diagnostic[] = [];
  if (match.unsupported) {
    diagnostics.push(diag('DI3004', `"${image}": ${match.unsupported}; the recipe follows the template's layout, which may not hold for this version`));
  }
  const mainImage = defaultMainImage(ref, spec);
  const mirror = mirrorOf(catalogue, ref);
  const dockerfile = renderDockerfile(image, mainImage, name, match.variants, spec, mirror ? `--mirror ${mirror} ${image}` : image);
  return { dockerfile, mainImage, template: name, diagnostics };
}

// ------------------------------------------------------------------ render --

/** `command`: the arguments of `distroless-init image` that print this file (the image, and `--mirror` when it matched through one). */
function renderDockerfile(image: string, mainImage: string, template: string, variants: string[], spec: TemplateSpec, command: string): string {
  const rt = spec.runtime!;
  const uid = spec.uid;
  const gid = spec.gid;
  const env: Record<string, string> = { ...(spec.env ?? {}), ...(rt.env ?? {}) };
  const [entry, ...cmd] = spec.main.command;

  const lines: string[] = [
    `# Runtime image (no shell) for ${image}, from template "${template}"${variants.length ? ` (variants: ${variants.join(', ')})` : ''}.`,
    '# Generated by `distroless-init image`. Build it under the name the split uses by default:',
    `#   distroless-init image ${command} | docker build -t ${mainImage} -`,
    `#   distroless-init image ${command} > Dockerfile && buildah bud -t ${mainImage} -f Dockerfile .`,
    `#   distroless-init image ${command} > Dockerfile && podman build -t ${mainImage} -f Dockerfile .`,
    '# (the build needs no context: every file comes from the full image)',
    `FROM ${image} AS full`,
    'USER 0:0',
    `RUN ${collector(spec, env)}`,
    '',
    'FROM scratch',
    'COPY --from=full /out /',
  ];
  for (const [k, v] of Object.entries(env)) lines.push(`ENV ${k}=${dockerfileQuote(v)}`);
  lines.push(`USER ${uid}:${gid}`);
  lines.push(`WORKDIR ${spec.dataPath}`);
  if (entry !== undefined) {
    lines.push(`ENTRYPOINT ${JSON.stringify([entry])}`);
    lines.push(`CMD ${JSON.stringify(cmd)}`);
  }
  if (rt.stopSignal) lines.push(`STOPSIGNAL ${rt.stopSignal}`);
  return `${lines.join('\n')}\n`;
}

/** The stage-1 collector: one POSIX sh program, one statement per Dockerfile line. */
function collector(spec: TemplateSpec, env: Record<string, string>): string {
  const rt = spec.runtime!;
  const uid = String(spec.uid);
  const gid = String(spec.gid);
  const optional: string[] = [...(rt.files ?? [])];
  for (const k of ['LC_ALL', 'LANG']) {
    const v = env[k];
    if (v && v !== 'C' && v !== 'POSIX') optional.push('/usr/lib/locale/locale-archive', `/usr/lib/locale/${v}`, '/usr/lib/locale/C.utf8');
  }
  const dataDirs = [spec.dataPath];
  const dataEnvValue = spec.dataEnv ? env[spec.dataEnv] : undefined;
  if (dataEnvValue && !dataDirs.includes(dataEnvValue)) dataDirs.push(dataEnvValue);
  const owned = new Map<string, string>();
  for (const d of rt.directories ?? []) owned.set(d.path, d.mode);
  for (const p of spec.main.writablePaths ?? []) if (!owned.has(p) && p !== '/tmp') owned.set(p, '0755');

  const s: string[] = [
    'set -eu',
    'umask 022',
    'out=/out',
    'list=/tmp/distroless-init.list',
    'mkdir -p "$out"',
    ': > "$list"',
    'warn() { echo "distroless-init recipe: $*" >&2; }',
    // canonical directory + name (the file itself may be a symlink)
    'canon() { printf \'%s/%s\\n\' "$(cd -P "$(dirname "$1")" && pwd -P | sed \'s#^/$##\')" "$(basename "$1")"; }',
    // canonical form of a path that may not exist yet (directories to create)
    'canon_any() { p=$1; rest=; while [ ! -d "$p" ] && [ "$p" != / ]; do rest=/$(basename "$p")$rest; p=$(dirname "$p"); done; printf \'%s%s\\n\' "$(cd -P "$p" && pwd -P | sed \'s#^/$##\')" "$rest"; }',
    // every symlinked directory above a path, as written
    'ancestors() { a=$(dirname "$1"); while [ "$a" != / ] && [ "$a" != . ]; do if [ -L "$a" ]; then echo "$a" >> "$list"; fi; a=$(dirname "$a"); done; }',
    // the path, every symlink hop to the real file, the symlinked directories above each
    'follow() { fp=$1; n=0; while [ $n -lt 40 ]; do ancestors "$fp"; c=$(canon "$fp"); echo "$c" >> "$list"; [ -L "$c" ] || break; t=$(readlink "$c"); case $t in /*) fp=$t ;; *) fp=$(dirname "$c")/$t ;; esac; n=$((n+1)); done; }',
    // an ELF file and its ldd closure
    'closure() { follow "$1"; ldd "$1" > /tmp/distroless-init.ldd 2>&1 || true; if grep -q "not found" /tmp/distroless-init.ldd; then warn "$1: $(grep "not found" /tmp/distroless-init.ldd | tr -s " \\t\\n" " ")"; fi; for l in $(awk \'$2 == "=>" && $3 ~ /^\\// { print $3 } $1 ~ /^\\// { print $1 }\' /tmp/distroless-init.ldd); do follow "$l"; done; }',
  ];
  const bins = rt.binaries.map(shQuote).join(' ');
  s.push(`for b in ${bins}; do if [ ! -e "$b" ]; then warn "binary $b is not in the image"; exit 1; fi; closure "$b"; done`);
  if (rt.modules?.length) {
    const mods = rt.modules.map(globQuote).join(' ');
    s.push(`for m in ${mods}; do if [ -e "$m" ]; then closure "$m"; else warn "no module matches $m"; fi; done`);
  }
  if (optional.length) {
    s.push(`for f in ${optional.map(globQuote).join(' ')}; do if [ -e "$f" ]; then follow "$f"; fi; done`);
    const files = (rt.files ?? []).map(globQuote).join(' ');
    if (files) s.push(`for f in ${files}; do [ -e "$f" ] || warn "file $f is not in the image; skipped"; done`);
  }
  for (const d of new Set([...owned.keys(), ...dataDirs, '/tmp'])) s.push(`ancestors ${shQuote(d)}`);
  s.push(
    // copy: directories by content (so that a file listed below one does not nest), the rest as is
    'sort -u "$list" | while read -r p; do if [ -d "$p" ] && [ ! -L "$p" ]; then mkdir -p "$out$p"; cp -a "$p/." "$out$p/"; elif [ -e "$p" ] || [ -L "$p" ]; then mkdir -p "$out$(dirname "$p")"; cp -a "$p" "$out$p"; fi; done',
    // absolute symlinks made relative (`/var/run -> /run` becomes `../run`): a tool that
    // looks at the image's files from outside (podman 4.3 choosing a new volume's owner
    // from the mount-point directory) would otherwise follow them into the host's /run
    'find "$out" -type l | while read -r l; do t=$(readlink "$l"); case $t in /*) up=$(dirname "${l#"$out"}" | sed \'s#[^/][^/]*#..#g; s#^/##; s#$#/#; s#^/$##\'); ln -sfn "$up${t#/}" "$l" ;; esac; done',
    'mkdir -p "$out/etc"',
    `awk -F: -v OFS=: -v u=${uid} '$3 == 0 || $3 == u { $7 = "/sbin/nologin"; print }' /etc/passwd > "$out/etc/passwd"`,
    `awk -F: -v u=${uid} '$3 == u { found = 1 } END { exit !found }' "$out/etc/passwd" || echo "app:x:${uid}:${gid}::/nonexistent:/sbin/nologin" >> "$out/etc/passwd"`,
    `awk -F: -v g=${gid} '$3 == 0 || $3 == g' /etc/group > "$out/etc/group"`,
    `awk -F: -v g=${gid} '$3 == g { found = 1 } END { exit !found }' "$out/etc/group" || echo "app:x:${gid}:" >> "$out/etc/group"`,
    'printf \'passwd: files\\ngroup: files\\nhosts: files dns\\n\' > "$out/etc/nsswitch.conf"',
  );
  for (const [path, mode] of owned) {
    s.push(`d=$(canon_any ${shQuote(path)}); mkdir -p "$out$d"; chown ${uid}:${gid} "$out$d"; chmod ${mode} "$out$d"`);
  }
  for (const path of dataDirs.filter((p) => !owned.has(p))) {
    // the data directory keeps the owner and mode the full image gives it (podman copies
    // them onto a new volume mounted there); uid:gid 0700 when the full image has none.
    // A data directory the template lists under runtime.directories gets what it says
    // there (httpd's logs/: root-owned in the full image, where the server cannot write
    // its pid file as uid 33)
    s.push(
      `d=$(canon_any ${shQuote(path)}); mkdir -p "$out$d"; if [ -d "$d" ]; then chown "$(stat -c %u:%g "$d")" "$out$d"; chmod "$(stat -c %a "$d")" "$out$d"; else chown ${uid}:${gid} "$out$d"; chmod 0700 "$out$d"; fi`,
    );
  }
  s.push('mkdir -p "$out/tmp"; chmod 1777 "$out/tmp"');
  const names = SHELL_NAMES.map((n) => `-name ${n}`).join(' -o ');
  s.push(
    `if [ -n "$(find "$out" \\( ${names} \\) -print | head -n 1)" ]; then warn "a shell would end up in the runtime image: $(find "$out" \\( ${names} \\) -print | tr "\\n" " ")"; exit 1; fi`,
    'rm -f "$list" /tmp/distroless-init.ldd',
  );
  return s.join('; \\\n    ');
}

/** Single-quoted POSIX sh word. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A sh word whose `*` and `?` stay globs and everything else is literal. */
function globQuote(s: string): string {
  return s
    .split(/([*?])/)
    .map((part) => (part === '*' || part === '?' ? part : part === '' ? '' : shQuote(part)))
    .join('');
}

/** A Dockerfile ENV value: double-quoted, with `$`, `"` and `\` escaped (ENV expands `$VAR`). */
function dockerfileQuote(s: string): string {
  return `"${s.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}
