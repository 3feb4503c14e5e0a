/** `reflow rules put | list | describe | enable | disable | delete`. */
import type { Command } from 'commander';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListRulesCommand,
  PutRuleCommand,
  type RuleState,
} from '@aws-sdk/client-eventbridge';
import { action, clientFor, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg, jsonTextArg } from '../input.js';

interface RuleOptions extends EndpointOptions {
  name: string;
  bus?: string;
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('rules route events to targets');

  withEndpoint(
    rules
      .command('put')
      .description('create or update a rule')
      .requiredOption('--name <name>', 'rule name')
      .option('--bus <name>', 'event bus (default: default)')
      .option('--pattern <json>', 'event pattern (JSON or @file)')
      .option('--schedule <expression>', 'schedule expression (cron(...) or rate(...))')
      .option('--state <state>', 'ENABLED or DISABLED')
      .option('--description <text>', 'description')
      .option('--role-arn <arn>', 'role ARN'),
  ).action(
    action(async (options: RuleOptions & { pattern?: string; schedule?: string; state?: string; description?: string; roleArn?: string }) => {
      const input = defined({
        Name: options.name,
        EventBusName: options.bus,
        EventPattern: options.pattern === undefined ? undefined : jsonTextArg(options.pattern, '--pattern'),
        ScheduleExpression: options.schedule,
        State: options.state as RuleState | undefined,
        Description: options.description,
        RoleArn: options.roleArn,
      });
      printJson(await clientFor(options).send(new PutRuleCommand(input)));
    }),
  );

  withEndpoint(
    rules
      .command('list')
      .description('list rules of a bus')
      .option('--bus <name>', 'event bus (default: default)')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { bus?: string; prefix?: string; limit?: string; nextToken?: string }) => {
      const input = defined({
        EventBusName: options.bus,
        NamePrefix: options.prefix,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await clientFor(options).send(new ListRulesCommand(input)));
    }),
  );

  const ref = (command: Command) =>
    withEndpoint(command.requiredOption('--name <name>', 'rule name').option('--bus <name>', 'event bus (default: default)'));

  ref(rules.command('describe').description('describe a rule')).action(
    action(async (options: RuleOptions) => {
      printJson(await clientFor(options).send(new DescribeRuleCommand(defined({ Name: options.name, EventBusName: options.bus }))));
    }),
  );
  ref(rules.command('enable').description('enable a rule')).action(
    action(async (options: RuleOptions) => {
      printJson(await clientFor(options).send(new EnableRuleCommand(defined({ Name: options.name, EventBusName: options.bus }))));
    }),
  );
  ref(rules.command('disable').description('disable a rule')).action(
    action(async (options: RuleOptions) => {
      printJson(await clientFor(options).send(new DisableRuleCommand(defined({ Name: options.name, EventBusName: options.bus }))));
    }),
  );
  ref(rules.command('delete').description('delete a rule (it must have no targets, unless --force)'))
    .option('--force', 'delete a managed rule')
    .action(
      action(async (options: RuleOptions & { force?: boolean }) => {
        const input = defined({ Name: options.name, EventBusName: options.bus, Force: options.force });
        printJson(await clientFor(options).send(new DeleteRuleCommand(input)));
      }),
    );
}
