// The rules the project ships: every fixture passes, every rule has fixtures, the set is lint-clean against the
// Auth0 schemas, and the seed rule is exactly the published detection (its content is pinned here by hash).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFixtures } from '../../lambda/sigma/fixtures';
import { loadRules } from '../../lambda/sigma/loader';
import { lintRules } from '../../lambda/sigma/schema-lint';
import { run } from '../cli/helpers';

const ROOT = path.resolve(__dirname, '../..');
const RULES = path.join(ROOT, 'rules');
const SEED = path.join(RULES, 'api_explorer_token_copy.yml');

describe('shipped rules', () => {
  it('pass every fixture case, and every enabled rule has fixtures', async () => {
    const report = await runFixtures({ paths: [RULES], root: ROOT });
    const failures = report.files.flatMap((f) => [
      ...f.problems.map((p) => `${f.fixtureFile ?? f.ruleFile}: ${p.message}`),
      ...f.cases.filter((c) => c.status === 'failed').map((c) => `${c.ruleTitle} › ${c.name}: ${c.message}`),
    ]);
    expect(failures).toEqual([]);
    expect(report.failed).toBe(0);
    // 17 rule files of the project plus the seed; each has at least 2 match and 2 no_match cases.
    expect(report.passed).toBeGreaterThanOrEqual(18 * 4);
    expect(report.rulesWithoutFixtures).toEqual([]);
  });

  it('load without errors or warnings once the seed placeholder is set, and are schema-lint clean', () => {
    const loaded = loadRules([RULES], { placeholders: { api_explorer_client_id: 'l1XSFqt7TQEs5wz7O8RhYsvmsmkQzdIs' }, root: ROOT });
    expect(loaded.diagnostics.map((d) => `${d.loc.file}:${d.loc.line}: ${d.message}`)).toEqual([]);
    expect(loaded.skipped).toEqual([]);
    expect(loaded.model.rules.length).toBeGreaterThanOrEqual(12);
    expect(lintRules(loaded.model.rules).map((d) => `${d.loc.file}:${d.loc.line}: ${d.message}`)).toEqual([]);
  });

  it('need no placeholder but the seed rule\'s, so a deploy only has to set that one', () => {
    const loaded = loadRules([RULES], { unresolvedPlaceholders: 'error', root: ROOT });
    const unresolved = loaded.diagnostics.filter((d) => d.severity === 'error');
    expect(unresolved.map((d) => d.loc.file)).toEqual(['rules/api_explorer_token_copy.yml']);
    expect(unresolved[0].message).toContain('api_explorer_client_id');
  });

  it('include the seed rule byte for byte as published', () => {
    const sha256 = createHash('sha256').update(fs.readFileSync(SEED)).digest('hex');
    expect(sha256).toBe(SEED_SHA256);
  });

  it('make the seed rule fire once on the samples with its placeholder set (the README quick start)', async () => {
    const result = await run(['scan', '--format', 'json', '--set', 'api_explorer_client_id=l1XSFqt7TQEs5wz7O8RhYsvmsmkQzdIs', 'samples/auth0-logs.ndjson']);
    expect(result.code).toBe(0);
    const detections = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: { id: string }; log_id?: string });
    const seed = detections.filter((d) => d.rule.id === '90a9a856-716d-11f0-bb81-723487b9527c');
    expect(seed).toHaveLength(1);
    expect(seed[0].log_id).toMatch(/^900/);
  });
});

const SEED_SHA256 = '0c0f373f6d40d2d0707baaa6cf3f5a5c5a0b106e686be202f3df8feff77d5e42';
