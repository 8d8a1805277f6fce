// The one typed API contract between the UI and the workstation. The Electron preload bridge, the
// main-process handler registry, the local web bridge used for browser tests and the renderer client
// are all typed from `Api`. Arguments are validated with the zod schemas below at every boundary.
import { ANNOTATION_KINDS, NOTE_MAX, TAG_MAX } from './annotations.ts';
import type { AnnotationKind } from './annotations.ts';
import { normaliseIp } from './ip.ts';
import { hasSearchWords } from './search.ts';
import { z } from 'zod';
import type { AccountKind, BlindWindow, Severity } from './analysis/types.ts';
import type { ExposedItem, ExposureResult } from './analysis/exposure.ts';

export const CaseOpenArgs = z.object({ dir: z.string().min(1) });

const IpArg = z.string().max(64)
  .refine((t) => t.trim() === '' || normaliseIp(t) !== null, 'Not an IP address: give an IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::4e.');

export const TimelineArgs = z.object({
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  user: z.string().max(512).optional(),
  mailbox: z.string().max(512).optional(),
  operations: z.array(z.string().max(128)).max(50).optional(),
  ip: IpArg.optional(),
  session: z.string().max(256).optional(),
  /** An app id: AppId (a sign-in's ApplicationId) or ClientAppId. */
  app: z.string().max(256).optional(),
  text: z.string().max(1024)
    .refine((t) => t.trim() === '' || hasSearchWords(t), 'The text to search for has no letter or digit (punctuation is not indexed): type a word.')
    .optional(),
  /** Events the examiner tagged so (in any letter case), or bookmarked. */
  tag: z.string().max(TAG_MAX).optional(),
  bookmarked: z.boolean().optional(),
  /** The latest events first. */
  newestFirst: z.boolean().optional(),
  /** Keyset paging: rows strictly after this (timeMs, id) position in the order asked for. */
  after: z.object({ timeMs: z.number().int(), id: z.number().int() }).optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});

export const EventArgs = z.object({ id: z.string().min(1).max(256) });

/** The summary of the case the window or web bridge is bound to: no arguments. */
export const CaseSummaryArgs = z.object({});

/** The same filters as TimelineArgs, without paging: how many events match. */
export const TimelineCountArgs = TimelineArgs.omit({ after: true, limit: true, newestFirst: true });

export interface CaseSummary {
  dir: string;
  name: string;
  number: string | null;
  client: string | null;
  examiner: string;
  timeZone: string;
  createdAt: string;
  events: number;
  evidenceItems: number;
  mailboxes: number;
  firstEvent: string | null;
  lastEvent: string | null;
}

/** What a window gets: the summary and the case's change version when it was read (case.changed carries the same measure). */
export interface CaseView extends CaseSummary {
  version: number;
}

export interface TimelineEntry {
  id: string;
  rowId: number;
  timeMs: number;
  time: string;
  recordType: number | null;
  recordTypeName: string | null;
  operation: string | null;
  workload: string | null;
  user: string | null;
  mailbox: string | null;
  clientIp: string | null;
  sessionId: string | null;
  appId: string | null;
  resultStatus: string | null;
  /** Where the record lies in its evidence file: the line, and the 0-based element of the JSON array holding it (a Graph or API page, an array export). */
  evidence: EvidenceLocation;
  /** The examiner's annotations on the event, in brief (timeline pages for the UI only; absent when none). */
  marks?: EventMarks;
}

/** An event's annotations in brief: whether it is bookmarked, its tags, how many notes. */
export interface EventMarks {
  bookmarked: boolean;
  tags: string[];
  notes: number;
}

export interface EvidenceLocation {
  sha256: string;
  line: number | null;
  element: number | null;
}

export interface TimelinePage {
  rows: TimelineEntry[];
  /** Position to pass as `after` for the next page; null at the end. */
  next: { timeMs: number; id: number } | null;
}

