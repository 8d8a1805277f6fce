// What to grant, and where, when an API refuses. Messages name the exact permission or role and the place
// in the admin centres (m365-protocols.md §1.4, §2.6, §3.1, §4.1).
import type { Api } from './auth.ts';

export interface RefusalContext {
  api: Api;
  status: number;
  /** Error code from the body (Graph error.code, Exchange exception type, Management AFxxxxx). */
  code: string | null;
  clientId: string;
  appOnly: boolean;
  /** What was being done, e.g. "the audit log query". */
  what: string;
  path: string;
}

export function permissionHint(c: RefusalContext): string | null {
  const app = `app ${c.clientId}`;
  const consent = 'then grant admin consent';
  if (c.api === 'graph') {
    if (c.status !== 401 && c.status !== 403) return null;
    if (/security\/auditLog/.test(c.path)) {
      return c.appOnly
        ? `grant the application permission AuditLogsQuery.Read.All (Microsoft Graph) to ${app} in Entra admin center > App registrations > API permissions, ${consent}`
        : `grant the delegated permission AuditLogsQuery.Read.All (Microsoft Graph) to ${app} in Entra admin center > App registrations > API permissions, ${consent}; the signed-in user also needs a Purview audit role (Audit Reader) in the Microsoft Purview portal > Roles and scopes`;
    }
    return `grant the ${c.appOnly ? 'application' : 'delegated'} permission User.Read.All (or Directory.Read.All) (Microsoft Graph) to ${app} in Entra admin center > App registrations > API permissions, ${consent}`;
  }
  if (c.api === 'exchange') {
    if (c.status === 401) {
      return c.appOnly
        ? `grant the application permission Exchange.ManageAsApp (Office 365 Exchange Online) to ${app} in Entra admin center > App registrations > API permissions, ${consent}, and assign the app a directory role (Global Reader) in Entra admin center > Roles & admins`
        : `grant the delegated permission Exchange.Manage (Office 365 Exchange Online) to ${app} in Entra admin center > App registrations > API permissions, ${consent}`;
    }
    if (c.status === 403) {
      return c.appOnly
        ? `assign the service principal of ${app} an Entra directory role that allows Exchange cmdlets (Global Reader, or Exchange Administrator / Compliance Administrator) in Entra admin center > Roles & admins > Add assignments`
        : 'give the signed-in user an Exchange role that allows audit searches (View-Only Audit Logs or Audit Logs, e.g. through the Compliance Management role group) in Exchange admin center > Roles > Admin roles';
    }
    return null;
  }
  // Management Activity API
  if (c.code === 'AF10001' || c.status === 401 || c.status === 403) {
    return `grant the ${c.appOnly ? 'application' : 'delegated'} permission ActivityFeed.Read on "Office 365 Management APIs" to ${app} in Entra admin center > App registrations > API permissions, ${consent}`;
  }
  if (c.code === 'AF20023') return 'the subscription was disabled by an administrator: re-enable it, or collect through the Graph audit query or Search-UnifiedAuditLog instead';
  return null;
}
