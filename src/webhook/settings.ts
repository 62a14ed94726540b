/**
 * The webhook's settings (catalogue, images, security overrides, mirrors), read
 * from the command line, an optional `--config` file (a DistrolessInit or a
 * ConfigMap, as the kustomize plugin reads it) and template directories, which
 * in a cluster are mounted ConfigMaps. They are read again when a file changes,
 * without a restart:
 *
 * * each request re-stats the files (directory listing, size, mtime, inode of
 *   every file, following the `..data` symlink a ConfigMap volume swaps) at most
 *   once per `checkIntervalMs`; a changed fingerprint triggers a reload;
 * * `fs.watch` on the directories, where it works, makes the next request
 *   check at once instead of waiting for the interval.
 *
 * A reload with an error diagnostic (a broken template, a bad config) keeps the
 * last good settings and reports the failure (DI6007). Library code: no output.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readConfigText } from '../adapters/krm.js';
import { loadCatalogue, withMirrors } from '../catalogue/load.js';
import { normalizeMirror } from '../catalogue/match.js';
import { diag, formatDiagnostic, pushAll, type Diagnostic } from '../shared/diagnostics.js';
import type { Hardening } from '../core/hardening.js';
import type { Metrics } from './metrics.js';
import type { WebhookSettings } from './review.js';
import type { LogEntry } from './server.js';

export interface SettingsSource {
  /** Template directories (`--templates`). */
  templates: readonly string[];
  /** A DistrolessInit or ConfigMap file (`--config`); its relative `templates` are resolved against its directory. */
  config?: string;
  /** `--image NAME=REF` pairs, already parsed: they win over the config file. */
  images?: Readonly<Record<string, string>>;
  hardening?: Partial<Hardening>;
  mirrors?: readonly string[];
}

export interface LoadResult {
  settings?: WebhookSettings;
  diagnostics: Diagnostic[];
  /** Template directories actually read (flags + config file). */
  dirs: string[];
}

