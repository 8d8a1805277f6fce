// How a text encoding is named to the examiner (the CLI's import line, the event detail's source). The
// names are TextDecoder's ('utf-16le', 'windows-1251'…); the common ones read better written out.
const DISPLAY_NAMES: Record<string, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', 'windows-1252': 'Windows-1252' };

export const encodingName = (encoding: string): string => DISPLAY_NAMES[encoding] ?? encoding;
