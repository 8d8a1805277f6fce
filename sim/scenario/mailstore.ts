// Deterministic mailbox contents: folder ids and messages are pure functions of (seed, mailbox,
// folder, message number), so any day can name the same message without shared state.
import { hash32, hex8 } from './rng.ts';

export const FOLDERS = ['Inbox', 'Sent Items', 'Drafts', 'Deleted Items', 'Archive', 'Projects', 'Invoices', 'Clients'] as const;
export const F_INBOX = 0;
export const F_SENT = 1;
export const F_DELETED = 3;
export const F_ARCHIVE = 4;

/** Messages numbered per (mailbox, folder); message n arrived on absolute day floor(n / PER_DAY). */
export const PER_DAY = 1000;

const SUBJECTS = ['Quarterly forecast', 'RE: Invoice 4471', 'Team lunch Friday', 'Contract draft v3', 'FW: Shipping delay', 'Board pack', 'RE: Budget approval', 'Wire transfer details', 'Customer escalation', 'Weekly status', 'Updated banking details', 'Holiday rota', 'RE: Purchase order 8812', 'Security awareness training', 'Payroll changes', 'Offsite agenda'];

export class MailStore {
  private readonly seed: number;
  private readonly folderIds = new Map<number, string>();

  constructor(seed: number) {
    this.seed = seed;
  }

  folderId(mailbox: number, folder: number): string {
    const key = mailbox * 64 + folder;
    let id = this.folderIds.get(key);
    if (id === undefined) {
      const a = hash32(this.seed, 'folder', mailbox, folder);
      const b = hash32(this.seed, 'folder2', mailbox, folder);
      id = Buffer.from(`${hex8(a)}${hex8(b)}${hex8(a ^ b)}`, 'hex').toString('base64').replace(/=+$/, '');
      id = `LgAAAAA${id}AAAB`;
      this.folderIds.set(key, id);
    }
    return id;
  }

  /** InternetMessageId of message n in a folder; unique per (seed, mailbox, folder, n). */
  messageId(mailbox: number, folder: number, n: number, server: string): string {
    const a = hash32(this.seed, mailbox, folder, n);
    const b = hash32(this.seed ^ 0x5bd1e995, mailbox, folder, n);
    return `<${server}${hex8(a).toUpperCase()}${hex8(b).toUpperCase()}@${server}.namprd05.prod.outlook.com>`;
  }

  itemId(mailbox: number, folder: number, n: number): string {
    return `RgAAAAD${hex8(hash32(this.seed, 101, mailbox, folder, n))}${hex8(hash32(this.seed, 102, mailbox, folder, n))}AAAA`;
  }

  subject(mailbox: number, folder: number, n: number): string {
    return SUBJECTS[hash32(this.seed, 103, mailbox, folder, n) % SUBJECTS.length] ?? 'Hello';
  }

  size(mailbox: number, folder: number, n: number): number {
    return 2000 + (hash32(this.seed, 104, mailbox, folder, n) % 250000);
  }
}
