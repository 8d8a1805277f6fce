// Every choice the emulator makes where the protocol reference (docs/m365-protocols.md) marks a fact
// UNVERIFIED, or says nothing. Kept in one place so that a correction from a live tenant is one edit.
// Each constant names the section of the reference it relates to.

/** §1.4: access tokens are v1-format; issuer is sts.windows.net style (we serve it under our own host). */
export const ACCESS_TOKEN_VERSION = '1.0';

/** §1.4: default access-token lifetime (real ESTS answers expires_in 3599). */
export const DEFAULT_TOKEN_LIFETIME_S = 3599;

/** §1.5: device-code lifetime and poll interval as Entra documents them. Tests pass smaller values. */
export const DEVICE_CODE_EXPIRES_IN_S = 900;
export const DEVICE_CODE_INTERVAL_S = 5;

/** §7.8: AADSTS numbers not in the reference are best guesses from public error lists. */
export const AADSTS = {
  pending: 70016,            // [doc] authorization_pending
  declined: 70000,           // UNVERIFIED: authorization_declined
  expired: 70020,            // UNVERIFIED: expired_token
  badVerificationCode: 70019, // UNVERIFIED: bad_verification_code
  invalidSecret: 7000215,    // [doc]
  missingCredential: 7000218, // invalid_client: the request body must contain client_assertion or client_secret
  unknownClient: 700016,     // unauthorized_client: application not found in the directory
  invalidScope: 70011,       // [doc] invalid_scope
  invalidResource: 500011,   // invalid_resource: resource principal not found
  unknownTenant: 90002,      // invalid_request: tenant not found
  badAssertion: 700027,      // invalid_client: client assertion failed signature validation
  assertionAudience: 700212, // invalid_client: no matching federated identity / wrong audience (UNVERIFIED)
  assertionExpired: 700024,  // invalid_client: client assertion is not within its valid time range
  assertionReplay: 700025,   // invalid_client: jti replayed (UNVERIFIED number)
  unsupportedGrant: 70003,   // unsupported_grant_type
  badCode: 70008,            // invalid_grant: authorization code expired or already redeemed
  pkce: 501481,              // invalid_grant: code_verifier does not match code_challenge
  redirectMismatch: 50011,   // invalid_request: redirect URI mismatch
  badRefresh: 70008,         // invalid_grant for a refresh token we never issued
  publicClientOnly: 7000218, // device code and auth code without secret need a public client
  userDeclined: 65004,       // access_denied: user declined consent
} as const;

/** §1.1: `common` and `organizations` are accepted for user flows only; app-only needs a real tenant. */
export const APP_ONLY_REJECTS_MULTI_TENANT = true;

/** §2.4 UNVERIFIED: largest $top the Graph audit records endpoint honours, and the default page size. */
export const GRAPH_RECORDS_MAX_TOP = 1000;
export const GRAPH_RECORDS_DEFAULT_TOP = 150;

/** §2.5 UNVERIFIED: service limits quoted second-hand. */
export const GRAPH_MAX_CONCURRENT_QUERIES = 50;
export const GRAPH_MAX_SUBMISSIONS_PER_DAY = 200;
export const GRAPH_RECORD_COUNT_LIMIT = 1_000_000;
/** §2.5: Retry-After (integer seconds) on the 429 for too many running queries; Graph does not always send it. */
export const GRAPH_QUERY_CAP_RETRY_AFTER_S = 10;

/** §2.1/§2.5 say nothing of how long the service keeps a query: it answers GET queries/{id} for this long after
 * the query was created, then 404 with Graph's error body, as for an id it never issued. UNVERIFIED. */
export const GRAPH_QUERY_RETENTION_MS = 30 * 86_400_000;
/** §2.5 UNVERIFIED: the code of that 404 (the general Graph convention for an unknown resource). */
export const GRAPH_QUERY_NOT_FOUND_CODE = 'NotFound';

/** §2.3 UNVERIFIED: how many GET polls each status step takes (notStarted -> running -> succeeded). */
export const GRAPH_POLLS_PER_STEP = 1;

/** §2.4 UNVERIFIED: reading records of a query that has not succeeded yet: 400 with this Graph code. */
export const GRAPH_RECORDS_NOT_READY_CODE = 'BadRequest';

/** §2.4 UNVERIFIED: Exchange rows rendered in auditData: every integer annotated #Int64, every array of objects
 * annotated as a collection; arrays of strings and booleans are not annotated. */
export const GRAPH_INT64_ANNOTATION = '#Int64';
export const GRAPH_COLLECTION_ANNOTATION = '#Collection(microsoft.graph.security.defaultAuditData)';

/** Graph directory: default and maximum $top of /users. */
export const GRAPH_USERS_DEFAULT_TOP = 100;
export const GRAPH_USERS_MAX_TOP = 999;

