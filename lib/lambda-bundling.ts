// How every function of the app is bundled: local esbuild (no Docker), minified CommonJS (settings and their
// reasons: lib/lambda-bundle-options.ts), the AWS SDK inside the bundle, and the validated rule set (rules.json)
// copied next to the code.

import * as crypto from 'node:crypto';
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
          sdkModulesCommand(path.dirname(resolveEntry(entry)), outputDir, lockFile),
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
 *
 * The build (about 0.8 s of CPU per function) is the same for every function and every synth until esbuild, the
 * options, the entry files or the lock file change, so it is kept under `node_modules/.cache/auth0-sigma/` keyed by
 * a hash of those (sdkModulesCacheKey) and copied from there. A new build goes to a temporary folder renamed into
 * place, so a concurrent synth never sees half a build; any cache failure (read-only node_modules, no
 * node_modules) falls back to building straight into the output.
 */
export function sdkModulesCommand(lambdaDir: string, outputDir: string, lockFile: string): string {
  const projectRoot = path.dirname(lockFile);
  const esbuildPackage = require.resolve('esbuild/package.json', { paths: [projectRoot, __dirname] });
  const esbuild = require.resolve('esbuild', { paths: [path.dirname(path.dirname(esbuildPackage))] });
  const options = sdkModulesBuildOptions(lambdaDir, outputDir);
  const esbuildVersion = (JSON.parse(fs.readFileSync(esbuildPackage, 'utf8')) as { version: string }).version;
  const key = sdkModulesCacheKey(esbuildVersion, options, lockFile);
  const cacheDir = path.join(projectRoot, 'node_modules', '.cache', 'auth0-sigma', 'sdk-modules', key);
  const payload = Buffer.from(JSON.stringify({ esbuild, options, cacheDir })).toString('base64');
  return `"${process.execPath}" -e "${SDK_MODULES_SCRIPT}" ${payload}`;
}

/** A hash of everything the SDK modules build depends on, except the output folder. */
export function sdkModulesCacheKey(esbuildVersion: string, options: { entryPoints: string[]; outdir: string }, lockFile: string): string {
  const hash = crypto.createHash('sha256').update(`esbuild ${esbuildVersion}\0`);
  hash.update(JSON.stringify({ ...options, outdir: undefined })).update('\0');
  for (const entry of options.entryPoints) hash.update(fs.readFileSync(entry)).update('\0');
  hash.update(fs.readFileSync(lockFile));
  return hash.digest('hex').slice(0, 32);
}

// Run by `node -e` (single quotes only: it sits inside double quotes on the command line).
const SDK_MODULES_SCRIPT = [
  "const fs = require('fs');",
  "const { esbuild, options, cacheDir } = JSON.parse(Buffer.from(process.argv[1], 'base64').toString());",
  "const build = (outdir) => require(esbuild).buildSync({ ...options, outdir });",
  'let cached = false;',
  'try {',
  '  if (!fs.existsSync(cacheDir)) {',
  "    const temporary = cacheDir + '.tmp-' + process.pid + '-' + Date.now();",
  '    build(temporary);',
  '    try { fs.renameSync(temporary, cacheDir); } catch { fs.rmSync(temporary, { recursive: true, force: true }); }',
  '  }',
  '  fs.cpSync(cacheDir, options.outdir, { recursive: true });',
  '  cached = true;',
  '} catch {}',
  'if (!cached) build(options.outdir);',
].join(' ');

function copyFileCommand(from: string, to: string): string {
  return process.platform === 'win32' ? `copy /Y "${from}" "${to}"` : `cp "${from}" "${to}"`;
}
