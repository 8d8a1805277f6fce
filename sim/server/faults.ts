// Fault injection. Two sources: rules a test scripts through the handle (`inject`), and a random schedule
// (`flaky`/`hostile`) drawn from a seeded generator so a run is reproducible for a client that makes the
// same requests in the same order. Every fault is detectable by a correct client (status code, reset
// connection, unparseable body, ResultIndex -1, repeated Id) and none advances server-side state, so
// retrying the same request gets the data the fault withheld.
import { createHash } from 'node:crypto';
import { FAULT_429_NO_RETRY_AFTER_SHARE, FAULT_KEYED_RATE, FAULT_MAX_CONSECUTIVE, FAULT_RATE } from './assumptions.ts';
import { Rng } from '../scenario/rng.ts';

/** Faults applied by the router before the request reaches an API. */
export type GenericFaultKind = '429' | '503' | 'reset' | 'slow' | 'truncate' | '403nul' | 'exoTransient';
/** Faults an API applies itself where they make sense (a page of records, a SUAL session call). */
export type SpecialFaultKind = 'duplicate' | 'sessionTimeout';
export type FaultKind = GenericFaultKind | SpecialFaultKind;

export interface FaultRule {
  /** Matched against the request path + query (e.g. /InvokeCommand/, /auditLog\/queries\/.+\/records/). */
  path?: RegExp;
  method?: string;
  kind: FaultKind;
  /** How many requests this rule hits; default 1. Infinity for every matching request. */
  count?: number;
  /** Matching requests let through before the rule starts hitting; default 0. */
  after?: number;
  /** Seconds for Retry-After on 429 (Exchange gets it as a decimal string). Default 1. */
  retryAfter?: number;
  /**
   * A 429 from Graph or the Management API without Retry-After: Graph often omits it (§2.5) and the
   * Management API does not document it (§3.4). Ignored for Exchange, which sends it (§4.7).
   */
  omitRetryAfter?: boolean;
  /** Delay for 'slow', in ms. Default 1500. */
  delayMs?: number;
  /** For 'exoTransient': the HTTP status sent with the transient exception (default EXO_TRANSIENT_STATUS). */
  status?: number;
  /** For 'exoTransient': the exception named in the body (default DCOverloadedException). */
  exception?: string;
  /** For 'duplicate': how many records of the previous page to repeat. Default 3. */
  duplicates?: number;
}

export interface AppliedFault {
  seq: number;
  kind: FaultKind;
  method: string;
  path: string;
  source: 'rule' | 'random';
  /** For a 429: false when the answer carried no Retry-After. */
  retryAfter?: boolean;
  /** For 'duplicate' where the API says how many it could repeat: the copies sent. */
  copies?: number;
}

/** How an API asks for a special fault. */
export interface SpecialOptions {
  /**
   * Decide the random fault from the seed and this key rather than from the request-order stream, so the
   * same resource is faulted the same way however often and in whatever order it is fetched (a Management
   * API content blob is immutable: its repeats must be there every time it is read).
   */
  key?: string;
  /**
   * For 'duplicate': how many records there are to repeat; the log records min(duplicates, available). A
   * function is called only when a fault is recorded, so a costly count is paid for only then.
   */
  available?: number | (() => number);
}

export type ApiFamily = 'graph' | 'exchange' | 'manage' | 'identity' | 'sim';

export interface FaultController {
  /** Adds a rule; returns its id. Rules are tried in the order added. */
  inject(rule: FaultRule): number;
  remove(id: number): void;
  clear(): void;
  /** Faults applied so far (tests assert their client saw and recovered from each). */
  readonly log: readonly AppliedFault[];
  /** Router: the generic fault for this request, if any. */
  takeGeneric(method: string, path: string, api: ApiFamily): (FaultRule & { kind: GenericFaultKind }) | null;
  /** API: whether to apply a special fault to this request. */
  takeSpecial(kind: SpecialFaultKind, method: string, path: string, o?: SpecialOptions): FaultRule | null;
}


const RANDOM_GENERIC: GenericFaultKind[] = ['429', '503', 'reset', 'slow', 'truncate'];

/** Whether the router sends this 429 without Retry-After: only Graph and the Management API omit it. */
export function omitsRetryAfter(f: FaultRule, api: ApiFamily): boolean {
  return f.kind === '429' && f.omitRetryAfter === true && (api === 'graph' || api === 'manage');
}

