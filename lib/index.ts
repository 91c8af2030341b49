// `auth0-sigma/cdk`: what another CDK app needs to run the detector in its own stacks. The SigmaDetector
// construct takes a validated rule set file (rules.json): loadDeployRules + writeRulesFile build it from a rule
// folder, as this repository's own app does (buildApp). The engine itself is `auth0-sigma` (lambda/sigma/index.ts).

export * from './sigma-detector';
export * from './correlation-state';
export * from './auth0-sigma-stack';
export * from './app';
export * from './config';
export * from './rules-artifact';