export interface EventDetail extends TimelineEntry {
  auditData: unknown;
  items: { folderPath: string | null; internetMessageId: string | null; accessType: string | null; sizeBytes: number | null }[];
  /**
   * The evidence file the record was taken from: an imported file (its original path) or an acquired
   * answer (the request URL); `encoding` is how its text was read when that was not UTF-8.
   */
  evidenceFile: { source: string; format: string | null; origin: string | null; encoding: string | null };
  /** The same record received again (another source, an overlapping export or slice), kept as counted duplicates; the first EVENT_COPIES_SHOWN. */
  /** `differs`: where a copy says something else than the record kept (time, operation, user, mailbox, client IP), its own values; null when it agrees. */
  copies: (EvidenceLocation & { format: string | null; origin: string | null; differs: Record<string, string | null> | null })[];
  copiesTotal: number;
  /** The examiner's tags, notes and bookmarks on the event, oldest first (blindspot annotate; not evidence). */
  annotations: { id: number; kind: AnnotationKind; text: string | null; author: string; createdAt: string }[];
}

/**
 * The examiner annotates the event shown (core/annotations.ts says what a tag and a note may hold; the
 * handler checks it again). Each one added or removed is in the custody log, as from the command line.
 */
export const AnnotationAddArgs = z.object({
  id: z.string().min(1).max(256),
  kind: z.enum(ANNOTATION_KINDS),
  text: z.string().max(NOTE_MAX * 2).nullable(),
}).strict();
export const AnnotationRemoveArgs = z.object({ id: z.string().min(1).max(256), annotationId: z.number().int().positive() }).strict();

/**
 * The event's annotations after a change, its marks for the timeline row, and the case's change version
 * before and after it: a window whose summary was at `versionBefore` is up to date at `versionAfter`.
 */
export interface AnnotationsView {
  annotations: EventDetail['annotations'];
  marks: EventMarks | null;
  versionBefore: number;
  versionAfter: number;
}

/** Writes the case report (blindspot report, its defaults) into the case's reports folder: no arguments. */
export const ReportWriteArgs = z.object({}).strict();

/** Where the report went, its SHA-256 (also in the custody log), and the case's change version before and after (as AnnotationsView). */
export interface ReportWrittenView { path: string; bytes: number; sha256: string; versionBefore: number; versionAfter: number }

/** How many of an event's copies event.get lists. */
export const EVENT_COPIES_SHOWN = 50;

/**
 * - Empty: the case holds nothing the call can work on yet (no events to analyse): a state of the case to
 *   show as such, which trying again cannot change until the case does.
 * - Unauthorized: the caller may not use the API at all (the page's session key is missing or not this
 *   run's, the request came from another window): nothing this window asks will be answered.
 */
export type ApiError = { kind: 'NotFound' | 'BadRequest' | 'Empty' | 'Unauthorized' | 'CaseProblem' | 'Internal'; message: string };
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Where auditing was blind, per mailbox (the `gaps` analysis, computed for display and not stored). */
export const GapsArgs = z.object({}).strict();

export interface GapsView {
  analysisVersion: string;
  range: { start: string; end: string };
  /** Where the range comes from (the acquired range in the completeness ledger, or the first and last event). */
  rangeNote: string;
  mailboxes: { mailbox: string; upn: string | null; accountKind: AccountKind; windows: BlindWindow[] }[];
  /** What could not be known for want of configuration evidence (no window of those kinds could be found). */
  unseen: string[];
}

/** The findings of the case (the `findings` analysis with its defaults, computed for display and not stored). */
export const FindingsArgs = z.object({}).strict();

/**
 * What a finding cites: an event (opened in the window by its record id; its time, operation and user, null
 * when the case does not hold it), a row of a configuration export
 * (which export, whose row, the time it describes, and its evidence file and line to cite), or a slice of
 * the acquisition's completeness ledger.
 */
export type FindingEvidence =
  | { kind: 'event'; recordId: string; time: string | null; operation: string | null; user: string | null }
  | { kind: 'config'; text: string; sha256: string | null; line: number | null }
  | { kind: 'ledger'; text: string };

