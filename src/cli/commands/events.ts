/** `reflow events put | test-pattern | tail`. */
import type { Command } from 'commander';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { isReflowError } from '../../errors.js';
import { runTestEventPattern } from '../../server/test-event-pattern.js';
import { toWireError } from '../../server/errors.js';
import { action, clientFor, CliError, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { intArg, jsonArg, jsonTextArg, listArg, readText, timeArg } from '../input.js';

interface PutOptions extends EndpointOptions {
  bus?: string;
  source?: string;
  detailType?: string;
  detail?: string;
  resources?: string;
  time?: string;
  file?: string;
}

/** Entries from a file: an array of entries or {"Entries": [...]}; Time as ISO-8601 text or epoch seconds. */
function entriesFromFile(path: string): PutEventsRequestEntry[] {
  const parsed = jsonArg<unknown>(`@${path}`, path);
  const list = Array.isArray(parsed) ? parsed : (parsed as { Entries?: unknown })?.Entries;
  if (!Array.isArray(list)) throw new CliError('InvalidArgument', `${path} must hold an array of entries or {"Entries": [...]}`, 2);
  return list.map((raw, i) => {
    const entry = { ...(raw as Record<string, unknown>) };
    if (typeof entry.Detail === 'object' && entry.Detail !== null) entry.Detail = JSON.stringify(entry.Detail);
    if (typeof entry.Time === 'string' || typeof entry.Time === 'number') entry.Time = timeArg(String(entry.Time), `Entries[${i}].Time`);
    return entry as PutEventsRequestEntry;
  });
}

/** Reads a file, or takes the value itself when it is JSON text (patterns and events are objects). */
function fileOrInline(value: string): string {
  return /^\s*[[{]/.test(value) ? value : readText(value.startsWith('@') ? value.slice(1) : value);
}

export function registerEvents(program: Command): void {
  const events = program.command('events').description('put, test and follow events');

  withEndpoint(
    events
      .command('put')
      .description('put one event (or the entries of --file) on a bus')
      .option('--bus <name>', 'event bus name or ARN (default: default)')
      .option('--source <source>', 'event source')
      .option('--detail-type <type>', 'event detail-type')
      .option('--detail <json>', 'detail object as JSON or @file', '{}')
      .option('--resources <arns>', 'comma-separated resource ARNs')
      .option('--time <time>', 'event time (ISO-8601 or epoch seconds)')
      .option('--file <entries.json>', 'PutEvents entries (array, or {"Entries": [...]})'),
  ).action(
    action(async (options: PutOptions) => {
      let entries: PutEventsRequestEntry[];
      if (options.file) {
        entries = entriesFromFile(options.file);
        if (options.bus) for (const entry of entries) entry.EventBusName ??= options.bus;
      } else {
        if (!options.source || !options.detailType) throw new CliError('InvalidArgument', 'give --source and --detail-type (or --file)', 2);
        const entry: PutEventsRequestEntry = {
          Source: options.source,
          DetailType: options.detailType,
          Detail: jsonTextArg(options.detail ?? '{}', '--detail'),
        };
        if (options.bus) entry.EventBusName = options.bus;
        if (options.resources) entry.Resources = listArg(options.resources);
        if (options.time) entry.Time = timeArg(options.time, '--time');
        entries = [entry];
      }
      const result = await clientFor(options).send(new PutEventsCommand({ Entries: entries }));
      printJson(result);
      for (const entry of result.Entries ?? []) {
        if (entry.ErrorCode) process.stderr.write(`${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}\n`);
      }
      if ((result.FailedEntryCount ?? 0) > 0) process.exitCode = 1;
    }),
  );

  events
    .command('test-pattern')
    .description('test an event against an event pattern, offline (prints true or false)')
    .requiredOption('--pattern <file>', 'event pattern file (or inline JSON)')
    .requiredOption('--event <file>', 'event file (or inline JSON)')
    // Accepted like on every command, and not used: the pattern is tested in this process.
    .option('--endpoint <url>', 'not used (runs offline)')
    .action(
      action(async (options: { pattern: string; event: string }) => {
        const pattern = fileOrInline(options.pattern);
        const event = fileOrInline(options.event);
        let result: boolean;
        try {
          result = runTestEventPattern(pattern, event);
        } catch (err) {
          // An invalid pattern or event is the input's fault: exit code 2, EventBridge's code and message.
          if (isReflowError(err)) {
            const wire = toWireError(err);
            throw new CliError(wire.code, wire.message, 2);
          }
          throw err;
        }
        process.stdout.write(`${result}\n`);
      }),
    );

  withEndpoint(
    events
      .command('tail')
      .description("follow a bus's events as newline-delimited JSON ({Position, Event}) until interrupted")
      .option('--bus <name>', 'event bus (default: default)')
      .option('--pattern <json>', 'only events matching this pattern (JSON or @file)')
      .option('--after <position>', 'start after this log position (default: new events only)'),
  ).action(
    action(async (options: EndpointOptions & { bus?: string; pattern?: string; after?: string }) => {
      const tailOptions: { EventBusName?: string; EventPattern?: string; After?: number } = {};
      if (options.bus) tailOptions.EventBusName = options.bus;
      if (options.pattern) tailOptions.EventPattern = jsonTextArg(options.pattern, '--pattern');
      if (options.after !== undefined) tailOptions.After = intArg(options.after, '--after');
      const subscription = clientFor(options).tail(tailOptions);
      const stop = () => void subscription.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      for await (const item of subscription) process.stdout.write(`${JSON.stringify(item)}\n`);
      const end = await subscription.closed;
      if (end instanceof Error) throw end;
    }),
  );
}