/** §3.3: Management API listing page size (real pages are larger; tests pass a smaller one). */
export const MANAGE_LIST_PAGE_SIZE = 200;
/** §3.3 UNVERIFIED: one blob per content type per UTC hour of events, published 5..35 minutes after the hour ends. */
export const MANAGE_BLOB_HOUR_MS = 3_600_000;
export const MANAGE_PUBLISH_DELAY_MIN_MS = 5 * 60_000;
export const MANAGE_PUBLISH_DELAY_SPAN_MS = 30 * 60_000;
/** §3.3: blobs are retrievable and listable for 7 days after contentCreated (the documented contract). */
export const MANAGE_REACH_MS = 7 * 86_400_000;
// §3.3 UNVERIFIED, built into management.ts rather than a switch: a subscription lists every blob still
// within reach, not only blobs created after `start`.
/** §3.5 UNVERIFIED: HTTP status per AF code. */
export const MANAGE_STATUS: Readonly<Record<string, number>> = {
  AF10001: 403, AF20001: 400, AF20010: 400, AF20013: 400, AF20020: 400, AF20022: 404, AF20024: 400,
  AF20030: 400, AF20031: 400, AF20050: 404, AF20051: 400, AF20052: 400, AF20055: 400, AF429: 429, AF50000: 500,
};
/** UNVERIFIED: a missing, expired or wrong-audience token at manage.office.com gets the ASP.NET default body. */
export const MANAGE_UNAUTHORIZED_BODY = { Message: 'Authorization has been denied for this request.' };
/** §3.1 Workload -> content type. Workloads not listed go to Audit.General. */
export const MANAGE_CONTENT_TYPE_BY_WORKLOAD: Readonly<Record<string, string>> = {
  Exchange: 'Audit.Exchange',
  AzureActiveDirectory: 'Audit.AzureActiveDirectory',
  SharePoint: 'Audit.SharePoint',
  OneDrive: 'Audit.SharePoint',
};

/** §4.6 UNVERIFIED: HTTP status per Exchange exception. */
export const EXO_STATUS_NOT_FOUND = 404;
export const EXO_STATUS_BAD_PARAMETER = 400;
/** §4.9 UNVERIFIED: after retirement Search-MailboxAuditLog answers like a cmdlet the endpoint does not know. */
export const EXO_RETIRED_CMDLET_EXCEPTION = 'System.Management.Automation.CommandNotFoundException';
/** §4.5: default OData page size when no Prefer header is sent. */
export const EXO_DEFAULT_PAGE_SIZE = 1000;
/** §4.8: Search-UnifiedAuditLog defaults and caps. */
export const SUAL_DEFAULT_RESULT_SIZE = 100;
export const SUAL_MAX_RESULT_SIZE = 5000;
export const SUAL_LARGE_SET_CAP = 50_000;
export const SUAL_PREVIEW_CAP = 5000;
export const SUAL_MIXED_CAP = 10_000;
// Built into exchange.ts rather than switches (changing them means changing that code):
// §4.8 UNVERIFIED: ReturnNextPreviewPage is sorted oldest first (the docs say "sorted by date" only);
// §4.8: ReturnLargeSet is unsorted: rows of each page are permuted deterministically (shufflePage);
// §4.8 UNVERIFIED: a session remembers the filter of its first call; later calls' filters are ignored.
/** §4.9: Search-MailboxAuditLog ResultSize range and default. */
export const SMAL_MAX_RESULT_SIZE = 250_000;
export const SMAL_DEFAULT_RESULT_SIZE = 1000;
/** §4.7: exceptions the module retries whatever the status, found in error.details[0].message. §4.6: the status
 * that goes with them is UNVERIFIED; the emulator sends 400, a status no client retries by itself, so only a
 * client that reads the body (as §4.6 says to) recovers. */
export const EXO_TRANSIENT_STATUS = 400;
export const EXO_TRANSIENT_EXCEPTIONS: Readonly<Record<string, string>> = {
  DCOverloadedException: 'Microsoft.Exchange.Data.Directory.DCOverloadedException',
  SuitabilityDirectoryException: 'Microsoft.Exchange.Data.Directory.SuitabilityDirectoryException',
  ServerInMMException: 'Microsoft.Exchange.Data.Directory.ServerInMMException',
  ADServerSettingsChangedException: 'Microsoft.Exchange.Data.Directory.ADServerSettingsChangedException',
  StorageTransientException: 'Microsoft.Exchange.Data.Storage.StorageTransientException',
};
/** §4.6: Exchange retry-after on injected 429 is decimal seconds. */
export const EXO_RATE_LIMIT_LIMIT = 30000;

/** Faults: random faults spare the identity endpoints (MSAL caches a 429 per request thumbprint, §1.7) except a
 * 429 with Retry-After on token requests in hostile mode, and never more than this many in a row, so a client
 * that retries a few times always gets through. */
export const FAULT_MAX_CONSECUTIVE = 2;
export const FAULT_RATE = { none: 0, flaky: 0.03, hostile: 0.15 } as const;
/** §2.5/§3.4/§7.6/§7.7: share of random 429s from Graph and the Management API sent without Retry-After (Graph
 * often omits it; the Management API does not document it). How often the real services omit it is unknown. */
export const FAULT_429_NO_RETRY_AFTER_SHARE = 0.5;
// Built into graph.ts and exchange.ts rather than a switch. UNVERIFIED: the reference documents repeated records
// only across Management API blobs (§3.3) and asks for de-duplication on Id across transports (§6.5). Under
// faults the emulator also repeats records in Graph record pages and Search-UnifiedAuditLog batches: a later
// page repeats the end of the one before, and a first page repeats some of its own records (so a slice small
// enough for one page is exercised too). §4.8 step 5: a session can time out on any call, its first included.
/** §3.3 says a record "can appear in more than one blob" but not how often: the share of Management API content
 * blobs that repeat 1-3 records of the content type's previous hourly blob, decided per blob from the seed. */
export const FAULT_KEYED_RATE = { none: 0, flaky: 0.1, hostile: 0.3 } as const;
