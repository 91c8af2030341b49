// scan's cache of loaded rule sets (bin/cli/rule-cache.ts): a hit is exactly the fresh load; any change to a rule
// file, an option or the engine is a miss; a corrupt, truncated or foreign-writable cache is never used; the
// off switches work; and a scan with the cache prints what it prints without it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { loadRules, type LoadOptions } from '../../lambda/sigma/loader';
import { RULE_CACHE_ENV, RuleModelCache, engineFingerprint, ruleCacheDir } from '../../bin/cli/rule-cache';
import { main } from '../../bin/cli';
import { API_EXPLORER_ID, FIXTURES, REPO } from './helpers';

const RULE = `title: Cache test rule
id: 6f1d7c1e-0000-4000-8000-00000000ca01
status: test
level: high
logsource:
  product: auth0
detection:
  selection:
    data.type: fp
    data.ip|cidr: 203.0.113.0/24
    data.user_agent|re: '(?i)curl/[0-9]+'
  condition: selection
`;

let tmp: string;
let rulesDir: string;
let cacheDir: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-cache-'));
  rulesDir = path.join(tmp, 'rules');
  cacheDir = path.join(tmp, 'cache');
  fs.mkdirSync(rulesDir);
  fs.writeFileSync(path.join(rulesDir, 'one.yml'), RULE);
});

