/** `reflow replays start | describe | list | cancel`; `start --wait` and `describe --watch` show progress. */
import type { Command } from 'commander';
import { CancelReplayCommand, ListReplaysCommand, StartReplayCommand, type ReplayState } from '@aws-sdk/client-eventbridge';
import { action, clientFor, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { defined, intArg, listArg, timeArg } from '../input.js';
import { archive, busArn, ruleArns } from '../resolve.js';
import { FINAL_STATES, watchReplay } from '../progress.js';

interface StartOptions extends EndpointOptions {
  name: string;
  archive: string;
  from: string;
  to?: string;
  destination?: string;
  rules?: string;
  description?: string;
  wait?: boolean;
}

export function registerReplays(program: Command): void {
  const replays = program.command('replays').description("replays put an archive's events on their bus again");

  withEndpoint(
    replays
      .command('start')
      .description('replay the events of an archive from a time window')
      .requiredOption('--name <name>', 'replay name')
      .requiredOption('--archive <archive>', 'archive name or ARN')
      .requiredOption('--from <time>', 'events at or after this time (ISO-8601 or epoch seconds)')
      .option('--to <time>', 'events before this time (default: now)')
      .option('--destination <bus>', "bus name or ARN (default and only choice: the archive's bus)")
      .option('--rules <rules>', 'only these rules (comma-separated names or ARNs)')
      .option('--description <text>', 'description')
      .option('--wait', 'show progress and wait until the replay ends'),
  ).action(
    action(async (options: StartOptions) => {
      const client = clientFor(options);
      const source = await archive(client, options.archive);
      const destination = options.destination === undefined ? source.source : await busArn(client, options.destination);
      const input = defined({
        ReplayName: options.name,
        Description: options.description,
        EventSourceArn: source.arn,
        EventStartTime: timeArg(options.from, '--from'),
        EventEndTime: options.to === undefined ? new Date() : timeArg(options.to, '--to'),
        Destination: defined({
          Arn: destination,
          FilterArns: options.rules === undefined ? undefined : await ruleArns(client, listArg(options.rules), destination),
        }),
      });
      const started = await client.send(new StartReplayCommand(input));
      if (!options.wait) return printJson(started);
      const final = await watchReplay(client, options.name);
      printJson(final);
      if (final.State === 'FAILED') process.exitCode = 1;
    }),
  );

  withEndpoint(
    replays
      .command('describe')
      .description('describe a replay (with Progress)')
      .requiredOption('--name <name>', 'replay name')
      .option('--watch', 'show progress until the replay ends'),
  ).action(
    action(async (options: EndpointOptions & { name: string; watch?: boolean }) => {
      const client = clientFor(options);
      const replay = options.watch ? await watchReplay(client, options.name) : await client.describeReplay(options.name);
      printJson(replay);
      if (options.watch && FINAL_STATES.has(replay.State) && replay.State === 'FAILED') process.exitCode = 1;
    }),
  );

  withEndpoint(
    replays
      .command('list')
      .description('list replays')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--state <state>', 'only replays in this state')
      .option('--archive <archive>', 'only replays of this archive (name or ARN)')
      .option('--limit <n>', 'page size')
      .option('--next-token <token>', 'page to fetch'),
  ).action(
    action(async (options: EndpointOptions & { prefix?: string; state?: string; archive?: string; limit?: string; nextToken?: string }) => {
      const client = clientFor(options);
      const input = defined({
        NamePrefix: options.prefix,
        State: options.state as ReplayState | undefined,
        EventSourceArn: options.archive === undefined ? undefined : (await archive(client, options.archive)).arn,
        Limit: options.limit === undefined ? undefined : intArg(options.limit, '--limit'),
        NextToken: options.nextToken,
      });
      printJson(await client.send(new ListReplaysCommand(input)));
    }),
  );

  withEndpoint(replays.command('cancel').description('cancel a running replay').requiredOption('--name <name>', 'replay name')).action(
    action(async (options: EndpointOptions & { name: string }) => {
      printJson(await clientFor(options).send(new CancelReplayCommand({ ReplayName: options.name })));
    }),
  );
}
