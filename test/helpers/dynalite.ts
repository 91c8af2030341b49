// Starts dynalite (a real implementation of the DynamoDB API, in memory, in this process) on 127.0.0.1 with a
// random port, creates the correlation table, and hands back a real AWS SDK client with dummy credentials.
// No Docker, no network beyond the loopback interface, nothing reaches AWS.

import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'net';
import type { Server } from 'http';
import { correlationCreateTableInput } from '../../lambda/state/dynamodb-store';

// dynalite ships no types: it is a function returning an http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface LocalDynamo {
  client: DynamoDBClient;
  /** A fresh client (a separate connection pool), as a concurrent Lambda would have. */
  newClient(): DynamoDBClient;
  tableName: string;
  endpoint: string;
  /** Creates another empty table with the correlation schema (isolates tests) and returns its name. */
  createTable(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 3,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  const createTable = async (name?: string): Promise<string> => {
    const tableName = name ?? `correlation-${process.pid}-${++tableCounter}`;
    await client.send(new CreateTableCommand(correlationCreateTableInput(tableName)));
    return tableName;
  };
  const tableName = await createTable();
  return {
    client,
    newClient,
    tableName,
    endpoint,
    createTable,
    stop: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
