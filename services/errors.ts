// Errors a person can act on. Each carries the exit code the CLI uses (documented in the README).
import { tmpdir } from 'node:os';

export const EXIT = {
  ok: 0,
  failure: 1,          // the operation ran but found a problem (verify: something altered; acquisition: incomplete)
  usage: 2,            // bad command line
  badInput: 3,         // a file or value the user supplied is unusable (unknown format, malformed record)
  caseProblem: 4,      // the case folder is missing, locked, newer than this Blindspot, or damaged; or no disk space
  remote: 5,           // the tenant or the network refused (sign-in, permission; acquisition: a slice refused 401/403)
  interrupted: 130,    // stopped by Ctrl-C or SIGTERM (acquisition and import keep what was done; export and verify leave nothing)
  internal: 70,
} as const;

export class BlindspotError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BlindspotError';
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.hint = opts.hint;
  }
}

export class UsageError extends BlindspotError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.usage, hint });
    this.name = 'UsageError';
  }
}

export class BadInputError extends BlindspotError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.badInput, hint });
    this.name = 'BadInputError';
  }
}

/** What was named is not in the case (an event, an annotation, a mailbox): the API answers NotFound. */
export class NotFoundError extends BadInputError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'NotFoundError';
  }
}

export class CaseError extends BlindspotError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: EXIT.caseProblem, hint, cause });
    this.name = 'CaseError';
  }
}

/**
 * SQLite's message when a database file is damaged (SQLITE_CORRUPT: a page that does not read as it
 * should; SQLITE_NOTADB: not a database at all), from the error or the error it wraps; else null.
 */
export function databaseDamage(e: unknown): string | null {
  for (let x = e; x instanceof Error; x = x.cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) return x.message;
  }
  return null;
}

/** Whether an error is a full disk or an exhausted quota, as the file system or SQLite reports it. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/**
 * A raw failure that is the case's problem and not a bug, as a CaseError: a full disk met in a step no
 * caller named itself (the step's transaction left the case as it was before it), a case database
 * locked by another process's write past the wait, or one damaged past its first page. Null for anything else.
 */
export function asCaseProblem(e: unknown): CaseError | null {
  if (isDiskFull(e)) {
    return new CaseError(
      `no space left on the disk (${(e as Error).message}); the step being written was not kept (each is one transaction; steps before it stay).`,
      `Free space on the disk that holds the case (and in the temporary folder, ${tmpdir()}), then run it again.`, e,
    );
  }
  // Readers wait 5 s for a lock and are refused at open with the writer's pid (caseBusyError); a query
  // can still meet the lock later, when another process began a bulk load (it keeps the database to
  // itself while it loads) after this one opened the case.
  if ((e as { code?: unknown } | null)?.code === 'SQLITE_BUSY') {
    return new CaseError(
      `the case database is locked by another process writing it (${(e as Error).message}); a large import keeps it to itself while it loads.`,
      'Run it again when that has finished; this step was not kept.', e,
    );
  }
  const damage = databaseDamage(e);
  return damage === null ? null : new CaseError(`the case database is damaged (${damage}).`, DAMAGED_DATABASE_HINT, e);
}

/** What a command says, for any case, when the case database is damaged. */
export const DAMAGED_DATABASE_HINT = 'Run: blindspot verify <case> to see what else is affected (the evidence files are separate and are checked by their hashes); restore case.sqlite from a backup of the case, or from the case.sqlite in a bundle exported earlier.';
