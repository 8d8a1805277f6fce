// Office 365 Management Activity API emulation (§3): subscriptions, content listing by contentCreated
// with NextPageUri paging, and content blobs. Blobs are derived, not stored: one per content type per
// UTC hour that holds records of that type, published a deterministic few minutes after the hour ends.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DAY_MS } from '../scenario/tenant.ts';
import type { UalRecord } from '../scenario/types.ts';
import {
  MANAGE_BLOB_HOUR_MS as HOUR, MANAGE_CONTENT_TYPE_BY_WORKLOAD, MANAGE_LIST_PAGE_SIZE, MANAGE_PUBLISH_DELAY_MIN_MS,
  MANAGE_PUBLISH_DELAY_SPAN_MS, MANAGE_REACH_MS, MANAGE_STATUS, MANAGE_UNAUTHORIZED_BODY,
} from './assumptions.ts';
import { AuthFailure, authenticate } from './auth.ts';
import type { SimContext } from './context.ts';
import { isGuid, parseJsonBody, readBody, sendJson, writeChunks } from './http.ts';
import { recordTimeMs } from './records.ts';

export const CONTENT_TYPES = ['Audit.AzureActiveDirectory', 'Audit.Exchange', 'Audit.SharePoint', 'Audit.General', 'DLP.All'] as const;

export class ManageError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.status = MANAGE_STATUS[code] ?? 400;
  }
}

export function manageErrorBody(code: string, message: string): Record<string, unknown> {
  return { error: { code, message } };
}

/** Which content type a record is published under. */
export function contentTypeOf(r: UalRecord): string {
  const w = typeof r.Workload === 'string' ? r.Workload : '';
  const rt = Number(r.RecordType);
  if (rt === 11 || rt === 13) return 'DLP.All';
  return MANAGE_CONTENT_TYPE_BY_WORKLOAD[w] ?? 'Audit.General';
}

interface Subscription {
  contentType: string;
  status: 'enabled' | 'disabled';
  webhook: Record<string, unknown> | null;
}

