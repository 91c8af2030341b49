// Runs the real CLI in-process with captured streams.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../bin/cli';

export const REPO = path.resolve(__dirname, '../..');
export const FIXTURES = 'test/fixtures/cli';
/** The API Explorer client id used by the seed-shaped events in test/fixtures/cli/logs. */
export const API_EXPLORER_ID = 'ApiExpl0rerClient0123456789abcdeF';

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 120;

  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }

  // cli-progress moves the cursor on a terminal; a capture only needs these to exist.
  cursorTo(): boolean {
    return true;
  }

  clearLine(): boolean {
    return true;
  }

  moveCursor(): boolean {
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(args: string[], options: { stdin?: string; tty?: boolean } = {}): Promise<RunResult> {
  const stdout = new Capture(false);
  const stderr = new Capture(Boolean(options.tty));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await main(['node', 'auth0-sigma', ...args], { stdout, stderr, stdin, cwd: REPO, stderrIsTTY: Boolean(options.tty) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** A detection config file (auth0-sigma.yml) with `text` in a fresh temporary folder; `done` removes the folder. */
export function tempConfig(text: string): { file: string; dir: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-config-'));
  const file = path.join(dir, 'auth0-sigma.yml');
  fs.writeFileSync(file, text);
  return { file, dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
