/** Names to ARNs: the CLI takes names where EventBridge wants ARNs and asks the server for them. */
import { DescribeArchiveCommand, DescribeEventBusCommand, DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import type { ReflowClient } from '../client/index.js';

const isArn = (value: string) => value.startsWith('arn:');

export async function busArn(client: ReflowClient, nameOrArn: string): Promise<string> {
  if (isArn(nameOrArn)) return nameOrArn;
  return (await client.send(new DescribeEventBusCommand({ Name: nameOrArn }))).Arn!;
}

export async function archive(client: ReflowClient, nameOrArn: string): Promise<{ arn: string; source: string }> {
  const name = isArn(nameOrArn) ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
  const described = await client.send(new DescribeArchiveCommand({ ArchiveName: name }));
  return { arn: described.ArchiveArn!, source: described.EventSourceArn! };
}

/** Rule names (on the bus named by a bus ARN) or rule ARNs. */
export async function ruleArns(client: ReflowClient, namesOrArns: string[], busArnValue: string): Promise<string[]> {
  const busName = busArnValue.slice(busArnValue.indexOf(':event-bus/') + ':event-bus/'.length);
  return Promise.all(
    namesOrArns.map(async (rule) =>
      isArn(rule) ? rule : (await client.send(new DescribeRuleCommand({ Name: rule, EventBusName: busName }))).Arn!,
    ),
  );
}