/** Loads the settings once. `settings` is undefined when an error diagnostic exists. */
export function loadSettings(source: SettingsSource): LoadResult {
  const diagnostics: Diagnostic[] = [];
  let images: Record<string, string> = {};
  let hardening: Partial<Hardening> = {};
  const dirs = source.templates.map((d) => resolve(d));
  const mirrors: string[] = [];
  if (source.config) {
    const file = resolve(source.config);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      diagnostics.push(diag('DI1008', `cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file }));
    }
    if (text !== undefined) {
      const r = readConfigText(text, file);
      pushAll(diagnostics, r.diagnostics);
      images = { ...r.config.images };
      hardening = { ...r.config.hardening };
      dirs.push(...r.config.templates.map((d) => resolve(dirname(file), d)));
      for (const m of r.config.mirrors) {
        const n = normalizeMirror(m);
        if (n === undefined) diagnostics.push(diag('DI1008', `mirrors: "${m}" is not a registry host with an optional path`, { file }));
        else mirrors.push(n);
      }
    }
  }
  mirrors.push(...(source.mirrors ?? []));
  const loaded = loadCatalogue(dirs);
  pushAll(diagnostics, loaded.diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, dirs };
  return {
    settings: {
      catalogue: withMirrors(loaded.catalogue, mirrors),
      images: { ...images, ...(source.images ?? {}) },
      hardening: { ...hardening, ...(source.hardening ?? {}) },
    },
    diagnostics,
    dirs,
  };
}

/** A fingerprint of the files the settings come from: changes when any is added, removed or rewritten. */
export function fingerprint(paths: readonly string[]): string {
  const parts: string[] = [];
  const add = (p: string): void => {
    try {
      const st = statSync(p);
      if (st.isDirectory()) {
        parts.push(`d ${p}`);
        for (const name of readdirSync(p).sort()) {
          if (name.startsWith('..')) continue; // a ConfigMap volume's ..data and ..<timestamp> entries
          add(join(p, name));
        }
      } else parts.push(`f ${p} ${st.size} ${st.mtimeMs} ${st.ino}`);
    } catch (e) {
      parts.push(`! ${p} ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  for (const p of paths) add(p);
  return parts.join('\n');
}

export interface ReloadEvent {
  ok: boolean;
  diagnostics: Diagnostic[];
}

/** Holds the current settings and reloads them when their files change. */
export class SettingsReloader {
  private current: WebhookSettings;
  private print: string;
  private lastCheck = 0;
  private watchers: FSWatcher[] = [];
  private dirty = false;
  private watched: string[];
  /** Outcome of the last reload attempt (true at start). */
  lastReloadOk = true;

  constructor(
    private readonly source: SettingsSource,
    initial: LoadResult & { settings: WebhookSettings },
    private readonly options: {
      /** How often a request re-checks the files, at most (ms). 0: on every request. Default 2000. */
      checkIntervalMs?: number;
      /** Use fs.watch besides the re-check (default true). */
      watch?: boolean;
      onReload?: (event: ReloadEvent) => void;
      now?: () => number;
    } = {},
  ) {
    this.current = initial.settings;
    this.watched = this.paths(initial.dirs);
    this.print = fingerprint(this.watched);
    this.lastCheck = this.now();
    if (options.watch !== false) this.watch();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private paths(dirs: readonly string[]): string[] {
    return [...new Set([...(this.source.config ? [resolve(this.source.config)] : []), ...dirs])];
  }

  private watch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    for (const p of this.watched) {
      // a ConfigMap's file is a symlink into a directory that is swapped: watch the directory
      let dir = p;
      try {
        if (!statSync(p).isDirectory()) dir = dirname(p);
      } catch {
        dir = dirname(p);
      }
      try {
        const w = watch(dir, { persistent: false }, () => {
          this.dirty = true;
        });
        w.on('error', () => {
          this.dirty = true; // the re-check by interval still works
        });
        this.watchers.push(w);
      } catch {
        // no inotify (or the directory is gone): the interval re-check covers it
      }
    }
  }

  /** The settings to use for this request, reloaded first if their files changed. */
  get(): WebhookSettings {
    const now = this.now();
    const interval = this.options.checkIntervalMs ?? 2000;
    if (this.dirty || now - this.lastCheck >= interval) this.check(now);
    return this.current;
  }

  /** Re-checks the files now. */
  check(now = this.now()): void {
    this.dirty = false;
    this.lastCheck = now;
    const print = fingerprint(this.watched);
    if (print === this.print) return;
    this.print = print;
    const r = loadSettings(this.source);
    if (r.settings) {
      this.current = r.settings;
      this.lastReloadOk = true;
      const paths = this.paths(r.dirs);
      if (paths.join('\n') !== this.watched.join('\n')) {
        this.watched = paths;
        this.print = fingerprint(this.watched);
        if (this.options.watch !== false) this.watch();
      }
    } else this.lastReloadOk = false;
    this.options.onReload?.({ ok: r.settings !== undefined, diagnostics: r.diagnostics });
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}

/** Counts a reload in the metrics and logs it (DI6007 with the diagnostics when it failed). */
export function reportReload(metrics: Metrics, log: (entry: LogEntry) => void): (event: ReloadEvent) => void {
  return (event) => {
    metrics.inc('config_reloads_total', { result: event.ok ? 'success' : 'failure' });
    metrics.set('config_last_reload_success', {}, event.ok ? 1 : 0);
    if (event.ok) log({ level: 'info', msg: 'templates and config reloaded' });
    else {
      log({
        level: 'error',
        msg: 'reload failed: the last good templates and config stay in use',
        code: 'DI6007',
        diagnostics: event.diagnostics.filter((d) => d.severity !== 'info').map(formatDiagnostic),
      });
    }
  };
}
