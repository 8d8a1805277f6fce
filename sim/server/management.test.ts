// Management Activity API conformance (§3): subscriptions, AF error codes, window rules, NextPageUri
// paging (both /api/v1/ and /api/v1.0/), blobs keyed by contentCreated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response as UResponse } from 'undici';
import { Agent, fetch } from 'undici';
import { startTestSim, type TestSim } from './testHelpers.ts';
import { createTestScenario } from './testScenario.ts';

let t: TestSim;
beforeAll(async () => { t = await startTestSim({ manageListPageSize: 5 }); });
afterAll(async () => { await t.close(); });

const H = async (client = 'secret') => ({ Authorization: `Bearer ${await t.token(client, 'manage')}` });
const feed = () => `${t.sim.manageBase}/${t.sim.tenantId}/activity/feed`;
const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const code = async (r: UResponse) => ((await r.json()) as { error: { code: string } }).error.code;

describe('Management Activity API', () => {
  it('content before start is AF20022; start, re-start AF20024, list, stop', async () => {
    const now = Date.parse('2026-11-10T12:00:00Z');
    const before = await t.get(`${feed()}/subscriptions/content?contentType=Audit.General&startTime=${fmt(now - 3_600_000)}&endTime=${fmt(now)}`, { headers: await H() });
    expect(before.status).toBe(404);
    expect(await code(before)).toBe('AF20022');
    const s = await t.post(`${feed()}/subscriptions/start?contentType=Audit.General&PublisherIdentifier=${t.sim.tenantId}`, undefined, { headers: await H() });
    expect(s.status).toBe(200);
    expect(await s.json()).toEqual({ contentType: 'Audit.General', status: 'enabled', webhook: null });
    const again = await t.post(`${feed()}/subscriptions/start?contentType=Audit.General`, undefined, { headers: await H() });
    expect(again.status).toBe(400);
    expect(await code(again)).toBe('AF20024');
    const list = (await (await t.get(`${feed()}/subscriptions/list`, { headers: await H() })).json()) as { contentType: string; status: string }[];
    expect(list).toContainEqual({ contentType: 'Audit.General', status: 'enabled', webhook: null });
    expect((await t.post(`${feed()}/subscriptions/stop?contentType=Audit.General`, undefined, { headers: await H() })).status).toBe(200);
    expect((await (await t.get(`${feed()}/subscriptions/list`, { headers: await H() })).json())).toContainEqual({ contentType: 'Audit.General', status: 'disabled', webhook: null });
  });

  it('tenant, content type and permission checks give AF20013, AF20010, AF20020, AF10001 and the 401 body', async () => {
    expect(await code(await t.get(`${t.sim.manageBase}/contoso.onmicrosoft.com/activity/feed/subscriptions/list`, { headers: await H() }))).toBe('AF20013');
    expect(await code(await t.get(`${t.sim.manageBase}/00000000-0000-0000-0000-000000000001/activity/feed/subscriptions/list`, { headers: await H() }))).toBe('AF20010');
    expect(await code(await t.post(`${feed()}/subscriptions/start?contentType=Audit.Nope`, undefined, { headers: await H() }))).toBe('AF20020');
    const denied = await t.get(`${feed()}/subscriptions/list`, { headers: await H('no-permissions') });
    expect(denied.status).toBe(403);
    expect(await code(denied)).toBe('AF10001');
    const anon = await t.get(`${feed()}/subscriptions/list`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ Message: 'Authorization has been denied for this request.' });
  });

  it('window rules: >24 h and >7 days back are AF20055, start >= end and a lone startTime are AF20030', async () => {
    await t.post(`${feed()}/subscriptions/start?contentType=Audit.SharePoint`, undefined, { headers: await H() });
    const now = Date.parse('2026-11-10T12:00:00Z');
    const get = async (qs: string) => t.get(`${feed()}/subscriptions/content?contentType=Audit.SharePoint&${qs}`, { headers: await H() });
    expect(await code(await get(`startTime=${fmt(now - 25 * 3_600_000)}&endTime=${fmt(now)}`))).toBe('AF20055');
    expect(await code(await get(`startTime=${fmt(now - 8 * 86_400_000)}&endTime=${fmt(now - 8 * 86_400_000 + 3_600_000)}`))).toBe('AF20055');
    expect(await code(await get(`startTime=${fmt(now)}&endTime=${fmt(now - 3_600_000)}`))).toBe('AF20030');
    expect(await code(await get(`startTime=${fmt(now - 3_600_000)}`))).toBe('AF20030');
    expect((await get(`startTime=2026-11-10&endTime=2026-11-10T06:00`)).status).toBe(200);
  });

  it('lists blobs by contentCreated with NextPageUri paging; blobs hold every Exchange record exactly once, zone-less', async () => {
    await t.post(`${feed()}/subscriptions/start?contentType=Audit.Exchange`, undefined, { headers: await H() });
    const s = createTestScenario();
    const end = s.range.end.getTime();
    const blobs = new Map<string, { contentCreated: string; contentUri: string }>();
    let pages = 0;
    let sawV1 = false;
    for (let w = end - 4 * 86_400_000; w < end + 86_400_000; w += 86_400_000) {
      let url: string | null = `${feed()}/subscriptions/content?contentType=Audit.Exchange&startTime=${fmt(w)}&endTime=${fmt(w + 86_400_000)}`;
      while (url) {
        const r = await t.get(url, { headers: await H() });
        expect(r.status).toBe(200);
        const items = (await r.json()) as { contentId: string; contentCreated: string; contentUri: string; contentType: string; contentExpiration: string }[];
        for (const it of items) {
          expect(blobs.has(it.contentId)).toBe(false);
          const c = Date.parse(it.contentCreated);
          expect(c >= w && c < w + 86_400_000).toBe(true);
          expect(Date.parse(it.contentExpiration) - c).toBe(7 * 86_400_000);
          expect(it.contentUri).toBe(`${t.sim.manageBase}/${t.sim.tenantId}/activity/feed/audit/${it.contentId}`);
          blobs.set(it.contentId, it);
        }
        url = r.headers.get('nextpageuri');
        if (url) { expect(url).toContain('/api/v1/'); expect(url).toContain('nextPage='); sawV1 = true; }
        pages++;
      }
    }
    expect(sawV1).toBe(true);
    expect(pages).toBeGreaterThan(4);
    const ids: string[] = [];
    for (const b of blobs.values()) {
      const r = await t.get(b.contentUri, { headers: await H() });
      expect(r.status).toBe(200);
      const recs = (await r.json()) as { Id: string; Workload: string; CreationTime: string }[];
      expect(recs.length).toBeGreaterThan(0);
      for (const x of recs) { expect(x.Workload).toBe('Exchange'); expect(x.CreationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/); ids.push(x.Id); }
    }
    expect(new Set(ids).size).toBe(ids.length);
    // every Exchange record whose hour closed more than 2 h before the tenant's "now" has been published
    const published = [...s.recordsBetween(s.range.start.getTime(), Math.floor(end / 3_600_000) * 3_600_000 - 2 * 3_600_000)].filter((x) => x.Workload === 'Exchange').map((x) => x.Id);
    for (const id of published) expect(ids).toContain(id);
  });

  it('bad nextPage is AF20031 and a forged content id is AF20052', async () => {
    await t.post(`${feed()}/subscriptions/start?contentType=Audit.AzureActiveDirectory`, undefined, { headers: await H() });
    const now = Date.parse('2026-11-10T12:00:00Z');
    const r = await t.get(`${t.sim.origin}/api/v1/${t.sim.tenantId}/activity/feed/subscriptions/content?contentType=Audit.AzureActiveDirectory&startTime=${fmt(now - 86_400_000)}&endTime=${fmt(now)}&nextPage=123R00000000`, { headers: await H() });
    expect(await code(r)).toBe('AF20031');
    expect(await code(await t.get(`${feed()}/audit/1$1$abc$def$01`, { headers: await H() }))).toBe('AF20052');
  });
});

