export const USAGE = `blindspot: Microsoft 365 mailbox-audit forensics

Cases
  blindspot case create <dir> --name <text> --examiner <text> [--number <text>] [--client <text>] [--tz <IANA zone>]
  blindspot case info <dir> [--json]
  blindspot case compact <dir> [--json]          (give space freed inside the case database back to the disk)
  blindspot ui <dir> [--port N] [--no-open]    (browse the case in a local browser, on 127.0.0.1)

Evidence
  blindspot import <dir> <file|folder>... [--format auto|<name>] [--encoding auto|<label>] [--date-order auto|mdy|dmy]
                   [--skip-bad] [--as-of ISO] [--json]
  blindspot timeline <dir> [--from ISO] [--to ISO] [--user U] [--mailbox M] [--op OP[,OP...]] [--ip IP]
                     [--session ID] [--app ID] [--q TEXT] [--tag T] [--bookmarked] [--newest-first] [--limit N]
                     [--format table|jsonl|csv]
  blindspot copies <dir> [--all] [--json]      (records received again that say otherwise than the record kept)
  blindspot rejected <dir> [--json]            (records imports with --skip-bad left out, each with why)
  blindspot export <dir> <out.zip> [--json]
  blindspot verify <dir|bundle.zip> [--records] [--json]   (--records: a case folder's events against its evidence files)

Annotations (the examiner's own, kept apart from evidence; each added or removed is in the custody log)
  blindspot annotate <dir> <record-id> [--tag T]... [--note TEXT]... [--bookmark] [--json]
  blindspot annotate <dir> --remove <annotation-id> [--json]
  blindspot annotations <dir> [--kind tag|note|bookmark] [--tag T] [--json]

Analysis
  blindspot gaps <dir> [--mailbox M] [--json] [--range-from ISO --range-to ISO] [--service-accounts A,B]
  blindspot findings <dir> [--min-severity critical|high|medium|low|info] [--incident-from ISO --incident-to ISO] [--json]
  blindspot exposure <dir> --mailbox M [--session S] [--ip IP] [--app A] [--from ISO] [--to ISO] [--json|--csv] [--out FILE.csv]
  blindspot sessions <dir> --mailbox M [--json]
  blindspot report <dir> [--out FILE.html] [--range-from ISO --range-to ISO] [--incident-from ISO --incident-to ISO]
                   [--service-accounts A,B] [--min-severity critical|high|medium|low|info] [--json]
                   (one HTML file: blind spots, findings, exposure runs, marked events, completeness, evidence)

Tenant acquisition
  blindspot tenant add <dir> --name <n> --tenant <id|domain> [--cloud global|gcc|gcchigh|dod|china] --client-id <id>
                   --auth device|browser|certificate|secret [--cert <pem|pfx>] [--authority-host <url> --ca <pem>]
                   (a client secret comes from BLINDSPOT_CLIENT_SECRET and a PFX password from BLINDSPOT_CERT_PASSWORD,
                    never a flag or the case)
  blindspot tenant list <dir> [--json]
  blindspot posture <dir> --tenant <n> [--users U,...] [--json]
  blindspot acquire <dir> --tenant <n> --from ISO --to ISO [--source graph|ual|mgmt|mailbox-audit|all] [--users U,...]
                    [--record-types T,...] [--operations OP,...] [--slice-hours N] [--preflight] [--json]
  blindspot ledger <dir> [--json]

Simulated tenant and demo
  blindspot sim [--port 0] [--scenario bec|quiet|large] [--seed N] [--mailboxes N] [--days N]
                [--events-per-day N] [--faults none|flaky|hostile] [--export-dir DIR]
  blindspot demo [--out DIR]

Exit codes: 0 ok, 1 problem found (verify: not intact), 2 bad command line, 3 unusable input file,
4 case folder problem or no disk space, 5 tenant or network refused, 130 interrupted, 70 internal error.
`;
