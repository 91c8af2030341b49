// The real CLI (`node bin/auth0-sigma.js scan`, a subprocess) on an event nested 100,000 levels deep, written as
// JSON text: the scan reads on past it, `--format json` prints its detections (field values cut at a marked
// depth) and the unrelated rule fires on it.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEPTH_MARKER } from '../../lambda/sigma/bounded-value';
import { REPO } from '../cli/helpers';
import { DEPTH_RULES, deepArraysJson, deepObjectsJson } from './deep-values';

test('scan --format json on events nested 100,000 (arrays) and 30,000 (objects) levels: detections printed, the next event read, exit 0', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-depth-'));
  try {
    fs.writeFileSync(path.join(dir, 'depth.yml'), DEPTH_RULES);
    const deep = `{"log_id":"deep-1","data":{"type":"seccft","description":"ok","details":{"arrays":${deepArraysJson(100_000, '{"x":"needle-a"}')}}}}`;
    // Objects cost 6 bytes a level: 30,000 levels stay under EventBridge's 256 KB, and far past what
    // JSON.stringify survives (a few thousand).
    const objects = `{"log_id":"deep-2","data":{"type":"seccft","description":"ok","details":{"objects":${deepObjectsJson(30_000, '"needle-o"')}}}}`;
    const after = JSON.stringify({ log_id: 'after-1', data: { type: 'seccft', description: 'ok' } });
    const input = path.join(dir, 'events.ndjson');
    fs.writeFileSync(input, `${deep}\n${objects}\n${after}\n`);
    const r = spawnSync(process.execPath, ['bin/auth0-sigma.js', 'scan', '--format', 'json', '--rules', dir, input], {
      cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.stderr).not.toMatch(/call stack|RangeError/);
    expect(r.status).toBe(0);
    const detections = r.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const seen = detections.map((d) => `${d.log_id} ${d.rule.title}`);
    expect(seen).toEqual([
      'deep-1 Unrelated rule', 'deep-1 Keyword at the bottom of arrays', 'deep-1 Path through nested arrays',
      'deep-1 Regex through nested arrays', 'deep-2 Unrelated rule', 'deep-2 Keyword at the bottom of objects',
      'after-1 Unrelated rule',
    ]);
    // Arrays at the end of a path are flattened to their elements; a deep object is cut at a marked depth.
    expect(detections[0].field_values).toEqual({ 'data.details.arrays': { x: 'needle-a' } });
    expect(JSON.stringify(detections[4].field_values)).toContain(DEPTH_MARKER);
    expect(r.stderr).toContain('3 events evaluated');
    expect(r.stderr).not.toContain('rule evaluation failures');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
