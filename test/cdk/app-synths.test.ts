// The synth tests of the app (buildApp, what bin/app.ts runs), in one jest module registry: jest loads aws-cdk-lib
// afresh for every test file (about 2 s of CPU before the first synth), so these files run here as one. Each
// keeps its own hooks and state inside its describe block. construct-synths.test.ts holds the others, about the
// same CPU, so that the two jest workers share them (docs/development.md, "Test speed and memory").
import { catalogSynthCases } from './catalog-synth.cases';
import { rulesArtifactCases } from './rules-artifact.cases';
import { rulesAssetCases } from './rules-asset.cases';
import { stackCases } from './stack.cases';

describe('stack', stackCases);
describe('rules-asset', rulesAssetCases);
describe('catalog-synth', catalogSynthCases);
describe('rules-artifact', rulesArtifactCases);
