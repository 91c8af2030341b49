// `auth0-sigma explain`: why does (or doesn't) one rule match one event? Prints the condition tree with each
// identifier and comparison marked true/false and the values compared.

import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { JsonItemReader } from '../../lambda/sigma/ndjson';
import { normalizeEvent } from '../../lambda/sigma/events';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { formatExplain } from '../../lambda/sigma/explain';
import { filtersThatSuppressed } from '../../lambda/sigma/filters';
import { formatDiagnostic } from '../../lambda/sigma/diagnostics';
import { EXIT_FAILURE, EXIT_OK, UsageError, displayPath, printable, resolvePath, type CliIO } from './io';
import { findRule, loadRuleSet, type RuleOptions } from './rule-options';

export interface ExplainOptions extends RuleOptions {
  rule: string;
  /** Parsed and range-checked by commander (a number); a string when called directly. */
  index: string | number;
}

interface PickedItem {
  line: number;
  value?: unknown;
  error?: string;
}

/** Streams the file until item `index` (0-based, malformed items count) and stops reading there. */
async function pickItem(file: string, index: number): Promise<{ item?: PickedItem; count: number }> {
  let seen = 0;
  let picked: PickedItem | undefined;
  const reader = new JsonItemReader(
    (value, line) => {
      if (seen++ === index) picked = { line, value };
    },
    (line, message, lostItem) => {
      if (lostItem && seen++ === index) picked = { line, error: message };
    },
  );
  const decoder = new StringDecoder('utf8');
  const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  for await (const chunk of stream) {
    reader.push(decoder.write(chunk as Buffer));
    if (picked) break; // leaving the loop closes the stream: the rest of the file is never read
  }
  if (!picked) {
    reader.push(decoder.end());
    reader.end();
  }
  return { item: picked, count: seen };
}

export async function runExplain(io: CliIO, options: ExplainOptions, eventFile: string): Promise<number> {
  const index = Number(options.index);
  if (!Number.isInteger(index) || index < 0) throw new UsageError(`--index must be a whole number >= 0 (got '${options.index}')`);
  const file = resolvePath(io, eventFile);
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) throw new UsageError(`cannot read event file '${eventFile}': not a file`);

  const loaded = loadRuleSet(io, options, 'skip-rule');
  const { result } = loaded;
  const rule = findRule(result, options.rule);
  if (!rule) {
    const wanted = options.rule;
    const related = loaded.diagnostics.filter((d) => d.severity === 'error' && (d.ruleId === wanted || d.ruleTitle === wanted));
    for (const d of related) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const skipped = result.skipped.find((s) => s.title === wanted);
    if (skipped) throw new UsageError(`rule '${wanted}' (${skipped.file}:${skipped.line}) is not loaded: ${skipped.reason}`);
    if (related.length > 0) throw new UsageError(`rule '${wanted}' has errors (above); fix them first`);
    throw new UsageError(`no enabled rule has the id, title or name '${wanted}' (run \`auth0-sigma check\` to list problems)`);
  }
  if (rule.kind !== 'detection') {
    throw new UsageError(
      `rule '${rule.title}' is a correlation rule: explain works on one event, so explain the rules it correlates (${rule.correlation?.rules.join(', ') ?? ''})`,
    );
  }

  const shown = displayPath(io, file);
  const { item, count } = await pickItem(file, index);
  if (!item) throw new UsageError(`${shown} has ${count} item(s); --index ${index} is past the end`);
  if (item.error !== undefined) throw new UsageError(`${shown}:${item.line}: item ${index} is not valid JSON: ${item.error}`);
  const normalized = normalizeEvent(item.value);
  if ('error' in normalized) throw new UsageError(`${shown}:${item.line}: item ${index} is not a log event: ${normalized.error}`);
  const event = normalized.event;

  const ruleSet = new CompiledRuleSet(result.model);
  const matched = ruleSet.match(event).some((m) => m.rule.id === rule.id);
  const out = io.stdout;
  out.write(`rule:  ${rule.title} (${rule.id}) ${rule.file}:${rule.line}\n`);
  out.write(`event: ${shown}:${item.line} (item ${index}) log_id=${printable(event.log_id)} type=${printable(event.data.type)}\n\n`);
  const explained = ruleSet.explain(rule.id, event);
  out.write(`${formatExplain(explained).replace(/\n+$/, '')}\n\n`);
  const suppressedBy = matched ? [] : filtersThatSuppressed(rule, explained);
  const by = suppressedBy.map((f) => `filter '${f.title}' (${f.file}:${f.line})`).join(', ');
  out.write(matched ? 'result: MATCH\n' : suppressedBy.length > 0 ? `result: NO MATCH (suppressed by ${by})\n` : 'result: NO MATCH\n');
  return matched ? EXIT_OK : EXIT_FAILURE;
}
