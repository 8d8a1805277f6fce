// Parsed items packed for the trip from the parser to the writer, which on a large import are two
// threads (services/parseSource.ts). Structured-cloning AuditEvent objects cost the writer's thread as
// much as parsing them had (measured last time a worker was tried); a packed batch is one string and one
// Float64Array, which cross in a copy and a transfer, and the writer reads its fields as slices of the
// string, in the order the database binds them. Written by hand: this is the project's own row layout.
import type { AuditEvent, ParsedItem } from './model.ts';
import { identityParts, wordParts } from './search.ts';

/** The string fields of an event, in the order the writer reads them. */
export const EVENT_TEXT = [
  'recordId', 'recordTypeName', 'operation', 'workload', 'userId', 'userKey', 'mailbox', 'objectId', 'clientIp',
  'sessionId', 'appId', 'clientAppId', 'resultStatus', 'clientInfo', 'auditData', 'searchBody',
] as const;
/** The numeric fields of an event (NaN stands for null). */
export const EVENT_NUMS = ['idSynthetic', 'timeMs', 'recordType', 'userType', 'logonType', 'throttleMarker', 'line', 'offset',
  'dataStart', 'dataEnd', 'items'] as const;
export const ITEM_TEXT = ['folderPath', 'folderId', 'internetMessageId', 'accessType', 'subject'] as const;
export const ITEM_NUMS = ['sizeBytes'] as const;

type Index<T extends readonly string[]> = { readonly [K in T[number]]: number };
const indexOf = <T extends readonly string[]>(names: T): Index<T> => Object.fromEntries(names.map((n, i) => [n, i])) as Index<T>;
/** Field indexes for PackedReader: `r.str(ET.mailbox)`, `r.num(EN.timeMs)`, `r.itemStr(k, IT.subject)`. */
export const ET = indexOf(EVENT_TEXT);
export const EN = indexOf(EVENT_NUMS);
export const IT = indexOf(ITEM_TEXT);
export const IN = indexOf(ITEM_NUMS);

const EVENT_WIDTH = EVENT_TEXT.length * 2 + EVENT_NUMS.length;
const ITEM_WIDTH = ITEM_TEXT.length * 2 + ITEM_NUMS.length;

export interface PackedBatch {
  /** Every string field of every event of the batch, one after the other. */
  text: string;
  /** Per event EVENT_WIDTH numbers, then ITEM_WIDTH per access item: each string as (start, end) in text (-1, -1 for null), then the numbers. */
  nums: Float64Array;
  /** How many items the batch holds, events and others. */
  count: number;
  /** The items that are not events (configuration rows, rejects), with their place in the batch. */
  others: { at: number; item: Exclude<ParsedItem, { kind: 'event' }> }[];
  /** How far into the file the parser had read. */
  bytesRead: number;
  /** On a file's last batch: the offset of its first bytes that are not UTF-8 (read as U+FFFD), if any. */
  notUtf8At?: number;
}

/**
 * 1 when a MailItemsAccessed record's AuditData names IsThrottled and then True (what the GLOB
 * '*IsThrottled*True*' of migration 0005 matches); a candidate the analysis confirms by parsing.
 */
export function throttleMarker(operation: string | null, auditData: string): 0 | 1 {
  if (operation === null || operation.toLowerCase() !== 'mailitemsaccessed') return 0;
  const at = auditData.indexOf('IsThrottled');
  return at >= 0 && auditData.indexOf('True', at + 11) >= 0 ? 1 : 0;
}

/** Bound on the word parts a record adds to its full-text body (core/search.ts), beside searchText's own. */
export const WORD_PARTS_MAX = 2048;

/**
 * The full-text body: operation, users, mailbox, IP, session, app, object, client, workload, record type,
 * and the parameters, subjects and folder paths (searchText); then the word parts that let a search for
 * part of a name find it (core/search.ts): the domains of the user and mailbox, and every later part of
 * the addresses, host and file names in the object, client and searchText. InternetMessageIds are left
 * out (one unique token per item made the index twice as slow to build); the timeline finds them through
 * access_items.
 */
export type FtsFields = Pick<AuditEvent, 'operation' | 'userId' | 'mailbox' | 'clientIp' | 'sessionId' | 'appId' | 'objectId' | 'clientInfo' | 'workload' | 'recordTypeName' | 'searchText'>;

export function ftsBody(e: FtsFields): string {
  // The index keeps no positions or counts (detail=none), so a mailbox that is also the actor (the usual
  // case) is written once: the same search results, one token fewer per record to index.
  const mailbox = e.mailbox !== null && e.userId !== null && e.mailbox.toLowerCase() === e.userId.toLowerCase() ? null : e.mailbox;
  const words = [e.operation, e.userId, mailbox, e.clientIp, e.sessionId, e.appId, e.objectId, e.clientInfo, e.workload, e.recordTypeName, e.searchText];
  const present = (p: string | null): p is string => p !== null && p !== '';
  const ids: string[] = [];
  if (e.userId !== null) identityParts(e.userId, ids);
  if (mailbox !== null) identityParts(mailbox, ids);
  const domains = ids.join(' ');
  const parts = wordParts([e.objectId, e.clientInfo, e.searchText].filter(present).join(' '), WORD_PARTS_MAX - domains.length);
  return [...words, domains, parts].filter(present).join(' ');
}

