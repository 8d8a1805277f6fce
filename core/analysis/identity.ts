// Identity resolution: the many names a mailbox goes by in records (UPN in any case, bare alias,
// display name, ExchangeGuid, directory object id, SID, SMTP proxy address, DN-like paths,
// `mailbox\rule` object ids) mapped to one key: the lower-cased UPN from the mailbox inventory.
import type { MailboxConfig } from '../model.ts';

export interface KnownMailbox {
  key: string;
  upn: string | null;
  config: MailboxConfig | null;
}

const GUID_RE = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** Lower-cases and strips decorations that never distinguish two mailboxes. */
export function normaliseIdentifier(s: string): string {
  let t = s.trim();
  if (/^smtp:/i.test(t)) t = t.slice(5);
  t = t.replace(/^["']|["']$/g, '');
  const g = GUID_RE.exec(t);
  if (g) return g[1]!.toLowerCase();
  return t.toLowerCase();
}

export class IdentityResolver {
  private readonly byName = new Map<string, string>();
  /** Names that point at two different mailboxes: never resolved, to avoid a wrong attribution. */
  private readonly ambiguous = new Set<string>();
  private readonly mailboxes = new Map<string, KnownMailbox>();

  /** Registers a mailbox from its configuration row (and the raw object, for SIDs and proxy addresses). */
  addMailbox(cfg: MailboxConfig, raw: Record<string, unknown> = {}): string | null {
    const upn = cfg.userPrincipalName ?? cfg.primarySmtpAddress ?? null;
    const key = upn ? normaliseIdentifier(upn) : cfg.identity ? normaliseIdentifier(cfg.identity) : null;
    if (!key) return null;
    const existing = this.mailboxes.get(key);
    this.mailboxes.set(key, { key, upn: upn ?? existing?.upn ?? null, config: cfg });
    const names: unknown[] = [
      cfg.userPrincipalName, cfg.primarySmtpAddress, cfg.alias, cfg.identity, cfg.exchangeGuid,
      cfg.externalDirectoryObjectId, cfg.displayName,
      raw['Name'], raw['Alias'], raw['Guid'], raw['Sid'], raw['SID'], raw['Id'], raw['DistinguishedName'],
      raw['LegacyExchangeDN'], raw['WindowsEmailAddress'], raw['MicrosoftOnlineServicesID'],
    ];
    const proxies = raw['EmailAddresses'];
    if (Array.isArray(proxies)) names.push(...proxies);
    for (const n of names) if (typeof n === 'string' && n.trim()) this.addName(n, key);
    if (upn && upn.includes('@')) this.addWeakName(upn.slice(0, upn.indexOf('@')), key);
    return key;
  }

  /** Registers a mailbox known only by a UPN (licence rows, events). */
  addUpn(upn: string): string {
    // A name a known mailbox already answers to (its UPN, or its Entra object id, as licence rows read
    // from Graph by id carry) is that mailbox, not a new one: registering it again would make the name
    // ambiguous and resolve nothing.
    const known = this.byName.get(normaliseIdentifier(upn));
    if (known !== undefined) return known;
    const key = normaliseIdentifier(upn);
    if (!this.mailboxes.has(key)) this.mailboxes.set(key, { key, upn, config: null });
    this.addName(upn, key);
    if (upn.includes('@')) this.addWeakName(upn.slice(0, upn.indexOf('@')), key);
    return key;
  }

  /** Teaches an extra name (a SID or mailbox GUID seen beside a UPN in a record). */
  addAlias(name: string, key: string): void {
    this.addName(name, key);
  }

  private addName(name: string, key: string): void {
    const n = normaliseIdentifier(name);
    if (!n || this.ambiguous.has(n)) return;
    const prior = this.byName.get(n);
    if (prior === undefined) this.byName.set(n, key);
    else if (prior !== key) {
      this.byName.delete(n);
      this.ambiguous.add(n);
    }
  }

  /** A local part of a UPN: used only when nothing stronger already claims the name. */
  private readonly weak = new Map<string, string | null>();
  private addWeakName(name: string, key: string): void {
    const n = normaliseIdentifier(name);
    const prior = this.weak.get(n);
    this.weak.set(n, prior === undefined || prior === key ? key : null);
  }

  /** The mailbox key for any identifier a record may carry, or null when it names no known mailbox. */
  resolve(identifier: string | null | undefined): string | null {
    return this.resolveDetail(identifier)?.key ?? null;
  }

  /**
   * Like resolve, and says whether the match was only by the local part of a UPN (a bare alias such as
   * `adm.patti` matching the one UPN `adm.patti@…` of the case), not by a name a mailbox answers to.
   */
  resolveDetail(identifier: string | null | undefined): { key: string; byLocalPart: boolean } | null {
    if (!identifier) return null;
    for (const candidate of this.candidates(identifier)) {
      const n = normaliseIdentifier(candidate);
      if (this.ambiguous.has(n)) return null;
      const strong = this.byName.get(n);
      if (strong) return { key: strong, byLocalPart: false };
      const weak = this.weak.get(n);
      if (weak) return { key: weak, byLocalPart: true };
    }
    return null;
  }

  /** Like resolve, but an unknown identifier becomes its own key (so its windows are still reported). */
  resolveOrSelf(identifier: string): string {
    return this.resolve(identifier) ?? normaliseIdentifier(this.candidates(identifier).at(-1) ?? identifier);
  }

  private candidates(identifier: string): string[] {
    const out = [identifier];
    // `alex\.` (New-InboxRule ObjectId: mailbox\rule name) → alex
    const bs = identifier.indexOf('\\');
    if (bs > 0) out.push(identifier.slice(0, bs));
    // DN-like `NAMPR.../Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/alex`
    if (identifier.includes('/')) out.push(identifier.slice(identifier.lastIndexOf('/') + 1));
    return out;
  }

  get(key: string): KnownMailbox | undefined {
    return this.mailboxes.get(key);
  }

  keys(): string[] {
    return [...this.mailboxes.keys()].sort();
  }
}
