// The esbuild settings of the Lambda bundles, in one place for the CDK bundling (lib/lambda-bundling.ts) and the
// bench's cold-start figures (scripts/bench.ts), so the bench measures what ships. No CDK import: the bench loads it.

import * as fs from 'node:fs';
import * as path from 'node:path';
//
// Why these (figures in docs/performance.md, "Cold start"):
// - `module` before `main`: esbuild takes the ES-module builds of the AWS SDK and Powertools and drops what the
//   code never uses; the bundle loads in about half the time of the CommonJS builds'.
// - The AWS SDK is bundled, not taken from the Node.js runtime: the bundled, tree-shaken SDK loads faster than the
//   runtime's copy from /var/runtime/node_modules, and the deployed code runs the SDK versions the tests ran.
// - Minified; the source map is written beside the bundle (in cdk.out and the asset) but not linked from it:
//   loading a 1.3 MB map at every cold start (--enable-source-maps) cost more than a quarter of the bundle's load
//   time. Map a stack trace offline with the asset's index.js.map.
// - The AWS SDK clients are not in index.js: each is its own file in `aws-sdk/` beside it (sdkModulesBuildOptions
//   below), required on first use (lambda/aws-clients.ts). A cold start that sends nothing then neither compiles nor
//   runs the SDK, and a function loads only the clients it uses.

export const LAMBDA_BUNDLE = {
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
} as const;

/** The same settings for esbuild's JavaScript API (a CommonJS bundle for Node.js, as NodejsFunction builds it). */
export function lambdaEsbuildOptions(): { bundle: true; platform: 'node'; format: 'cjs'; target: string; minify: boolean; mainFields: string[] } {
  return { bundle: true, platform: 'node', format: 'cjs', target: LAMBDA_BUNDLE.target, minify: LAMBDA_BUNDLE.minify, mainFields: [...LAMBDA_BUNDLE.mainFields] };
}

/** The AWS SDK modules of lambda/aws-sdk/ (names without extension), required on first use by lambda/aws-clients.ts. */
export const SDK_MODULES = ['dynamodb', 'eventbridge', 'securityhub', 'sns'] as const;
/** Their folder beside index.js, as lambda/aws-clients.ts requires them. */
export const SDK_MODULES_DIR = 'aws-sdk';

/**
 * The entry files of the SDK modules under `lambdaDir` (the handler's folder): TypeScript in a checkout, the
 * compiled JavaScript in the installed package.
 */
export function sdkModuleEntries(lambdaDir: string): string[] {
  return SDK_MODULES.map((name) => {
    const base = path.join(lambdaDir, SDK_MODULES_DIR, name);
    const found = [`${base}.ts`, `${base}.js`].find((f) => fs.existsSync(f));
    if (!found) throw new Error(`auth0-sigma: the AWS SDK module ${base}.ts (or .js) is missing: reinstall the package, or run \`npm run build\` in a checkout`);
    return found;
  });
}

/** esbuild's build options for the SDK modules of `lambdaDir`, written to `<outputDir>/aws-sdk/` with index.js's settings. */
export function sdkModulesBuildOptions(lambdaDir: string, outputDir: string): ReturnType<typeof lambdaEsbuildOptions> & { entryPoints: string[]; outdir: string } {
  return { ...lambdaEsbuildOptions(), entryPoints: sdkModuleEntries(lambdaDir), outdir: path.join(outputDir, SDK_MODULES_DIR) };
}
