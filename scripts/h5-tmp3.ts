import * as path from 'node:path';
import { loadRules } from '../lambda/sigma/loader';
import { lintRules } from '../lambda/sigma/schema-lint';
const C = path.resolve('../shared/auth0-customer-detections/detections');
const placeholders = { global_client_id: 'G', api_explorer_client_id: 'A', 'your-tenant-domain': 'acme.example', 'trusted-client_id-1': 'T1', 'trusted-client_id-2': 'T2', 'your-tenant-url': 'acme.example' };
const r = loadRules([C], { placeholders, root: C });
const all = [...r.diagnostics, ...lintRules(r.model.rules)].filter((d) => d.severity !== 'note');
for (const d of all) console.log(JSON.stringify([path.basename(d.loc.file), d.loc.line, d.severity, d.code, d.identifier ?? d.field ?? '']));
