// The synth tests of the SigmaDetector construct, the correlation stack and the every-channel app, in one jest
// module registry (why: app-synths.test.ts). Each file keeps its own hooks and state inside its describe block.
import { channelsStackCases } from './channels-stack.cases';
import { chatStormDefaultCases } from './chat-storm-default.cases';
import { correlationStackCases } from './correlation-stack.cases';
import { reliabilityConstructCases } from './reliability-construct.cases';
import { sigmaDetectorCases } from './sigma-detector.cases';

describe('correlation-stack', correlationStackCases);
describe('channels-stack', channelsStackCases);
describe('reliability-construct', reliabilityConstructCases);
describe('sigma-detector', sigmaDetectorCases);
describe('chat-storm-default', chatStormDefaultCases);
