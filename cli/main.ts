// The command-line front end. Each command parses its flags, calls a service, and prints; errors become
// one or two lines (what was wrong, what to do) and a documented exit code.
import { asCaseProblem, BlindspotError, EXIT } from '../services/errors.ts';
import { caseNotices } from '../services/notices.ts';
import { USAGE } from './usage.ts';
import { showControls } from '../core/text.ts';

type Command = (argv: string[]) => Promise<number>;

// Commands load lazily: start-up stays quick and a command only loads what it uses.
const COMMANDS: Record<string, Command> = {
  case: async (argv) => (await import('./commands/case.ts')).caseCommand(argv),
  import: async (argv) => (await import('./commands/import.ts')).importCommand(argv),
  timeline: async (argv) => (await import('./commands/timeline.ts')).timelineCommand(argv),
  annotate: async (argv) => (await import('./commands/annotate.ts')).annotateCommand(argv),
  annotations: async (argv) => (await import('./commands/annotate.ts')).annotationsCommand(argv),
  export: async (argv) => (await import('./commands/bundle.ts')).exportCommand(argv),
  verify: async (argv) => (await import('./commands/bundle.ts')).verifyCommand(argv),
  copies: async (argv) => (await import('./commands/notTaken.ts')).copiesCommand(argv),
  rejected: async (argv) => (await import('./commands/notTaken.ts')).rejectedCommand(argv),
  demo: async (argv) => (await import('./commands/demo.ts')).demoCommand(argv),
  gaps: async (argv) => (await import('./commands/analysis.ts')).gapsCommand(argv),
  findings: async (argv) => (await import('./commands/analysis.ts')).findingsCommand(argv),
  exposure: async (argv) => (await import('./commands/analysis.ts')).exposureCommand(argv),
  sessions: async (argv) => (await import('./commands/analysis.ts')).sessionsCommand(argv),
  report: async (argv) => (await import('./commands/report.ts')).reportCommand(argv),
  tenant: async (argv) => (await import('./commands/tenant.ts')).tenantCommand(argv),
  posture: async (argv) => (await import('./commands/acquire.ts')).postureCommand(argv),
  acquire: async (argv) => (await import('./commands/acquire.ts')).acquireCommand(argv),
  ledger: async (argv) => (await import('./commands/acquire.ts')).ledgerCommand(argv),
  sim: async (argv) => (await import('../sim/cli.ts')).runSimCommand(argv),
  ui: async (argv) => (await import('./commands/ui.ts')).uiCommand(argv),
};

export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`blindspot timeline … | head`) ends the output, not the program with a trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
    throw e;
  });
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    const { TOOL_VERSION } = await import('../services/version.ts');
    process.stdout.write(`${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`blindspot: unknown command '${showControls(name, true)}'.\nRun: blindspot help\n`);
    return EXIT.usage;
  }
  caseNotices.upgrading = (m) => process.stderr.write(`${m}\n`);
  caseNotices.recovered = (m) => process.stderr.write(`${m}\n`);
  try {
    return await cmd(rest);
  } catch (e) {
    // A full disk or a damaged database that no command named itself is the case's problem too.
    const known = e instanceof BlindspotError ? e : asCaseProblem(e);
    if (known === null) throw e;
    // Messages from argument parsing already start with the command's name; don't say it twice.
    const msg = known.message.startsWith(`${name}`) ? known.message : `${name}: ${known.message}`;
    process.stderr.write(showControls(`blindspot ${msg}\n${known.hint ? `  ${known.hint}\n` : ''}`));
    return known.exitCode;
  }
}