export function createManagement(ctx: SimContext): { handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> } {
  const subs = new Map<string, Subscription>();
  const nonEmpty = new Map<string, boolean>();
  const secret = randomBytes(16);
  const pageSize = ctx.opts.manageListPageSize ?? MANAGE_LIST_PAGE_SIZE;
  const tid32 = ctx.tenantId.replace(/-/g, '').toLowerCase();

  const sig = (s: string): string => createHmac('sha256', secret).update(s).digest('hex').slice(0, 8);
  const slug = (ct: string): string => ct.toLowerCase().replace('.', '_');
  const delay = (h: number, ct: string): number => MANAGE_PUBLISH_DELAY_MIN_MS + (parseInt(sig(`delay|${h}|${ct}`), 16) % MANAGE_PUBLISH_DELAY_SPAN_MS);
  const created = (h: number, ct: string): number => h + HOUR + delay(h, ct);

  /**
   * Whether hour `h` holds records of content type `ct`. The scenario generates records a whole day at a
   * time, so the first question about a day answers it for all of that day's hours and content types in
   * one pass (asking hour by hour generated the same day up to 24 times per content type).
   */
  function hasRecords(h: number, ct: string): boolean {
    const key = `${ct}|${h}`;
    if (!nonEmpty.has(key)) {
      const day = Math.floor(h / DAY_MS) * DAY_MS;
      for (let x = day; x < day + DAY_MS; x += HOUR) for (const c of CONTENT_TYPES) nonEmpty.set(`${c}|${x}`, false);
      for (const r of ctx.scenario.recordsBetween(day, day + DAY_MS)) nonEmpty.set(`${contentTypeOf(r)}|${Math.floor(recordTimeMs(r) / HOUR) * HOUR}`, true);
    }
    return nonEmpty.get(key) ?? false;
  }

  function contentId(h: number, ct: string): string {
    const hi = String(h / HOUR);
    return `${hi}$${hi}$${tid32}${slug(ct)}$${sig(`${hi}|${ct}`)}$01`;
  }

  function parseContentId(id: string): { h: number; ct: string } {
    const parts = id.split('$');
    const bad = new ManageError('AF20052', `Content ID '${id}' in the request is invalid.`);
    if (parts.length !== 5 || parts[0] !== parts[1] || !/^\d+$/.test(parts[0] ?? '') || parts[4] !== '01') throw bad;
    const head = parts[2] ?? '';
    if (!head.startsWith(tid32)) throw bad;
    const ct = CONTENT_TYPES.find((c) => slug(c) === head.slice(tid32.length));
    if (!ct || sig(`${parts[0]}|${ct}`) !== parts[3]) throw bad;
    return { h: Number(parts[0]) * HOUR, ct };
  }

  function parseTime(v: string): number {
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?)?Z?$/.exec(v);
    if (!m) return Number.NaN;
    return Date.parse(`${m[1]}T${m[2] ?? '00:00'}:${m[3] ?? '00'}Z`);
  }

  function normaliseContentType(v: string | null): string {
    if (v === null || v === '') throw new ManageError('AF20001', 'A required parameter is missing: contentType.');
    const ct = CONTENT_TYPES.find((c) => c.toLowerCase() === v.toLowerCase());
    if (!ct) throw new ManageError('AF20020', `The content type '${v}' is invalid. Valid values: ${CONTENT_TYPES.join(', ')}.`);
    return ct;
  }

  function requireEnabled(ct: string): void {
    if (subs.get(ct)?.status !== 'enabled') throw new ManageError('AF20022', `No subscription found for the specified content type: ${ct}. Start a subscription first.`);
  }

  function listContent(res: ServerResponse, url: URL, tenantSeg: string): void {
    const q = url.searchParams;
    const ct = normaliseContentType(q.get('contentType'));
    requireEnabled(ct);
    const now = ctx.clock();
    const st = q.get('startTime');
    const et = q.get('endTime');
    let start: number;
    let end: number;
    if (st === null && et === null) { end = now; start = now - 86_400_000; }
    else {
      if (st === null || et === null) throw new ManageError('AF20030', 'Start time and end time must both be specified (or both omitted).');
      start = parseTime(st);
      end = parseTime(et);
      if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ManageError('AF20030', 'Start time and end time must be in one of the formats YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (UTC).');
      if (start >= end) throw new ManageError('AF20030', 'Start time must be earlier than end time.');
      if (end - start > 86_400_000) throw new ManageError('AF20055', 'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.');
      if (start < now - MANAGE_REACH_MS) throw new ManageError('AF20055', 'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.');
    }
    let firstHour = Math.floor((start - HOUR - MANAGE_PUBLISH_DELAY_MIN_MS - MANAGE_PUBLISH_DELAY_SPAN_MS) / HOUR) * HOUR;
    const np = q.get('nextPage');
    if (np !== null) {
      const m = /^(\d+)R([0-9a-f]{8})$/.exec(np);
      if (!m || sig(`page|${m[1]}|${ct}`) !== m[2]) throw new ManageError('AF20031', `Invalid nextPage Input: ${np}.`);
      firstHour = Number(m[1]) * HOUR;
    }
    const rangeStart = Math.floor(ctx.scenario.range.start.getTime() / HOUR) * HOUR;
    const items: Record<string, unknown>[] = [];
    let nextHour: number | null = null;
    for (let h = Math.max(firstHour, rangeStart); h < end && h < ctx.scenario.range.end.getTime(); h += HOUR) {
      const c = created(h, ct);
      if (c < start || c >= end || c > now || c < now - MANAGE_REACH_MS) continue;
      if (!hasRecords(h, ct)) continue;
      if (items.length === pageSize) { nextHour = h; break; }
      const id = contentId(h, ct);
      items.push({
        contentType: ct,
        contentId: id,
        contentUri: `${ctx.origin}/api/v1.0/${tenantSeg}/activity/feed/audit/${id}`,
        contentCreated: new Date(c).toISOString(),
        contentExpiration: new Date(c + MANAGE_REACH_MS).toISOString(),
      });
    }
    const headers: Record<string, string> = {};
    if (nextHour !== null) {
      const qs = new URLSearchParams({ contentType: ct, startTime: st ?? new Date(start).toISOString().slice(0, 19), endTime: et ?? new Date(end).toISOString().slice(0, 19) });
      const hi = String(nextHour / HOUR);
      qs.set('nextPage', `${hi}R${sig(`page|${hi}|${ct}`)}`);
      const pub = q.get('PublisherIdentifier');
      if (pub) qs.set('PublisherIdentifier', pub);
      // §3.3: the documented example uses /api/v1/ in NextPageUri.
      headers.NextPageUri = `${ctx.origin}/api/v1/${tenantSeg}/activity/feed/subscriptions/content?${qs.toString()}`;
    }
    sendJson(res, 200, items, headers);
  }

  /**
   * §3.3: "the same record can appear in more than one blob". A blob may repeat a few records of the content
   * type's previous hourly blob (always the same ones for the same blob and seed), appended after its own.
   */
  function repeatedFromEarlierBlob(h: number, ct: string, path: string): UalRecord[] {
    const prev = h - HOUR;
    if (prev < Math.floor(ctx.scenario.range.start.getTime() / HOUR) * HOUR || !hasRecords(prev, ct)) return [];
    // The previous hour's records are regenerated only if a duplicate is to be sent (or logged).
    let memo: UalRecord[] | undefined;
    const earlier = (): UalRecord[] => (memo ??= [...ctx.scenario.recordsBetween(prev, h)].filter((r) => contentTypeOf(r) === ct));
    const f = ctx.faults.takeSpecial('duplicate', 'GET', path, { key: `blob|${h}|${ct}`, available: () => earlier().length });
    return f ? earlier().slice(-Math.min(f.duplicates ?? 3, earlier().length)) : [];
  }

  async function blob(res: ServerResponse, id: string, path: string): Promise<void> {
    const { h, ct } = parseContentId(decodeURIComponent(id));
    requireEnabled(ct);
    const c = created(h, ct);
    const now = ctx.clock();
    if (c > now || !hasRecords(h, ct)) throw new ManageError('AF20050', `The specified content '${id}' doesn't exist.`);
    if (c < now - MANAGE_REACH_MS) throw new ManageError('AF20051', `Content requested with the key '${id}' has already expired. Content older than 7 days cannot be retrieved.`);
    const repeats = repeatedFromEarlierBlob(h, ct, path);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    // Records in a blob are not ordered (§3.3): emit each run of 64 in reverse, holding no more than that.
    function* chunks(): Generator<string> {
      yield '[';
      let first = true;
      let run: string[] = [];
      const flush = function* (): Generator<string> {
        for (let i = run.length - 1; i >= 0; i--) { yield (first ? '' : ',') + run[i]; first = false; }
        run = [];
      };
      for (const r of ctx.scenario.recordsBetween(h, h + HOUR)) {
        if (contentTypeOf(r) !== ct) continue;
        run.push(JSON.stringify(r));
        if (run.length === 64) yield* flush();
      }
      yield* flush();
      for (const r of repeats) { yield (first ? '' : ',') + JSON.stringify(r); first = false; }
      yield ']';
    }
    await writeChunks(res, chunks());
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean); // api, v1.0|v1, {tenant}, activity, feed, ...
    try {
      const caller = authenticate(ctx, req, 'manage');
      const tenantSeg = parts[2] ?? '';
      if (!isGuid(tenantSeg)) throw new ManageError('AF20013', `The tenant ID '${tenantSeg}' passed in the URL is not a valid GUID.`);
      if (tenantSeg.toLowerCase() !== caller.tenantId.toLowerCase()) throw new ManageError('AF20010', `The tenant ID passed in the URL (${tenantSeg}) does not match the tenant ID passed in the access token (${caller.tenantId}).`);
      if (!caller.permissions.includes('ActivityFeed.Read')) throw new ManageError('AF10001', `The permission set (${caller.permissions.join(' ')}) sent in the request does not include the expected permission.`);
      const rest = parts.slice(3).join('/');
      if (rest === 'activity/feed/subscriptions/start' && method === 'POST') {
        const ct = normaliseContentType(url.searchParams.get('contentType'));
        const body = parseJsonBody(await readBody(req)) as { webhook?: Record<string, unknown> } | undefined;
        const existing = subs.get(ct);
        if (existing?.status === 'enabled') throw new ManageError('AF20024', 'The subscription is already enabled. No property change.');
        const webhook = body?.webhook ? { status: 'enabled', address: body.webhook.address ?? null, authId: body.webhook.authId ?? null, expiration: body.webhook.expiration ?? null } : null;
        const s: Subscription = { contentType: ct, status: 'enabled', webhook };
        subs.set(ct, s);
        sendJson(res, 200, s);
        return;
      }
      if (rest === 'activity/feed/subscriptions/stop' && method === 'POST') {
        const ct = normaliseContentType(url.searchParams.get('contentType'));
        requireEnabled(ct);
        subs.get(ct)!.status = 'disabled';
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
        return;
      }
      if (rest === 'activity/feed/subscriptions/list' && method === 'GET') { sendJson(res, 200, [...subs.values()]); return; }
      if (rest === 'activity/feed/subscriptions/content' && method === 'GET') { listContent(res, url, tenantSeg); return; }
      if (rest === 'activity/feed/subscriptions/notifications' && method === 'GET') {
        requireEnabled(normaliseContentType(url.searchParams.get('contentType')));
        sendJson(res, 200, []);
        return;
      }
      if (rest === 'activity/feed/resources/dlpSensitiveTypes' && method === 'GET') { sendJson(res, 200, []); return; }
      if (parts[3] === 'activity' && parts[4] === 'feed' && parts[5] === 'audit' && parts.length === 7 && method === 'GET') {
        await blob(res, parts[6]!, url.pathname);
        return;
      }
      sendJson(res, 404, manageErrorBody('AF20050', `No such operation: ${method} ${url.pathname}.`));
    } catch (e) {
      if (e instanceof AuthFailure) { sendJson(res, 401, MANAGE_UNAUTHORIZED_BODY, { 'WWW-Authenticate': `Bearer authorization_uri="${ctx.origin}/${ctx.tenantId}/oauth2/authorize", error="invalid_token", error_description="${e.message.replace(/"/g, "'")}"` }); return; }
      if (e instanceof ManageError) { sendJson(res, e.status, manageErrorBody(e.code, e.message)); return; }
      throw e;
    }
  }

  return { handle };
}
