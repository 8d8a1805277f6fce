// Public entry of the importers: format list, detection and incremental parsers. One code path for
// every source: the file-import edge and API acquisition both push text here.
import type { ParsedItem, SourceLocation } from '../model.ts';
import { DateReading } from '../time.ts';
import type { DateOrder } from '../time.ts';
import type { FormatId, StreamParser } from './types.ts';
import { FORMATS } from './catalogue.ts';
import type { ByteCounting, Container, RawRecord, RawSource } from './containers.ts';
import { createRawSource, sniffContainer } from './containers.ts';
import { graphItems, mailboxAuditItem, sentinelItem, sualItem, ualItem } from './records.ts';
import { configItems } from './config.ts';

export { detectFormat } from './detect.ts';
export { normaliseRecord, RecordError } from '../normalise.ts';
export type { Detection, FormatDescription, FormatId, StreamParser } from './types.ts';
export type { ByteCounting } from './containers.ts';

export { FORMATS, IMPORT_FORMAT_IDS } from './catalogue.ts';

type Mapper = (raw: Extract<RawRecord, { kind: 'value' }>) => ParsedItem[];

/**
 * Exchange admin API pages (InvokeCommand, m365-protocols.md §4.4) wrap the rows in an OData envelope
 * {"@odata.context":…,"value":[…]}: each row is mapped as if it stood alone, located by its index.
 */
function odataEnvelope(inner: Mapper): Mapper {
  return (r) => {
    const v = r.value as { value?: unknown } | null;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Array.isArray(v.value) || !('@odata.context' in v)) return inner(r);
    return v.value.flatMap((row, i) => inner({ kind: 'value', value: row, text: JSON.stringify(row), loc: { ...r.loc, offset: i } }));
  };
}

function mapperFor(format: FormatId, csv: boolean, dates: DateReading): Mapper {
  switch (format) {
    case 'ual-json': return (r) => [ualItem(r.value, r.text, r.loc, r.bytes)];
    case 'purview-csv':
    case 'sual-csv':
    case 'sual-json': return odataEnvelope((r) => [sualItem(r.value, r.text, r.loc, csv, dates)]);
    case 'graph-json': return (r) => graphItems(r.value, r.text, r.loc);
    case 'mailbox-audit-csv':
    case 'mailbox-audit-json': return odataEnvelope((r) => [mailboxAuditItem(r.value, r.text, r.loc, dates)]);
    case 'sentinel-csv':
    case 'sentinel-json': return (r) => [sentinelItem(r.value, r.text, r.loc, dates)];
    case 'config-mailbox':
    case 'config-bypass':
    case 'config-organization':
    case 'config-adminauditlog':
    case 'config-licence': return (r) => configItems(format, r.value, r.loc, null, dates);
    case 'config-inboxrule': return (r) => configItems(format, r.value, r.loc, null, dates);
    // What was asked and what the service said (query ids, counts, blob lists): evidence, no records.
    case 'api-answer': return () => [];
  }
}

const CSV_ONLY = new Set<FormatId>(['purview-csv', 'sual-csv', 'mailbox-audit-csv', 'sentinel-csv']);
const JSON_ONLY = new Set<FormatId>(['ual-json', 'sual-json', 'graph-json', 'mailbox-audit-json', 'sentinel-json', 'api-answer']);

/**
 * An incremental parser for one format. The container (JSON lines / array / object, CSV) is decided
 * from the first characters of the text, so callers need not know it; configuration formats accept
 * both JSON and CSV. With `counting`, each JSON record (a line, an array element, a top-level value) is given its bytes.
 */
