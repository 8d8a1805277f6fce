import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, SchemaTooNewError } from './database.ts';

describe('migrations', () => {
  it('applies every migration in order and records the version', () => {
    const db = new Database(':memory:');
    const all = loadMigrations();
    migrate(db, ':memory:', all);
    expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['case_meta', 'evidence', 'import_runs', 'events', 'access_items', 'config_snapshots', 'config_rows', 'annotations', 'event_duplicates', 'rejected_lines']));
  });

  it('applies each migration on top of the one before (an older case is upgraded)', () => {
    const all = loadMigrations();
    for (let k = 1; k <= all.length; k++) {
      const db = new Database(':memory:');
      migrate(db, ':memory:', all.slice(0, k));
      expect(db.pragma('user_version', { simple: true })).toBe(k);
      migrate(db, ':memory:', all);
      expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    }
  });

  it('refuses a database newer than the code', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 42');
    expect(() => migrate(db, 'x.sqlite')).toThrow(SchemaTooNewError);
    expect(() => migrate(db, 'x.sqlite')).toThrow(/x.sqlite: .*version 42/);
  });

  it('refuses migrations out of sequence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-mig-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1;');
    try {
      expect(() => loadMigrations(dir)).toThrow(/0003_c.sql is out of sequence/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
