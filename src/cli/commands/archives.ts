/** `reflow archives create | list | describe | update | delete`. */
import type { Command } from 'commander';
import {
  CreateArchiveCommand,
  DeleteArchiveCommand,
  DescribeArchiveCommand,
  ListArchivesCommand,
  UpdateArchiveCommand,
  type ArchiveState,
} from '@aws-sdk/client-eventbridge';
import { action, clientFor, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg, jsonTextArg } from '../input.js';
import { busArn } from '../resolve.js';

interface ArchiveOptions extends EndpointOptions {
  name: string;
  pattern?: string;
  retentionDays?: string;
  description?: string;
}

const fields = (options: ArchiveOptions) => ({
  EventPattern: options.pattern === undefined ? undefined : jsonTextArg(options.pattern, '--pattern'),
  RetentionDays: options.retentionDays === undefined ? undefined : intArg(options.retentionDays, '--retention-days'),
  Description: options.description,
});

export function registerArchives(program: Command): void {
  const archives = program.command('archives').description('archives keep the events of a bus for replay');

  withEndpoint(
    archives
      .command('create')
      .description('archive the events of a bus')
      .requiredOption('--name <name>', 'archive name')
      .option('--source <bus>', 'event bus name or ARN', 'default')
      .option('--pattern <json>', 'only events matching this pattern (JSON or @file)')
      .option('--retention-days <n>', 'days to keep events (0: forever)')
      .option('--description <text>', 'description'),
  ).action(
    action(async (options: ArchiveOptions & { source: string }) => {
      const client = clientFor(options);
      const input = defined({ ArchiveName: options.name, EventSourceArn: await busArn(client, options.source), ...fields(options) });
      printJson(await client.send(new CreateArchiveCommand(input)));
    }),
  );

  withEndpoint(
    archives
      .command('list')
      .description('list archives')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--source <bus>', 'only archives of this bus (name or ARN)')
      .option('--state <state>', 'only archives in this state')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { prefix?: string; source?: string; state?: string; limit?: string; nextToken?: string }) => {
      const client = clientFor(options);
      const input = defined({
        NamePrefix: options.prefix,
        EventSourceArn: options.source === undefined ? undefined : await busArn(client, options.source),
        State: options.state as ArchiveState | undefined,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await client.send(new ListArchivesCommand(input)));
    }),
  );

  withEndpoint(archives.command('describe').description('describe an archive').requiredOption('--name <name>', 'archive name')).action(
    action(async (options: EndpointOptions & { name: string }) => {
      printJson(await clientFor(options).send(new DescribeArchiveCommand({ ArchiveName: options.name })));
    }),
  );

  withEndpoint(
    archives
      .command('update')
      .description("change an archive's pattern, retention or description")
      .requiredOption('--name <name>', 'archive name')
      .option('--pattern <json>', 'event pattern (JSON or @file)')
      .option('--retention-days <n>', 'days to keep events')
      .option('--description <text>', 'description'),
  ).action(
    action(async (options: ArchiveOptions) => {
      printJson(await clientFor(options).send(new UpdateArchiveCommand(defined({ ArchiveName: options.name, ...fields(options) }))));
    }),
  );

  withEndpoint(archives.command('delete').description('delete an archive').requiredOption('--name <name>', 'archive name')).action(
    action(async (options: EndpointOptions & { name: string }) => {
      printJson(await clientFor(options).send(new DeleteArchiveCommand({ ArchiveName: options.name })));
    }),
  );
}
