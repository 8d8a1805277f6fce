import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CustodyEntry } from '../core/custody.ts';
import { verifyCustodyChain } from '../core/custody.ts';
import { eventDetail, timeline, timelineCount, timelinePage } from '../db/timeline.ts';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { annotate, annotations, removeAnnotation } from './annotations.ts';
import { createCase, openCaseReadOnly } from './caseFolder.ts';
import { BadInputError, UsageError } from './errors.ts';
import { importFile } from './import.ts';
import { exportBundle, verify } from './bundle.ts';
import Database from 'better-sqlite3';
import { main } from '../cli/main.ts';

const tmp = useTmp('bs-annot-');
const ID = 'a1b2c3d4-0000-4000-8000-00000000abcd';

async function caseWithEvents(): Promise<string> {
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'Annotations', examiner: 'tester' });
  const src = join(tmp(), 'ual.jsonl');
  writeFileSync(src, jsonl([mailItemsAccessed(0, { id: ID }), mailItemsAccessed(1, { id: 'other-1', time: '2026-05-01T09:00:00' })]));
  await importFile(h, src);
  h.close();
  return dir;
}

const custody = (dir: string): CustodyEntry[] => verifyCustodyChain(readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n')).entries;
const table = (dir: string) => {
  const c = openCaseReadOnly(dir);
  try {
    return c.db.prepare('SELECT id, target_kind, target_id, kind, text FROM annotations ORDER BY id').all();
  } finally {
    c.close();
  }
};

describe('annotations', () => {
  it('adds tags, notes and a bookmark to an event named by its record id in any letter case, each in the custody log with what it says', async () => {
    const dir = await caseWithEvents();
    const r = annotate(dir, ID.toUpperCase(), [{ kind: 'tag', text: ' Exfil ' }, { kind: 'note', text: 'Read from 203.0.113.66.\nSee the rule.' }, { kind: 'bookmark', text: null }], new Date('2026-12-07T10:00:00Z'));
    expect(r.recordId).toBe(ID);
    expect(r.added.map((a) => [a.kind, a.text])).toEqual([['tag', 'Exfil'], ['note', 'Read from 203.0.113.66.\nSee the rule.'], ['bookmark', null]]);
    expect(r.alreadyThere).toEqual([]);
    expect(table(dir)).toEqual([
      { id: 1, target_kind: 'event', target_id: ID, kind: 'tag', text: 'Exfil' },
      { id: 2, target_kind: 'event', target_id: ID, kind: 'note', text: 'Read from 203.0.113.66.\nSee the rule.' },
      { id: 3, target_kind: 'event', target_id: ID, kind: 'bookmark', text: null },
    ]);
    const added = custody(dir).filter((e) => e.action === 'annotation-added');
    const by = { author: added[0]!.actor, createdAt: '2026-12-07T10:00:00.000Z' }; // who wrote it and when, as the database says
    expect(added.map((e) => e.details)).toEqual([
      { annotation: 1, recordId: ID, kind: 'tag', text: 'Exfil', ...by },
      { annotation: 2, recordId: ID, kind: 'note', text: 'Read from 203.0.113.66.\nSee the rule.', ...by },
      { annotation: 3, recordId: ID, kind: 'bookmark', text: null, ...by },
    ]);
    // The event detail (the UI's) carries them, oldest first; the other event none.
    const c = openCaseReadOnly(dir);
    try {
      expect(eventDetail(c.db, ID)!.annotations.map((a) => [a.id, a.kind, a.text, a.createdAt])).toEqual([
        [1, 'tag', 'Exfil', '2026-12-07T10:00:00.000Z'], [2, 'note', 'Read from 203.0.113.66.\nSee the rule.', '2026-12-07T10:00:00.000Z'], [3, 'bookmark', null, '2026-12-07T10:00:00.000Z'],
      ]);
      expect(eventDetail(c.db, 'other-1')!.annotations).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('does not add the same annotation twice (a tag in any letter case), and says which were already there', async () => {
    const dir = await caseWithEvents();
    annotate(dir, ID, [{ kind: 'tag', text: 'Exfil' }, { kind: 'bookmark', text: null }]);
    const before = custody(dir).length;
    const r = annotate(dir, ID, [{ kind: 'tag', text: 'EXFIL' }, { kind: 'bookmark', text: null }, { kind: 'tag', text: 'phish' }, { kind: 'tag', text: 'Phish' }]);
    expect(r.added.map((a) => a.text)).toEqual(['phish']);
    expect(r.alreadyThere).toEqual([{ kind: 'tag', text: 'EXFIL' }, { kind: 'bookmark', text: null }, { kind: 'tag', text: 'Phish' }]);
    expect(custody(dir)).toHaveLength(before + 1);
  });

  it('refuses an unknown record id or a bad annotation with the reason, and leaves the case as it was', async () => {
    const dir = await caseWithEvents();
    const log = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    expect(() => annotate(dir, 'no-such-record', [{ kind: 'tag', text: 'x' }])).toThrow(BadInputError);
    expect(() => annotate(dir, 'no-such-record', [{ kind: 'tag', text: 'x' }])).toThrow('annotate: no event with record id "no-such-record" in this case.');
    // One bad annotation among good ones: none is added.
    expect(() => annotate(dir, ID, [{ kind: 'tag', text: 'fine' }, { kind: 'tag', text: 'two\nlines' }])).toThrow(new UsageError('annotate: --tag "two\\nlines": a tag is one line.'));
    expect(() => annotate(dir, ID, [])).toThrow('annotate: nothing to add.');
    expect(() => removeAnnotation(dir, 42)).toThrow('annotate: no annotation 42 in this case.');
    expect(table(dir)).toEqual([]);
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(log);
  });

  it('removes one annotation; the custody log keeps what it said, who wrote it and when', async () => {
    const dir = await caseWithEvents();
    annotate(dir, ID, [{ kind: 'tag', text: 'keep' }, { kind: 'note', text: 'a wrong guess' }], new Date('2026-12-07T10:00:00Z'));
    const removed = removeAnnotation(dir, 2);
    expect(removed).toMatchObject({ id: 2, kind: 'note', text: 'a wrong guess', recordId: ID });
    expect(table(dir)).toEqual([{ id: 1, target_kind: 'event', target_id: ID, kind: 'tag', text: 'keep' }]);
    const last = custody(dir).at(-1)!;
    expect(last.action).toBe('annotation-removed');
    expect(last.details).toMatchObject({ annotation: 2, recordId: ID, kind: 'note', text: 'a wrong guess', createdAt: '2026-12-07T10:00:00.000Z' });
    expect(last.details['author']).toBe(last.actor);
  });

  it('lists them in the order of their events, of one kind or one tag in any letter case, with each event\'s time, operation, client IP and evidence line', async () => {
    const dir = await caseWithEvents();
    annotate(dir, ID, [{ kind: 'tag', text: 'Exfil' }, { kind: 'bookmark', text: null }]);
    annotate(dir, 'other-1', [{ kind: 'note', text: 'earlier' }, { kind: 'tag', text: 'benign' }]);
    const all = annotations(dir);
    expect(all.map((a) => [a.recordId, a.kind, a.text])).toEqual([['other-1', 'note', 'earlier'], ['other-1', 'tag', 'benign'], [ID, 'tag', 'Exfil'], [ID, 'bookmark', null]]);
    // Each with its event and where that record lies (what the report cites).
    const c = openCaseReadOnly(dir);
    const src = c.db.prepare('SELECT e.client_ip AS ip, v.sha256 FROM events e JOIN evidence v ON v.id = e.evidence_id WHERE e.record_id = ?').get('other-1') as { ip: string; sha256: string };
    c.close();
    expect(all[0]!.event).toEqual({
      time: '2026-05-01T09:00:00.000Z', operation: 'MailItemsAccessed', user: 'alex@contoso.com', mailbox: 'alex@contoso.com',
      clientIp: src.ip, evidence: { sha256: src.sha256, line: 2, element: null },
    });
    expect(src.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(annotations(dir, { tag: 'EXFIL' }).map((a) => a.recordId)).toEqual([ID]);
    expect(annotations(dir, { kind: 'bookmark' }).map((a) => a.id)).toEqual([2]);
  });

  it('narrow the timeline: --tag (in any letter case) and --bookmarked, with the other filters', async () => {
    const dir = await caseWithEvents();
    annotate(dir, ID, [{ kind: 'tag', text: 'Exfil' }]);
    annotate(dir, 'other-1', [{ kind: 'tag', text: 'exfil' }, { kind: 'bookmark', text: null }]);
    const c = openCaseReadOnly(dir);
    try {
      const ids = (q: Parameters<typeof timeline>[1]) => [...timeline(c.db, q)].map((r) => r.id);
      expect(ids({ tag: 'EXFIL' })).toEqual(['other-1', ID]);
      expect(ids({ tag: 'exfil', fromMs: Date.parse('2026-05-01T10:00:00Z') })).toEqual([ID]);
      expect(ids({ bookmarked: true })).toEqual(['other-1']);
      expect(ids({ tag: 'none' })).toEqual([]);
      expect(timelineCount(c.db, { tag: 'Exfil' })).toBe(2);
      // A page for the UI carries each event's marks in brief; an event with none has no marks.
      const page = timelinePage(c.db, { limit: 10 });
      expect(page.rows.map((r) => [r.id, r.marks])).toEqual([['other-1', { bookmarked: true, tags: ['exfil'], notes: 0 }], [ID, { bookmarked: false, tags: ['Exfil'], notes: 0 }]]);
      annotate(dir, ID, [{ kind: 'note', text: 'n' }]);
      expect(timelinePage(c.db, { limit: 10 }).rows[1]!.marks).toEqual({ bookmarked: false, tags: ['Exfil'], notes: 1 });
    } finally {
      c.close();
    }
  });

  it('verify names a note changed in the case database outside Blindspot, and export refuses the case so', async () => {
    const dir = await caseWithEvents();
    annotate(dir, ID, [{ kind: 'note', text: 'Read by the attacker.' }, { kind: 'tag', text: 'exfil' }]);
    removeAnnotation(dir, 2);
    expect((await verify(dir)).problems).toEqual([]);
    // Someone edits the note with the sqlite3 shell.
    const db = new Database(join(dir, 'case.sqlite'));
    db.prepare("UPDATE annotations SET text = 'Not read.' WHERE id = 1").run();
    db.close();
    const want = [{ kind: 'custody', path: 'annotations #1', detail: expect.stringMatching(/^the case database holds note "Not read\." on record a1b2c3d4-0000-4000-8000-00000000abcd; the custody log \(line \d+\) recorded note "Read by the attacker\." on record a1b2c3d4/) }];
    expect((await verify(dir)).problems).toEqual(want);
    const bundle = join(tmp(), 'b.zip');
    // Export runs verify's checks: a bundle its recipient's verify would fail is not written.
    await expect(exportBundle(dir, bundle)).rejects.toThrow(/^CUSTODY annotations #1: the case database holds note "Not read\." .*\. Refusing to export\.$/);
    expect(existsSync(bundle)).toBe(false);
  });

  it('from the command line: annotate and annotations, with exit codes for what is refused', async () => {
    const dir = await caseWithEvents();
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const o = process.stdout.write; const e = process.stderr.write;
      process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
      process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
      try {
        return { code: await main(args), out: out.join(''), err: err.join('') };
      } finally {
        process.stdout.write = o; process.stderr.write = e;
      }
    };
    const added = await run('annotate', dir, ID, '--tag', 'Exfil', '--note', 'two\nlines', '--bookmark');
    expect(added.code).toBe(0);
    expect(added.out).toBe(`Added tag 1 "Exfil" to event ${ID}\nAdded note 2 "two ⏎ lines" to event ${ID}\nAdded bookmark 3 to event ${ID}\n`);
    const listed = await run('annotations', dir, '--kind', 'tag', '--json');
    expect(listed.code).toBe(0);
    expect(listed.out.trim().split('\n').map((l) => JSON.parse(l) as { id: number; text: string })).toMatchObject([{ id: 1, text: 'Exfil' }]);
    expect((await run('annotate', dir, 'nope', '--tag', 'x')).code).toBe(3);
    expect((await run('annotate', dir, ID)).code).toBe(2);
    expect((await run('annotate', dir, ID, '--remove', '1')).code).toBe(2); // --remove takes the annotation id alone
    expect((await run('annotations', dir, '--kind', 'flag')).code).toBe(2);
    const removed = await run('annotate', dir, '--remove', '1');
    expect([removed.code, removed.out]).toEqual([0, `Removed annotation 1 (tag "Exfil") from event ${ID}; the custody log keeps what it said.\n`]);
  });
});
