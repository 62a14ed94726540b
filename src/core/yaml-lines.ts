/**
 * Block YAML by lines, without parsing: where the entries of a block map
 * start. Used to cut a large document into pieces that read alone as they
 * read in place (the spliced text's read-back, Compose in windows). Every
 * function is one pass over the lines it is given.
 */

/** The first line of [from, to) that is neither blank nor a comment: its start and indentation. */
export function firstContentLine(text: string, from: number, to: number): { start: number; indent: number } | undefined {
  for (let pos = from; pos < to; ) {
    const [nl, i] = scanLine(text, pos, to);
    const c = text[i];
    if (i < nl && c !== '\r' && c !== '#') return { start: pos, indent: i - pos };
    pos = nl + 1;
  }
  return undefined;
}

/** The end of the line at `pos` (its line break, or `to`) and where its indentation (spaces) ends. */
function scanLine(text: string, pos: number, to: number): [number, number] {
  let nl = text.indexOf('\n', pos);
  if (nl < 0 || nl > to) nl = to;
  let i = pos;
  while (i < nl && text.charCodeAt(i) === 32) i++;
  return [nl, i];
}

/**
 * Where each entry of the block map at column `col` in [from, to) starts (the
 * first at `from`, with any comments before its key), or undefined when the
 * region is not such a map. An entry's blank lines and comments at the end go
 * with it; `leadWithNext`: they start the next entry instead (YAML gives
 * them to the next key: its blank line before, its comment), except after a
 * block scalar that keeps its trailing blank lines (`|+`, `>+`).
 */
export function entryStarts(text: string, from: number, to: number, col: number, leadWithNext = false): number[] | undefined {
  const starts: number[] = [];
  let afterContent = from; // the start of the line after the last line that is not a blank line or a comment at most at `col`
  for (let pos = from; pos < to; ) {
    const [nl, i] = scanLine(text, pos, to);
    const c = text[i];
    if (i < nl && c !== '\r' && c !== '#') {
      const indent = i - pos;
      if (c === '\t' || indent < col) return undefined;
      if (indent === col) {
        if (c === '-' && (i + 1 === nl || /[ \r]/.test(text[i + 1] ?? ''))) return undefined;
        if (col === 0 && (c === '%' || text.startsWith('---', i) || text.startsWith('...', i))) return undefined;
        const previous = starts[starts.length - 1];
        const keep = previous !== undefined && KEEP.test(text.slice(previous, pos));
        starts.push(!starts.length ? from : leadWithNext && !keep ? afterContent : pos);
      } else if (!starts.length) return undefined;
      afterContent = nl + 1;
    } else if (i < nl && c === '#' && i - pos > col) afterContent = nl + 1;
    pos = nl + 1;
  }
  return starts.length ? starts : undefined;
}

/** A block scalar header that keeps trailing blank lines. */
const KEEP = /[|>][1-9]?\+/;
