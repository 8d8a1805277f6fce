import { describe, expect, it } from 'vitest';
import { newestSnapshotRows, premiumHistory, snapshotsOf } from './licences.ts';
import { D, T0, licence, obs } from './testkit.ts';

const MEG = 'megan.bowen@contoso.com';
const E5 = ['EXCHANGE_S_ENTERPRISE', 'M365_ADVANCED_AUDITING'];
const E3 = ['EXCHANGE_S_ENTERPRISE'];
/** One account's history judged by its own rows only, as if the case held no other account. */
const alone = (rows: Parameters<typeof premiumHistory>[0]) => premiumHistory(rows, snapshotsOf(rows));

describe('licence snapshots', () => {
  it('rows read minutes apart are one snapshot; a day apart, two; newest first', () => {
    const rows = [obs(licence(MEG, E3), T0), obs(licence(MEG, E5), T0 + D), obs(licence(MEG, E5), T0 + D - 20 * 60_000)];
    expect(snapshotsOf(rows).map((s) => s.map((r) => r.asOfMs))).toEqual([[T0 + D, T0 + D - 20 * 60_000], [T0]]);
    expect(newestSnapshotRows(rows).map((r) => r.asOfMs)).toEqual([T0 + D, T0 + D - 20 * 60_000]);
    expect(snapshotsOf([])).toEqual([]);
    expect(newestSnapshotRows([])).toEqual([]);
  });

  it('Audit Premium throughout only when every snapshot shows it', () => {
    expect(alone([obs(licence(MEG, E5), T0), obs(licence(MEG, E5), T0 + D)])).toBe('throughout');
    expect(alone([obs(licence(MEG, E5), T0), obs(licence(MEG, E3), T0 + D)])).toBe('partly');
    expect(alone([obs(licence(MEG, E3), T0), obs(licence(MEG, E5), T0 + D)])).toBe('partly');
    expect(alone([obs(licence(MEG, E3), T0)])).toBe('never');
    expect(alone([])).toBe('never');
  });

  it('a snapshot of the case without a row for the account does not show Premium for it', () => {
    const ALEX = 'alex.wilber@contoso.com';
    const meg = [obs(licence(MEG, E5), T0)];
    // Megan held E5 at T0; at T0 + D Graph listed Alex but no licence row for her (unlicensed).
    const all = [...meg, obs(licence(ALEX, E5), T0), obs(licence(ALEX, E5), T0 + D)];
    expect(premiumHistory(meg, snapshotsOf(all))).toBe('partly');
    expect(premiumHistory(all.slice(1), snapshotsOf(all))).toBe('throughout');
    expect(alone(meg)).toBe('throughout'); // her rows alone cannot tell
  });
});
