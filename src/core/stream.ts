/**
 * Cutting a multi-document YAML stream into documents without parsing it.
 *
 * A line that starts with `---` followed by white space or the end of the line
 * is always a document marker in YAML 1.2 (it cannot occur inside a scalar),
 * so the stream is cut there; the pieces concatenate back to the exact input.
 * Only the pieces whose top-level `kind:` may hold a workload (or whose kind
 * cannot be read this way) are parsed; the rest are copied byte for byte.
 */
import { mayHoldWorkloads } from './workloads.js';

export interface RawDocument {
  /** Exact text, including its `---` line and comments. */
  text: string;
  /** 0-based line of the first line of `text` in the stream. */
  line: number;
}

const MARKER = /^---(?:[ \t\r\n]|$)/;

export function splitDocuments(src: string): RawDocument[] {
  const docs: RawDocument[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let pos = 0;
  while (pos < src.length) {
    const nl = src.indexOf('\n', pos);
    const end = nl < 0 ? src.length : nl + 1;
    if (pos > start && isMarkerAt(src, pos)) {
      docs.push({ text: src.slice(start, pos), line: startLine });
      start = pos;
      startLine = line;
    }
    pos = end;
    line++;
  }
  if (start < src.length || docs.length === 0) docs.push({ text: src.slice(start), line: startLine });
  return docs;
}

/** Whether the line that starts at `pos` is a document marker. */
export function isMarkerAt(src: string, pos: number): boolean {
  return src.startsWith('---', pos) && MARKER.test(src.slice(pos, pos + 4));
}

/**
 * Offset of the last marker line after the start of `text`, or -1: where a
 * window of a stream read chunk by chunk may end. Only a marker followed by a
 * character counts: `---` at the very end may be the start of `---x`.
 */
export function lastMarker(text: string): number {
  for (let i = text.lastIndexOf('\n---'); i >= 0; i = i > 0 ? text.lastIndexOf('\n---', i - 1) : -1) {
    if (i + 4 < text.length && isMarkerAt(text, i + 1)) return i + 1;
  }
  return -1;
}

/** The text of the first document (up to the next marker line after the first non-blank character). */
export function firstDocument(text: string): string {
  const start = Math.max(text.search(/\S/), 0) + 3;
  for (let i = text.indexOf('\n---', start); i >= 0; i = text.indexOf('\n---', i + 1)) {
    if (isMarkerAt(text, i + 1)) return text.slice(0, i);
  }
  return text;
}

const KIND = /^kind:[ \t]*(["']?)([A-Za-z0-9_.-]+)\1[ \t]*(?:#.*)?\r?$/m;
const CONTENT = /^(?!---(?:[ \t]|$)|\.\.\.(?:[ \t]|$))[ \t]*[^\s#]/m;

/** Whether a piece must be parsed: it may hold a workload, or its kind cannot be read without parsing. */
export function needsParsing(text: string): boolean {
  const m = KIND.exec(text);
  if (m) return mayHoldWorkloads(m[2]!);
  return CONTENT.test(text);
}

/** True when the whole text is one JSON value (what `kubectl get -o json` prints). */
export function isJson(src: string): boolean {
  if (!/^\s*[{[]/.test(src)) return false;
  try {
    JSON.parse(src);
    return true;
  } catch {
    return false;
  }
}
