// `blindspot sim`: flag validation (exit 2, one-line error) and a real run in a child process that prints
// the ready line, serves HTTPS with the written CA, and exits 0 on SIGTERM.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Agent, fetch } from 'undici';
import { parseSimArgs } from './cli.ts';

describe('parseSimArgs', () => {
  it('parses every flag', () => {
    expect(parseSimArgs(['--port', '0', '--scenario', 'quiet', '--seed', '7', '--mailboxes', '20', '--days', '3', '--events-per-day', '50', '--faults', 'flaky', '--export-dir', '/tmp/x', '--demo']))
      .toEqual({ port: 0, scenario: 'quiet', seed: 7, mailboxes: 20, days: 3, eventsPerDay: 50, faults: 'flaky', exportDir: '/tmp/x', demo: true });
  });
  it.each([[['--scenario', 'huge']], [['--port', '-1']], [['--days', 'x']], [['--faults', 'evil']], [['--nope']]])('rejects %j', (argv) => {
    expect(() => parseSimArgs(argv)).toThrow();
  });
});

describe('blindspot sim as a process', () => {
  it('bad flags: exit 2 with one line on stderr', async () => {
    const p = spawn(process.execPath, ['-e', "import('./sim/cli.ts').then(m => m.runSimCommand(['--scenario','huge'])).then(c => process.exit(c))"], { cwd: process.cwd() });
    let err = '';
    p.stderr.on('data', (d) => { err += String(d); });
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toMatch(/^blindspot sim: --scenario must be one of bec, quiet, large/);
  });
  it('prints the ready JSON line, serves with the written CA, stops on SIGTERM with exit 0', async () => {
    const p = spawn(process.execPath, ['-e', "import('./sim/cli.ts').then(m => m.runSimCommand(['--scenario','quiet','--days','2','--seed','3'])).then(c => process.exit(c))"], { cwd: process.cwd() });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: p.stdout }).once('line', resolve);
      p.once('exit', (c) => reject(new Error(`exited ${String(c)}`)));
    });
    const info = JSON.parse(line) as { authority: string; graphBase: string; exoBase: string; manageBase: string; tenantId: string; tenantDomain: string; clients: { name: string }[]; caCertPath: string; groundTruthPath: string };
    expect(Object.keys(info).sort()).toEqual(['authority', 'caCertPath', 'clients', 'exoBase', 'graphBase', 'groundTruthPath', 'manageBase', 'tenantDomain', 'tenantId']);
    expect(info.clients.map((c) => c.name)).toEqual(expect.arrayContaining(['secret', 'certificate', 'public', 'graph-no-auditquery', 'exchange-no-role']));
    const gt = JSON.parse(await readFile(info.groundTruthPath, 'utf8')) as { scenario: string; seed: number };
    expect(gt).toMatchObject({ scenario: 'quiet', seed: 3 });
    const agent = new Agent({ connect: { ca: await readFile(info.caCertPath, 'utf8') } });
    const r = await fetch(`${info.authority}/v2.0/.well-known/openid-configuration`, { dispatcher: agent });
    expect(r.status).toBe(200);
    await agent.close();
    p.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => p.on('exit', res));
    expect(code).toBe(0);
  });
});
