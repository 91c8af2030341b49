// Typo suggestions ("did you mean ...?") for names a user writes: modifiers, context keys.

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Longer names are not typos of a short name: skip them rather than spend quadratic time on them. */
const MAX_SUGGESTION_INPUT = 64;

/**
 * The candidate nearest to `word` (case-insensitive) within `maxDistance` edits, the first in `candidates` order
 * on a tie; undefined when none is that close.
 */
export function closestName(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  if (word.length > MAX_SUGGESTION_INPUT) return undefined;
  const folded = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(folded, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
