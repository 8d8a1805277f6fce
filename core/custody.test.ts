import { describe, expect, it } from 'vitest';
import { custodyLine, lastSeqOf, nextEntry, TORN_LINE_ACTION, tornLineEntryDetails, verifyCustodyChain } from './custody.ts';

function chain(n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = nextEntry(lines.at(-1) ?? null, i, { at: `2026-01-01T00:00:0${i}.000Z`, actor: 'examiner', action: `a${i}` });
    lines.push(custodyLine(e));
  }
  return lines;
}

describe('custody chain', () => {
  it('accepts an intact chain', () => {
    const r = verifyCustodyChain(chain(4));
    expect(r.problems).toEqual([]);
    expect(r.entries.map((e) => e.action)).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(r.entries[0]!.prev).toBeNull();
  });

  it('names the line after an edited line', () => {
    const lines = chain(4);
    lines[1] = lines[1]!.replace('"a1"', '"tampered"');
    expect(verifyCustodyChain(lines).problems).toEqual([{ line: 3, problem: expect.stringContaining('prev does not match') }]);
  });

  it('detects a deleted line and a reordering', () => {
    const lines = chain(4);
    const deleted = [lines[0]!, lines[2]!, lines[3]!];
    const p1 = verifyCustodyChain(deleted).problems;
    // Named once, where it happens: the lines after it are shifted but still in order among themselves.
    const c1 = verifyCustodyChain(deleted);
    expect([c1.lastSeq, [...c1.lineOfSeq]]).toEqual([4, [[1, 1], [3, 2], [4, 3]]]);
    expect(lastSeqOf(deleted)).toBe(4); // the number after which the next entry goes, not the count of lines
    expect(lastSeqOf([...deleted, '{"seq":5,"at":"x","act'])).toBe(5); // a torn last line took one
    expect(p1).toEqual([
      { line: 2, problem: 'sequence number 3 after 1 (entries removed, added or reordered)' },
      { line: 2, problem: 'prev does not match the hash of the line before (that line was altered, removed or reordered)' },
    ]);
    const swapped = [lines[0]!, lines[2]!, lines[1]!, lines[3]!];
    expect(verifyCustodyChain(swapped).problems.length).toBeGreaterThan(0);
  });

  it('detects a removed last line only through the count the caller knows', () => {
    // Truncation at the end leaves a valid shorter chain; callers compare with the bundle manifest.
    expect(verifyCustodyChain(chain(3)).problems).toEqual([]);
  });

  it('reports invalid JSON with its line', () => {
    const lines = chain(2);
    lines.push('{not json');
    lines.push(custodyLine(nextEntry(lines.at(-1)!, 3, { at: '2026-01-01T00:00:09.000Z', actor: 'examiner', action: 'a3' })));
    expect(verifyCustodyChain(lines).problems).toEqual([{ line: 3, problem: 'not valid JSON' }]);
  });

  it('notes a line cut short when written, when the entry after it records it or when it is the last line', () => {
    const lines = chain(2);
    const torn = lines[1]!.slice(0, 25);
    lines[1] = torn; // the second append stopped part-way
    // The last line: the next action records it.
    expect(verifyCustodyChain(lines)).toMatchObject({ problems: [], notes: [{ line: 2, problem: 'the last entry was cut short when it was written; the next action on the case records it' }] });
    const record = (details: Record<string, unknown>) => custodyLine(nextEntry(torn, 2, { at: '2026-01-01T00:00:05.000Z', actor: 'examiner', action: TORN_LINE_ACTION, details }));
    const recorded = [...lines, record(tornLineEntryDetails(2, torn))];
    recorded.push(custodyLine(nextEntry(recorded.at(-1)!, 3, { at: '2026-01-01T00:00:06.000Z', actor: 'examiner', action: 'a3' })));
    expect(verifyCustodyChain(recorded)).toMatchObject({ problems: [], notes: [{ line: 2, problem: 'an entry cut short when it was written, recorded by the entry at line 3' }] });
    expect(verifyCustodyChain(recorded).entries.map((e) => e.action)).toEqual(['a0', TORN_LINE_ACTION, 'a3']);
    // A record that names other bytes, or another line, does not excuse the line.
    for (const details of [tornLineEntryDetails(2, `${torn}x`), tornLineEntryDetails(1, torn)]) {
      expect(verifyCustodyChain([...lines, record(details)]).problems).toEqual([{ line: 2, problem: 'not valid JSON' }]);
    }
  });
});
