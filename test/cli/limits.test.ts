// Issue 14 points 6 and 7 at the CLI: numeric options are usage errors when invalid, input items and correlation
// state are bounded, YAML aliases cannot blow a rule up, long literal lists load, and nothing from a rule file or
// an event reaches the terminal raw (control, bidi, zero-width and tag characters), whatever command prints it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { escapeForTerminal, escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';
import { firstUnsafeCharacter } from '../hostile/corpus';
import { manyIpEventLine } from '../hostile/many-ips';
import { run } from './helpers';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-limits-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const EVENT = JSON.stringify({ log_id: 'l1', data: { type: 'f', date: '2026-11-01T00:00:00Z', ip: '203.0.113.9', client_id: 'c1', user_name: 'u' } });

function detectionRule(title: string, id: string, selection: string, extra = ''): string {
  return `title: ${title}\nid: ${id}\nstatus: test\nlogsource:\n    product: auth0\ndetection:\n    selection:\n${selection}\n    condition: selection\nlevel: high\n${extra}`;
}

describe('numeric options: an invalid value is a usage error (exit 2) before anything runs', () => {
  const rules = (): string => write('plain/rule.yml', detectionRule('Failed login', 'a1b2c3d4-0000-4000-8000-000000000001', '        data.type: f'));

  test.each([
    ['scan', '--regex-value-cap=-1', "option '--regex-value-cap <n>' argument '-1' is invalid"],
    ['scan', '--regex-value-cap=abc', "argument 'abc' is invalid"],
    ['scan', '--regex-value-cap=1e3', "argument '1e3' is invalid"],
    ['check', '--regex-value-cap=0', 'must be a whole number from 16 to 1,048,576'],
    ['explain', '--regex-value-cap=99999999', "argument '99999999' is invalid"],
    ['explain', '--index=1e1', "option '--index <n>' argument '1e1' is invalid"],
    ['explain', '--index=-1', "option '--index <n>' argument '-1' is invalid"],
    ['scan', '--max-item-size=0', "option '--max-item-size <bytes>' argument '0' is invalid"],
    ['scan', '--max-item-size=1.5M', 'must be a size in bytes'],
    ['scan', '--max-correlation-groups=-5', "option '--max-correlation-groups <n>' argument '-5' is invalid"],
    ['scan', '--max-correlation-groups=ten', 'must be a whole number'],
    ['scan', '--max-correlation-memory=12Q', "option '--max-correlation-memory <bytes>' argument '12Q' is invalid"],
  ])('%s %s', async (command, option, message) => {
    const file = write('event.ndjson', `${EVENT}\n`);
    const args = command === 'explain' ? ['explain', '--rule', 'Failed login', option, '--rules', rules(), file] : [command, option, '--rules', rules(), ...(command === 'scan' ? [file] : [])];
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  test('valid values are accepted, with units for sizes', async () => {
    const file = write('event.ndjson', `${EVENT}\n`);
    const r = await run(['scan', '--regex-value-cap', '1024', '--max-item-size', '512K', '--max-correlation-groups', '10', '--max-correlation-memory', '64MiB', '--rules', rules(), file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[high] Failed login');
  });
});

describe('scan input and memory bounds', () => {
  test('a line over --max-item-size is reported with its line number and skipped; the next line is read', async () => {
    const rule = write('plain/rule.yml', detectionRule('Failed login', 'a1b2c3d4-0000-4000-8000-000000000001', '        data.type: f'));
    const long = JSON.stringify({ log_id: 'big', data: { type: 'f', user_agent: 'x'.repeat(5000) } });
    const file = write('long.ndjson', `${EVENT}\n${long}\n${EVENT.replace('"l1"', '"l3"')}\n`);
    const r = await run(['scan', '--max-item-size', '4K', '--format', 'json', '--rules', rule, file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/long\.ndjson:2: skipped: line longer than 4096 bytes skipped/);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { log_id: string }).log_id)).toEqual(['l1', 'l3']);
  });

  test('correlation groups over --max-correlation-groups: a warning at once, evictions counted in the summary', async () => {
    const file = write('many-ips.ndjson', `${Array.from({ length: 300 }, (_, i) => manyIpEventLine(i, 300)).join('\n')}\n`);
    const r = await run(['scan', '--max-correlation-groups', '50', '--rules', 'rules/login/failed_logins_from_one_ip.yml', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: correlation state reached 50 groups (--max-correlation-groups): from now on the least recently fed groups are dropped');
    expect(r.stderr).toMatch(/correlation: memory limit reached: 250 groups dropped \(least recently fed first; limits 50 groups, 256 MiB\)/);
  });

  test('a brute force from one IP amid a flood of one-off IPs is still detected under a low group cap', async () => {
    const flood = Array.from({ length: 400 }, (_, i) => manyIpEventLine(i, 400));
    // Ten failures from one attacker spread through the flood, within one minute of event time.
    const attack = Array.from({ length: 10 }, (_, k) =>
      JSON.stringify({ log_id: `attack-${k}`, data: { type: 'f', date: new Date(Date.parse('2026-11-01T00:00:00Z') + k * 1000).toISOString(), ip: '192.0.2.66' } }),
    );
    const lines: string[] = [];
    flood.slice(0, 10).forEach((l, i) => lines.push(l, attack[i]));
    lines.push(...flood.slice(10));
    const file = write('attack.ndjson', `${lines.join('\n')}\n`);
    const r = await run(['scan', '--max-correlation-groups', '5', '--format', 'json', '--rules', 'rules/login/failed_logins_from_one_ip.yml', file]);
    expect(r.code).toBe(0);
    const fired = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { correlation?: { group: Record<string, string> } });
    expect(fired.map((d) => d.correlation?.group['data.ip'])).toEqual(['192.0.2.66']);
  });
});

describe('rule files: YAML aliases and long lists', () => {
  test('an alias bomb in a custom key fails check with the file, line, column and key; scan leaves the rule out at once', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = write('bomb/bomb.yml', detectionRule('Alias bomb', 'a1b2c3d4-0000-4000-8000-000000000002', '        data.type: f', `${levels.join('\n')}\ncomments: *i\n`));
    const check = await run(['check', '--rules', bomb]);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/bomb\.yml:20:1: error: YAML aliases expand this document to about 3\.\de\+9 nodes and characters, more than the 1000000 aliases may add \(the alias at 'comments' repeats a large anchored value\)/);
    const file = write('event.ndjson', `${EVENT}\n`);
    const scan = await run(['scan', '--format', 'json', '--allow-rule-errors', '--rules', bomb, file]);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe('');
  });

  test('a few small aliases are fine', async () => {
    const rule = write('alias-ok/rule.yml', detectionRule('Small aliases', 'a1b2c3d4-0000-4000-8000-000000000003', '        data.type: &types [f, fp]', 'x-notes: *types\n'));
    const r = await run(['check', '--rules', rule]);
    expect(r.code).toBe(0);
  });

  test('a literal list of 5,001 values loads and matches its last value', async () => {
    const values = Array.from({ length: 5001 }, (_, i) => `            - user${i}@acme.example`).join('\n');
    const rule = write('long-list/rule.yml', detectionRule('Watched users', 'a1b2c3d4-0000-4000-8000-000000000004', `        data.user_name:\n${values}`));
    const check = await run(['check', '--rules', rule]);
    expect(check.code).toBe(0);
    const file = write('watched.ndjson', `${JSON.stringify({ log_id: 'w1', data: { type: 'f', user_name: 'user5000@acme.example' } })}\n`);
    const scan = await run(['scan', '--rules', rule, file]);
    expect(scan.stdout).toContain('[high] Watched users');
  });

  test('placeholder lists over the limit are refused with a message that says what counts', async () => {
    const rule = write('ph/rule.yml', detectionRule('Watched clients', 'a1b2c3d4-0000-4000-8000-000000000005', "        data.client_id:\n            - '{watched}-a'\n            - '{watched}-b'\n            - literal"));
    const sets = Array.from({ length: 600 }, (_, i) => ['--set', `watched=c${i}`]).flat();
    const r = await run(['check', '--rules', rule, ...sets]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("the placeholders in this field's values expand to more than the 1000 values allowed (literal values do not count)");
  });
});

describe('terminal output: nothing from a rule file or an event reaches the terminal raw', () => {
  const HOSTILE = '\u001b[2J\u001b[31mred\r\u009b1m\u202egnp.exe\u200b\udb40\udc41\u2028';

  test('the shared helper escapes controls, bidi, zero-width, tag characters and lone surrogates as \\uXXXX', () => {
    expect(escapeForTerminal(`a${HOSTILE}\n\t\ud800z`)).toBe('a\\u001b[2J\\u001b[31mred\\u000d\\u009b1m\\u202egnp.exe\\u200b\\udb40\\udc41\\u2028\\u000a\\u0009\\ud800z');
    expect(escapeForTerminalKeepingLines('line 1\n\tline 2\r')).toBe('line 1\n\tline 2\\u000d');
    expect(escapeForTerminal('Zoë 🙂 ümlaut — ok')).toBe('Zoë 🙂 ümlaut — ok');
    const json = JSON.stringify({ v: `x${HOSTILE}\ud800` });
    expect(JSON.parse(escapeForTerminalKeepingLines(json))).toEqual({ v: `x${HOSTILE}\ud800` });
  });

  test('rule titles, ids, field names and event values in check, scan (text and json), explain and test output', async () => {
    const yamlHostile = '\\e[2J\\e[31mred\\r\\x9b1m\\u202Egnp.exe\\u200B\\U000E0041';
    const rule = write(
      'hostile/rule.yml',
      `title: "Evil ${yamlHostile} title"\nid: a1b2c3d4-0000-4000-8000-000000000006\nstatus: test\nlogsource:\n    product: auth0\n` +
        `detection:\n    selection:\n        data.type: f\n    condition: selection\nlevel: high\nfalsepositives:\n    - "${yamlHostile}"\n` +
        `---\ntitle: "Bad ${yamlHostile} rule"\nid: a1b2c3d4-0000-4000-8000-000000000007\nstatus: test\nlogsource:\n    product: auth0\n` +
        `detection:\n    selection:\n        "data.x${yamlHostile}|startwith": f\n    condition: selection\nlevel: high\n`,
    );
    const event = JSON.stringify({ log_id: `id${HOSTILE}`, data: { type: 'f', date: '2026-11-01T00:00:00Z', user_name: `admin${HOSTILE}`, ip: HOSTILE, user_agent: HOSTILE } });
    const file = write('hostile.ndjson', `${event}\n`);
    const outputs = [
      await run(['check', '--rules', rule]),
      await run(['scan', '--allow-rule-errors', '--rules', rule, file]),
      await run(['scan', '--allow-rule-errors', '--format', 'json', '--rules', rule, file]),
      await run(['explain', '--rule', 'a1b2c3d4-0000-4000-8000-000000000006', '--rules', rule, file]),
      await run(['test', '--rules', rule]),
    ];
    for (const r of outputs) {
      expect(firstUnsafeCharacter(r.stdout)).toBeUndefined();
      expect(firstUnsafeCharacter(r.stderr)).toBeUndefined();
    }
    const [check, text, json] = outputs;
    expect(check.stdout + check.stderr).toContain('\\u202egnp.exe');
    expect(text.stdout).toContain('[high] Evil \\u001b[2J\\u001b[31mred\\u000d\\u009b1m\\u202egnp.exe\\u200b\\udb40\\udc41 title');
    expect(text.stdout).toContain('user=admin\\u001b[2J');
    // JSON output stays the same data: the escapes are JSON escapes.
    const detection = JSON.parse(json.stdout.trim()) as { user_name: string; rule: { title: string } };
    expect(detection.user_name).toBe(`admin${HOSTILE}`);
  });
});
