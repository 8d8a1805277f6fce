// gaps, findings, exposure, sessions: the analysis of a case, stored with its version and inputs and
// logged in the custody chain by services/analysis.ts.
import { createWriteStream, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SEVERITIES } from '../../core/analysis/types.ts';
import type { BlindWindow, Severity } from '../../core/analysis/types.ts';
import { EXPOSURE_BLIND_HEADING, distinctSyncedFolders, exposureCsvLines } from '../../core/analysis/exposure.ts';
import { exposure, exposureItems, findings, gaps, logExposureWritten, sessions } from '../../services/analysis.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse, parseIpArg, parseIsoArg, positional, requireString } from '../args.ts';
import { writeOut } from '../output.ts';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A pair of times given as --<name>-from and --<name>-to: both or neither, the first before the second. */
function pair(cmd: string, values: Record<string, unknown>, name: string, neither: string): { start: string; end: string } | undefined {
  const start = iso(parseIsoArg(cmd, `--${name}-from`, values[`${name}-from`]));
  const end = iso(parseIsoArg(cmd, `--${name}-to`, values[`${name}-to`]));
  if ((start === undefined) !== (end === undefined)) throw new UsageError(`${cmd}: give both --${name}-from and --${name}-to, or neither${neither}.`);
  if (start !== undefined && end !== undefined && start >= end) throw new UsageError(`${cmd}: --${name}-from must be before --${name}-to.`);
  return start && end ? { start, end } : undefined;
}

/** --range-from and --range-to (gaps, findings, report). */
export function range(cmd: string, values: Record<string, unknown>): { range?: { start: string; end: string } } {
  const r = pair(cmd, values, 'range', ' (the acquired range, or the case\'s first to last event)');
  return r ? { range: r } : {};
}

export const RANGE_FLAGS = { 'range-from': { type: 'string' }, 'range-to': { type: 'string' }, 'service-accounts': { type: 'string' } } as const;

export function serviceAccounts(values: Record<string, unknown>): { serviceAccounts?: string[] } {
  const v = optionalString(values['service-accounts']);
  return v ? { serviceAccounts: v.split(',').map((s) => s.trim()).filter(Boolean) } : {};
}

export const FINDINGS_FLAGS = { 'min-severity': { type: 'string' }, 'incident-from': { type: 'string' }, 'incident-to': { type: 'string' } } as const;

/** --min-severity and --incident-from/--incident-to (findings, report). */
export function findingsScope(cmd: string, values: Record<string, unknown>): { minSeverity?: Severity; incident?: { start: string; end: string } } {
  const min = optionalString(values['min-severity']);
  if (min !== undefined && !SEVERITIES.includes(min as Severity)) throw new UsageError(`${cmd}: --min-severity must be one of ${SEVERITIES.join(', ')} (got ${min}).`);
  const incident = pair(cmd, values, 'incident', '');
  return { ...(min ? { minSeverity: min as Severity } : {}), ...(incident ? { incident } : {}) };
}

function windowLine(w: BlindWindow): string {
  return `  ${w.kind.padEnd(24)} ${w.start} → ${w.end ?? 'still open'}  [${w.confidence}] ${w.reason}`;
}

