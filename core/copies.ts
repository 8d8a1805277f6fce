// A record received again under a record Id the case already holds is a copy of it (a second source, an
// overlapping export or slice) only if it says the same. These are the fields compared, what they are
// called, and how a copy's differences are written (event_duplicates.differs); db/events.ts applies the
// same comparison in SQL to the copies a bulk load finds.

/** The fields a copy is compared on, as the events columns hold them (identities without regard to letter case, as the case compares them). */
export interface CopyFields {
  timeMs: number;
  operation: string | null;
  user: string | null;
  mailbox: string | null;
  clientIp: string | null;
}

/** What each field is called in `differs` and in what the examiner reads. */
export const COPY_FIELD_NAMES = { timeMs: 'time', operation: 'operation', user: 'user', mailbox: 'mailbox', clientIp: 'clientIp' } as const;

/** SQLite's NOCASE folds ASCII letters only: the same rule here, so a copy differs in the same cases whichever path found it. */
const foldAscii = (s: string | null): string | null => (s === null ? null : s.replace(/[A-Z]+/g, (m) => m.toLowerCase()));

/**
 * The copy's own values where it differs from the record kept, as stored in event_duplicates.differs
 * (JSON, the time as ISO 8601 UTC), or null when it says the same.
 */
export function copyDiffers(kept: CopyFields, copy: CopyFields): string | null {
  const out: Record<string, string | null> = {};
  if (kept.timeMs !== copy.timeMs) out[COPY_FIELD_NAMES.timeMs] = new Date(copy.timeMs).toISOString();
  for (const k of ['operation', 'user', 'mailbox'] as const) {
    if (foldAscii(kept[k]) !== foldAscii(copy[k])) out[COPY_FIELD_NAMES[k]] = copy[k];
  }
  if (kept.clientIp !== copy.clientIp) out[COPY_FIELD_NAMES.clientIp] = copy.clientIp;
  return Object.keys(out).length === 0 ? null : JSON.stringify(out);
}

/** A copy's differences (event_duplicates.differs, parsed) in words: `operation HardDelete, user mallory@evil.example`. */
export function differsText(differs: Readonly<Record<string, string | null>>): string {
  return Object.entries(differs).map(([k, v]) => `${k} ${v ?? '(none)'}`).join(', ');
}
