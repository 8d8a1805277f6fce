import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import Database, { databasePath } from './sqlite.ts';

const tmp = useTmp('bs-sqlite-');

describe('db/sqlite.ts', () => {
  it('loads better-sqlite3 with URI filenames on, in a process that did not ask for them, so an immutable open works', () => {
    const file = join(tmp(), 'x.sqlite');
    const db = new Database(file);
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES (42);');
    db.close();
    const env = { ...process.env };
    delete env['SQLITE_USE_URI'];
    const script = `
      const { default: Database, databasePath } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'sqlite.ts')).href)});
      const db = new Database(${JSON.stringify(`${pathToFileURL(file).href}?immutable=1`)}, { readonly: true, fileMustExist: true });
      console.log(JSON.stringify({ v: db.prepare('SELECT v FROM t').pluck().get(), path: databasePath(db) }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ v: 42, path: file });
  });

  it('gives the file of a connection opened by path or by URI', () => {
    expect(databasePath({ name: '/cases/a b/case.sqlite' })).toBe('/cases/a b/case.sqlite');
    expect(databasePath({ name: `${pathToFileURL('/cases/a b#?/case.sqlite').href}?immutable=1` })).toBe('/cases/a b#?/case.sqlite');
  });
});
