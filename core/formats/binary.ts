// Files that are not text at all, known by their first bytes: the containers and documents audit
// exports are often sent in. Named so the refusal says what the file is and what to do, instead of
// reading binary as a CSV header.

export interface NotText {
  /** What the file is, as a noun phrase ("a zip archive"). */
  what: string;
  /** What to do instead. */
  advice: string;
}

const startsWith = (b: Uint8Array, bytes: readonly number[], at = 0): boolean => bytes.every((x, i) => b[at + i] === x);

/** The name of a zip's first entry (its local file header), or null. */
function firstZipEntry(b: Uint8Array): string | null {
  if (b.length < 30) return null;
  const nameLength = b[26]! | (b[27]! << 8);
  return b.length < 30 + nameLength ? null : new TextDecoder().decode(b.subarray(30, 30 + nameLength));
}

const magic = (text: string, ...more: number[]): number[] => [...new TextEncoder().encode(text), ...more];
const SQLITE = magic('SQLite format 3', 0);
const EVTX = magic('ElfFile', 0);

const UNPACK = 'Import cannot read inside it: unpack it and import what it holds (a folder can be imported whole); the files unpacked become the evidence, so keep the archive and note its SHA-256 too.';

export function notText(head: Uint8Array): NotText | null {
  if (startsWith(head, [0x1f, 0x8b])) {
    return { what: 'a gzip-compressed file', advice: 'Decompress it (gunzip -k keeps the .gz) and import the file it holds; the file decompressed becomes the evidence, so keep the .gz and note its SHA-256 too.' };
  }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    const first = firstZipEntry(head) ?? '';
    if (first === '[Content_Types].xml' || first.startsWith('xl/') || first.startsWith('docProps/')) {
      return {
        what: 'an Excel workbook (.xlsx)',
        advice: 'Import the CSV as Purview or PowerShell wrote it, if you have it (a file opened and saved in Excel is changed). If the workbook is all you received, keep it as the evidence and import a copy saved from Excel as "CSV UTF-8".',
      };
    }
    return { what: 'a zip archive', advice: UNPACK };
  }
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return { what: 'a 7-Zip archive', advice: UNPACK };
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    return { what: 'an Office document in the old binary format (.xls, .doc or an Outlook .msg)', advice: 'Import the audit export itself (JSON or CSV); an .xls workbook can be saved from Excel as "CSV UTF-8", keeping the workbook as the evidence received.' };
  }
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return { what: 'a PDF document', advice: 'A report in PDF holds no records to import; ask for the export it was made from (JSON or CSV).' };
  if (startsWith(head, SQLITE)) {
    return { what: 'an SQLite database', advice: 'A Blindspot case is opened with its folder (blindspot case info <folder>), not imported; another tool\'s database holds no export Blindspot reads.' };
  }
  if (startsWith(head, EVTX)) return { what: 'a Windows event log (.evtx)', advice: 'Blindspot reads Microsoft 365 audit exports (JSON or CSV), not Windows event logs.' };
  return null;
}
