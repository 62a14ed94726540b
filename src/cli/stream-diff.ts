/**
 * `--diff` of a stream, document by document. A unified diff of the whole text
 * (Myers, O(N·D)) is quadratic when many documents change: 0.66 MB took 16 s.
 * Documents are cut at their `---` lines, the same cut the pipeline makes, and
 * the pipeline's output has one piece per document (an untouched one is its
 * exact input), so only the changed documents are diffed, each on its own,
 * with their hunks moved to the stream's line numbers. A hunk never crosses a
 * document, so the hunks never overlap: one ordinary patch, linear in the
 * stream (a large document's own diff is bounded too: cli/bounded-diff.ts).
 */
import { formatPatch, type StructuredPatchHunk } from 'diff';
import { boundedStructuredPatch } from './bounded-diff.js';
import { splitDocuments } from '../core/stream.js';

export function streamDiff(name: string, original: string, pieces: readonly string[]): string {
  const docs = splitDocuments(original);
  const changed = pieces.join('');
  if (docs.length !== pieces.length) {
    // not one piece per document (JSON, a binary input): the whole text
    return formatPatch(boundedStructuredPatch(name, name, original, changed, 'original', 'distroless-init'));
  }
  const hunks: StructuredPatchHunk[] = [];
  let shift = 0; // new line number minus old line number, from the documents before
  docs.forEach((doc, i) => {
    const piece = pieces[i]!;
    if (piece === doc.text) return;
    const docLines = lineCount(doc.text);
    for (const h of boundedStructuredPatch(name, name, doc.text, piece, '', '').hunks) {
      const moved = { ...h, oldStart: h.oldStart + doc.line, newStart: h.newStart + doc.line + shift };
      // a hunk cut short by the document's start or end has less context on that side; patch(1)
      // would then anchor it to the start or end of the file: make its context even on both sides
      const atEdge = h.oldStart <= 1 || h.oldStart + h.oldLines - 1 >= docLines;
      hunks.push(atEdge ? evenContext(moved) : moved);
    }
    shift += lineCount(piece) - lineCount(doc.text);
  });
  if (hunks.length === 0) return '';
  return formatPatch({ oldFileName: name, newFileName: name, oldHeader: 'original', newHeader: 'distroless-init', hunks });
}

/** Drops context lines so that a hunk has as many before its changes as after them. */
function evenContext(h: StructuredPatchHunk): StructuredPatchHunk {
  const lines = h.lines;
  let lead = 0;
  while (lead < lines.length && lines[lead]!.startsWith(' ')) lead++;
  let trail = 0;
  while (trail < lines.length - lead && lines[lines.length - 1 - trail]!.startsWith(' ')) trail++;
  const keep = Math.min(lead, trail);
  const dropLead = lead - keep;
  const dropTrail = trail - keep;
  if (dropLead === 0 && dropTrail === 0) return h;
  return {
    oldStart: h.oldStart + dropLead,
    newStart: h.newStart + dropLead,
    oldLines: h.oldLines - dropLead - dropTrail,
    newLines: h.newLines - dropLead - dropTrail,
    lines: lines.slice(dropLead, lines.length - dropTrail),
  };
}

function lineCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