export async function gapsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('gaps', argv, { mailbox: { type: 'string' }, json: { type: 'boolean' }, 'include-silence': { type: 'boolean' }, ...RANGE_FLAGS });
  const dir = positional('gaps', positionals, 0, 'the case folder');
  const { result, runId } = gaps(dir, {
    now: new Date(), ...range('gaps', values), ...serviceAccounts(values),
    ...(values.mailbox ? { mailbox: String(values.mailbox) } : {}), includeSilence: values['include-silence'] === true,
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(`Blind windows, ${result.range.start} to ${result.range.end}: ${result.rangeNote} (analysis ${result.analysisVersion}, run ${runId})\n`);
  if (result.unseen.length > 0) {
    process.stdout.write(`\nNot known: the case has no configuration evidence for these, so no window of their kind could be found:\n${result.unseen.map((s) => `  - ${s}\n`).join('')}`);
  }
  for (const m of result.mailboxes) {
    process.stdout.write(`\n${m.upn ?? m.mailbox} (${m.accountKind})${m.windows.length === 0 ? ': no blind window found' : ''}\n`);
    for (const w of m.windows) process.stdout.write(windowLine(w) + '\n');
  }
  return EXIT.ok;
}

export async function findingsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('findings', argv, {
    json: { type: 'boolean' }, 'include-silence': { type: 'boolean' }, ...FINDINGS_FLAGS, ...RANGE_FLAGS,
  });
  const dir = positional('findings', positionals, 0, 'the case folder');
  const scope = findingsScope('findings', values);
  const { result } = findings(dir, {
    now: new Date(), ...range('findings', values), ...serviceAccounts(values), ...scope,
    includeSilence: values['include-silence'] === true,
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return EXIT.ok;
  }
  if (result.findings.length === 0) process.stdout.write('No findings at or above this severity.\n');
  for (const f of result.findings) {
    process.stdout.write(`\n[${f.severity.toUpperCase()}] ${f.title}${f.mailbox ? `  (${f.mailbox})` : ''}\n  ${f.detail.split('\n').join('\n  ')}\n`);
    if (f.related?.length) process.stdout.write(`  Related: ${f.related.join(', ')}\n`);
    if (f.remediation) process.stdout.write(`  Remediation: ${f.remediation.split('\n').join('\n               ')}\n`);
  }
  return EXIT.ok;
}

export async function exposureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('exposure', argv, {
    mailbox: { type: 'string' }, session: { type: 'string' }, ip: { type: 'string' }, app: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' }, csv: { type: 'boolean' }, out: { type: 'string' }, ...RANGE_FLAGS,
  });
  const dir = positional('exposure', positionals, 0, 'the case folder');
  if (values.json && values.csv) throw new UsageError('exposure: choose --json or --csv, not both.');
  const from = iso(parseIsoArg('exposure', '--from', values.from));
  const to = iso(parseIsoArg('exposure', '--to', values.to));
  const ip = parseIpArg('exposure', values.ip);
  const refuseExisting = (file: string) => new UsageError(`exposure --out ${file}: that file already exists.`, 'Name a new file: Blindspot never overwrites one.');
  if (values.out && existsSync(String(values.out))) throw refuseExisting(String(values.out));
  // Checked before the analysis runs (and is logged), not after it.
  if (values.out && !existsSync(dirname(resolve(String(values.out))))) {
    throw new UsageError(`exposure --out ${String(values.out)}: folder ${dirname(resolve(String(values.out)))} does not exist.`, 'Create it, or name a file in an existing folder.');
  }
  const { runId, result } = exposure(dir, {
    now: new Date(), ...range('exposure', values), ...serviceAccounts(values), mailbox: requireString('exposure', values.mailbox, '--mailbox'),
    ...(values.session ? { session: String(values.session) } : {}), ...(ip ? { ip } : {}),
    ...(values.app ? { app: String(values.app) } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}),
  });
  // The messages can number a million: they are streamed from the stored run, never held whole.
  if (values.csv || values.out) {
    const lines = Readable.from(exposureCsvLines(result, exposureItems(dir, runId)));
    if (values.out) {
      await pipeline(lines, createWriteStream(String(values.out), { flags: 'wx' })).catch((e: unknown) => {
        throw (e as NodeJS.ErrnoException).code === 'EEXIST' ? refuseExisting(String(values.out)) : e;
      });
      const searches = result.contentSearches.length > 0 ? ` and ${result.contentSearches.length} content search(es) that could reach the mailbox` : '';
      const folders = distinctSyncedFolders(result.syncedFolders).length;
      const sha256 = await logExposureWritten(dir, runId, String(values.out), result.items.count);
      process.stderr.write(`Wrote ${result.items.count} exposed messages and ${folders} synced folder${folders === 1 ? '' : 's'}${searches} to ${String(values.out)} (SHA-256 ${sha256}; in the custody log)\n`);
    } else {
      await pipeline(lines, process.stdout, { end: false });
    }
    return EXIT.ok;
  }
  if (values.json) {
    // The documented shape, with the messages as an array, written one message at a time.
    const { items, ...rest } = result;
    await writeOut(process.stdout, `${JSON.stringify({ runId, ...rest, itemCount: items.count, accessRecords: items.accessRecords }).slice(0, -1)},"items":[`);
    let first = true;
    for (const it of exposureItems(dir, runId)) {
      await writeOut(process.stdout, (first ? '' : ',') + JSON.stringify(it));
      first = false;
    }
    await writeOut(process.stdout, ']}\n');
    return EXIT.ok;
  }
  const folders = distinctSyncedFolders(result.syncedFolders);
  process.stdout.write(`Mailbox ${result.mailbox}: ${result.items.count} messages exposed by Bind (${result.items.accessRecords} accesses: each message counted once per record naming it), `
    + `${folders.length} folder${folders.length === 1 ? '' : 's'} synced${folders.length ? ` (${folders.join(', ')})` : ''} in ${result.syncedFolders.length} sync record${result.syncedFolders.length === 1 ? '' : 's'} (every item in a synced folder counts as exposed)\n`);
  for (const f of result.syncedFolders) process.stdout.write(`  SYNC  ${f.time}  ${f.folder}  session ${f.sessionId ?? '-'}  from ${f.ip ?? '-'}  ${f.client ?? ''}\n`);
  for (const it of exposureItems(dir, runId, { offset: 0, limit: 50 })) process.stdout.write(`  BIND  ${it.firstAccess}  ${it.folder ?? '-'}  ${it.internetMessageId}  x${it.accessCount}\n`);
  if (result.items.count > 50) process.stdout.write(`  … ${result.items.count - 50} more (use --csv or --json for all)\n`);
  if (result.blindWindows.length > 0) {
    process.stdout.write(`\n${EXPOSURE_BLIND_HEADING}:\n`);
    for (const w of result.blindWindows) process.stdout.write(windowLine(w) + '\n');
  }
  if (result.contentSearches.length > 0) {
    process.stdout.write('\nContent searches (eDiscovery) that could reach this mailbox: messages they exported or previewed are NOT in the list above:\n');
    for (const c of result.contentSearches) process.stdout.write(`  SEARCH  ${c.first}  "${c.name}"  ${c.actions.length ? c.actions.join(', ') : 'no export or preview recorded'}  by ${c.actors.join(', ') || '-'}  from ${c.ips.join(', ') || '-'}\n          ${c.statement}\n          evidence: ${c.evidence.join(', ')}\n`);
  }
  return EXIT.ok;
}

export async function sessionsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('sessions', argv, { mailbox: { type: 'string' }, json: { type: 'boolean' } });
  const dir = positional('sessions', positionals, 0, 'the case folder');
  const { result } = sessions(dir, { now: new Date(), mailbox: requireString('sessions', values.mailbox, '--mailbox') });
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(`Sessions touching ${result.mailbox}: ${result.sessions.length}\n`);
  for (const s of result.sessions) {
    process.stdout.write(`\n${s.firstSeen} → ${s.lastSeen}  session ${s.sessionId ?? '-'}  ip ${s.ip ?? '-'}  app ${s.appId ?? '-'}\n  ${s.clientInfo ?? ''}\n  ${s.events} events: ${s.operations.join(', ')}\n`);
    for (const si of s.signIns) {
      const how = si.when === 'before' ? 'signed in before it (may have begun it)' : 'signed in during it (cannot have begun it)';
      process.stdout.write(`  ${how}: ${si.time} ${si.operation} from ${si.ip ?? '-'}${si.resultStatus ? ` (${si.resultStatus})` : ''}  record ${si.recordId}\n`);
    }
  }
  return EXIT.ok;
}
