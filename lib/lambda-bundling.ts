// How every function of the app is bundled: local esbuild (no Docker), minified CommonJS (settings and their
// reasons: lib/lambda-bundle-options.ts), the AWS SDK inside the bundle, and the validated rule set (rules.json)
// copied next to the code.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { LAMBDA_BUNDLE, sdkModulesBuildOptions } from './lambda-bundle-options';

/**
 * The directory holding lib/ and lambda/: the repository root when running from the TypeScript sources, `dist/`
 * when running the compiled package (where the entry points are .js files).
 */
export const PROJECT_ROOT = path.join(__dirname, '..');

const LOCK_FILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];

/** cdk-nag L1 (latest runtime), for every function of the app. */
export const RUNTIME_SUPPRESSION = {
  id: 'AwsSolutions-L1',
  reason: 'Node.js 22 is the project\'s chosen LTS runtime (supported by Lambda until 2027); the bundle targets node22. Node.js 24 can be chosen with the `runtime` prop.',
};

/** The NodejsFunction props shared by the detector and the sweep. */
export function bundledFunctionProps(entry: string, rulesFile: string, runtime: lambda.Runtime | undefined): Pick<
  nodejs.NodejsFunctionProps, 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  const lockFile = findLockFile(PROJECT_ROOT);
  return {
    entry: resolveEntry(entry),
    handler: 'handler',
    projectRoot: path.dirname(lockFile),
    depsLockFilePath: lockFile,
    runtime: runtime ?? lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: {
      // Local esbuild only: no Docker anywhere in the build.
      forceDockerBundling: false,
      minify: LAMBDA_BUNDLE.minify,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      // index.js.map is written but not linked from index.js: Node.js never loads it at start, even with
      // --enable-source-maps.
      sourceMap: true,
      sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
      sourcesContent: false,
      target: LAMBDA_BUNDLE.target,
      format: nodejs.OutputFormat.CJS,
      bundleAwsSDK: true,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The validated rule set travels in the bundle: a rule change changes the asset hash. The AWS SDK clients
        // are built beside index.js, loaded on first use (lib/lambda-bundle-options.ts).
        afterBundling: (_inputDir: string, outputDir: string) => [
          copyFileCommand(rulesFile, path.join(outputDir, 'rules.json')),
          sdkModulesCommand(path.dirname(resolveEntry(entry)), outputDir, path.dirname(lockFile)),
        ],
      },
    },
  };
}

/**
 * The entry as given when it exists (TypeScript in a checkout); otherwise its compiled JavaScript beside it, which
 * is all the installed package has (`dist/lambda/handler.js` for `dist/lambda/handler.ts`).
 */
export function resolveEntry(entry: string): string {
  if (fs.existsSync(entry)) return entry;
  const compiled = entry.replace(/\.ts$/, '.js');
  if (compiled !== entry && fs.existsSync(compiled)) return compiled;
  throw new Error(`auth0-sigma: the Lambda entry ${entry} is missing${compiled !== entry ? ` (and so is ${compiled})` : ''}: reinstall the package, or run \`npm run build\` in a checkout`);
}

/**
 * The nearest package lock file at or above `from`. In this repository that is its own package-lock.json; in an app
 * that installed the package (node_modules/auth0-sigma/dist) it is the app's lock file, whose folder becomes the
 * bundling's project root: esbuild then resolves the handler's dependencies from the app's node_modules, and the
 * entry lies under that root as NodejsFunction requires.
 */
export function findLockFile(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    for (const name of LOCK_FILES) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`auth0-sigma: no package lock file (${LOCK_FILES.join(', ')}) at or above ${from}: the Lambda is bundled with esbuild from the app's installed dependencies; run \`npm install\` in the app first`);
}

/**
 * Builds the AWS SDK modules into `<outputDir>/aws-sdk/` with the esbuild the bundling uses (resolved from the
 * project root, as NodejsFunction resolves it). The options travel base64-encoded: no quoting on any shell.
 */
function sdkModulesCommand(lambdaDir: string, outputDir: string, projectRoot: string): string {
  const esbuild = require.resolve('esbuild', { paths: [projectRoot, __dirname] });
  const options = Buffer.from(JSON.stringify(sdkModulesBuildOptions(lambdaDir, outputDir))).toString('base64');
  const script = "const [, esbuild, options] = process.argv; require(esbuild).buildSync(JSON.parse(Buffer.from(options, 'base64').toString()))";
  return `"${process.execPath}" -e "${script}" "${esbuild}" ${options}`;
}

function copyFileCommand(from: string, to: string): string {
  return process.platform === 'win32' ? `copy /Y "${from}" "${to}"` : `cp "${from}" "${to}"`;
}
