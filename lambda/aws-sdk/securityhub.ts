// The parts of the Security Hub client package the pipeline uses, loaded through lambda/aws-clients.ts on first use
// (bundled apart from index.js: lib/lambda-bundle-options.ts).
export { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
