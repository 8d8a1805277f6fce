// RFC 4180 CSV writing (one row at a time, so large results stream). Reading CSV: core/formats/csvReader.ts.

/** A field, quoted when it holds a comma, a double quote, CR or LF (inner quotes doubled); never altered otherwise. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A row ending in CRLF. */
export function csvRow(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
