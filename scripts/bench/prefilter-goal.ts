// The prefilter goal (`npm run bench`, and the published-catalog tests): on the reference corpus (../shared's
// generator), the share of events the bus rule forwards exceeds the share some rule needs by at most 2 points,
// for the shipped rules and for the shipped rules plus Auth0's catalog as published (../shared: absent in a user's
// clone, where the tests skip with a message and the bench leaves the section out).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeEvent } from '../../lambda/sigma/events';
import { loadRules } from '../../lambda/sigma/loader';
import { buildEventPattern } from '../../lambda/sigma/prefilter';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { matchesEventPattern } from '../../test/helpers/eventbridge-pattern';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CATALOG = path.resolve(ROOT, '..', 'shared', 'auth0-customer-detections', 'detections');
export const GENERATOR = path.resolve(ROOT, '..', 'shared', 'bench', 'gen-auth0-logs.mjs');
export const HAVE_CATALOG = fs.existsSync(CATALOG) && fs.existsSync(GENERATOR);

/** Values for every placeholder the catalog's detections use (ids as the corpus generator's tenant has them). */
export function catalogPlaceholders(ids: { api_explorer_client_id: string; global_client_id: string; hostname: string }): Record<string, string> {
  return {
    api_explorer_client_id: ids.api_explorer_client_id,
    global_client_id: ids.global_client_id,
    'your-tenant-domain': ids.hostname,
    'your-tenant-url': ids.hostname,
    'trusted-client_id-1': 'trusted-client-one',
    'trusted-client_id-2': 'trusted-client-two',
  };
}

export interface GeneratedCorpus {
  events: unknown[];
  ids: { api_explorer_client_id: string; global_client_id: string; hostname: string };
}

/** Runs the reference corpus generator (deterministic for a seed). */
export function generateCorpus(count: number): GeneratedCorpus {
  const out = spawnSync(process.execPath, [GENERATOR, '--count', String(count)], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`${GENERATOR} failed: ${out.stderr}`);
  const id = (name: string): string => new RegExp(`${name}=(\\S+)`).exec(out.stderr)?.[1] ?? '';
  return {
    events: out.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown),
    ids: { api_explorer_client_id: id('api_explorer_client_id'), global_client_id: id('global_client_id'), hostname: id('hostname') },
  };
}

/** The rule sets the prefilter goal is about: the shipped rules, and the shipped rules plus the catalog. */
export function goalRuleSets(placeholders: Record<string, string>): { name: string; model: RuleSetModel }[] {
  const shipped = path.join(ROOT, 'rules');
  return [
    { name: 'shipped rules', paths: [shipped] },
    { name: 'shipped rules + published catalog', paths: [shipped, CATALOG] },
  ].map(({ name, paths }) => {
    const result = loadRules(paths, { placeholders, root: ROOT });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${name}: ${errors.map((d) => d.message).join('; ')}`);
    return { name, model: result.model };
  });
}

export interface PrefilterShare {
  events: number;
  /** Percent of events the bus rule forwards. */
  forwardedPct: number;
  /** Percent of events some rule needs (a detection rule matches, correlation base rules included). */
  neededPct: number;
  /** Events some rule needs that the pattern drops (must be 0). */
  missed: number;
  patternChars: number;
}

/** What the prefilter forwards against what the rules need, on events as the Auth0 partner source sends them. */
export function prefilterShare(model: RuleSetModel, events: unknown[]): PrefilterShare {
  const result = buildEventPattern(model);
  const ruleSet = new CompiledRuleSet(model);
  let forwarded = 0;
  let needed = 0;
  let missed = 0;
  for (const raw of events) {
    const envelope = { version: '0', id: '0', 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/acme/auth0.logs', account: '123456789012', time: '2026-11-01T00:00:00Z', region: 'eu-west-1', resources: [], detail: raw };
    const pass = matchesEventPattern(result.pattern, envelope);
    const n = normalizeEvent(envelope);
    const need = !('error' in n) && ruleSet.match(n.event).length > 0;
    if (pass) forwarded++;
    if (need) needed++;
    if (need && !pass) missed++;
  }
  const pct = (x: number): number => (100 * x) / Math.max(1, events.length);
  return { events: events.length, forwardedPct: pct(forwarded), neededPct: pct(needed), missed, patternChars: result.json.length };
}

export interface PrefilterGoal {
  corpusEvents: number;
  sets: ({ name: string; rules: number } & PrefilterShare & { met: boolean })[];
}

/** The goal on `count` events of the reference generator; undefined when ../shared is absent. */
export function measurePrefilterGoal(count: number): PrefilterGoal | undefined {
  if (!HAVE_CATALOG) return undefined;
  const corpus = generateCorpus(count);
  const sets = goalRuleSets(catalogPlaceholders(corpus.ids)).map(({ name, model }) => {
    const share = prefilterShare(model, corpus.events);
    return { name, rules: model.rules.length, ...share, met: share.missed === 0 && share.forwardedPct - share.neededPct <= 2 };
  });
  return { corpusEvents: corpus.events.length, sets };
}