/** Every Exchange blob of the fixture's last 3 days, in contentCreated order, each as its records' Ids; a
 * getter that retries whatever a fault did (status, reset, cut-short JSON). */
async function exchangeBlobs(s: TestSim): Promise<{ uri: string; ids: string[] }[]> {
  const h = { Authorization: `Bearer ${await s.token('secret', 'manage')}` };
  const agent = new Agent({ connect: { ca: s.sim.caCertPem } });
  const get = async (url: string, method = 'GET'): Promise<{ json: unknown; next: string | null }> => {
    for (let i = 0; ; i++) {
      if (i > 20) throw new Error(`gave up on ${url}`);
      try {
        const r = await fetch(url, { method, headers: h, dispatcher: agent });
        const text = await r.text();
        if (r.status === 200) return { json: JSON.parse(text), next: r.headers.get('nextpageuri') };
        if (r.status === 400 && text.includes('AF20024')) return { json: null, next: null };
      } catch { /* retried */ }
    }
  };
  try {
    const feedUrl = `${s.sim.manageBase}/${s.sim.tenantId}/activity/feed`;
    await get(`${feedUrl}/subscriptions/start?contentType=Audit.Exchange`, 'POST');
    const end = s.sim.scenario.range.end.getTime();
    const items: { contentUri: string; contentCreated: string }[] = [];
    for (let w = end - 3 * 86_400_000; w < end + 86_400_000; w += 86_400_000) {
      let url: string | null = `${feedUrl}/subscriptions/content?contentType=Audit.Exchange&startTime=${fmt(w)}&endTime=${fmt(w + 86_400_000)}`;
      while (url) { const r = await get(url); items.push(...(r.json as typeof items)); url = r.next; }
    }
    items.sort((a, b) => a.contentCreated.localeCompare(b.contentCreated));
    const out: { uri: string; ids: string[] }[] = [];
    for (const it of items) out.push({ uri: it.contentUri, ids: ((await get(it.contentUri)).json as { Id: string }[]).map((x) => x.Id) });
    return out;
  } finally { await agent.close(); }
}