afterEach(() => {
  fs.chmodSync(tmp, 0o700);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function load(cache: RuleModelCache | undefined, options: LoadOptions = {}): ReturnType<typeof loadRules> {
  return loadRules([rulesDir], { root: tmp, ...options }, cache);
}

function cacheFiles(): string[] {
  return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.bin')) : [];
}

describe('RuleModelCache', () => {
  test('a hit equals the fresh load; the folder and files are private', () => {
    const fresh = load(undefined);
    const cache = new RuleModelCache(cacheDir);
    expect(load(cache)).toStrictEqual(fresh);
    expect(cache.lastMiss).toBe('not cached');
    expect(cacheFiles()).toHaveLength(1);
    expect(load(cache)).toStrictEqual(fresh);
    expect(cache.lastMiss).toBeUndefined();
    if (typeof process.getuid === 'function') {
      expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(cacheDir, cacheFiles()[0])).mode & 0o777).toBe(0o600);
    }
  });

  test('the shipped rules come back from the cache as loaded (diagnostics, skipped rules, model)', () => {
    const options: LoadOptions = { root: REPO, unresolvedPlaceholders: 'skip-rule', placeholders: { api_explorer_client_id: API_EXPLORER_ID } };
    const fresh = loadRules([path.join(REPO, 'rules')], options);
    const cache = new RuleModelCache(cacheDir);
    loadRules([path.join(REPO, 'rules')], options, cache);
    const hit = loadRules([path.join(REPO, 'rules')], options, cache);
    expect(cache.lastMiss).toBeUndefined();
    expect(hit).toStrictEqual(fresh);
    expect(hit.model.rules.length).toBeGreaterThan(10);
  });

  test('a changed rule file, option or engine is a new key; the same text again is a hit', () => {
    const cache = new RuleModelCache(cacheDir);
    load(cache);
    fs.writeFileSync(path.join(rulesDir, 'one.yml'), RULE.replace('Cache test rule', 'Renamed rule'));
    expect(load(cache).model.rules[0].title).toBe('Renamed rule');
    expect(cache.lastMiss).toBe('not cached');
    load(cache, { placeholders: { some: 'value' } });
    expect(cache.lastMiss).toBe('not cached');
    load(cache, { engine: { regexValueCap: 100 } });
    expect(cache.lastMiss).toBe('not cached');
    // Another engine build: a different fingerprint.
    const otherEngine = new RuleModelCache(cacheDir, `${engineFingerprint()}-edited`);
    load(otherEngine);
    expect(otherEngine.lastMiss).toBe('not cached');
    expect(cacheFiles()).toHaveLength(5);
    // Touching a file without changing it keeps the key (it is the text that counts).
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(rulesDir, 'one.yml'), later, later);
    expect(load(cache).model.rules[0].title).toBe('Renamed rule');
    expect(cache.lastMiss).toBeUndefined();
  });

  test('a corrupt or truncated file is a miss, and the fresh load replaces it', () => {
    const fresh = load(undefined);
    const cache = new RuleModelCache(cacheDir);
    load(cache);
    const file = path.join(cacheDir, cacheFiles()[0]);
    const data = fs.readFileSync(file);
    data[data.length - 10] ^= 0xff;
    fs.writeFileSync(file, data);
    expect(load(cache)).toStrictEqual(fresh);
    expect(cache.lastMiss).toBe('digest mismatch');
    expect(load(cache)).toStrictEqual(fresh);
    expect(cache.lastMiss).toBeUndefined();
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 40));
    expect(load(cache)).toStrictEqual(fresh);
    expect(cache.lastMiss).toBe('bad header');
  });

  test('a file moved to another key is a miss (each file names its key)', () => {
    const cache = new RuleModelCache(cacheDir);
    load(cache);
    load(cache, { placeholders: { some: 'value' } });
    const [a, b] = cacheFiles();
    fs.copyFileSync(path.join(cacheDir, a), path.join(cacheDir, b));
    const misses: (string | undefined)[] = [];
    load(cache);
    misses.push(cache.lastMiss);
    load(cache, { placeholders: { some: 'value' } });
    misses.push(cache.lastMiss);
    expect(misses.sort()).toEqual(['bad header', undefined]);
  });

  const posix = typeof process.getuid === 'function' ? test : test.skip;
  posix('a cache folder others can write to is neither read nor written', () => {
    const cache = new RuleModelCache(cacheDir);
    load(cache);
    fs.chmodSync(cacheDir, 0o777);
    const before = cacheFiles();
    load(cache);
    expect(cache.lastMiss).toMatch(/not private to this user/);
    load(cache, { placeholders: { some: 'value' } });
    expect(cacheFiles()).toEqual(before);
    fs.chmodSync(cacheDir, 0o700);
    fs.chmodSync(path.join(cacheDir, before[0]), 0o666);
    load(cache);
    expect(cache.lastMiss).toMatch(/not private to this user/);
  });

  posix('scan says once why a cache folder others can write to is not used', async () => {
    fs.mkdirSync(cacheDir, { mode: 0o700 });
    fs.chmodSync(cacheDir, 0o777);
    const run = await scan(['--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${FIXTURES}/logs/stream.ndjson`], cacheDir);
    expect(run.code).toBe(0);
    const notes = run.stderr.split('\n').filter((l) => l.startsWith('note: the rule cache was not used'));
    expect(notes).toEqual([expect.stringMatching(/writable by others \(make it yours with mode 700, or --no-rule-cache\)$/)]);
    expect(cacheFiles()).toEqual([]);
  });

  test('a temporary file left by a killed scan goes after an hour; a fresh one (a scan writing now) stays', () => {
    const cache = new RuleModelCache(cacheDir);
    load(cache);
    const stale = path.join(cacheDir, '.stale.1.abc.tmp');
    const fresh = path.join(cacheDir, '.fresh.2.def.tmp');
    fs.writeFileSync(stale, 'x');
    fs.writeFileSync(fresh, 'x');
    fs.utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    load(cache, { placeholders: { another: 'load' } });
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });

  test('an unwritable cache folder leaves the load as it is', () => {
    fs.writeFileSync(cacheDir, 'a file where the folder should be');
    const cache = new RuleModelCache(cacheDir);
    expect(load(cache)).toEqual(load(undefined));
  });

  test('where the cache lives, and the environment switch that turns it off', () => {
    // Without HOME, os.homedir() may throw (no passwd entry): that is no cache, never a failed command.
    const noHome = (): string => {
      throw new Error('uv_os_homedir returned ENOENT');
    };
    expect(ruleCacheDir({}, noHome)).toBeUndefined();
    expect(ruleCacheDir({ XDG_CACHE_HOME: '/xdg' }, noHome)).toBe(path.join('/xdg', 'auth0-sigma', 'rules'));
    expect(ruleCacheDir({ [RULE_CACHE_ENV]: 'off' })).toBeUndefined();
    expect(ruleCacheDir({ [RULE_CACHE_ENV]: '0' })).toBeUndefined();
    expect(ruleCacheDir({ [RULE_CACHE_ENV]: '/tmp/somewhere' })).toBe(path.resolve('/tmp/somewhere'));
    expect(ruleCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/xdg', 'auth0-sigma', 'rules'));
    expect(ruleCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'auth0-sigma', 'rules'));
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

async function scan(args: string[], ruleCacheDir: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io = { stdout, stderr, stdin: Readable.from([]), cwd: REPO, stderrIsTTY: false, ruleCacheDir };
  const code = await main(['node', 'auth0-sigma', 'scan', ...args], io);
  // The summary's timing varies from run to run.
  return { code, stdout: stdout.text, stderr: stderr.text.replace(/ in [\d.]+ s \([\d,n/a]+ events\/s\)/, '') };
}

describe('scan with the cache', () => {
  const args = ['--set', `api_explorer_client_id=${API_EXPLORER_ID}`, '--format', 'json', `${FIXTURES}/logs/stream.ndjson`];

  test('prints the same with and without it, cold and warm; --no-rule-cache neither reads nor writes it', async () => {
    const without = await scan(args, undefined);
    expect(without.code).toBe(0);
    expect(without.stdout).not.toBe('');
    const cold = await scan(args, cacheDir);
    expect(cacheFiles()).toHaveLength(1);
    // A hit touches its file (the pruning order) and a miss would write a new one in its place: the same file,
    // touched, proves that the warm scan read the cache rather than loading afresh.
    const file = path.join(cacheDir, cacheFiles()[0]);
    fs.utimesSync(file, 0, 0);
    const inode = fs.statSync(file).ino;
    const warm = await scan(args, cacheDir);
    expect(fs.statSync(file).mtimeMs).toBeGreaterThan(0);
    expect(fs.statSync(file).ino).toBe(inode);
    expect(cacheFiles()).toHaveLength(1);
    expect(cold).toEqual(without);
    expect(warm).toEqual(without);

    fs.rmSync(cacheDir, { recursive: true });
    expect(await scan(['--no-rule-cache', ...args], cacheDir)).toEqual(without);
    expect(fs.existsSync(cacheDir)).toBe(false);
  });
});
