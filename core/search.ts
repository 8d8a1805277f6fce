// Free-text search: what the full-text index holds beyond a record's columns, and how the text a user
// types becomes a query of it. The index's tokenizer (db/migrations, unicode61 with the token characters
// @ . - _ :) keeps an address, a host name or a file name as one word, so that a search for a whole
// address finds it exactly; the later parts of such words are indexed too (wordParts), and every word
// typed is matched at the start of an indexed word, so a search for part of a name finds it as well.
// An examiner searching for an attacker's domain must not be told it never appears.

const WORD = /[\p{L}\p{N}@.\-_:]+/gu;
// Where a later part of a compound word starts: after an @, a . or a -, at a letter.
const PART = /[@.-]+(?=\p{L})/gu;

/** The words of a text as the index's tokenizer splits it. */
export function searchWords(text: string): string[] {
  return text.match(WORD) ?? [];
}

/**
 * The later parts of the text's addresses, host and file names (words holding an @ or a .), each as a
 * word of its own: `ap-desk@fabrikam-billing.example` gives `desk@fabrikam-billing.example`,
 * `fabrikam-billing.example`, `billing.example` and `example`. Parts that start with a digit (the rest
 * of an IP address, a version) are left out. Each part once, at most `max` characters.
 */
export function wordParts(text: string, max: number): string {
  // The hot path of an import: most text holds no address or dotted name, and costs one scan.
  if (text.indexOf('@') < 0 && text.indexOf('.') < 0) return '';
  const parts = new Set<string>();
  let len = 0;
  for (const w of searchWords(text)) {
    if (!w.includes('@') && !w.includes('.')) continue;
    for (const m of w.matchAll(PART)) {
      const part = w.slice(m.index + m[0].length);
      if (parts.has(part)) continue;
      if ((len += part.length + 1) > max) return [...parts].join(' ');
      parts.add(part);
    }
  }
  return [...parts].join(' ');
}

const ONE_WORD = /^[\p{L}\p{N}@.\-_:]+$/u;
const isAsciiLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const startsWithLetter = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return isAsciiLetter(c) || (c > 127 && /^\p{L}/u.test(s.slice(i, i + 2)));
};

/**
 * The parts of a user's or mailbox's addresses, added to `out` (each part once): fewer than wordParts
 * gives, since every record has a user: only those that start inside the name before the @, and the
 * domain itself. `megan.bowen@fabrikam.example` gives `bowen@fabrikam.example` and `fabrikam.example`,
 * a plain `user7@contoso.com` only `contoso.com`. Scanned by hand, not with PART: this runs for every
 * record of an import, and the regular expression's matches cost the parse worker 50 MB of peak memory
 * on 1,000,000 records. At most a few parts, each shorter than the identity.
 */
export function identityParts(identity: string, out: string[]): void {
  if (identity.indexOf('@') < 0) return;
  const add = (part: string): void => { if (!out.includes(part)) out.push(part); };
  // A UPN is one word; anything else (a display name with an address in it) is split as the index splits it.
  for (const w of ONE_WORD.test(identity) ? [identity] : searchWords(identity)) {
    const at = w.indexOf('@');
    if (at < 0) continue;
    for (let i = 0; i < at; i++) {
      const c = w.charCodeAt(i);
      if ((c === 46 || c === 45) && startsWithLetter(w, i + 1)) add(w.slice(i + 1));
    }
    if (startsWithLetter(w, at + 1)) add(w.slice(at + 1));
  }
}

/** Whether the text holds anything to search for (letters or digits; punctuation is not indexed). */
export function hasSearchWords(text: string): boolean {
  return searchWords(text).length > 0;
}

/**
 * Free text as an FTS5 query: every word required, each matched at the start of an indexed word
 * (`megan` finds megan.bowen@contoso.com, `203.0.113` the addresses in that range). Each word is
 * quoted, so user input is never FTS syntax, and is a single token, which the position-less
 * (detail=none) index can answer. Text without any word gives '' (no text filter).
 */
export function ftsQuery(text: string): string {
  return searchWords(text).map((t) => `"${t}"*`).join(' AND ');
}
