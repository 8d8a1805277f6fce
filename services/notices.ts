// Where a one-time upgrade of an older case's database is announced (it can take a minute on a large
// case). Silent by default; the command line points it at stderr (cli/main.ts). A module of its own with
// no imports, so that setting it loads nothing else: every command does, before it knows it needs a case.
export const caseNotices = { upgrading: (_message: string): void => {} };