export function createParser(format: FormatId, counting?: ByteCounting, dateOrder: DateOrder | 'auto' = 'auto'): StreamParser {
  if (!FORMATS.some((f) => f.id === format)) throw new Error(`unknown format "${String(format)}"`);
  let head = '';
  let src: RawSource | null = null;
  let map: Mapper | null = null;
  let container: Container | null = null;
  const dates = new DateReading(dateOrder);
  let dayFirstSaid = false;

  function convert(raws: RawRecord[]): ParsedItem[] {
    const out: ParsedItem[] = [];
    for (const r of raws) {
      if (r.kind === 'reject') {
        const rej: ParsedItem = { kind: 'reject', loc: r.loc, reason: r.reason };
        if (r.text !== undefined) rej.text = r.text;
        if (r.wholeFile) rej.wholeFile = r.wholeFile;
        out.push(rej);
      } else {
        for (const it of (map as Mapper)(r)) out.push(it);
        // Read month first, a date that can only be day first means the file writes its dates so: those
        // read before it may be wrong (03/04 taken for 4 March), so the whole file is refused.
        if (dates.option === 'auto' && dates.firstDayFirst !== null && !dayFirstSaid) {
          dayFirstSaid = true;
          out.push({ kind: 'reject', loc: r.loc, reason: dayFirstReason(r.loc, dates), wholeFile: 'date-order' });
        }
      }
    }
    return out;
  }

  /** The file's last item: how its slash dates were read, when it had any. */
  function datesRead(): ParsedItem[] {
    const d = dates.summary();
    return d === null ? [] : [{ kind: 'dates', loc: {}, ...d }];
  }

  function start(final: boolean): ParsedItem[] {
    let c = sniffContainer(head, final);
    if (c === null) return [];
    // A file that is not of the format asked for is refused whole, --skip-bad or not: JSON read as CSV
    // would be one header line and no rows, CSV read as JSON one bad line, and either would enter the
    // case as evidence with nothing imported from it.
    const opening = head.replace(/^\uFEFF/, '').trimStart()[0];
    const mismatch = CSV_ONLY.has(format) && (opening === '[' || opening === '{') ? `expects CSV but the text starts with "${opening}" (JSON)`
      : JSON_ONLY.has(format) && c === 'csv' ? 'expects JSON but the text does not start with "[" or "{"' : null;
    if (mismatch !== null) {
      head = '';
      container = 'csv';
      src = null;
      return [{ kind: 'reject', loc: { line: 1 }, reason: `line 1: ${format} ${mismatch}`, wholeFile: 'format' }];
    }
    if (CSV_ONLY.has(format)) c = 'csv';
    container = c;
    src = createRawSource(c, counting);
    map = mapperFor(format, c === 'csv', dates);
    const text = head;
    head = '';
    return convert(src.push(text));
  }

  let failed = false;
  return {
    push(chunk) {
      if (failed) return [];
      if (src === null) {
        head += chunk;
        const out = start(false);
        if (container !== null && src === null) failed = true;
        return out;
      }
      return convert(src.push(chunk));
    },
    end() {
      if (failed) return [];
      const out: ParsedItem[] = [];
      if (src === null) {
        out.push(...start(true));
        if (src === null) return out;
      }
      out.push(...convert((src as RawSource).end()), ...datesRead());
      return out;
    },
  };
}

/** Why a file whose dates can only be read day first is refused, and what to do. */
function dayFirstReason(loc: SourceLocation, dates: DateReading): string {
  const where = loc.row !== undefined ? `row ${loc.row}${loc.line !== undefined ? ` (line ${loc.line})` : ''}` : loc.line !== undefined ? `line ${loc.line}` : 'a record';
  const mixed = dates.firstMonthFirst !== null ? `, yet "${dates.firstMonthFirst}" earlier can only be month first: the file mixes both orders` : '';
  return `${where}: the date "${dates.firstDayFirst!}" can only be read day first (day/month/year, as Export-Csv writes dates on a day-first system such as en-GB)${mixed}; read month first, as dates written with slashes are by default, the file's other dates may be wrong (03/04 read as 4 March)`;
}

/** Convenience for tests and small inputs: parse a whole text in one go. */
export function parseText(format: FormatId, text: string): ParsedItem[] {
  const p = createParser(format);
  return [...p.push(text), ...p.end()];
}
