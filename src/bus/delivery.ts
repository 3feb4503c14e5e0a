/**
 * Invoking one target with one rendered payload. Adapter-neutral: the SQLite bus and the scale-out bus both deliver
 * through here. A failure throws DeliveryError; `retryable` tells the retry policy whether trying again can help.
 */
import type { EventHandler, DeliveryContext, Target } from './types.js';
import { parseEventsArn } from './arn.js';

export type TargetKind =
  | { kind: 'handler'; name: string }
  | { kind: 'http'; url: string }
  | { kind: 'bus'; bus: string }
  | { kind: 'other'; arn: string };

const LAMBDA = /^arn:[\w-]+:lambda:[\w-]*:\d*:function:([^:]+)/;
const HANDLER = /^arn:reflow:handler:(.+)$/;

export function classifyTarget(arn: string): TargetKind {
  const handler = HANDLER.exec(arn) ?? LAMBDA.exec(arn);
  if (handler) return { kind: 'handler', name: handler[1]! };
  if (/^https?:\/\//i.test(arn)) return { kind: 'http', url: arn };
  const events = parseEventsArn(arn);
  if (events?.type === 'event-bus') return { kind: 'bus', bus: events.name };
  return { kind: 'other', arn };
}

export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

export interface InvokeEnvironment {
  handlers: ReadonlyMap<string, EventHandler>;
  httpTimeoutMs: number;
  /** Puts an event on another bus of the same adapter (bus-to-bus targets). */
  forward(bus: string, eventJson: string): Promise<void>;
}

/** `parsed`, when given, is `payload` already parsed (the untransformed event), so handlers skip a second parse. */
export async function invokeTarget(
  env: InvokeEnvironment,
  target: Target,
  kind: TargetKind,
  payload: string,
  context: () => DeliveryContext,
  parsed?: unknown,
): Promise<void> {
  switch (kind.kind) {
    case 'handler': {
      const handler = env.handlers.get(kind.name) ?? env.handlers.get(target.Arn);
      // A handler may be registered after its target: retrying lets it pick the event up once it is.
      if (!handler) throw new DeliveryError(`no handler registered for '${kind.name}'`, true);
      try {
        await handler(parsed ?? parsePayload(payload), context());
      } catch (err) {
        throw new DeliveryError(`handler '${kind.name}' failed: ${(err as Error)?.message ?? String(err)}`, true, { cause: err });
      }
      return;
    }
    case 'http':
      return postHttp(kind.url, target, payload, env.httpTimeoutMs);
    case 'bus':
      return env.forward(kind.bus, payload);
    case 'other': {
      const handler = env.handlers.get(kind.arn);
      if (!handler) throw new DeliveryError(`no delivery for target ARN '${kind.arn}' (register a handler under this ARN)`, true);
      await handler(parsed ?? parsePayload(payload), context());
      return;
    }
  }
}

/** Handlers receive JSON payloads parsed (as Lambda does) and anything else as the raw text. */
function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

async function postHttp(url: string, target: Target, payload: string, timeoutMs: number): Promise<void> {
  const params = target.HttpParameters;
  const full = new URL(url);
  for (const [k, v] of Object.entries(params?.QueryStringParameters ?? {})) full.searchParams.set(k, v);
  let response: Response;
  try {
    response = await fetch(full, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json; charset=utf-8', ...(params?.HeaderParameters ?? {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(`POST ${full.origin}${full.pathname} failed: ${(err as Error).message}`, true, { cause: err });
  }
  await response.arrayBuffer().catch(() => undefined); // free the connection for keep-alive
  if (response.ok) return;
  // As EventBridge API destinations: 429 and 5xx are retried, other client errors go straight to the dead letters.
  const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
  throw new DeliveryError(`POST ${full.origin}${full.pathname} answered ${response.status}`, retryable);
}
