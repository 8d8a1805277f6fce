// Office 365 Management Activity API (§3): subscriptions, content listing by contentCreated window with
// NextPageUri paging, and the content blobs (JSON arrays of classic records).
import type { ApiClient } from './api.ts';
import { ApiRefusal } from './api.ts';
import type { Endpoints } from './clouds.ts';
import type { AnswerKeeper, PageSink, SliceJob, SliceResult } from './collect.ts';
import { pageOf, strings } from './collect.ts';

export const CONTENT_TYPES = ['Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.SharePoint', 'Audit.General'] as const;

export interface ManageTarget {
  api: ApiClient;
  endpoints: Endpoints;
  /** Tenant GUID (the API refuses a domain, AF20013). */
  tenantId: string;
}

function root(t: ManageTarget): string {
  return `${t.endpoints.manageBase}/${t.tenantId}/activity/feed`;
}

/** `YYYY-MM-DDTHH:MM:SS` UTC, as the API documents. */
function manageTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export interface SubscriptionState {
  contentType: string;
  status: string;
  /** Whether Blindspot started it (a change to the tenant, logged in custody). */
  startedByUs: boolean;
}

export async function listSubscriptions(t: ManageTarget, signal?: AbortSignal, keep?: AnswerKeeper): Promise<{ contentType: string; status: string }[]> {
  const what = 'Management Activity API subscriptions';
  const r = await t.api.call('manage', { method: 'GET', url: `${root(t)}/subscriptions/list`, what }, signal);
  await keep?.(r, what);
  return Array.isArray(r.json) ? (r.json as { contentType?: unknown; status?: unknown }[]).map((s) => ({ contentType: String(s.contentType), status: String(s.status) })) : [];
}

/**
 * Makes sure each content type has an enabled subscription; AF20024 ("already enabled") is success. The
 * listing and every start answer go to `keep`: starting a subscription changes the tenant.
 */
export async function ensureSubscriptions(t: ManageTarget, types: readonly string[], signal?: AbortSignal, keep?: AnswerKeeper): Promise<SubscriptionState[]> {
  const current = await listSubscriptions(t, signal, keep);
  const out: SubscriptionState[] = [];
  for (const ct of types) {
    if (current.some((s) => s.contentType === ct && s.status.toLowerCase() === 'enabled')) {
      out.push({ contentType: ct, status: 'enabled', startedByUs: false });
      continue;
    }
    const what = `start the ${ct} subscription`;
    const r = await t.api.call('manage', { method: 'POST', url: `${root(t)}/subscriptions/start?contentType=${encodeURIComponent(ct)}`, what, accept: [400] }, signal);
    await keep?.(r, what);
    if (r.res.status === 400) {
      const code = (r.json as { error?: { code?: unknown } } | null)?.error?.code;
      // Not carried on the refusal: `keep` has the answer already, and a caller that keeps refusals would store it twice.
      if (code !== 'AF20024') throw new ApiRefusal('manage', 400, typeof code === 'string' ? code : null, JSON.stringify(r.json).slice(0, 200), `${what}: the Management Activity API refused (${String(code)})`, null);
      out.push({ contentType: ct, status: 'enabled', startedByUs: false });
    } else {
      out.push({ contentType: ct, status: 'enabled', startedByUs: true });
    }
  }
  return out;
}

/**
 * One listing window (contentCreated in [start, end), at most 24 h, within 7 days): every content blob of
 * every content type in the slice's query, each stored as a page. The API reports no totals.
 */
export async function manageSlice(t: ManageTarget, job: SliceJob, sink: PageSink, o: { signal?: AbortSignal }): Promise<SliceResult> {
  const types = strings(job.query.contentTypes);
  let blobs = 0;
  for (const ct of types) {
    let url: string | null = `${root(t)}/subscriptions/content?contentType=${encodeURIComponent(ct)}&startTime=${manageTime(job.startMs)}&endTime=${manageTime(job.endMs)}`;
    while (url) {
      const list = await t.api.call('manage', { method: 'GET', url, what: `list ${ct} content` }, o.signal);
      if (!Array.isArray(list.json)) return { kind: 'failed', reason: `list ${ct} content: the answer is not a JSON array` };
      // The listing is evidence too: it is what says which blobs existed for the window.
      await sink(pageOf(job, list, 'api-answer', 0));
      for (const item of list.json as { contentUri?: unknown }[]) {
        if (typeof item.contentUri !== 'string') continue;
        const r = await t.api.call('manage', { method: 'GET', url: item.contentUri, what: `${ct} content blob` }, o.signal);
        if (!Array.isArray(r.json)) return { kind: 'failed', reason: `${ct} content blob ${item.contentUri}: the answer is not a JSON array` };
        await sink(pageOf(job, r, 'ual-json', r.json.length));
        blobs++;
      }
      url = list.res.headers['nextpageuri'] ?? null;
    }
  }
  return { kind: 'done', reported: null, note: `${blobs} content blobs; the Management Activity API reports no totals, and its windows are on contentCreated (publication), not on event time` };
}
