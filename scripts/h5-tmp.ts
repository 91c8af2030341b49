import * as fs from 'node:fs';
import { loadRules } from '../lambda/sigma/loader';
import { buildEventPattern } from '../lambda/sigma/prefilter';
import { parsePlaceholderConfig } from '../lambda/sigma/placeholders';
import { CompiledRuleSet } from '../lambda/sigma/ruleset';
import { normalizeEvent } from '../lambda/sigma/events';
import { matchesEventPattern } from '../test/helpers/eventbridge-pattern';
const ph = parsePlaceholderConfig(fs.readFileSync('/tmp/h5/catalog-placeholders.yml', 'utf8'), 'x').placeholders;
ph['api_explorer_client_id'] = ph['api_explorer_client_id'] ?? 'x';
const lines = fs.readFileSync(process.argv[3] ?? '/tmp/h5-logs.ndjson', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const env = (e: any) => ({ version: '0', id: '0', 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/t/auth0.logs', account: '1', time: 't', region: 'r', resources: [], detail: e });
const sets: Record<string, string[]> = { shipped: ['rules'], both: ['rules', '../shared/auth0-customer-detections/detections'], catalog: ['../shared/auth0-customer-detections/detections'] };
for (const name of (process.argv[2] ?? 'shipped,catalog').split(',')) {
  const r = loadRules(sets[name]!, { placeholders: ph });
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) console.log(name, 'errors', errs.slice(0, 3).map((d) => d.message));
  const rs = new CompiledRuleSet(r.model);
  for (const max of (process.env.MAX ?? "2048").split(",").map(Number)) {
    const p = buildEventPattern(r.model, { maxPatternLength: max });
    let fwd = 0, need = 0, missed = 0;
    const fwdTypes = new Map<string, number>();
    for (const e of lines) {
      const n = normalizeEvent(e);
      const needed = !('error' in n) && rs.match(n.event).length > 0;
      const pass = matchesEventPattern(p.pattern, env(e));
      if (pass) fwd++;
      if (needed) need++;
      if (needed && !pass) missed++;
      if (pass && !needed) fwdTypes.set(e.data.type, (fwdTypes.get(e.data.type) ?? 0) + 1);
    }
    const pct = (x: number) => ((100 * x) / lines.length).toFixed(2);
    console.log(name, max, 'rules', r.model.rules.length, 'chars', p.json.length, 'forwarded', pct(fwd), 'needed', pct(need), 'missed', missed, 'excess by type', JSON.stringify([...fwdTypes].sort((a, b) => b[1] - a[1]).slice(0, 6)));
  }
}
