/**
 * A bound on the regular expressions a template brings (`versions.pattern`,
 * `variants[].when`): they run on JavaScript's backtracking engine, so a
 * pattern is accepted only when its matching time stays small on the inputs it
 * sees (an image tag: at most 128 characters, also enforced where they are
 * matched). Refused: backreferences (not regular), a
 * quantifier on a group that holds a quantifier or an alternation (`(a+)+`,
 * `(a|a)*`: exponential), more than MAX_QUANTIFIERS quantifiers in all
 * (`\d*\d*\d*\d*\d*x` is polynomial with the count as exponent), and patterns
 * longer than MAX_PATTERN characters. Lookarounds (`^(?!.*fpm)`) are groups
 * whose quantifiers count like the others. With at most 4 quantifiers, none
 * nested, a match over 128 characters takes at most ~128^5 steps in the very
 * worst case and far fewer in practice (each quantifier can only split the
 * input once more).
 */

export const MAX_QUANTIFIERS = 4;
export const MAX_PATTERN = 256;
/** Longest input a template regex is run on (the longest tag the image reference grammar allows). */
export const MAX_REGEX_INPUT = 128;

/** Why `source` is refused as a template regex, or undefined. */
export function regexProblem(source: string): string | undefined {
  if (source.length > MAX_PATTERN) return `is longer than ${MAX_PATTERN} characters`;
  // per open group: does its body hold a quantifier or an alternation?
  const groups: { quantified: boolean; alternation: boolean }[] = [{ quantified: false, alternation: false }];
  let quantifiers = 0;
  let lastAtomGroup: { quantified: boolean; alternation: boolean } | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const top = groups[groups.length - 1]!;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n) || (n === 'k' && source[i + 2] === '<')) return 'uses a backreference, which no linear-time matcher supports';
      i++;
      lastAtomGroup = undefined;
      continue;
    }
    if (c === '[') {
      // a character class: skip to its end
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      i = j;
      lastAtomGroup = undefined;
      continue;
    }
    if (c === '(') {
      groups.push({ quantified: false, alternation: false });
      lastAtomGroup = undefined;
      // the group's prefix is not a quantifier: (?:  (?<name>  (?P<name>
      if (source[i + 1] === '?') {
        // a lookaround is a group whose quantifiers count like the others (it never backtracks into itself)
        if (source[i + 2] === ':' || source[i + 2] === '=' || source[i + 2] === '!') i += 2;
        else if (source.startsWith('<=', i + 2) || source.startsWith('<!', i + 2)) i += 3;
        else {
          const close = source.indexOf('>', i);
          if (close < 0) return 'has an unterminated group name';
          i = close;
        }
      }
      continue;
    }
    if (c === ')') {
      const closed = groups.length > 1 ? groups.pop()! : top;
      const parent = groups[groups.length - 1]!;
      if (closed.quantified) parent.quantified = true;
      lastAtomGroup = closed;
      continue;
    }
    if (c === '|') {
      top.alternation = true;
      lastAtomGroup = undefined;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' ? c : c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))?.[0] : undefined;
    if (quantifier !== undefined) {
      const m = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
      const exact = m !== null && m[2] === undefined;
      const repeats = quantifier === '?' ? false : !(m && m[2] !== undefined && m[3] !== '' && Number(m[3]) <= 1) && !(exact && Number(m[1]) <= 1);
      if (lastAtomGroup && repeats && (lastAtomGroup.quantified || lastAtomGroup.alternation)) {
        return `repeats a group that holds ${lastAtomGroup.quantified ? 'a quantifier' : 'an alternation'} (nested repetition can take exponential time)`;
      }
      if (!exact) quantifiers++;
      if (quantifiers > MAX_QUANTIFIERS) return `has more than ${MAX_QUANTIFIERS} quantifiers (matching time grows with their number as exponent)`;
      top.quantified = true;
      if (lastAtomGroup) lastAtomGroup.quantified = true;
      i += quantifier.length - 1;
      if (source[i + 1] === '?') i++; // lazy
      lastAtomGroup = undefined;
      continue;
    }
    lastAtomGroup = undefined;
  }
  return undefined;
}

/**
 * Whether `name` matches a glob whose only wildcard is `*`, in O(name × glob)
 * time whatever the number of stars (a glob turned into `^.*a.*a.*b$` backtracks
 * polynomially, with the star count as exponent).
 */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === name[n]) {
      g++;
      n++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      mark = n;
    } else if (star >= 0) {
      g = star + 1;
      n = ++mark;
    } else return false;
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}
