/** `reflow targets put | list | remove`. */
import type { Command } from 'commander';
import { ListTargetsByRuleCommand, PutTargetsCommand, RemoveTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';
import { action, clientFor, CliError, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg, jsonArg, jsonTextArg, listArg } from '../input.js';

interface PutOptions extends EndpointOptions {
  rule: string;
  bus?: string;
  target?: string;
  id?: string;
  arn?: string;
  input?: string;
  inputPath?: string;
  maxRetries?: string;
  maxAge?: string;
  deadLetterArn?: string;
}

function targetsFrom(options: PutOptions): Target[] {
  if (options.target) {
    const parsed = jsonArg<Target | Target[]>(options.target, '--target');
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  if (!options.id || !options.arn) throw new CliError('InvalidArgument', 'give --id and --arn (or --target JSON)', 2);
  const target: Target = { Id: options.id, Arn: options.arn };
  if (options.input !== undefined) target.Input = jsonTextArg(options.input, '--input');
  if (options.inputPath !== undefined) target.InputPath = options.inputPath;
  if (options.maxRetries !== undefined || options.maxAge !== undefined) {
    target.RetryPolicy = defined({
      MaximumRetryAttempts: options.maxRetries === undefined ? undefined : intArg(options.maxRetries, '--max-retries'),
      MaximumEventAgeInSeconds: options.maxAge === undefined ? undefined : intArg(options.maxAge, '--max-age'),
    });
  }
  if (options.deadLetterArn !== undefined) target.DeadLetterConfig = { Arn: options.deadLetterArn };
  return [target];
}

export function registerTargets(program: Command): void {
  const targets = program.command('targets').description("a rule's targets receive the events it matches");

  withEndpoint(
    targets
      .command('put')
      .description('add or replace targets of a rule')
      .requiredOption('--rule <name>', 'rule name')
      .option('--bus <name>', 'event bus (default: default)')
      .option('--target <json>', 'a Target (or an array of them) as JSON or @file')
      .option('--id <id>', 'target id')
      .option('--arn <arn>', 'target ARN: a bus ARN, an http(s) URL, arn:reflow:handler:<name>, a Lambda ARN')
      .option('--input <json>', 'constant input sent instead of the event')
      .option('--input-path <path>', 'JSONPath of the part of the event to send')
      .option('--max-retries <n>', 'retry attempts before dead-lettering')
      .option('--max-age <seconds>', 'maximum event age in seconds')
      .option('--dead-letter-arn <arn>', 'dead-letter destination'),
  ).action(
    action(async (options: PutOptions) => {
      const result = await clientFor(options).send(
        new PutTargetsCommand(defined({ Rule: options.rule, EventBusName: options.bus, Targets: targetsFrom(options) })),
      );
      printJson(result);
      for (const failed of result.FailedEntries ?? []) process.stderr.write(`${failed.ErrorCode}: ${failed.ErrorMessage} (${failed.TargetId})\n`);
      if ((result.FailedEntryCount ?? 0) > 0) process.exitCode = 1;
    }),
  );

  withEndpoint(
    targets
      .command('list')
      .description("list a rule's targets")
      .requiredOption('--rule <name>', 'rule name')
      .option('--bus <name>', 'event bus (default: default)')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { rule: string; bus?: string; limit?: string; nextToken?: string }) => {
      const input = defined({
        Rule: options.rule,
        EventBusName: options.bus,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await clientFor(options).send(new ListTargetsByRuleCommand(input)));
    }),
  );

  withEndpoint(
    targets
      .command('remove')
      .description('remove targets from a rule')
      .requiredOption('--rule <name>', 'rule name')
      .requiredOption('--ids <ids>', 'comma-separated target ids')
      .option('--bus <name>', 'event bus (default: default)')
      .option('--force', 'remove from a managed rule'),
  ).action(
    action(async (options: EndpointOptions & { rule: string; ids: string; bus?: string; force?: boolean }) => {
      const input = defined({ Rule: options.rule, EventBusName: options.bus, Ids: listArg(options.ids), Force: options.force });
      const result = await clientFor(options).send(new RemoveTargetsCommand(input));
      printJson(result);
      if ((result.FailedEntryCount ?? 0) > 0) process.exitCode = 1;
    }),
  );
}