describe('§3.3 the same record in more than one blob', () => {
  it('a scripted duplicate repeats records of the previous blob in a later one', async () => {
    const s = await startTestSim();
    try {
      s.sim.faults.inject({ path: /\/activity\/feed\/audit\//, kind: 'duplicate', duplicates: 2 });
      const blobs = await exchangeBlobs(s);
      const all = blobs.flatMap((b) => b.ids);
      expect(all.length - new Set(all).size).toBe(2);
      expect(s.sim.faults.log.map((f) => [f.kind, f.copies])).toEqual([['duplicate', 2]]);
      const later = blobs.findIndex((b) => new URL(b.uri).pathname === s.sim.faults.log[0]!.path);
      expect(later).toBeGreaterThan(0);
      const repeated = blobs[later]!.ids.slice(-2);
      for (const id of repeated) expect(blobs.slice(0, later).some((b) => b.ids.includes(id))).toBe(true);
    } finally { await s.close(); }
  });

  it('under hostile faults some blobs repeat records of an earlier blob: the same ones on every read and for the same seed', async () => {
    const runs: string[][][] = [];
    for (let run = 0; run < 2; run++) {
      const s = await startTestSim({ faults: 'hostile', faultSeed: 5 });
      try {
        const blobs = await exchangeBlobs(s);
        const again = await exchangeBlobs(s); // a blob is immutable: read twice, it says the same
        expect(again).toEqual(blobs);
        const all = blobs.flatMap((b) => b.ids);
        const copies = all.length - new Set(all).size;
        expect(copies).toBeGreaterThan(0);
        const logged = s.sim.faults.log.filter((f) => f.kind === 'duplicate');
        expect(logged.reduce((n, f) => n + (f.copies ?? 0), 0)).toBe(copies * 2); // each blob was read twice
        // nothing is lost: every record the scenario published in the window is in some blob
        const end = s.sim.scenario.range.end.getTime();
        const published = [...s.sim.scenario.recordsBetween(end - 3 * 86_400_000, Math.floor(end / 3_600_000) * 3_600_000 - 2 * 3_600_000)].filter((x) => x.Workload === 'Exchange').map((x) => x.Id);
        const have = new Set(all);
        for (const id of published) expect(have.has(id)).toBe(true);
        runs.push(blobs.map((b) => b.ids));
      } finally { await s.close(); }
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});
