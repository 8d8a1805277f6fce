// The contract between the source collectors (exchange.ts, graph.ts, manage.ts) and the service that
// stores what they fetch. A collector fetches the pages of one slice and hands each response to the sink
// before asking for the next one, so a page is evidence (and in the ledger) before anything else happens.
import type { FormatId } from '../core/formats/types.ts';
import type { SourceId } from '../db/ledger.ts';
import type { CallResult } from './api.ts';

export interface SliceJob {
  ledgerId: number;
  source: SourceId;
  startMs: number;
  endMs: number;
  /** The slice's query (filters); what the collector sends is derived from it. */
  query: Record<string, unknown>;
}

export interface FetchedPage {
  ledgerId: number;
  format: FormatId;
  body: Buffer;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string> };
  /** Records the page holds (as counted by the collector, for progress). */
  rows: number;
  /** What the page says about how its slice was collected, for its custody entry (a Graph query looked up again). */
  custody?: Record<string, unknown>;
}

export type PageSink = (p: FetchedPage) => Promise<void>;

/**
 * Keeps an answer that holds no records but decides what is collected (the mailboxes listed, whether a
 * cmdlet still answers, which subscriptions were on or started), with what it is an answer to.
 */
export type AnswerKeeper = (r: CallResult, what: string) => Promise<void>;

/** A response as it is stored: the body as received, the request sent, the status and headers. */
export function responsePage(r: CallResult, format: FormatId, rows: number): Omit<FetchedPage, 'ledgerId'> {
  return { format, body: r.res.body, request: r.request, response: { status: r.res.status, headers: r.res.headers }, rows };
}

/** A response of a slice, as the sink stores it. */
export function pageOf(job: SliceJob, r: CallResult, format: FormatId, rows: number): FetchedPage {
  return { ledgerId: job.ledgerId, ...responsePage(r, format, rows) };
}

/** How a slice ended. Its retries are counted by the ApiClient (retriesMade), not here. */
export type SliceResult =
  /** Paging ended normally; the service reconciles `reported` with what the case holds. `how` says how the
   *  slice was collected where that differs from a first attempt (it carried on with an earlier query). */
  | { kind: 'done'; reported: number | null; note?: string; query?: Record<string, unknown>; how?: string }
  /** Over a cap: cut the slice (`parts` is a suggestion). */
  | { kind: 'split'; reported: number | null; reason: string; parts: number }
  /** Over a cap and already one second long: what could be fetched was stored, the rest cannot be. */
  | { kind: 'over-cap'; reported: number | null; reason: string; query?: Record<string, unknown> }
  | { kind: 'failed'; reason: string };

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

export function envelopeValue(json: unknown, what: string): { value: Record<string, unknown>[]; next: string | null } {
  const o = json as { value?: unknown; '@odata.nextLink'?: unknown } | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.value)) throw new Error(`${what}: the response is not an OData page ({"value":[…]})`);
  const next = typeof o['@odata.nextLink'] === 'string' ? o['@odata.nextLink'] : null;
  return { value: o.value as Record<string, unknown>[], next };
}
