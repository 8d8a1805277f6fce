import { describe, expect, it } from 'vitest';
import type { ReportData } from './report.ts';
import { esc, renderReport } from './report.ts';

const HOSTILE = '<script>alert(1)</script>"\'&';

function data(over: Partial<ReportData> = {}): ReportData {
  return {
    generatedAt: '2026-12-07T10:00:00.000Z', toolVersion: 'blindspot 0.1.0', analysisVersion: '1.2.0',
    case: { name: `Case ${HOSTILE}`, number: 'N-1', client: null, examiner: 'E', createdAt: '2026-12-01T00:00:00.000Z', timeZone: 'UTC', events: 1234, mailboxes: 2, firstEvent: '2026-11-01T00:00:00.000Z', lastEvent: '2026-11-30T00:00:00.000Z' },
    evidence: [{ sha256: 'a'.repeat(64), size: 2_500_000, format: 'ual-json', source: 'file', origin: `/x/${HOSTILE}.json`, addedAt: '2026-12-01T00:00:00.000Z' }],
    acquisition: [{ source: 'ual', slices: 3, complete: 2, incomplete: 1, failed: 0, notCollected: 0, retrieved: 10, open: [{ start: '2026-11-01T00:00:00.000Z', end: '2026-11-02T00:00:00.000Z', status: 'incomplete', reason: `cap reached ${HOSTILE}` }] }],
    gaps: {
      runId: 7, range: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' }, rangeNote: 'the first to the last event', unseen: ['licences'],
      mailboxes: [
        { mailbox: 'm@contoso.com', upn: 'm@contoso.com', accountKind: 'human', windows: [{ mailbox: 'm@contoso.com', kind: 'bypass', start: '2026-11-03T00:00:00.000Z', end: null, scope: { actions: ['*'], logonTypes: ['Owner'] }, confidence: 'certain', reason: `bypass ${HOSTILE}`, evidence: [] }] },
        { mailbox: 'ok@contoso.com', upn: null, accountKind: 'human', windows: [] },
      ],
    },
    findings: { runId: 8, minSeverity: null, list: [{ id: 'f1', severity: 'critical', kind: 'bypass', mailbox: 'm@contoso.com', title: `Bypass ${HOSTILE}`, detail: 'd', evidence: [], remediation: 'Get-Mailbox' }] },
    exposure: [],
    marked: [{ recordId: 'r-1', time: '2026-11-05T00:00:00.000Z', operation: 'New-InboxRule', user: 'm@contoso.com', mailbox: 'm@contoso.com', clientIp: '203.0.113.9', evidence: { sha256: 'b'.repeat(64), line: 4, element: null }, bookmarked: true, tags: [HOSTILE], notes: [{ text: `note ${HOSTILE}\nsecond line`, author: 'me@host', createdAt: '2026-12-02T00:00:00.000Z' }] }],
    notTaken: { rejected: [], differingCopies: 0 },
    custody: { lastSeq: 12, lastLineSha256: 'c'.repeat(64) },
    ...over,
  };
}

describe('case report', () => {
  it('escapes every value from the case, and the page may load and run nothing', () => {
    const html = renderReport(data());
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(HOSTILE);
    expect(html.split('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;').length - 1).toBe(8); // the name (title and heading), a finding's title, an origin, two reasons (a window's, a slice's), a tag, a note
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(esc(null)).toBe('—');
  });

  it('states the blind windows with the caveat, the findings, the marked events with their source, completeness and the custody head', () => {
    const html = renderReport(data());
    expect(html).toContain('The absence of events in those windows proves nothing.');
    expect(html).toContain('1 mailbox or account of 2 have windows');
    expect(html).toContain('Audit bypass');
    expect(html).toContain('still open');
    expect(html).toContain('No blind window found for: ok@contoso.com.');
    expect(html).toContain('Not known, for want of configuration evidence');
    expect(html).toContain('<span class="sev sev-critical">CRITICAL</span>');
    expect(html).toContain(`evidence <span class="mono">${'b'.repeat(64)}, line 4</span>`);
    expect(html).toContain('★ Bookmarked');
    expect(html).toContain('Slices not complete');
    expect(html).toContain(`has the SHA-256 <span class="mono">${'c'.repeat(64)}</span>`);
    expect(html).toContain('1 evidence file (2.5 MB)');
    expect(html).toContain('<table class="meta"><tbody><tr><td>Case number</td><td>N-1</td></tr>'); // the case's facts: no header row
    expect(html).toContain('No exposure scope was computed');
  });

  it('says so when nothing was acquired, nothing was marked and there are no findings', () => {
    const html = renderReport(data({ acquisition: [], marked: [], findings: { runId: 1, list: [], minSeverity: 'high' } }));
    expect(html).toContain('Nothing was acquired into this case from a tenant');
    expect(html).toContain('<h2>4. Events the examiner marked</h2><p>Bookmarks, tags and notes are the examiner\'s work, not evidence. Each one added or removed is in the custody log.</p>\n<p>None.</p>');
    expect(html).toContain('<p>No findings at or above high (less severe ones are left out of this report; blindspot findings lists them all).</p>');
  });

  it('discloses the records not taken as received: those left out on import, per file, and copies that say otherwise', () => {
    expect(renderReport(data())).not.toContain('Records not taken as received');
    const html = renderReport(data({ notTaken: { rejected: [{ file: `/x/${HOSTILE}.csv`, sha256: 'd'.repeat(64), records: 3 }, { file: '/x/b.json', sha256: 'e'.repeat(64), records: 1 }], differingCopies: 1 } }));
    expect(html).toContain('<h3>Records not taken as received</h3>');
    expect(html).toContain('4 records could not be read and were left out of the case\'s records');
    expect(html).toContain(`<td><span class="mono">/x/${esc(HOSTILE)}.csv</span></td><td><span class="mono">${'d'.repeat(64)}</span></td><td>3</td>`);
    expect(html).toContain('1 record arrived under the Id of a record the case already held but gives another time');
  });
});
