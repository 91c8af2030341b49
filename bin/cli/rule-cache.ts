// scan's cache of loaded rule sets. Loading a rule set (YAML parsing, validation, the ReDoS check of regexes that
// need the backtracking engine) is a pure function of the rule files' names and text, the load options
// (placeholders, overrides, filters, engine limits, root folder) and the engine's code; with Auth0's catalog it
// is about a tenth of a 100,000-event scan, most of it one regex's ReDoS check. The cache keeps the result
// (`LoadResult`: model, diagnostics, skipped rules...) in a file named by a SHA-256 of all of those, so a change to
// any rule file, option or engine module is a different key: nothing is ever invalidated in place.
//
// Where: $AUTH0_SIGMA_RULE_CACHE (a folder), else $XDG_CACHE_HOME/auth0-sigma/rules, else
// ~/.cache/auth0-sigma/rules. Off: AUTH0_SIGMA_RULE_CACHE=off, or `scan --no-rule-cache`.
// Safe: the folder is created private (0700) and used only while it is owned by this user and not writable by
// group or others (the model decides what is detected: nobody else may write it); each file carries its key and a
// SHA-256 of its content, checked before use, so a truncated, corrupt or misplaced file is a miss, never a wrong
// model. Files are written whole and renamed into place. Any error is a miss: the rules load as without a cache.
// At most MAX_ENTRIES files are kept (the least recently used go).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type { LoadOptions, LoadResult, LoadResultCache, RuleSource } from '../../lambda/sigma/loader';

export const RULE_CACHE_ENV = 'AUTH0_SIGMA_RULE_CACHE';
const MAGIC = 'auth0-sigma rule cache v1';
const MAX_ENTRIES = 32;
/** The engine's own modules (where the loader is) and the libraries whose behaviour is part of a load result. */
const ENGINE_DIR = path.join(__dirname, '..', '..', 'lambda', 'sigma');
const LIBRARIES = ['js-yaml', 'redos-detector', 're2js', 'ipaddr.js'];

/** The cache folder the environment asks for, or undefined when the cache is off. */
export function ruleCacheDir(env: NodeJS.ProcessEnv = process.env, homedir: () => string = os.homedir): string | undefined {
  const setting = env[RULE_CACHE_ENV];
  if (setting !== undefined && setting !== '') return /^(off|0|false|no)$/i.test(setting) ? undefined : path.resolve(setting);
  let base = env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = path.join(homedir(), '.cache');
    } catch {
      // No HOME and no passwd entry (a container under an arbitrary uid): no cache, every command still runs.
      return undefined;
    }
  }
  return path.join(base, 'auth0-sigma', 'rules');
}

