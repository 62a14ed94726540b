/**
 * A unified diff whose cost is bounded by the input's size. `diff`'s
 * structuredPatch (Myers, O(N·D)) is quadratic when many lines change: a 1 MB
 * Compose file whose 5,000 services are split did not finish in 60 s. Here
 * Myers runs with an edit budget that keeps N·D bounded (small inputs get
 * exactly structuredPatch's patch, as before); beyond it, the lines that occur
 * once in each text and in the same order anchor the diff (patience diffing:
 * unchanged service names, labels, image lines), each stretch between two
 * anchors is diffed by Myers with a small budget, and a stretch beyond that
 * budget is shown as removed and added whole. Always a valid patch of the two
 * texts; linear up to a log factor.
 */
import { diffArrays, structuredPatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';

/** Myers' work (lines × edit length) allowed before the anchored diff takes over. */
const BUDGET = 20_000_000;
/** Edit length allowed in one stretch between anchors. */
const STRETCH_EDITS = 100;
const CONTEXT = 4; // structuredPatch's default

export function boundedStructuredPatch(oldName: string, newName: string, a: string, b: string, oldHeader?: string, newHeader?: string): StructuredPatch {
  const lines = lineCount(a) + lineCount(b) + 1;
  const maxEditLength = Math.max(64, Math.floor(BUDGET / lines));
  const exact = structuredPatch(oldName, newName, a, b, oldHeader, newHeader, { maxEditLength });
  if (exact) return exact;
  return { oldFileName: oldName, newFileName: newName, oldHeader, newHeader, hunks: hunksOf(anchoredChanges(splitLines(a), splitLines(b))) };
}

interface Change {
  lines: string[];
  added?: boolean;
  removed?: boolean;
}

/** Lines with their `\n` (the last one without it when the text does not end with one), as `diff` splits them. */
function splitLines(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', from)) {
    out.push(s.slice(from, i + 1));
    from = i + 1;
  }
  if (from < s.length) out.push(s.slice(from));
  return out;
}

function anchoredChanges(a: readonly string[], b: readonly string[]): Change[] {
  const changes: Change[] = [];
  const push = (lines: string[], kind: 'same' | 'added' | 'removed'): void => {
    if (lines.length === 0) return;
    const last = changes[changes.length - 1];
    const same = (c: Change): boolean => (kind === 'same' ? !c.added && !c.removed : kind === 'added' ? c.added === true : c.removed === true);
    if (last && same(last)) {
      for (const l of lines) last.lines.push(l);
      return;
    }
    changes.push(kind === 'same' ? { lines } : kind === 'added' ? { lines, added: true } : { lines, removed: true });
  };
  // the anchors: lines once in a and once in b, in the same order in both (longest increasing run)
  const seen = new Map<string, { a: number; b: number; ia: number; ib: number }>();
  a.forEach((l, i) => {
    const s = seen.get(l);
    if (s) s.a++;
    else seen.set(l, { a: 1, b: 0, ia: i, ib: -1 });
  });
  b.forEach((l, i) => {
    const s = seen.get(l);
    if (s) {
      s.b++;
      s.ib = i;
    }
  });
  const pairs: [number, number][] = [];
  for (const s of seen.values()) if (s.a === 1 && s.b === 1) pairs.push([s.ia, s.ib]);
  pairs.sort((x, y) => x[0] - y[0]);
  const anchors = longestIncreasing(pairs);
  let ia = 0;
  let ib = 0;
  for (const [na, nb] of [...anchors, [a.length, b.length] as [number, number]]) {
    stretch(a.slice(ia, na), b.slice(ib, nb), push);
    if (na < a.length) push([a[na]!], 'same');
    ia = na + 1;
    ib = nb + 1;
  }
  return changes;
}

/** One stretch between anchors: Myers within a small budget, else all removed and all added. */
function stretch(a: string[], b: string[], push: (lines: string[], kind: 'same' | 'added' | 'removed') => void): void {
  if (a.length === 0 || b.length === 0) {
    push(a, 'removed');
    push(b, 'added');
    return;
  }
  const parts = diffArrays(a, b, { maxEditLength: STRETCH_EDITS });
  if (!parts) {
    push(a, 'removed');
    push(b, 'added');
    return;
  }
  for (const p of parts) push(p.value, p.added ? 'added' : p.removed ? 'removed' : 'same');
}

/** The longest chain of pairs increasing in both coordinates (pairs sorted by the first): patience sorting, O(n log n). */
function longestIncreasing(pairs: readonly [number, number][]): [number, number][] {
  const tails: number[] = []; // index into pairs of the smallest tail of a chain of each length
  const prev: number[] = new Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const v = pairs[i]![1];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]!]![1] < v) lo = mid + 1;
      else hi = mid;
    }
    prev[i] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = i;
  }
  const out: [number, number][] = [];
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) out.push(pairs[i]!);
  return out.reverse();
}

/** Hunks with CONTEXT lines around changes, as structuredPatch builds them (diff's src/patch/create.js). */
function hunksOf(diff: Change[]): StructuredPatchHunk[] {
  diff.push({ lines: [] });
  const context = (lines: readonly string[]): string[] => lines.map((l) => ` ${l}`);
  const hunks: StructuredPatchHunk[] = [];
  let oldRangeStart = 0;
  let newRangeStart = 0;
  let curRange: string[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (let i = 0; i < diff.length; i++) {
    const current = diff[i]!;
    const lines = current.lines;
    if (current.added || current.removed) {
      if (!oldRangeStart) {
        const prev = diff[i - 1];
        oldRangeStart = oldLine;
        newRangeStart = newLine;
        if (prev) {
          curRange = context(prev.lines.slice(-CONTEXT));
          oldRangeStart -= curRange.length;
          newRangeStart -= curRange.length;
        }
      }
      for (const line of lines) curRange.push((current.added ? '+' : '-') + line);
      if (current.added) newLine += lines.length;
      else oldLine += lines.length;
    } else {
      if (oldRangeStart) {
        if (lines.length <= CONTEXT * 2 && i < diff.length - 2) {
          for (const line of context(lines)) curRange.push(line);
        } else {
          const contextSize = Math.min(lines.length, CONTEXT);
          for (const line of context(lines.slice(0, contextSize))) curRange.push(line);
          hunks.push({ oldStart: oldRangeStart, oldLines: oldLine - oldRangeStart + contextSize, newStart: newRangeStart, newLines: newLine - newRangeStart + contextSize, lines: curRange });
          oldRangeStart = 0;
          newRangeStart = 0;
          curRange = [];
        }
      }
      oldLine += lines.length;
      newLine += lines.length;
    }
  }
  for (const hunk of hunks) {
    for (let i = 0; i < hunk.lines.length; i++) {
      if (hunk.lines[i]!.endsWith('\n')) hunk.lines[i] = hunk.lines[i]!.slice(0, -1);
      else {
        hunk.lines.splice(i + 1, 0, '\\ No newline at end of file');
        i++;
      }
    }
  }
  return hunks;
}

function lineCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
