// The installed entry point: `node bin/auth0-sigma.js` (what `npx auth0-sigma` runs), as a real process.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_EXPLORER_ID, FIXTURES, REPO } from './helpers';

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/auth0-sigma.js', ...args], { cwd: REPO, input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/auth0-sigma.js as a subprocess', () => {
  test('scan finds the seed detection; exit code 0', () => {
    const r = cli(['scan', '--format', 'json', '--rules', 'rules/api_explorer_token_copy.yml', '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${FIXTURES}/logs/eventbridge.ndjson`]);
    expect(r.status).toBe(0);
    const detections = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(detections).toHaveLength(1);
    expect(detections[0]).toMatchObject({ rule: { id: '90a9a856-716d-11f0-bb81-723487b9527c', level: 'medium' }, type: 'seccft', client_id: API_EXPLORER_ID });
    expect(r.stderr).toContain('scan: 1 input, 3 items read, 0 malformed (skipped)');
    // stderr is a pipe here, not a terminal: no progress bar.
    expect(r.stderr).not.toContain('scanning');
  });

  test('exit codes reach the shell: 1 for a failing check, 2 for a usage error', () => {
    expect(cli(['check', '--rules', `${FIXTURES}/rules-bad`]).status).toBe(1);
    const usage = cli(['scan', '--nope']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("unknown option '--nope'");
  });

  test('stdin input', () => {
    const event = JSON.stringify({ log_id: 'l1', data: { type: 'seccft', client_id: API_EXPLORER_ID, date: '2026-11-01T00:00:00Z' } });
    const r = cli(['scan', '--rules', 'rules/api_explorer_token_copy.yml', '--set', `api_explorer_client_id=${API_EXPLORER_ID}`], `${event}\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[medium] High Risk Actions - copying of the most powerful token through API Explorer | date=2026-11-01T00:00:00Z type=seccft');
  });

  test('a closed stdout (`| head`) stops the scan with exit 1 and a message, not a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-epipe-'));
    try {
      const file = path.join(dir, 'many.ndjson');
      const line = JSON.stringify({ log_id: 'x', data: { type: 'seccft', client_id: API_EXPLORER_ID, date: '2026-11-01T00:00:00Z', user_name: 'u'.repeat(200) } });
      fs.writeFileSync(file, `${line}\n`.repeat(20000));
      const child = spawn(process.execPath, ['bin/auth0-sigma.js', 'scan', '--rules', 'rules/api_explorer_token_copy.yml', '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, file], { cwd: REPO });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain('scan stopped: cannot write detections (EPIPE)');
      expect(stderr).not.toContain('at ');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
