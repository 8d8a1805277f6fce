// Where a case's housekeeping at open is announced: a one-time upgrade of an older case's database (it
// can take a minute on a large case) and the undoing of an operation that was cut short. Silent by
// default; the command line points them at stderr (cli/main.ts). A module of its own with no imports, so
// that setting it loads nothing else: every command does, before it knows it needs a case.
export const caseNotices = {
  upgrading: (_message: string): void => {},
  recovered: (_message: string): void => {},
};
