// RFC 4180 CSV writing (one row at a time, so large results stream). Reading CSV: core/formats/csvReader.ts.

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function quoted(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A field, quoted when it holds a comma, a double quote, CR or LF (inner quotes doubled); never altered otherwise. */
export function csvField(v: unknown): string {
  return quoted(cellText(v));
}

/**
 * Text a spreadsheet would take for a formula when it opens the file (OWASP's "CSV injection"): it
 * begins with = + - @, a tab or a carriage return. Folder names, message ids, subjects and user names in
 * audit records are chosen by whoever made them, an attacker included.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A row of a CSV report, ending in CRLF. The reports go to people who open them in Excel, so a text cell
 * that would be run as a formula is written with a leading apostrophe (OWASP's advice), which shows that
 * it was added; numbers are written as they are. The JSON outputs keep every value exactly.
 */
export function csvRow(values: readonly unknown[]): string {
  return values.map((v) => {
    const s = cellText(v);
    return quoted(typeof v !== 'number' && FORMULA_START.test(s) ? `'${s}` : s);
  }).join(',') + '\r\n';
}
