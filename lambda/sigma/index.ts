// The engine's public surface: everything a consumer (CLI, Lambda, CDK synth, scripts) needs, from one place.
// One line per engine file; each file owns one Sigma concept.

export * from './types';
export * from './diagnostics';
export * from './yaml-source';
export * from './loader';
export * from './validate';
export * from './placeholders';
export * from './conditions';
export * from './fieldpath';
export * from './wildcards';
export * from './modifiers';
export * from './regex-safety';
export * from './matcher';
export * from './explain';
export * from './prefilter';
export * from './correlation-store';
export * from './ndjson';
export * from './fixtures';
export * from './ruleset';
export * from './events';
export * from './detection';
export * from './correlation';
export * from './schema-lint';