export function createFaultController(mode: 'none' | 'flaky' | 'hostile', seed: number): FaultController {
  const rules = new Map<number, FaultRule & { remaining: number; skip: number }>();
  const log: AppliedFault[] = [];
  let nextId = 1;
  let seq = 0;
  let consecutive = 0;
  const rng = new Rng('faults', seed);
  const rand = (): number => rng.next();
  const rate = FAULT_RATE[mode];

  const matches = (r: FaultRule, method: string, path: string): boolean =>
    (!r.method || r.method.toUpperCase() === method.toUpperCase()) && (!r.path || r.path.test(path));

  const record = (kind: FaultKind, method: string, path: string, source: 'rule' | 'random', extra: Partial<AppliedFault> = {}): void => {
    log.push({ seq: ++seq, kind, method, path, source, ...extra });
  };

  /** The first scripted rule that hits this request (counted as used; the caller logs the fault it sends). */
  const fromRules = (pred: (k: FaultKind) => boolean, method: string, path: string): FaultRule | null => {
    for (const [id, r] of rules) {
      if (!pred(r.kind) || !matches(r, method, path)) continue;
      if (r.skip > 0) { r.skip -= 1; continue; }
      r.remaining -= 1;
      if (r.remaining <= 0) rules.delete(id);
      return r;
    }
    return null;
  };

  return {
    inject(rule) {
      const id = nextId++;
      rules.set(id, { ...rule, remaining: rule.count ?? 1, skip: rule.after ?? 0 });
      return id;
    },
    remove(id) { rules.delete(id); },
    clear() { rules.clear(); },
    get log() { return log; },
    takeGeneric(method, path, api) {
      const special = (k: FaultKind): boolean => k === 'duplicate' || k === 'sessionTimeout';
      // Only Exchange answers with a transient exception (§4.7): scripted for another API, it is sent, and
      // logged, as the plain 503 it becomes there.
      const asSent = (f: FaultRule): FaultRule & { kind: GenericFaultKind } =>
        (f.kind === 'exoTransient' && api !== 'exchange' ? { ...f, kind: '503', retryAfter: 1 } : f) as FaultRule & { kind: GenericFaultKind };
      const r = fromRules((k) => !special(k), method, path);
      if (r) {
        const sent = asSent(r);
        record(sent.kind, method, path, 'rule', sent.kind === '429' ? { retryAfter: !omitsRetryAfter(sent, api) } : {});
        return sent;
      }
      // Random faults spare the identity endpoints (MSAL caches a 429 per request thumbprint, §1.7), except
      // in hostile mode a token request may get a 429 with Retry-After (§1.7, §6.1 test hooks).
      const tokenRequest = api === 'identity' && mode === 'hostile' && method.toUpperCase() === 'POST' && /\/oauth2\/v2\.0\/token(\?|$)/.test(path);
      if (rate === 0 || api === 'sim' || (api === 'identity' && !tokenRequest)) return null;
      const roll = rand();
      const pick = rand();
      if (roll >= rate || consecutive >= FAULT_MAX_CONSECUTIVE) {
        consecutive = 0;
        return null;
      }
      consecutive += 1;
      const slot = pick * RANDOM_GENERIC.length;
      const drawn = RANDOM_GENERIC[Math.floor(slot)] ?? '503';
      // Half the Exchange 503s become a transient exception retryable by its body, not its status (§4.7).
      const kind: GenericFaultKind = tokenRequest ? '429' : drawn === '503' && api === 'exchange' && slot % 1 < 0.5 ? 'exoTransient' : drawn;
      // Where in its slot `pick` fell decides, without another draw (the schedule of kinds stays as it
      // was for a seed), whether a Graph or Management 429 omits Retry-After: about half of them do.
      const f: FaultRule & { kind: GenericFaultKind } = { kind, retryAfter: 1, delayMs: 200 + Math.floor(pick * 800), omitRetryAfter: slot % 1 < FAULT_429_NO_RETRY_AFTER_SHARE };
      record(kind, method, path, 'random', kind === '429' ? { retryAfter: !omitsRetryAfter(f, api) } : {});
      return f;
    },
    takeSpecial(kind, method, path, o = {}) {
      const available = o.available;
      const copies = (n: number): Partial<AppliedFault> => (kind === 'duplicate' && available !== undefined ? { copies: Math.min(n, typeof available === 'function' ? available() : available) } : {});
      const r = fromRules((k) => k === kind, method, path);
      if (r) {
        record(kind, method, path, 'rule', copies(r.duplicates ?? 3));
        return r;
      }
      if (rate === 0) return null;
      if (o.key !== undefined) {
        const h = createHash('sha256').update(`${seed}|${kind}|${o.key}`).digest();
        if (h.readUInt32BE(0) / 2 ** 32 >= FAULT_KEYED_RATE[mode]) return null;
        const duplicates = 1 + (h[4]! % 3);
        record(kind, method, path, 'random', copies(duplicates));
        return { kind, duplicates };
      }
      if (rand() >= rate / 2) return null;
      record(kind, method, path, 'random', copies(3));
      return { kind, duplicates: 3 };
    },
  };
}
