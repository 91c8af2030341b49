import * as fs from 'node:fs';
import { loadRules } from '../lambda/sigma/loader';
import { buildEventPattern } from '../lambda/sigma/prefilter';
import { parsePlaceholderConfig } from '../lambda/sigma/placeholders';
const ph = parsePlaceholderConfig(fs.readFileSync('/tmp/h5/catalog-placeholders.yml', 'utf8'), 'x').placeholders;
const r = loadRules(['rules', '../shared/auth0-customer-detections/detections'], { placeholders: ph });
const p = buildEventPattern(r.model, { maxPatternLength: Number(process.env.MAX ?? 100000) });
const d = (p.pattern as any).detail.data.$or;
for (const alt of d) console.log(JSON.stringify(alt).length, JSON.stringify(alt));