export interface FindingEntry {
  id: string;
  severity: Severity;
  kind: string;
  mailbox: string | null;
  title: string;
  detail: string;
  /** PowerShell for the tenant's administrator; empty when there is nothing to undo. */
  remediation: string;
  evidence: FindingEvidence[];
  /** Ids of the findings that hold related evidence (among those listed). */
  related: string[];
}

export interface FindingsView { analysisVersion: string; generatedAt: string; findings: FindingEntry[] }

/**
 * Computes the messages of a mailbox exposed in a scope (blindspot exposure): a stored run in the case,
 * logged in the custody log, as from the command line. Empty strings are no filter.
 */
export const ExposureComputeArgs = z.object({
  mailbox: z.string().trim().min(1, 'Name the mailbox: its address, or an alias known from Get-Mailbox.').max(512),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  ip: IpArg.optional(),
  session: z.string().max(256).optional(),
  app: z.string().max(256).optional(),
}).strict();

/** The run computed, and the case's change version before and after (as AnnotationsView). */
export interface ExposureView { runId: number; result: ExposureResult; versionBefore: number; versionAfter: number }

/** A page of an exposure run's messages, in the order of their Internet message ids. */
export const ExposureItemsArgs = z.object({ runId: z.number().int().positive(), offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000) }).strict();

export type Api = {
  'case.open': (a: z.input<typeof CaseOpenArgs>) => Promise<CaseView>;
  'timeline.query': (a: z.input<typeof TimelineArgs>) => Promise<TimelinePage>;
  'event.get': (a: z.input<typeof EventArgs>) => Promise<EventDetail>;
  'case.summary': (a: z.input<typeof CaseSummaryArgs>) => Promise<CaseView>;
  'timeline.count': (a: z.input<typeof TimelineCountArgs>) => Promise<{ count: number }>;
  'gaps.get': (a: z.input<typeof GapsArgs>) => Promise<GapsView>;
  'annotation.add': (a: z.input<typeof AnnotationAddArgs>) => Promise<AnnotationsView>;
  'annotation.remove': (a: z.input<typeof AnnotationRemoveArgs>) => Promise<AnnotationsView>;
  'report.write': (a: z.input<typeof ReportWriteArgs>) => Promise<ReportWrittenView>;
  'findings.get': (a: z.input<typeof FindingsArgs>) => Promise<FindingsView>;
  'exposure.compute': (a: z.input<typeof ExposureComputeArgs>) => Promise<ExposureView>;
  'exposure.items': (a: z.input<typeof ExposureItemsArgs>) => Promise<{ items: ExposedItem[] }>;
};

export type ApiName = keyof Api;

export type { ApiEventName, ApiEvents, ApiPush } from './apiEvents.ts';

export const API_SCHEMAS: { [K in ApiName]: z.ZodType } = {
  'case.open': CaseOpenArgs,
  'timeline.query': TimelineArgs,
  'event.get': EventArgs,
  'case.summary': CaseSummaryArgs,
  'timeline.count': TimelineCountArgs,
  'gaps.get': GapsArgs,
  'annotation.add': AnnotationAddArgs,
  'annotation.remove': AnnotationRemoveArgs,
  'report.write': ReportWriteArgs,
  'findings.get': FindingsArgs,
  'exposure.compute': ExposureComputeArgs,
  'exposure.items': ExposureItemsArgs,
};

const API_ERROR_KINDS: readonly ApiError['kind'][] = ['NotFound', 'BadRequest', 'Empty', 'Unauthorized', 'CaseProblem', 'Internal'];

/** Thrown by a handler for a failure the caller should see as `{ ok: false, error: { kind, message } }`. */
export class ApiProblem extends Error {
  readonly kind: ApiError['kind'];
  constructor(kind: ApiError['kind'], message: string) {
    super(message);
    this.name = 'ApiProblem';
    this.kind = API_ERROR_KINDS.includes(kind) ? kind : 'Internal';
  }
}
