import { describe, expect, it } from 'vitest';
import { retentionOutlook } from './retention.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24);

describe('retentionOutlook', () => {
  it('a range inside 180 days is all there; the Management API reaches 7 days', () => {
    const o = retentionOutlook(NOW, { fromMs: NOW - 30 * DAY, toMs: NOW }, { licences: { premium: 2, standard: 8 }, mailboxAgeLimitDays: [90, 90, 365, null] });
    expect(o.ualStandardFrom).toBe(new Date(NOW - 180 * DAY).toISOString());
    expect(o.ualPremiumFrom).toBe(new Date(NOW - 365 * DAY).toISOString());
    expect(o.lines[0]).toBe(`unified audit log: the whole range is within retention (Audit Standard keeps 180 days, from ${new Date(NOW - 180 * DAY).toISOString()}); 2 of 10 licensed users have Audit Premium in every licence snapshot`);
    expect(o.mailboxAudit).toEqual([{ days: 90, mailboxes: 2 }, { days: null, mailboxes: 1 }, { days: 365, mailboxes: 1 }]);
    expect(o.lines[1]).toBe('mailbox audit stores (AuditLogAgeLimit): 2 mailboxes keep 90 days, 1 mailbox keep 90 (default) days, 1 mailbox keep 365 days');
    expect(o.lines[2]).toBe(`Management Activity API: reaches back 7 days only, to ${new Date(NOW - 7 * DAY).toISOString()}`);
  });

  it('says which part of an old range is gone, for Standard and for Premium, and what is not yet known', () => {
    const o = retentionOutlook(NOW, { fromMs: NOW - 400 * DAY, toMs: NOW - 100 * DAY }, { licences: null, mailboxAgeLimitDays: null });
    expect(o.lines[0]).toBe(`unified audit log: ${new Date(NOW - 400 * DAY).toISOString()} to ${new Date(NOW - 180 * DAY).toISOString()} is past Audit Standard retention (180 days) for users without Audit Premium; ` +
      `before ${new Date(NOW - 365 * DAY).toISOString()} it is past Audit Premium retention (1 year) too; no licence snapshot in the case yet (run \`blindspot posture\` first to know which users have Audit Premium)`);
    expect(o.lines[1]).toMatch(/^mailbox audit stores: no mailbox snapshot in the case yet/);
    expect(o.mailboxAudit).toBeNull();
  });
});
