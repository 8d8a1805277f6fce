#!/usr/bin/env node
// Entry point for `blindspot` / `npx blindspot`. Written in plain JavaScript that old Node versions can
// parse, so that an unsupported runtime gets a one-line explanation instead of a syntax error.
import { spawnSync } from 'node:child_process';
import module from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  process.stderr.write(
    `blindspot needs Node.js 22.14 or later (this is ${process.version}); run it through npm (npx blindspot ..., npm run demo), which uses the project's pinned Node 24.\n`,
  );
  process.exit(2);
}
if (!process.features || !process.features.typescript) {
  // Node 22.14 to 22.17 can strip types only behind a flag: run again with it.
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}
// V8 keeps the code it compiled for Blindspot's modules between runs (Node's compile cache, in the
// system's temporary folder, keyed by each file's content): a command started in 0.36 s, 0.19 s with it.
module.enableCompileCache?.();
import('../cli/main.ts').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`blindspot: internal error: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 70; },
);
