// Small HTTP helpers shared by the emulator's handlers: bodies, JSON replies, typed errors.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the emulator accepts (the real services reject far smaller bodies than this). */
const MAX_BODY = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function parseForm(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out[k] = v;
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Writes a body made of string chunks with back-pressure; used for record pages. */
export async function writeChunks(res: ServerResponse, chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) {
    if (!res.write(c)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { res.off('close', onClose); resolve(); };
        const onClose = (): void => { res.off('drain', onDrain); reject(new Error('client went away')); };
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
    }
  }
  res.end();
}

/** An error that the API layer turns into that API's own error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function isGuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

/** Parses a JSON body; returns undefined for an empty body, throws ApiError(400) for bad JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'BadRequest', 'The request body is not valid JSON.');
  }
}
