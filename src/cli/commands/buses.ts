/** `reflow buses create | list | describe | delete`. */
import type { Command } from 'commander';
import { CreateEventBusCommand, DeleteEventBusCommand, DescribeEventBusCommand, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { action, clientFor, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg } from '../input.js';

export function registerBuses(program: Command): void {
  const buses = program.command('buses').description('event buses');

  withEndpoint(
    buses.command('create').description('create an event bus').requiredOption('--name <name>', 'bus name').option('--description <text>', 'description'),
  ).action(
    action(async (options: EndpointOptions & { name: string; description?: string }) => {
      printJson(await clientFor(options).send(new CreateEventBusCommand(defined({ Name: options.name, Description: options.description }))));
    }),
  );

  withEndpoint(
    buses
      .command('list')
      .description('list event buses')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { prefix?: string; limit?: string; nextToken?: string }) => {
      const input = defined({
        NamePrefix: options.prefix,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await clientFor(options).send(new ListEventBusesCommand(input)));
    }),
  );

  withEndpoint(buses.command('describe').description('describe an event bus').option('--name <name>', 'bus name or ARN (default: default)')).action(
    action(async (options: EndpointOptions & { name?: string }) => {
      printJson(await clientFor(options).send(new DescribeEventBusCommand(defined({ Name: options.name }))));
    }),
  );

  withEndpoint(buses.command('delete').description('delete an event bus').requiredOption('--name <name>', 'bus name')).action(
    action(async (options: EndpointOptions & { name: string }) => {
      printJson(await clientFor(options).send(new DeleteEventBusCommand({ Name: options.name })));
    }),
  );
}
