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
    if (pos > start && src.startsWith('---', pos) && MARKER.test(src.slice(pos, Math.min(end, pos + 5)))) {
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
