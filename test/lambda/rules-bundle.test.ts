// The rule set file the synth step puts in the bundle: read as JSON, with clear errors when it is wrong.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBundledRuleSet } from '../../lambda/rules-bundle';
import { seedModel } from './detector-fixtures';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-bundle-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('reads the model the synth step wrote', () => {
  const model = seedModel();
  fs.writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(model));
  expect(loadBundledRuleSet(path.join(dir, 'rules.json'))).toEqual(model);
});

test('a missing file says where it should come from', () => {
  expect(() => loadBundledRuleSet(path.join(dir, 'nope.json'))).toThrow(/cannot read the rule set .*nope\.json.*the CDK synth step writes it into the bundle/);
});

test('a file that is not a version 1 rule set is refused', () => {
  fs.writeFileSync(path.join(dir, 'old.json'), JSON.stringify({ version: 2, rules: [] }));
  expect(() => loadBundledRuleSet(path.join(dir, 'old.json'))).toThrow(/is not a version 1 rule set/);
});
