// Unified audit log RecordType codes (Management Activity API schema) and their names.
// Only codes this project meets are listed; unknown codes keep their number and get a null name.

export const RECORD_TYPES: Readonly<Record<number, string>> = {
  1: 'ExchangeAdmin',
  2: 'ExchangeItem',
  3: 'ExchangeItemGroup',
  4: 'SharePoint',
  6: 'SharePointFileOperation',
  7: 'OneDrive',
  8: 'AzureActiveDirectory',
  9: 'AzureActiveDirectoryAccountLogon',
  10: 'DataCenterSecurityCmdlet',
  11: 'ComplianceDLPSharePoint',
  13: 'ComplianceDLPExchange',
  14: 'SharePointSharingOperation',
  15: 'AzureActiveDirectoryStsLogon',
  18: 'SecurityComplianceCenterEOPCmdlet',
  19: 'ExchangeAggregatedOperation',
  20: 'PowerBIAudit',
  25: 'MicrosoftTeams',
  28: 'ThreatIntelligence',
  40: 'SecurityComplianceAlerts',
  47: 'ThreatIntelligenceAtpContent',
  50: 'ExchangeItemAggregated',
  52: 'DataInsightsRestApiAudit',
  64: 'AirInvestigation',
  78: 'ComplianceSupervisionExchange',
  101: 'ExchangeSearch',
  295: 'AuditSearch',
};

const BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(RECORD_TYPES).map(([code, name]) => [name.toLowerCase(), Number(code)]),
);

export function recordTypeName(code: number | null): string | null {
  return code === null ? null : (RECORD_TYPES[code] ?? null);
}

/** Accepts a number, a numeric string or an enum name in any case ("ExchangeItemAggregated", "exchangeItemAggregated"). */
export function recordTypeCode(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value !== 'string') return null;
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t);
  return BY_NAME.get(t.toLowerCase()) ?? null;
}

/** Mailbox LogonType codes; [A2] spells 2 "Delegate". */
export const LOGON_TYPES: Readonly<Record<number, string>> = {
  0: 'Owner',
  1: 'Admin',
  2: 'Delegate',
  3: 'Transport',
  4: 'SystemService',
  5: 'BestAccess',
  6: 'DelegatedAdmin',
};
