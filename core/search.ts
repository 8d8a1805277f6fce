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
 * of an IP address, a version) are left out. With `identities` (the user and mailbox of every record),
 * only the parts that start inside the name before the @ and the domain itself: `megan.bowen@fabrikam.example`
 * gives `bowen@fabrikam.example` and `fabrikam.example`, a plain `user7@contoso.com` only `contoso.com`.
 * Each part once, at most `max` characters.
 */
export function wordParts(text: string, max: number, identities = false): string {
  // The hot path of an import: most text holds no address or dotted name, and costs one scan.
  if (text.indexOf('@') < 0 && (identities || text.indexOf('.') < 0)) return '';
  const parts = new Set<string>();
  let len = 0;
  for (const w of searchWords(text)) {
    const at = w.indexOf('@');
    if (at < 0 && (identities || !w.includes('.'))) continue;
    for (const m of w.matchAll(PART)) {
      if (identities && m.index > at) break; // within the domain: the domain itself is enough
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
 * wordParts(identity, max, true) for one user or mailbox, added to `out` (each part once): the same
 * parts, found without a regular expression for the usual identity, a UPN, which every record has.
 */
export function identityParts(identity: string, out: string[], max: number): void {
  const at = identity.indexOf('@');
  if (at < 0) return;
  if (!ONE_WORD.test(identity)) {
    for (const p of wordParts(identity, max, true).split(' ')) if (p !== '' && !out.includes(p)) out.push(p);
    return;
  }
  const add = (part: string): void => { if (!out.includes(part)) out.push(part); };
  for (let i = 0; i < at; i++) {
    const c = identity.charCodeAt(i);
    if ((c === 46 || c === 45) && startsWithLetter(identity, i + 1) && identity.charCodeAt(i + 1) !== 64) add(identity.slice(i + 1));
  }
  if (startsWithLetter(identity, at + 1)) add(identity.slice(at + 1));
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
