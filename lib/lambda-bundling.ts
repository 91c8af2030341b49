// How every function of the app is bundled: local esbuild (no Docker), minified CommonJS with a source map, the
// AWS SDK inside the bundle, and the validated rule set (rules.json) copied next to the code.

import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

export const PROJECT_ROOT = path.join(__dirname, '..');

/** cdk-nag L1 (latest runtime), for every function of the app. */
export const RUNTIME_SUPPRESSION = {
  id: 'AwsSolutions-L1',
  reason: 'Node.js 22 is the project\'s chosen LTS runtime (supported by Lambda until 2027); the bundle targets node22. Node.js 24 can be chosen with the `runtime` prop.',
};

/** The NodejsFunction props shared by the detector and the sweep. */
export function bundledFunctionProps(entry: string, rulesFile: string, runtime: lambda.Runtime | undefined): Pick<
  nodejs.NodejsFunctionProps, 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  return {
    entry,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: runtime ?? lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: {
      // Local esbuild only: no Docker anywhere in the build.
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      target: 'node22',
      format: nodejs.OutputFormat.CJS,
      // The SDK is bundled (not taken from the runtime) so the deployed code runs the versions the tests ran.
      bundleAwsSDK: true,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The validated rule set travels in the bundle: a rule change changes the asset hash.
        afterBundling: (_inputDir: string, outputDir: string) => [copyFileCommand(rulesFile, path.join(outputDir, 'rules.json'))],
      },
    },
  };
}

function copyFileCommand(from: string, to: string): string {
  return process.platform === 'win32' ? `copy /Y "${from}" "${to}"` : `cp "${from}" "${to}"`;
}
