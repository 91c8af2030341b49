// The detection configuration file (`auth0-sigma.yml`): what runs, in one reviewable place, read by the CLI
// (`--config`) and by `cdk synth` (`-c config=...`):
//
//   rules:                      # rule sources, files or folders; relative paths resolve against this file's folder
//     - rules
//     - ../auth0-customer-detections/detections
//   placeholders:               # values for {name} placeholders
//     api_explorer_client_id: AbC123
//   overrides:                  # per rule id
//     <rule id>: {enabled: false}
//     <rule id>: {level: high}
//   filters:                    # Sigma filters (same shape as a filter file; logsource optional here)
//     - title: ...
//       filter: {rules: [<rule id>], selection: {...}, condition: not selection}
//
// Parsing only (no file system): the loader reads the file and resolves paths.

import { SIGMA_LEVELS, type Diagnostic, type Level, type SourceLocation } from './types';
import { locOf, nodeAt, parseYamlDocument, type YamlDoc } from './yaml-source';
import { parsePlaceholderConfig, type PlaceholderValues } from './placeholders';
import { editDistance } from './schema-lint';
import { compareDiagnostics } from './diagnostics';
import { has, isMapping } from './validate';

/** A per-rule override: what the config file changes about one rule, by id. */
export interface RuleOverride {
  ruleId: string;
  enabled?: boolean;
  level?: Level;
  /** Where the override is written (the rule id key). */
  loc: SourceLocation;
}

export interface DetectionConfig {
  /** The file as named in diagnostics. */
  file: string;
  /** Rule sources as written (the loader resolves them against the file's folder). */
  rules: { path: string; loc: SourceLocation }[];
  placeholders: PlaceholderValues;
  overrides: RuleOverride[];
  /** Filter documents, validated with the rules (they may use placeholders). */
  filters: YamlDoc[];
}

export const CONFIG_KEYS = ['rules', 'placeholders', 'overrides', 'filters'] as const;
const OVERRIDE_KEYS = ['enabled', 'level'];

/** Parses a detection configuration file; every problem is a located diagnostic. */
export function parseDetectionConfig(text: string, file: string): { config: DetectionConfig; diagnostics: Diagnostic[] } {
  const config: DetectionConfig = { file, rules: [], placeholders: {}, overrides: [], filters: [] };
  const { doc, diagnostics } = parseYamlDocument(text, file);
  if (!doc || diagnostics.some((d) => d.severity === 'error') || doc.value === null || doc.value === undefined) return { config, diagnostics };
  const error = (path: (string | number)[], message: string, hint: string, part: 'key' | 'value' = 'key'): void => {
    diagnostics.push({ severity: 'error', code: 'detection-config', message, hint, loc: locOf(doc, path, part) });
  };
  if (!isMapping(doc.value)) {
    error([], 'the config file must be a YAML mapping', `use the keys ${CONFIG_KEYS.join(', ')}`);
    return { config, diagnostics };
  }
  const root = doc.value;
  for (const key of Object.keys(root)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const near = CONFIG_KEYS.find((k) => editDistance(k, key.toLowerCase()) <= 2);
    error([key], `unknown key '${key}'`, near ? `did you mean '${near}'? (keys: ${CONFIG_KEYS.join(', ')})` : `the keys are ${CONFIG_KEYS.join(', ')}`);
  }

  const placeholders = parsePlaceholderConfig(text, file);
  diagnostics.push(...placeholders.diagnostics);
  config.placeholders = placeholders.placeholders;

  if (has(root, 'rules') && root.rules !== null) {
    const list = typeof root.rules === 'string' ? [root.rules] : root.rules;
    if (!Array.isArray(list)) {
      error(['rules'], "'rules' must be a list of rule files or folders", 'write `rules:` then `  - rules` and `  - ../auth0-customer-detections/detections`', 'value');
    } else {
      list.forEach((p, i) => {
        const path = typeof root.rules === 'string' ? ['rules'] : ['rules', i];
        if (typeof p === 'string' && p.trim() !== '') config.rules.push({ path: p, loc: locOf(doc, path, 'value') });
        else error(path, `rules: a rule source must be a file or folder path, not ${JSON.stringify(p)}`, 'write the path as text, relative to this file', 'value');
      });
    }
  }

  if (has(root, 'overrides') && root.overrides !== null) {
    if (!isMapping(root.overrides)) {
      error(['overrides'], "'overrides' must map a rule id to its changes", 'write `overrides:` then `  <rule id>: {level: high}` or `  <rule id>: {enabled: false}`', 'value');
    } else {
      for (const [ruleId, raw] of Object.entries(root.overrides)) {
        const path = ['overrides', ruleId];
        if (!isMapping(raw) || Object.keys(raw).length === 0) {
          error(path, `overrides: the override of '${ruleId}' must be a mapping with enabled and/or level`, `write \`'${ruleId}': {enabled: false}\` or \`{level: high}\``, 'value');
          continue;
        }
        const override: RuleOverride = { ruleId, loc: locOf(doc, path) };
        let ok = true;
        for (const [key, value] of Object.entries(raw)) {
          if (key === 'enabled') {
            if (typeof value === 'boolean') override.enabled = value;
            else {
              error([...path, key], `overrides: '${ruleId}': enabled must be true or false, not ${JSON.stringify(value)}`, 'write `enabled: false` to turn the rule off', 'value');
              ok = false;
            }
          } else if (key === 'level') {
            const level = typeof value === 'string' ? value.toLowerCase() : value;
            if (typeof level === 'string' && (SIGMA_LEVELS as readonly string[]).includes(level)) override.level = level as Level;
            else {
              error([...path, key], `overrides: '${ruleId}': level ${JSON.stringify(value)} is not a Sigma level`, `use one of ${SIGMA_LEVELS.join(', ')}`, 'value');
              ok = false;
            }
          } else {
            error([...path, key], `overrides: '${ruleId}': unknown key '${key}'`, `an override sets ${OVERRIDE_KEYS.join(' and/or ')}`);
            ok = false;
          }
        }
        if (ok) config.overrides.push(override);
      }
    }
  }

  if (has(root, 'filters') && root.filters !== null) {
    if (!Array.isArray(root.filters)) {
      error(['filters'], "'filters' must be a list of Sigma filters", 'write `filters:` then `  - title: ...` with `filter: {rules: [...], selection: ..., condition: not selection}`', 'value');
    } else {
      root.filters.forEach((value, i) => {
        const node = nodeAt(doc, ['filters', i]);
        if (!isMapping(value) || !has(value, 'filter') || !node) {
          error(['filters', i], 'filters: each entry must be a Sigma filter: title, filter: {rules, selections, condition}',
            'write `- title: <why>` then `  filter:` with `rules:`, a selection and `condition: not selection`', 'value');
          return;
        }
        config.filters.push({ file, index: i, value, root: node, text: doc.text });
      });
    }
  }
  return { config, diagnostics: diagnostics.sort(compareDiagnostics) };
}
