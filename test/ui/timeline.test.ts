// The UI in a real browser: the renderer is built with Vite, served by the web bridge over a case of a
// few thousand imported records, and driven in Chromium with playwright-core. Counts the page shows are
// checked against the case database. Leaves a screenshot in test/ui/__screenshots__/timeline.png.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUalJsonl } from '../../bench/ualGenerator.ts';
import { openCaseReadOnly } from '../../services/caseFolder.ts';
import { createCase, openCase } from '../../services/caseFolder.ts';
import { createHandlers } from '../../services/apiHandlers.ts';
import type { CaseApi } from '../../services/apiHandlers.ts';
import { importFile } from '../../services/import.ts';
import { annotate, annotations } from '../../services/annotations.ts';
import { startWebBridge } from '../../services/webBridge.ts';
import type { WebBridge } from '../../services/webBridge.ts';
import { withCasePage } from '../helpers/casePage.ts';
import { jsonl, mailItemsAccessed } from '../helpers/records.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { changeVersion } from '../../services/caseWatch.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SCREENSHOT = join(HERE, '__screenshots__', 'timeline.png');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const GENERATED = 3000;
const TARGET = 'mallory.target@contoso.com';
const TARGET_RECORDS = 40;
/** As long as the demo's: the header cut it at 320 px ("Demo: business email compromis…") with room to spare. */
const CASE_NAME = 'Business email compromise at Contoso Ltd';

let work: string;
let caseDir: string;
let api: CaseApi;
let bridge: WebBridge;
let browser: Browser;
let page: Page;
const problems: string[] = [];

function dbCount(sql: string, ...params: unknown[]): number {
  const c = openCaseReadOnly(caseDir);
  try {
    return c.db.prepare(sql).pluck().get(...params) as number;
  } finally {
    c.close();
  }
}

/** A small case of its own in work/<name>, holding `text` imported as one JSON-lines file; returns its folder. */
async function smallCase(name: string, text: string): Promise<string> {
  const dir = join(work, name.toLowerCase());
  const h = createCase(dir, { name, examiner: 'J. Examiner' });
  const src = join(work, `${name.toLowerCase()}-1.jsonl`);
  writeFileSync(src, text);
  await importFile(h, src);
  h.close();
  return dir;
}

