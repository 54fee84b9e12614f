// Micro-benchmark of the link check and the outside-text gate on adversarial input: how the time per
// character moves as the input grows (flat for a linear check), beside a single backtracking
// pattern of the kind the per-token check replaces, at sizes it can still finish.
// Run: node --import tsx bench/sanitize.ts   (prints a table, then one JSON line)
import { shownModel, shownPlace } from '../src/notify/outside-text.js';
import { isLinkLike } from '../src/notify/sanitize.js';

// One regex over the whole text, with \S* around an alternation of starred classes: what the
// per-token check replaced. It backtracks over every start position (at least quadratic).
const BACKTRACKING = /\S*(?::\/\/|www\.|@|[\p{L}\d-]*\p{L}[\p{L}\d-]*\.\p{L}{2,})\S*/giu;

/** Inputs built to make a naive scanner rescan: long runs that almost, but never, complete a match. */
const ADVERSARIAL: Record<string, (n: number) => string> = {
  'letters, no dot': (n) => 'a'.repeat(n),
  'label. repeated': (n) => 'a.'.repeat(n / 2),
  'label-1 repeated': (n) => 'a-1'.repeat(n / 3),
  'dots and brackets': (n) => '[.]('.repeat(n / 4),
  'words and dots': (n) => 'ab. '.repeat(n / 4),
  'punctuation then a letter': (n) => `${'!'.repeat(n - 1)}a`,
};

function microsPer(run: () => void, minMs = 50): number {
  let rounds = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    run();
    rounds++;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  return elapsed / 1e3 / rounds;
}

const round = (n: number) => Number(n.toPrecision(3));
const rows: Record<string, string | number>[] = [];
for (const [name, make] of Object.entries(ADVERSARIAL)) {
  for (const size of [1_000, 10_000, 100_000]) {
    const text = make(size);
    const tokenUs = microsPer(() => isLinkLike(text));
    const placeUs = microsPer(() => shownPlace(text));
    const modelUs = microsPer(() => shownModel(text));
    rows.push({
      input: name,
      chars: text.length,
      'isLinkLike ns/char': round((tokenUs * 1e3) / text.length),
      'shownPlace µs': round(placeUs),
      'shownModel µs': round(modelUs),
    });
  }
  // The backtracking pattern on the first 80 characters only: the most it was ever given (a 40-character
  // field, doubled); 1,000 letters took minutes.
  const head = make(1_000).slice(0, 80);
  rows.push({
    input: name,
    chars: head.length,
    'backtracking µs': round(microsPer(() => head.replace(BACKTRACKING, ''), 20)),
  });
}
console.table(rows);
console.log(JSON.stringify({ bench: 'sanitize', rows }));
