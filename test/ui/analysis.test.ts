// The analysis views in Chromium (blind spots, findings), over a case built from the simulated tenant's
// bec scenario: the windows shown are the ones in the scenario's ground truth, the findings the ones the
// workstation computes.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario } from '../../sim/scenario/index.ts';
import { writeScenarioExport } from '../../sim/export.ts';
import { createHandlers } from '../../services/apiHandlers.ts';
import { changeVersion } from '../../services/caseWatch.ts';
import { exposureItems } from '../../services/analysis.ts';
import type { CaseApi } from '../../services/apiHandlers.ts';
import { createCase } from '../../services/caseFolder.ts';
import { expandInputs, importFile } from '../../services/import.ts';
import { startWebBridge } from '../../services/webBridge.ts';
import { withCasePage } from '../helpers/casePage.ts';
import { jsonl, mailItemsAccessed } from '../helpers/records.ts';
import type { WebBridge } from '../../services/webBridge.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const scenario = createScenario({ scenario: 'bec', seed: 7 });
const truth = scenario.groundTruth();

let work: string;
let caseDir: string;
let api: CaseApi;
let bridge: WebBridge;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  work = mkdtempSync(join(tmpdir(), 'bs-ui-gaps-'));
  const dist = join(work, 'dist');
  await build({ root: join(ROOT, 'renderer'), configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  const exportDir = join(work, 'export');
  await writeScenarioExport(scenario, exportDir);
  caseDir = join(work, 'case');
  const h = createCase(caseDir, { name: 'bec', examiner: 't' });
  for (const f of expandInputs([exportDir]).filter((f) => (f.endsWith('.json') && !f.endsWith('ground-truth.json')) || f.endsWith('.jsonl'))) await importFile(h, f, { asOf: truth.range.end });
  h.close();
  api = createHandlers(caseDir);
  bridge = await startWebBridge({ handlers: api.handlers, events: api.onEvent, staticDir: dist }); // with the case's change events, as blindspot ui serves it
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Waits until the page has been pushed the case's change version as it is now (its own change included). */
async function heardChange(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('case-summary').getAttribute('data-pushed-version'), { timeout: 15_000 }).toBe(String(changeVersion(caseDir)));
}

/** A 1280×800 page on the shared case, and the errors its console and scripts report. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(bridge.url);
  return { page, problems };
}

describe('blind spots in the UI', () => {
  it('lists each mailbox\'s blind windows; the bypass and throttling windows are the scenario\'s', async () => {
    const { page, problems } = await openPage();
    await page.getByTestId('case-summary').waitFor();
    await page.getByTestId('tab-gaps').click();
    await page.getByTestId('gaps-view').waitFor();
    const shown = await page.getByTestId('gaps-window').evaluateAll((rows) => rows.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return { mailbox: r.closest('[data-mailbox]')?.getAttribute('data-mailbox') ?? '', kind: r.getAttribute('data-kind') ?? '', start: cells[1] ?? '', end: cells[2] ?? '', why: cells[0] ?? '' };
    }));
    // A retention window names its store: what the mailbox audit store lost, the unified log may still hold.
    const gaps = await api.handlers['gaps.get']({});
    const retention = gaps.mailboxes.flatMap((m) => m.windows.filter((w) => w.kind === 'retention'));
    expect(retention.length).toBeGreaterThan(0);
    for (const w of retention) {
      const label = { 'mailbox-audit': 'mailbox audit store', 'unified-audit-log': 'unified audit log' }[w.store!];
      expect(shown).toContainEqual(expect.objectContaining({ mailbox: w.mailbox, kind: 'retention', why: `Beyond retention: ${label}` }));
    }
    const range = gaps.range;
    // Where the range comes from is said (an imported case without an acquisition ledger: its events).
    expect(await page.getByTestId('gaps-range-note').innerText()).toBe('the case\'s first to last event (no range given and no acquisition ledger)');
    // A window cut at the range's edges says so: it may have begun earlier and still be open.
    for (const w of shown) {
      if (w.start.startsWith(range.start)) expect(w.start).toBe(`${range.start} or earlier: the case's range begins here`);
      if (w.end.startsWith('still open')) expect(w.end).toBe(`still open at ${range.end}, the end of the case's range`);
    }
    const cut = shown.map(({ why: _, ...w }) => ({ ...w, start: w.start.split(' ')[0]!, end: w.end.startsWith('still open') ? 'still open' : w.end }));
    // Windows that begin inside the range (the incident's); the whole-range ones start at the case's
    // first event here, since the UI analyses the case as imported, not the scenario's nominal range.
    const inside = truth.blindWindows.filter((w) => (w.kind === 'bypass' || w.kind === 'throttled') && w.start !== truth.range.start);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    for (const w of inside) expect(cut).toContainEqual({ mailbox: w.mailbox, kind: w.kind, start: w.start, end: w.end ?? 'still open' });
    expect(new Set(shown.map((w) => w.mailbox)).size).toBe(new Set(truth.blindWindows.map((w) => w.mailbox)).size);
    await page.screenshot({ path: join(HERE, '__screenshots__', 'gaps.png') });

    // The case report, written from here: its path and SHA-256 are said, the file is the one the custody
    // log names, and the window does not offer to reload for its own change.
    await page.getByTestId('write-report').click();
    const said = await page.getByTestId('report-written').innerText();
    const [, path, sha] = /Written: (\S+) \(.* SHA-256 ([0-9a-f]{64});/.exec(said) ?? [];
    expect(path).toMatch(/\/reports\/report-\d{8}T\d{6}Z\.html$/);
    expect(createHash('sha256').update(readFileSync(path!)).digest('hex')).toBe(sha);
    expect(readFileSync(join(caseDir, 'custody.jsonl'), 'utf8')).toContain(`"action":"report-written"`);
    await heardChange(page); // the watcher has pushed the report's custody entries to the page
    expect(await page.getByTestId('case-changed').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says what could not be known when the case holds no configuration evidence, instead of an all-clear', async () => {
    const dir = join(work, 'records-only');
    const h = createCase(dir, { name: 'records only', examiner: 't' });
    const src = join(work, 'records-only.jsonl');
    writeFileSync(src, jsonl([mailItemsAccessed(0), mailItemsAccessed(1, { user: 'debra@contoso.com' })]));
    await importFile(h, src);
    h.close();
    await withCasePage(browser, dir, join(work, 'dist'), async (page, bareBridge) => {
      await page.goto(bareBridge.url);
      await page.getByTestId('tab-gaps').click();
      const unseen = page.getByTestId('gaps-unseen');
      await unseen.waitFor();
      expect(await unseen.locator('li').count()).toBe(5);
      expect(await unseen.innerText()).toMatch(/does not mean there was none/);
      expect(await unseen.innerText()).toMatch(/No licence assignments/);
      expect(await page.getByTestId('gaps-view').innerText()).toMatch(/No blind window found from the evidence the case holds/);
      // Each count says what it counts: the analysis's identities here, the header's mailboxes on hover.
      expect(await page.getByTestId('gaps-view').innerText()).toMatch(/0 of 2 mailboxes and accounts the analysis knows \(from the records and the configuration exports\)/);
      expect(await page.getByTestId('case-mailboxes').locator('..').getAttribute('title')).toMatch(/^Distinct mailboxes the case's records act on/);
      await page.screenshot({ path: join(HERE, '__screenshots__', 'gaps-unseen.png') });
    });
  });
});

describe('findings in the UI', () => {
  it('lists the findings most severe first with their evidence and remediation; a cited event opens beside them, a filter from it goes to the timeline', async () => {
    const { page, problems } = await openPage();
    await page.getByTestId('tab-findings').click();
    await page.getByTestId('finding').first().waitFor();
    const computed = (await api.handlers['findings.get']({})).findings;
    const cards = () => page.getByTestId('finding').evaluateAll((els) => els.map((e) => ({ severity: e.getAttribute('data-severity'), title: e.querySelector('h2')?.textContent ?? '' })));
    expect(await cards()).toEqual(computed.map((f) => ({ severity: f.severity, title: `${f.severity.charAt(0).toUpperCase()}${f.severity.slice(1)} ${f.title}` })));
    for (const s of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      expect(await page.getByTestId(`severity-${s}`).innerText()).toMatch(new RegExp(` ${computed.filter((f) => f.severity === s).length}$`));
    }
    await page.screenshot({ path: join(HERE, '__screenshots__', 'findings.png') });

    // The bypass finding's first cited event opens in the pane beside the list, named by its record id.
    const bypass = computed.find((f) => f.kind === 'bypass' && f.severity === 'critical')!;
    const cited = bypass.evidence.find((e) => e.kind === 'event')!;
    const card = page.locator(`[data-testid=finding][data-kind=bypass][data-severity=critical]`);
    await card.getByTestId('finding-event').first().click();
    await expect.poll(() => page.getByTestId('detail-id').innerText()).toBe(cited.kind === 'event' ? cited.recordId : '');
    expect(await page.getByTestId('detail-not-in-rows').count()).toBe(0); // the timeline's rows do not matter here
    expect(await card.getByTestId('finding-event').first().getAttribute('aria-pressed')).toBe('true');
    expect(await card.getByTestId('finding-remediation').innerText()).toBe(bypass.remediation);
    await page.screenshot({ path: join(HERE, '__screenshots__', 'findings-event.png') });

    // A related finding is brought into view, even when its severity was hidden.
    const withRelated = computed.find((f) => f.related.length > 0 && f.severity === 'critical')!;
    const related = computed.find((f) => f.id === withRelated.related[0])!;
    await page.getByTestId(`severity-${related.severity}`).click();
    expect((await cards()).some((c) => c.severity === related.severity)).toBe(false);
    await page.locator(`[data-testid=finding][data-kind=${withRelated.kind}][data-severity=critical]`).getByTestId('finding-related').first().click();
    const target = page.getByTestId('finding').filter({ hasText: related.title }).first();
    await expect.poll(async () => (await target.boundingBox())?.y ?? -1).toBeLessThan(200); // scrolled to the top of the list
    expect(await page.getByTestId(`severity-${related.severity}`).getAttribute('aria-pressed')).toBe('true');

    // A filter in the event's detail narrows the timeline and shows it.
    await page.getByTestId('event-detail').getByRole('button', { name: 'filter' }).first().click();
    await page.getByTestId('filter-bar').waitFor();
    expect(await page.getByLabel('User').inputValue()).toMatch(/^adm\.patti@/);
    expect(await page.getByRole('tab', { name: 'Timeline' }).getAttribute('aria-selected')).toBe('true');

    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByTestId('tab-findings').click();
    await page.getByTestId('finding').first().waitFor();
    const overflow = await page.getByTestId('findings-view').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBe(0); // nothing cut off sideways in a narrow window
    await page.screenshot({ path: join(HERE, '__screenshots__', 'findings-1024.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('exposure in the UI', () => {
  it('computes a mailbox\'s exposure from the window: the count, the messages page by page, what was not measured; a mailbox unknown is said', async () => {
    const { page, problems } = await openPage();
    await page.getByTestId('tab-exposure').click();
    await page.getByLabel('Mailbox').fill('nobody@nowhere.example');
    await page.getByTestId('exposure-compute').click();
    expect(await page.getByTestId('exposure-problem').innerText()).toMatch(/no mailbox "nobody@nowhere\.example" in this case/i);
    const megan = 'megan.bowen@contoso.onmicrosoft.com';
    await page.getByLabel('Mailbox').fill(megan);
    await page.getByTestId('exposure-compute').click();
    const summary = await page.getByTestId('exposure-summary').innerText();
    const [, count, runId] = /^([\d,]+) messages? of .* Stored as analysis run (\d+),/.exec(summary) ?? [];
    const stored = [...exposureItems(caseDir, Number(runId))];
    expect(Number(count!.replace(/,/g, ''))).toBe(stored.length);
    expect(stored.length).toBeGreaterThan(0);
    const shown = await page.getByTestId('exposure-item').evaluateAll((rows) => rows.map((r) => r.querySelector('td')?.textContent ?? ''));
    expect(shown).toEqual(stored.slice(0, 200).map((i) => i.internetMessageId));
    // The scenario's throttled window on this mailbox: exposure there is not measured, and the page says so.
    expect(await page.getByTestId('exposure-blind').innerText()).toMatch(/MailItemsAccessed throttled/);
    await heardChange(page); // the watcher has pushed the run's custody entry to the page
    expect(await page.getByTestId('case-changed').count()).toBe(0);
    await page.screenshot({ path: join(HERE, '__screenshots__', 'exposure.png') });
    await page.setViewportSize({ width: 1024, height: 768 });
    expect(await page.getByTestId('exposure-view').evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
    await page.screenshot({ path: join(HERE, '__screenshots__', 'exposure-1024.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
