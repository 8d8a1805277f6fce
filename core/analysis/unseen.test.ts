import { describe, expect, it } from 'vitest';
import { unseenConfiguration } from './unseen.ts';

describe('unseenConfiguration', () => {
  it('states what is unknown for each configuration kind the case lacks, and nothing when it has them all', () => {
    expect(unseenConfiguration(new Set(['mailbox', 'bypass', 'licence', 'organization', 'adminAuditLog']))).toEqual([]);
    const none = unseenConfiguration(new Set());
    expect(none).toHaveLength(5);
    expect(none[0]).toMatch(/^No mailbox configuration \(Get-Mailbox\)/);
    expect(unseenConfiguration(new Set(['mailbox', 'bypass', 'organization', 'adminAuditLog', 'inboxRule']))).toEqual([
      expect.stringMatching(/^No licence assignments: which accounts had Audit \(Premium\)/),
    ]);
  });
});