export class RuleModelCache implements LoadResultCache {
  /** Why the last `get` found nothing usable (tests read it). */
  lastMiss: string | undefined;
  /** Set when the folder or a file in it exists but is not private to this user: `scan` says so once. */
  refused: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly fingerprint: string = engineFingerprint(),
  ) {}

  get(sources: readonly RuleSource[], options: LoadOptions): LoadResult | undefined {
    this.lastMiss = undefined;
    try {
      const key = this.key(sources, options);
      const file = path.join(this.dir, `${key}.bin`);
      if (!this.trusted(this.dir) || !this.trusted(file)) return undefined;
      const data = fs.readFileSync(file);
      const header = `${MAGIC} ${key} `;
      const digestAt = Buffer.byteLength(header);
      const payloadAt = digestAt + 65;
      if (data.length < payloadAt || data.toString('latin1', 0, digestAt) !== header || data[payloadAt - 1] !== 0x0a) return this.miss('bad header');
      const payload = data.subarray(payloadAt);
      if (data.toString('latin1', digestAt, digestAt + 64) !== sha256(payload)) return this.miss('digest mismatch');
      const result = v8.deserialize(payload) as LoadResult;
      try {
        const now = new Date();
        fs.utimesSync(file, now, now); // least recently used goes first when pruning
      } catch {
        // A read-only cache is still a good cache: only the pruning order is lost.
      }
      return result;
    } catch (err) {
      return this.miss((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not cached' : (err as Error).message);
    }
  }

  set(sources: readonly RuleSource[], options: LoadOptions, result: LoadResult): void {
    let tmp: string | undefined;
    try {
      const key = this.key(sources, options);
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (!this.trusted(this.dir)) return;
      const payload = v8.serialize(result);
      tmp = path.join(this.dir, `.${key}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
      const fd = fs.openSync(tmp, 'wx', 0o600);
      try {
        fs.writeSync(fd, `${MAGIC} ${key} ${sha256(payload)}\n`);
        fs.writeSync(fd, payload);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, path.join(this.dir, `${key}.bin`));
      tmp = undefined;
      this.prune();
    } catch {
      // Best effort (a read-only home, a full disk, a result that does not serialise): the scan goes on.
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { force: true });
    }
  }

  /** Everything a load result depends on, hashed. */
  private key(sources: readonly RuleSource[], options: LoadOptions): string {
    const hash = crypto.createHash('sha256');
    hash.update(`${MAGIC}\0${this.fingerprint}\0`);
    hash.update(v8.serialize({ ...options, root: options.root ?? process.cwd() }));
    for (const { file, text } of sources) hash.update(`\0${file.length}:${file}\0${text.length}:`).update(text);
    return hash.digest('hex');
  }

  /** Owned by this user and writable by nobody else (POSIX; elsewhere the user's profile folder protects it). */
  private trusted(file: string): boolean {
    if (typeof process.getuid !== 'function') return true;
    const st = fs.lstatSync(file);
    if (st.isSymbolicLink() || st.uid !== process.getuid() || (st.mode & 0o022) !== 0) {
      this.lastMiss = `${file} is not private to this user`;
      this.refused ??= `${file} is a symbolic link, belongs to another user or is writable by others`;
      return false;
    }
    return true;
  }

  private miss(reason: string): undefined {
    this.lastMiss ??= reason;
    return undefined;
  }

  private prune(): void {
    const names = fs.readdirSync(this.dir);
    // A scan killed between writing and renaming leaves its temporary file: gone after an hour.
    const staleBefore = Date.now() - 60 * 60 * 1000;
    for (const name of names.filter((n) => n.endsWith('.tmp'))) {
      const file = path.join(this.dir, name);
      if (fs.statSync(file).mtimeMs < staleBefore) fs.rmSync(file, { force: true });
    }
    const entries = names.filter((name) => name.endsWith('.bin'));
    if (entries.length <= MAX_ENTRIES) return;
    const aged = entries.map((name) => ({ name, at: fs.statSync(path.join(this.dir, name)).mtimeMs })).sort((a, b) => a.at - b.at);
    for (const { name } of aged.slice(0, entries.length - MAX_ENTRIES)) fs.rmSync(path.join(this.dir, name), { force: true });
  }
}

function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * The engine's code as far as a load result can depend on it: the name, size and modification time of every
 * module of the engine's folder, the libraries' entry files, the package version and Node's version (the regex
 * engines). A rebuilt or edited engine is a new fingerprint, hence new keys.
 */
export function engineFingerprint(): string {
  const parts: string[] = [process.version];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    parts.push((require('../../package.json') as { version: string }).version);
  } catch {
    parts.push('?');
  }
  for (const name of fs.readdirSync(ENGINE_DIR).sort()) {
    const st = fs.statSync(path.join(ENGINE_DIR, name));
    if (st.isFile()) parts.push(`${name}:${st.size}:${st.mtimeMs}`);
  }
  for (const library of LIBRARIES) {
    try {
      const main = require.resolve(library);
      const st = fs.statSync(main);
      // The entry file may only re-export the library's modules: its version says when those changed.
      parts.push(`${library}:${main}:${st.size}:${st.mtimeMs}:${packageVersion(main, library)}`);
    } catch {
      parts.push(`${library}:-`);
    }
  }
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** The version in the package.json of `library`, found upwards from its resolved entry file (exports may hide it). */
function packageVersion(entry: string, library: string): string {
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === library) return pkg.version ?? '?';
  }
  return '?';
}