const en = (n: number) => n.toLocaleString('en-GB');
const text = (testId: string) => page.getByTestId(testId).first().innerText();
/** Types a user into the filter bar and applies it; resolves once the count shown is `count`. */
async function filterUser(user: string, count: string): Promise<void> {
  await page.locator('input[name=user]').fill(user);
  await page.locator('input[name=user]').press('Enter');
  await expect.poll(() => text('match-count')).toBe(count);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  work = mkdtempSync(join(tmpdir(), 'bs-ui-'));
  const dist = join(work, 'dist');
  await build({ root: join(ROOT, 'renderer'), configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });

  caseDir = join(work, 'case');
  const h = createCase(caseDir, { name: CASE_NAME, examiner: 'J. Examiner', number: 'BS-2026-014', client: 'Contoso Ltd', timeZone: 'Europe/London' });
  const bulk = join(work, 'ual.jsonl');
  await writeUalJsonl(bulk, GENERATED);
  await importFile(h, bulk);
  const targeted = join(work, 'target.jsonl');
  // in UTF-16, as Windows PowerShell 5.1 writes with ">", so that the detail says how its text was read
  const targetText = jsonl(Array.from({ length: TARGET_RECORDS }, (_, i) => mailItemsAccessed(i, { user: TARGET, id: `target-${i}`, time: new Date(Date.UTC(2026, 3, 2, 9, 0, i)).toISOString().slice(0, 19) })));
  writeFileSync(targeted, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(targetText, 'utf16le')]));
  await importFile(h, targeted);
  h.close();
  annotate(caseDir, 'target-3', [{ kind: 'tag', text: 'Exfil' }, { kind: 'note', text: 'Read from the attacker IP.\nSee finding 2.' }, { kind: 'bookmark', text: null }]);

  api = createHandlers(caseDir);
  bridge = await startWebBridge({ handlers: api.handlers, staticDir: dist });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(bridge.url);
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('timeline UI in Chromium', () => {
  it('shows the case summary with the counts in the database', async () => {
    await page.getByTestId('case-summary').waitFor();
    const events = dbCount('SELECT count(*) FROM events');
    expect(events).toBe(GENERATED + TARGET_RECORDS);
    expect(await text('case-events')).toBe(en(events));
    expect(await text('case-evidence')).toBe('2');
    expect(await text('case-number')).toBe('BS-2026-014');
    expect(await text('case-examiner')).toBe('J. Examiner');
    expect(await text('case-tz')).toBe('Europe/London');
    expect(await text('case-first')).toBe(new Date(dbCount('SELECT min(time_ms) FROM events')).toISOString());
    expect(await text('case-last')).toBe(new Date(dbCount('SELECT max(time_ms) FROM events')).toISOString());
    // The case's name is shown whole at this width, and its tooltip gives the name and the case folder.
    const title = page.getByTestId('case-summary').locator('h1');
    expect(await title.innerText()).toBe(CASE_NAME);
    expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await title.getAttribute('title')).toBe(`${CASE_NAME}\n${caseDir}`);
    // The session key left the address bar once read.
    expect(new URL(page.url()).hash).toBe('');
  });

  it('renders the first rows in time order and only a window of them (virtualized)', async () => {
    await page.getByTestId('timeline-row').first().waitFor();
    expect(await text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
    expect(await text('loaded-count')).toBe('500');
    const rendered = await page.getByTestId('timeline-row').count();
    expect(rendered).toBeGreaterThan(15);
    expect(rendered).toBeLessThan(100);
    const firstTime = await page.getByTestId('timeline-row').first().locator('.col-time').innerText();
    expect(firstTime).toBe(new Date(dbCount('SELECT min(time_ms) FROM events')).toISOString());
    // The commonest results are not cut short ("Succee…" was, by 2 px).
    const results = page.locator('[data-testid=timeline-row] .col-result');
    const cut = await results.evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.textContent));
    expect(await results.allInnerTexts()).toEqual(expect.arrayContaining(['Succeeded']));
    expect(cut).toEqual([]);
  });

  it('loads the next keyset page as the grid scrolls', async () => {
    const scroller = page.getByTestId('timeline-scroll');
    const loaded = async () => Number((await text('loaded-count')).replace(/,/g, ''));
    await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect.poll(loaded).toBeGreaterThan(500);
    // Whole keyset pages were appended (how many depends on how far the view got meanwhile).
    expect((await loaded()) % 500).toBe(0);
    // Rows past the first page are on screen and still in time order.
    const ids = await page.getByTestId('timeline-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-rowindex'))));
    expect(Math.max(...ids)).toBeGreaterThan(500);
    const times = await page.locator('[data-testid=timeline-row] .col-time').allInnerTexts();
    expect([...times].sort()).toEqual(times);
  });

  it('shows the newest events first from the time column\'s header, with the same count, and back', async () => {
    const sort = page.getByTestId('sort-time');
    const header = page.getByRole('columnheader', { name: /Time \(UTC\)/ });
    const firstTime = () => page.getByTestId('timeline-row').first().locator('.col-time').innerText();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    // Far down the list first: the other order is read from its top, not from where this one was.
    await page.getByTestId('timeline-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect.poll(async () => page.getByTestId('timeline-scroll').evaluate((el) => el.scrollTop)).toBeGreaterThan(10_000);
    await sort.click();
    await expect.poll(firstTime).toBe(new Date(dbCount('SELECT max(time_ms) FROM events')).toISOString());
    expect(await page.getByTestId('timeline-scroll').evaluate((el) => el.scrollTop)).toBe(0);
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await sort.innerText()).toMatch(/newest first/);
    expect(await text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
    // A filter keeps the order; its pages come newest first too.
    await filterUser(TARGET, String(TARGET_RECORDS));
    expect(await page.locator('[data-testid=timeline-row]').first().getAttribute('data-event-id')).toBe(`target-${TARGET_RECORDS - 1}`);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(() => text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
    const scroller = page.getByTestId('timeline-scroll');
    await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect.poll(async () => Number((await text('loaded-count')).replace(/,/g, ''))).toBeGreaterThan(500);
    const times = await page.locator('[data-testid=timeline-row] .col-time').allInnerTexts();
    expect([...times].sort().reverse()).toEqual(times);
    await sort.click();
    await expect.poll(firstTime).toBe(new Date(dbCount('SELECT min(time_ms) FROM events')).toISOString());
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
  });

  it('narrows the rows with a filter run in SQL; the count shown matches the database', async () => {
    // Each field says how it matches: the user field whole values only, the text field the start of words.
    expect(await page.locator('input[name=user]').getAttribute('aria-description')).toMatch(/^Matches the whole value, in any letter case; to find part of a name or address, use Text/);
    expect(await page.locator('input[name=text]').getAttribute('title')).toMatch(/match the start of a word/);
    await page.locator('input[name=user]').fill(TARGET);
    await page.locator('input[name=user]').press('Enter');
    await expect.poll(() => text('match-count')).toBe(String(dbCount('SELECT count(*) FROM events WHERE user_id = ?', TARGET)));
    expect(await text('match-count')).toBe(String(TARGET_RECORDS));
    await expect.poll(() => text('loaded-count')).toBe(String(TARGET_RECORDS));
    const users = await page.locator('[data-testid=timeline-row] .col-user').allInnerTexts();
    expect(new Set(users)).toEqual(new Set([TARGET]));

    // An operation filter on the whole case, checked against the database too.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.locator('input[name=operations]').fill('New-InboxRule');
    await page.locator('input[name=operations]').press('Enter');
    const rules = dbCount("SELECT count(*) FROM events WHERE operation = 'New-InboxRule'");
    expect(rules).toBeGreaterThan(0);
    await expect.poll(() => text('match-count')).toBe(en(rules));

    // Nothing matches: said plainly.
    await page.locator('input[name=text]').fill('no-such-word-anywhere');
    await page.locator('input[name=text]').press('Enter');
    await expect.poll(() => page.getByText('No events match these filters.').count()).toBe(1);

    // The detail pane's App id pivots to that app: the box is filled and the count is the database's.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.locator('[data-testid=timeline-row]').first().click();
    await page.getByTitle('Show only events with this app id').click();
    const app = await page.locator('input[name=app]').inputValue();
    expect(app).toMatch(/^[0-9a-f-]{36}$/);
    const byApp = dbCount('SELECT count(*) FROM events WHERE app_id = ? COLLATE NOCASE OR client_app_id = ? COLLATE NOCASE', app, app);
    expect(byApp).toBeGreaterThan(0);
    await expect.poll(() => text('match-count')).toBe(en(byApp));

    // A bad date is refused in the filter bar, not sent.
    await page.locator('input[name=from]').fill('yesterday');
    await page.locator('input[name=from]').press('Enter');
    await expect.poll(() => page.getByRole('alert').first().innerText()).toMatch(/"From" is not a date/);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(() => text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
  });

  it('shows every filter\'s example whole, at 1280 px on one row and at 1024 px over two', async () => {
    // The example in each empty field is measured in the field's own font against its inner width.
    const cutExamples = () => page.locator('[data-testid=filter-bar] input').evaluateAll((inputs) => {
      const doc = inputs[0]!.ownerDocument;
      const ctx = doc.createElement('canvas').getContext('2d')!;
      return inputs.filter((el) => {
        const st = doc.defaultView!.getComputedStyle(el);
        ctx.font = st.font;
        const example = el.getAttribute('placeholder') ?? '';
        return ctx.measureText(example).width > el.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
      }).map((el) => el.getAttribute('placeholder'));
    });
    const rows = () => page.locator('[data-testid=filter-bar] label').evaluateAll((els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
    expect(await cutExamples()).toEqual([]);
    expect(await rows()).toBe(1);
    await page.setViewportSize({ width: 1024, height: 640 });
    try {
      expect(await cutExamples()).toEqual([]);
      expect(await rows()).toBe(2);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps the counts above the grid on one line in a narrow window, the keyboard help moving below them', async () => {
    await page.setViewportSize({ width: 1024, height: 640 });
    try {
      const box = async (id: string) => (await page.getByTestId(id).boundingBox())!;
      await expect.poll(async () => (await box('grid-counts')).height).toBeLessThan(1.5 * (await box('match-count')).height);
      expect((await box('loaded-count')).y).toBeCloseTo((await box('match-count')).y, 0);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('scrolls the grid sideways in a narrow window rather than cut off its last columns', async () => {
    await page.setViewportSize({ width: 1024, height: 640 });
    try {
      await page.locator('[data-testid=timeline-row]').first().click();
      const grid = page.getByTestId('timeline-scroll');
      const result = page.getByRole('columnheader', { name: 'Result' });
      const right = () => Promise.all([grid.boundingBox(), result.boundingBox()]).then(([g, r]) => ({ grid: g!.x + g!.width, result: r!.x + r!.width }));
      expect((await right()).result).toBeGreaterThan((await right()).grid); // out of view at first ...
      await grid.hover();
      await page.mouse.wheel(1000, 0); // as a trackpad or shift+wheel scrolls sideways
      await expect.poll(async () => (await right()).result - (await right()).grid).toBeLessThanOrEqual(1);
      const after = await right();
      expect(after.result).toBeLessThanOrEqual(after.grid + 1); // ... and reachable
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps an open event open when the filters leave it out, and says it is not among the rows', async () => {
    await filterUser(TARGET, String(TARGET_RECORDS));
    await page.locator('[data-testid=timeline-row][data-event-id="target-2"]').click();
    await expect.poll(() => text('detail-id')).toBe('target-2');
    expect(await page.getByTestId('detail-not-in-rows').count()).toBe(0);
    await filterUser('nobody@contoso.com', '0');
    expect(await text('detail-id')).toBe('target-2');
    expect(await text('detail-not-in-rows')).toMatch(/not among the rows loaded for the current filters/);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(() => text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
  });

  it('goes to the last matching event with End, loading the pages left when they are few', async () => {
    await expect.poll(() => text('match-count')).toBe(en(GENERATED + TARGET_RECORDS));
    await page.getByTestId('timeline-scroll').focus();
    await page.keyboard.press('End');
    const last = String(dbCount('SELECT record_id FROM events ORDER BY time_ms DESC, id DESC LIMIT 1'));
    await expect.poll(() => text('detail-id')).toBe(last);
    expect(await text('loaded-count')).toBe(en(GENERATED + TARGET_RECORDS));
    const row = page.locator('[data-testid=timeline-row][aria-selected=true]');
    expect(await row.getAttribute('data-event-id')).toBe(last);
    await expect.poll(async () => row.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const view = el.closest('[data-testid=timeline-scroll]')!.getBoundingClientRect();
      return box.top >= view.top && box.bottom <= view.bottom;
    })).toBe(true);
    expect(await page.getByTestId('end-hint').count()).toBe(0);
    await page.keyboard.press('Home');
    await expect.poll(() => text('detail-id')).toBe(String(dbCount('SELECT record_id FROM events ORDER BY time_ms, id LIMIT 1')));
    expect(await page.getByTestId('detail-encoding').count()).toBe(0); // read as UTF-8: nothing to say
  });

  it('opens a row: AuditData, access items and the evidence hash and line to cite', async () => {
    await filterUser(TARGET, String(TARGET_RECORDS));
    // The annotated row shows the examiner's mark before its operation; the others none.
    const mark = page.locator('[data-testid=timeline-row][data-event-id="target-3"] [data-testid=row-mark]');
    expect(await mark.innerText()).toBe('★');
    expect(await mark.getAttribute('title')).toBe('Examiner: bookmarked; tags: Exfil; 1 note');
    expect(await page.locator('[data-testid=timeline-row][data-event-id="target-4"] [data-testid=row-mark]').count()).toBe(0);
    await page.locator('[data-testid=timeline-row][data-event-id="target-3"]').click();
    await expect.poll(() => text('detail-id')).toBe('target-3');
    const audit = JSON.parse(await text('detail-auditdata')) as Record<string, unknown>;
    expect(audit['Id']).toBe('target-3');
    expect(audit['UserId']).toBe(TARGET);
    expect(await text('detail-items')).toContain('<msg-3@contoso.com>');
    const c = openCaseReadOnly(caseDir);
    const src = c.db.prepare('SELECT v.sha256, e.loc_line FROM events e JOIN evidence v ON v.id = e.evidence_id WHERE e.record_id = ?').get('target-3') as { sha256: string; loc_line: number };
    c.close();
    expect(await text('detail-sha256')).toContain(src.sha256);
    expect(await text('detail-line')).toBe(`line ${src.loc_line}`);
    expect(src.loc_line).toBe(4);
    expect(await text('detail-encoding')).toBe('UTF-16LE');
    // The examiner's annotations, apart from the record and marked as not evidence.
    const notes = await text('detail-annotations');
    expect(notes).toMatch(/^Examiner's annotations \(not evidence\)\n/i);
    expect(notes).toContain('Bookmarked');
    expect(notes).toContain('Exfil');
    expect(notes).toContain('Read from the attacker IP.\nSee finding 2.');

    // Keyboard: the next row opens with the down arrow, at the top of its detail wherever the last was scrolled to.
    await page.getByTestId('event-detail').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    expect(await page.getByTestId('event-detail').evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await page.getByTestId('timeline-scroll').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => text('detail-id')).toBe('target-4');
    expect(await page.getByTestId('event-detail').evaluate((el) => el.scrollTop)).toBe(0);
    expect(await page.getByTestId('detail-not-in-rows').count()).toBe(0);
    // An event with none: the section offers to annotate it, and shows nothing else.
    expect(await page.getByTestId('bookmark-toggle').innerText()).toBe('☆ Bookmark this event');
    expect(await page.getByTestId('detail-annotations').locator('.tag, .note').count()).toBe(0);
    await page.locator('[data-testid=timeline-row][data-event-id="target-2"]').click(); // a settled view for the screenshot
    await expect.poll(() => text('detail-id')).toBe('target-2');
    expect(await page.locator('[data-testid=timeline-row][aria-selected=true]').getAttribute('data-event-id')).toBe('target-2');
    expect(await page.locator('[data-testid=timeline-row][aria-selected=true]').count()).toBe(1);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('says plainly when a case has no events, and when the page has no valid session key', async () => {
    const emptyDir = join(work, 'empty');
    createCase(emptyDir, { name: 'Empty', examiner: 'J. Examiner' }).close();
    await withCasePage(browser, emptyDir, join(work, 'dist'), async (p, emptyBridge) => {
      await p.goto(emptyBridge.url);
      await p.getByText('This case has no events yet.', { exact: false }).waitFor();
      expect(await p.getByTestId('case-events').innerText()).toBe('0');
      expect(await p.getByTestId('case-first').innerText()).toBe('—');
      // Its blind spots are a state to state, not a failure to retry.
      await p.getByTestId('tab-gaps').click();
      await p.getByText('No blind spots to show: the case holds no events', { exact: false }).waitFor();
      expect(await p.getByRole('alert').count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Retry' }).count()).toBe(0);
      await p.getByRole('tab', { name: 'Timeline' }).click();
      // Without the key from the printed URL nothing is read, and the page says what to do.
      await p.goto(emptyBridge.url.replace(/#.*/, '#token=wrong'));
      await p.reload(); // a fragment change alone does not reload the page
      // One message in place of the page, and no Retry: no call of this page will be answered.
      await p.getByTestId('session-refused').waitFor();
      expect(await p.getByRole('alert').count()).toBe(1);
      expect(await p.getByRole('alert').innerText()).toMatch(/^This page cannot read the case: Missing or wrong session token: open the URL that blindspot ui printed/);
      expect(await p.getByRole('button').count()).toBe(0);
    });
  });

  it('says inside the detail pane when an event\'s evidence file has changed, the long path wrapped', async () => {
    const dir = join(work, 'tampered');
    const h = createCase(dir, { name: 'Tampered', examiner: 'J. Examiner' });
    const src = join(work, 'one.jsonl');
    // Throttled, so the blind spots read its AuditData too (to confirm the marker).
    writeFileSync(src, jsonl([{ ...mailItemsAccessed(1, { id: 'changed-1' }), OperationProperties: [{ Name: 'IsThrottled', Value: 'True' }] }]));
    const r = await importFile(h, src);
    h.close();
    // The record's line stays where the case says it is, but is no longer the record imported.
    const stored = join(dir, 'evidence', r.sha256.slice(0, 2), r.sha256);
    chmodSync(stored, 0o644);
    writeFileSync(stored, '[' + readFileSync(stored, 'utf8').slice(1));
    await withCasePage(browser, dir, join(work, 'dist'), async (p, tamperedBridge) => {
      await p.goto(tamperedBridge.url);
      await p.locator('[data-testid=timeline-row][data-event-id="changed-1"]').click();
      const pane = p.getByTestId('event-detail');
      const alert = pane.getByRole('alert');
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(/record changed-1: bytes \d+-\d+ of evidence\/\S+ is not the JSON record imported from it; the evidence file has changed: run blindspot verify/);
      // The whole message inside the pane: nothing scrolls out of the notice, and the notice ends within the pane.
      const paneRight = (await pane.boundingBox())!.x + (await pane.boundingBox())!.width;
      const fits = await alert.evaluate((el, right) => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= right, paneRight);
      expect(fits).toBe(true);
      // The blind spots read the same record: their notice says the same, its Retry label on one line.
      await p.getByRole('tab', { name: 'Blind spots' }).click();
      const gapsAlert = p.getByRole('alert');
      await gapsAlert.waitFor();
      expect(await gapsAlert.innerText()).toMatch(/Cannot compute the blind spots: .*record changed-1: .*the evidence file has changed/);
      const oneLine = await gapsAlert.getByRole('button', { name: 'Retry' }).evaluate((el) => {
        const r = el.ownerDocument.createRange();
        r.selectNodeContents(el);
        return r.getClientRects().length;
      });
      expect(oneLine).toBe(1);
    });
  });

  it('says when another process imported into the case, and reloads on request with the filters kept', async () => {
    const user = 'eve.live@contoso.com';
    const batch = (from: number, n: number) => jsonl(Array.from({ length: n }, (_, i) => mailItemsAccessed(from + i, { user, id: `live-${from + i}` })));
    const dir = await smallCase('Live', batch(0, 3) + jsonl([mailItemsAccessed(99, { user: 'someone.else@contoso.com' })]));
    await withCasePage(browser, dir, join(work, 'dist'), async (p, liveBridge) => {
      const pageProblems: string[] = [];
      p.on('pageerror', (e) => pageProblems.push(e.message));
      await p.goto(liveBridge.url);
      await p.locator('input[name=user]').fill(user);
      await p.locator('input[name=user]').press('Enter');
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('3');
      expect(await p.getByTestId('case-changed').count()).toBe(0);

      // The command line imports two more of this user's records while the page is open.
      writeFileSync(join(work, 'live-2.jsonl'), batch(3, 2));
      const cli = openCase(dir);
      await importFile(cli, join(work, 'live-2.jsonl'));
      cli.close();
      const notice = p.getByTestId('case-changed');
      await notice.waitFor({ timeout: 10_000 });
      expect(await notice.innerText()).toMatch(/This case has changed since this view was loaded/);
      // Nothing moved under the reader until they ask.
      expect(await p.getByTestId('match-count').innerText()).toBe('3');
      expect(await p.getByTestId('case-events').innerText()).toBe('4');
      await p.screenshot({ path: join(dirname(SCREENSHOT), 'case-changed.png') });

      await notice.getByRole('button', { name: 'Reload' }).click();
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('5');
      expect(await p.getByTestId('case-events').innerText()).toBe('6');
      expect(await p.locator('input[name=user]').inputValue()).toBe(user);
      expect(await p.getByTestId('case-changed').count()).toBe(0);
      expect(pageProblems).toEqual([]);
    });
  });

  it('annotates the open event from its detail: a bookmark, a tag, a note, each taken back; its row is marked; no offer to reload for its own change', async () => {
    const dir = await smallCase('Annotate', jsonl([mailItemsAccessed(0, { id: 'note-0' }), mailItemsAccessed(1, { id: 'note-1' })]));
    await withCasePage(browser, dir, join(work, 'dist'), async (p, annotateBridge) => {
      const pageProblems: string[] = [];
      p.on('pageerror', (e) => pageProblems.push(e.message));
      await p.goto(annotateBridge.url);
      await p.locator('[data-testid=timeline-row][data-event-id="note-1"]').click();
      await expect.poll(() => p.getByTestId('detail-id').innerText()).toBe('note-1');
      const row = p.locator('[data-testid=timeline-row][data-event-id="note-1"]');
      const pane = p.getByTestId('detail-annotations');
      expect(await row.getByTestId('row-mark').count()).toBe(0);

      await p.getByTestId('bookmark-toggle').click();
      await expect.poll(() => pane.innerText()).toContain('★ Bookmarked');
      await p.locator('input[name=tag]').fill('Exfil');
      await p.locator('input[name=tag]').press('Enter');
      await expect.poll(() => row.getByTestId('row-mark').getAttribute('title')).toBe('Examiner: bookmarked; tags: Exfil');
      expect(await p.locator('input[name=tag]').inputValue()).toBe(''); // cleared once added
      await p.locator('textarea[name=note]').fill('Read by the attacker.\nSee the rule.');
      await p.getByRole('button', { name: 'Add note' }).click();
      await expect.poll(() => pane.innerText()).toContain('Read by the attacker.\nSee the rule.');
      // The same tag again (in another letter case) is refused, saying why; nothing is added.
      await p.locator('input[name=tag]').fill('EXFIL');
      await p.getByRole('button', { name: 'Add tag' }).click();
      await expect.poll(() => p.getByTestId('annotation-problem').innerText()).toBe('The event already has this tag.');
      expect(await row.getByTestId('row-mark').innerText()).toBe('★');

      // In the case: three annotations and their custody entries, as from the command line.
      const listed = annotations(dir).map((a) => [a.recordId, a.kind, a.text]);
      expect(listed).toEqual([['note-1', 'bookmark', null], ['note-1', 'tag', 'Exfil'], ['note-1', 'note', 'Read by the attacker.\nSee the rule.']]);
      // Once the watcher has pushed the page the version with the appends, the page still offers no reload.
      await expect.poll(() => p.getByTestId('case-summary').getAttribute('data-pushed-version'), { timeout: 15_000 }).toBe(String(changeVersion(dir)));
      expect(await p.getByTestId('case-changed').count()).toBe(0);

      // The marks as filters: bookmarked only, then the tag chosen from the detail; each taken off again.
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('2');
      await p.getByTestId('bookmarked-only').click();
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('1');
      expect(await p.getByTestId('bookmarked-only').getAttribute('aria-pressed')).toBe('true');
      await p.getByTestId('bookmarked-only').click();
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('2');
      await pane.getByRole('button', { name: 'Exfil', exact: true }).click();
      await expect.poll(() => p.getByTestId('tag-filter').innerText()).toContain('Tagged “Exfil”');
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('1');
      await p.getByRole('button', { name: 'Stop filtering by the tag Exfil' }).click();
      await expect.poll(() => p.getByTestId('match-count').innerText()).toBe('2');
      expect(await p.getByTestId('tag-filter').count()).toBe(0);

      // Taken back one by one: the tag, the note, the bookmark; the row loses its mark.
      await pane.getByRole('button', { name: 'Remove tag Exfil' }).click();
      await expect.poll(() => row.getByTestId('row-mark').getAttribute('title')).toBe('Examiner: bookmarked; 1 note');
      await pane.getByRole('button', { name: 'remove', exact: true }).click();
      await p.getByRole('button', { name: 'remove bookmark' }).click();
      await expect.poll(() => row.getByTestId('row-mark').count()).toBe(0);
      expect(annotations(dir)).toEqual([]);
      const log = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
      expect(log.filter((a) => a.startsWith('annotation-'))).toEqual(['annotation-added', 'annotation-added', 'annotation-added', 'annotation-removed', 'annotation-removed', 'annotation-removed']);
      expect(pageProblems).toEqual([]);
    });
  });

  it('says the case changed when the change came while the page had no event stream', async () => {
    const dir = await smallCase('Gap', jsonl([mailItemsAccessed(0, { id: 'gap-0' })]));
    await withCasePage(browser, dir, join(work, 'dist'), async (p, gapBridge, gapApi) => {
      // The page loads, but its event stream cannot connect (a dropped connection, a slow start) ...
      await p.route('**/events', (r) => r.abort());
      await p.goto(gapBridge.url);
      await expect.poll(() => p.getByTestId('case-events').innerText()).toBe('1');
      // ... while the command line imports into the case.
      writeFileSync(join(work, 'gap-2.jsonl'), jsonl([mailItemsAccessed(1, { id: 'gap-1' })]));
      const cli = openCase(dir);
      await importFile(cli, join(work, 'gap-2.jsonl'));
      cli.close();
      await expect.poll(() => gapApi.handlers['case.summary']({}).then((s) => s.events)).toBe(2);
      await new Promise((r) => setTimeout(r, 500)); // the watcher has reported, to no stream
      expect(await p.getByTestId('case-changed').count()).toBe(0);
      // When the stream connects at last, its first message is the case's version now: the page is out of date.
      await p.unroute('**/events');
      await p.getByTestId('case-changed').waitFor({ timeout: 10_000 });
      expect(await p.getByTestId('case-events').innerText()).toBe('1');
    });
  });

  it('ran without console errors, CSP violations or failed requests', () => {
    expect(problems).toEqual([]);
  });
});
