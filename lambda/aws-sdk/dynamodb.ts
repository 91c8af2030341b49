// The parts of the DynamoDB client package the state store, ledger, storm control and state size use, loaded through
// lambda/aws-clients.ts on first use (bundled apart from index.js: lib/lambda-bundle-options.ts).
export {
  ConditionalCheckFailedException, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
