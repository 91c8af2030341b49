// The validated rule set the CDK synth step wrote next to the bundled handler (rules.json): plain JSON, so a
// cold start parses no YAML and validates nothing twice. A rule change changes this file and so the asset hash.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuleSetModel } from './sigma/types';
import { ENV_RULES_FILE } from './notify/constants';

export const RULES_FILE_NAME = 'rules.json';

/** Reads the rule set from `SIGMA_RULES_FILE`, else `rules.json` beside this (bundled) file. */
export function loadBundledRuleSet(file = process.env[ENV_RULES_FILE] || path.join(__dirname, RULES_FILE_NAME)): RuleSetModel {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the rule set ${file}: ${(err as Error).message} (the CDK synth step writes it into the bundle)`);
  }
  const model = JSON.parse(text) as RuleSetModel;
  if (model === null || typeof model !== 'object' || model.version !== 1 || !Array.isArray(model.rules)) {
    throw new Error(`${file} is not a version 1 rule set (expected {"version": 1, "rules": [...]})`);
  }
  return model;
}
