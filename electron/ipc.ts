// The one checking function every request from the UI goes through, whichever way it arrives (Electron
// IPC from the sandboxed window, or POST /api/<name> on the local web bridge). It imports no electron
// and no database, so it is unit-tested under Node with hostile input: it checks the caller, checks
// that the name is a known ApiName, parses the arguments with the contract's schema, calls the handler
// and turns every failure into data (`ApiResult`), never into an exception that crosses the boundary.
import { API_SCHEMAS, ApiProblem } from '../core/api.ts';
import type { Api, ApiError, ApiName, ApiResult } from '../core/api.ts';

/** The handler map derived from the contract: one function per ApiName, taking the parsed arguments. */
export type ApiHandlers = { [K in ApiName]: (args: Parameters<Api[K]>[0]) => ReturnType<Api[K]> };

/** The origin the Electron window loads the UI from (a privileged custom scheme, see electron/main.ts). */
export const APP_SCHEME = 'blindspot';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

export { IPC_CHANNEL } from './channels.ts';

export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.hasOwn(API_SCHEMAS, name);
}

/** True for a URL on the app's own origin (blindspot://app/...), the only place the window may be. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

/**
 * True only for the app's own page in a top-level frame: `blindspot://app/...`. Anything else (a
 * remote page the window was somehow navigated to, a subframe, file://, devtools) is refused.
 */
export function isTrustedSender(sender: { url: string | undefined | null; isMainFrame: boolean }): boolean {
  return sender.isMainFrame && typeof sender.url === 'string' && isAppUrl(sender.url);
}

function fail(kind: ApiError['kind'], message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { kind, message } };
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export type CheckedRequest = { ok: true; name: ApiName; args: unknown } | { ok: false; error: ApiError };

/** Validates a request's name and arguments against the contract without calling anything. */
export function checkRequest(name: unknown, args: unknown): CheckedRequest {
  if (!isApiName(name)) {
    return fail('BadRequest', `Unknown API call${typeof name === 'string' ? ` '${name.slice(0, 64)}'` : ''}.`);
  }
  const input = args === undefined ? {} : args;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail('BadRequest', `${name}: arguments must be an object.`);
  }
  const parsed = API_SCHEMAS[name].safeParse(input);
  if (!parsed.success) return fail('BadRequest', `${name}: ${describeIssues(parsed.error.issues)}`);
  return { ok: true, name, args: parsed.data };
}

/** Checks, calls and converts: the result is always an ApiResult, whatever the handler does. */
export async function callApi(handlers: ApiHandlers, name: unknown, args: unknown): Promise<ApiResult<unknown>> {
  const checked = checkRequest(name, args);
  if (!checked.ok) return checked;
  try {
    // The name was checked against the contract; the handler table is indexed only by that name.
    const handler = handlers[checked.name] as (a: unknown) => Promise<unknown>;
    const value = await handler(checked.args);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ApiProblem) return fail(e.kind, e.message);
    const message = e instanceof Error ? e.message : String(e);
    return fail('Internal', `${checked.name} failed: ${message}`);
  }
}

/** The Electron IPC entry: refuses foreign senders, then the same check and call as the web bridge. */
export async function handleIpc(
  handlers: ApiHandlers,
  sender: { url: string | undefined | null; isMainFrame: boolean },
  name: unknown,
  args: unknown,
): Promise<ApiResult<unknown>> {
  if (!isTrustedSender(sender)) return fail('Unauthorized', 'Refused: the request did not come from the Blindspot window.');
  return callApi(handlers, name, args);
}

/**
 * The Content-Security-Policy of every UI response, in Electron and on the web bridge: only the app's
 * own scripts, styles and API; no remote origin, no inline script, no eval, no framing, no forms.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
