// The esbuild settings of the Lambda bundles, in one place for the CDK bundling (lib/lambda-bundling.ts) and the
// bench's cold-start figures (scripts/bench.ts), so the bench measures what ships. No CDK import: the bench loads it.
//
// Why these (figures in docs/performance.md, "Cold start"):
// - `module` before `main`: esbuild takes the ES-module builds of the AWS SDK and Powertools and drops what the
//   code never uses; the bundle loads in about half the time of the CommonJS builds'.
// - The AWS SDK is bundled, not taken from the Node.js runtime: the bundled, tree-shaken SDK loads faster than the
//   runtime's copy from /var/runtime/node_modules, and the deployed code runs the SDK versions the tests ran.
// - Minified; the source map is written beside the bundle (in cdk.out and the asset) but not linked from it:
//   loading a 1.3 MB map at every cold start (--enable-source-maps) cost more than a quarter of the bundle's load
//   time. Map a stack trace offline with the asset's index.js.map.

export const LAMBDA_BUNDLE = {
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
} as const;

/** The same settings for esbuild's JavaScript API (a CommonJS bundle for Node.js, as NodejsFunction builds it). */
export function lambdaEsbuildOptions(): { bundle: true; platform: 'node'; format: 'cjs'; target: string; minify: boolean; mainFields: string[] } {
  return { bundle: true, platform: 'node', format: 'cjs', target: LAMBDA_BUNDLE.target, minify: LAMBDA_BUNDLE.minify, mainFields: [...LAMBDA_BUNDLE.mainFields] };
}
