// The AWS SDK warns on every client creation that its 2027 releases will need Node 22; the Lambda runs Node 22,
// and this machine's Node 20 is only for development. Drop that one warning so test output stays readable.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'NodeVersionSupportWarning' || /NodeVersionSupportWarning|require node >=22/.test(text)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// aws-cdk-lib runs its built-in CloudFormation validation (a WebAssembly engine: about 4 s to start in every test
// file, then 1-2 s per template) on each synth. Without cdk.json's `@aws-cdk/core:validateAgainstDefaultRules`,
// it only reports warnings, so it could fail no test: off for the suite. test/cdk/cdk-validation.long.test.ts
// (npm run test:long) turns it back on for the widest configuration, with cdk.json's context, where errors are fatal.
process.env.CDK_VALIDATION = 'false';

// The CLI's cache of loaded rule sets (bin/cli/rule-cache.ts) defaults to ~/.cache: subprocess tests must neither
// write there nor depend on what an earlier run left. test/cli/rule-cache.test.ts gives the cache its own folders.
process.env.AUTH0_SIGMA_RULE_CACHE ??= 'off';
