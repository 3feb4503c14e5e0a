/** `reflow dead-letters list`: events a target gave up on, with the last error. */
import type { Command } from 'commander';
import { action, clientFor, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg } from '../input.js';

export function registerDeadLetters(program: Command): void {
  const deadLetters = program.command('dead-letters').description('events that could not be delivered');
  withEndpoint(
    deadLetters
      .command('list')
      .description('list dead letters')
      .option('--bus <name>', 'only this bus')
      .option('--rule <name>', 'only this rule')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { bus?: string; rule?: string; limit?: string; nextToken?: string }) => {
      const input = defined({
        EventBusName: options.bus,
        Rule: options.rule,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await clientFor(options).listDeadLetters(input));
    }),
  );
}