const num = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);

/**
 * Packs a batch of parsed items. The AuditData stored is the text as received when there was one; when
 * that text is a whole record of the evidence file as written, only its byte range travels (and is stored).
 */
export function packItems(items: ParsedItem[], bytesRead: number): PackedBatch {
  const parts: string[] = [];
  // Sized first and filled in place, rather than grown as an array and copied out: parsing 200,000
  // records took 1.47-1.50 s instead of 1.61-1.62 s.
  let width = 0;
  for (const it of items) if (it.kind === 'event') width += EVENT_WIDTH + it.event.items.length * ITEM_WIDTH;
  const nums = new Float64Array(width);
  let n = 0;
  const others: PackedBatch['others'] = [];
  let pos = 0;
  const str = (s: string | null): void => {
    if (s === null) {
      nums[n++] = -1;
      nums[n++] = -1;
    } else {
      parts.push(s);
      nums[n++] = pos;
      nums[n++] = pos += s.length;
    }
  };
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.kind !== 'event') {
      others.push({ at: i, item: it });
      continue;
    }
    const e = it.event;
    const auditData = e.auditDataText ?? JSON.stringify(e.auditData);
    const inFile = e.auditDataText === undefined ? undefined : e.auditDataBytes;
    // In EVENT_TEXT, EVENT_NUMS, ITEM_TEXT and ITEM_NUMS order (core/packedBatch.test.ts reads each back).
    str(e.recordId); str(e.recordTypeName); str(e.operation); str(e.workload); str(e.userId); str(e.userKey); str(e.mailbox);
    str(e.objectId); str(e.clientIp); str(e.sessionId); str(e.appId); str(e.clientAppId); str(e.resultStatus); str(e.clientInfo);
    str(inFile ? null : auditData); str(ftsBody(e));
    nums[n++] = e.idSynthetic ? 1 : 0; nums[n++] = e.timeMs; nums[n++] = num(e.recordType); nums[n++] = num(e.userType);
    nums[n++] = num(e.logonType); nums[n++] = throttleMarker(e.operation, auditData); nums[n++] = num(it.loc.line ?? it.loc.row);
    nums[n++] = num(it.loc.offset); nums[n++] = num(inFile?.start); nums[n++] = num(inFile?.end); nums[n++] = e.items.length;
    for (const a of e.items) {
      str(a.folderPath); str(a.folderId); str(a.internetMessageId); str(a.accessType); str(a.subject);
      nums[n++] = num(a.sizeBytes);
    }
  }
  // A field added to the layout but not written here would otherwise leave zeros where it belongs.
  if (n !== width) throw new Error(`packItems wrote ${n} numbers where the batch has room for ${width}`);
  return { text: parts.join(''), nums, count: items.length, others, bytesRead };
}

/**
 * Reads a packed batch's events in order. Fields are read by index into EVENT_TEXT / EVENT_NUMS (and
 * ITEM_TEXT / ITEM_NUMS for the current event's items), so the writer allocates nothing but the strings.
 */
export class PackedReader {
  private readonly text: string;
  private readonly nums: Float64Array;
  private event = 0;
  private itemBase = 0;
  private next = 0;

  constructor(batch: PackedBatch) {
    this.text = batch.text;
    this.nums = batch.nums;
  }

  /** Moves to the next event; false when there is none. */
  advance(): boolean {
    if (this.next >= this.nums.length) return false;
    this.event = this.next;
    this.itemBase = this.event + EVENT_WIDTH;
    this.next = this.itemBase + this.itemCount() * ITEM_WIDTH;
    return true;
  }

  private slice(at: number): string | null {
    const start = this.nums[at]!;
    return start < 0 ? null : this.text.slice(start, this.nums[at + 1]!);
  }

  private number(at: number): number | null {
    const v = this.nums[at]!;
    return Number.isNaN(v) ? null : v;
  }

  /** An event string field, by its index in EVENT_TEXT. */
  str(field: number): string | null {
    return this.slice(this.event + field * 2);
  }

  /** An event number field, by its index in EVENT_NUMS. */
  num(field: number): number | null {
    return this.number(this.event + EVENT_TEXT.length * 2 + field);
  }

  /** How many access items the current event has. */
  itemCount(): number {
    return this.nums[this.event + EVENT_TEXT.length * 2 + EN.items]!;
  }

  /** An access item's string field, by its index in ITEM_TEXT. */
  itemStr(item: number, field: number): string | null {
    return this.slice(this.itemBase + item * ITEM_WIDTH + field * 2);
  }

  /** An access item's number field, by its index in ITEM_NUMS. */
  itemNum(item: number, field: number): number | null {
    return this.number(this.itemBase + item * ITEM_WIDTH + ITEM_TEXT.length * 2 + field);
  }
}
