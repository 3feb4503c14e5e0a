/**
 * The one typed client over Reflow's HTTP API, for the CLI and the dashboard. It IS the AWS SDK's EventBridgeClient
 * (EventBridge operations go through the real SDK: `client.send(new PutRuleCommand(…))`), plus small methods for
 * what EventBridge does not have: dead letters, the log tail, CloudEvents ingest, replay progress. Nothing else
 * builds Reflow URLs.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Subscription } from '../bus/port.js';
import type * as T from '../bus/types.js';
import type * as C from '../catalog/types.js';
import type * as P from '../pipeline/api.js';
import { escapeUri, signRequest, type Credentials } from './sigv4.js';

export type { Credentials };

export interface ClientOptions {
  /** Base URL of a Reflow server, e.g. http://127.0.0.1:7070. */
  endpoint: string;
  /** Signing region (default us-east-1). */
  region?: string;
  /** Signing credentials; without them requests are signed with a placeholder key (servers without auth accept it). */
  credentials?: Credentials;
  /** SDK retry attempts for EventBridge operations (default 3). */
  maxAttempts?: number;
}

/** An error answered by the server: `name` and `code` are the wire code, as the SDK's errors have `name`. */
export class ReflowClientError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly field: string | undefined;
  readonly $metadata: { httpStatusCode: number };

  constructor(code: string, message: string, httpStatus: number, field?: string) {
    super(message);
    this.name = code;
    this.code = code;
    this.httpStatus = httpStatus;
    this.field = field;
    this.$metadata = { httpStatusCode: httpStatus };
  }
}

/** A CloudEvents 1.0 event (attributes at the top level, extensions included). */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  [extension: string]: unknown;
}

export interface PutCloudEventOptions {
  /** Bus to put on (default: the default bus). */
  bus?: string;
  /** HTTP binding mode for a single event (default structured); an array is always sent as a batch. */
  mode?: 'structured' | 'binary';
}

export interface ServiceDescription {
  name: string;
  version: string;
  endpoints: Record<string, string>;
  operations: string[];
}

export type ReplayDescriptionWithProgress = T.ReplayDescription;

const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: 'reflow', secretAccessKey: 'reflow' };
const TIMESTAMP_MEMBERS = new Set([
  'CreationTime',
  'LastModifiedTime',
  'EventStartTime',
  'EventEndTime',
  'EventLastReplayedTime',
  'ReplayStartTime',
  'ReplayEndTime',
  'Time',
]);

/** Epoch seconds back into Dates for the members the protocol sends as timestamps. */
function reviveDates(key: string, value: unknown): unknown {
  return TIMESTAMP_MEMBERS.has(key) && typeof value === 'number' ? new Date(value * 1000) : value;
}

async function errorFrom(response: Response): Promise<ReflowClientError> {
  const text = await response.text();
  let code = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? `Http${response.status}`;
  let message = text || response.statusText;
  let field: string | undefined;
  try {
    const body = JSON.parse(text) as { __type?: string; message?: string; Message?: string; field?: string };
    if (body.__type) code = body.__type.split('#').pop()!;
    message = body.message ?? body.Message ?? message;
    field = body.field;
  } catch {
    // not JSON: keep the text
  }
  return new ReflowClientError(code, message, response.status, field);
}

/** The log tail as a Subscription: iterate it; close() (or `break`) ends the HTTP stream. */
class HttpTail implements Subscription<T.TailedEvent> {
  private readonly abort = new AbortController();
  private settle!: (end: void | Error) => void;
  private started = false;
  readonly closed: Promise<void | Error> = new Promise((resolve) => (this.settle = resolve));

  constructor(private readonly open: (signal: AbortSignal) => Promise<Response>) {}

  async *[Symbol.asyncIterator](): AsyncIterator<T.TailedEvent> {
    if (this.started) throw new Error('a tail can be iterated once');
    this.started = true;
    let failure: Error | undefined;
    try {
      const response = await this.open(this.abort.signal);
      if (!response.ok || !response.body) throw await errorFrom(response);
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          const item = JSON.parse(line, reviveDates) as T.TailedEvent & { Error?: { __type: string; message: string } };
          if (item.Error) throw new ReflowClientError(item.Error.__type, item.Error.message, 200);
          yield item;
        }
      }
    } catch (err) {
      if (!this.abort.signal.aborted) failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      this.abort.abort();
      this.settle(failure);
    }
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.settle(undefined);
  }
}

export class ReflowClient extends EventBridgeClient {
  readonly endpoint: URL;
  private readonly signing: { region: string; credentials: Credentials };

  constructor(options: ClientOptions) {
    const region = options.region ?? 'us-east-1';
    const credentials = options.credentials ?? DEFAULT_CREDENTIALS;
    super({ endpoint: options.endpoint, region, credentials, maxAttempts: options.maxAttempts ?? 3 });
    this.endpoint = new URL(options.endpoint);
    this.signing = { region, credentials };
  }

  private url(path: string, query: Record<string, string | number | undefined> = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.endpoint.href.endsWith('/') ? this.endpoint : `${this.endpoint.href}/`);
    // RFC 3986 encoding (a space is %20, never `+`), so the query signs and parses the same on both ends.
    url.search = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`)
      .join('&');
    return url;
  }

  private request(method: string, url: URL, headers: Record<string, string> = {}, body?: Buffer | string, signal?: AbortSignal): Promise<Response> {
    const signed = signRequest({ method, url, headers, body }, this.signing.credentials, this.signing.region);
    const init: RequestInit = { method, headers: signed };
    if (body !== undefined) init.body = body;
    if (signal) init.signal = signal;
    return fetch(url, init);
  }

  /** Calls a JSON-protocol operation directly (`AWSEvents.X` or `Reflow.X`), answering timestamps as Dates. */
  async call<O>(target: string, input: object = {}): Promise<O> {
    const body = JSON.stringify(input, (_key, value: unknown) => (value instanceof Date ? value.getTime() / 1000 : value));
    const response = await this.request('POST', this.url('/'), { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body);
    if (!response.ok) throw await errorFrom(response);
    return JSON.parse(await response.text(), reviveDates) as O;
  }

  /** Reflow.ListDeadLetters: events a target gave up on. */
  listDeadLetters(input: T.ListDeadLettersRequest = {}): Promise<{ DeadLetters: T.DeadLetter[]; NextToken?: string }> {
    return this.call('Reflow.ListDeadLetters', input);
  }

  /** DescribeReplay with Reflow's Progress member ({EventsReplayed, EventsTotal}), which the SDK does not model. */
  describeReplay(replayName: string): Promise<ReplayDescriptionWithProgress> {
    return this.call('AWSEvents.DescribeReplay', { ReplayName: replayName });
  }

  /** Follows a bus's log (through an optional pattern) from a position; by default only new events. */
  tail(options: T.TailOptions = {}): Subscription<T.TailedEvent> {
    const url = this.url('/reflow/v1/tail', { bus: options.EventBusName, pattern: options.EventPattern, after: options.After });
    return new HttpTail((signal) => this.request('GET', url, {}, undefined, signal));
  }

  /** Puts CloudEvents (one event, structured or binary, or an array as a batch); answers the per-entry results. */
  async putCloudEvent(event: CloudEvent | CloudEvent[], options: PutCloudEventOptions = {}): Promise<T.PutEventsResponse> {
    const url = this.url(options.bus ? `/cloudevents/${encodeURIComponent(options.bus)}` : '/cloudevents');
    let headers: Record<string, string>;
    let body: Buffer | string;
    if (Array.isArray(event)) {
      headers = { 'content-type': 'application/cloudevents-batch+json' };
      body = JSON.stringify(event);
    } else if (options.mode === 'binary') {
      const { data, data_base64, datacontenttype, ...attributes } = event;
      headers = { 'content-type': datacontenttype ?? 'application/json' };
      for (const [name, value] of Object.entries(attributes)) if (value !== undefined) headers[`ce-${name}`] = String(value);
      body =
        data_base64 !== undefined ? Buffer.from(data_base64, 'base64') : typeof data === 'string' && !/json/.test(headers['content-type']!) ? data : JSON.stringify(data ?? null);
    } else {
      headers = { 'content-type': 'application/cloudevents+json' };
      body = JSON.stringify(event);
    }
    const response = await this.request('POST', url, headers, body);
    if (!response.ok) throw await errorFrom(response);
    return JSON.parse(await response.text()) as T.PutEventsResponse;
  }

  /** GET /: the service description. */
  async info(): Promise<ServiceDescription> {
    const response = await this.request('GET', this.url('/'));
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as ServiceDescription;
  }

  /** Reflow's own REST resources (`/reflow/v1/...`): JSON in and out, errors as ReflowClientError. */
  async rest<O>(method: 'GET' | 'POST', path: string, query: Record<string, string | number | undefined> = {}): Promise<O> {
    const response = await this.request(method, this.url(`/reflow/v1${path}`, query), method === 'POST' ? { 'content-type': 'application/json' } : {}, method === 'POST' ? '{}' : undefined);
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as O;
  }

  /** The data pipeline: project, datasets, versions, lineage, runs, alerts, rebuilds. */
  get pipeline(): PipelineClient {
    return (this.pipelineClient ??= new PipelineClient(this));
  }

  private pipelineClient: PipelineClient | undefined;

  /** GET /health. */
  async health(): Promise<{ status: string }> {
    const response = await this.request('GET', this.url('/health'));
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as { status: string };
  }
}

/** The pipeline's resources, sharing the ReflowClient's connection and signing. */
export class PipelineClient {
  constructor(private readonly client: ReflowClient) {}

  project(): Promise<{ name: string; dir: string; datasets: string[] }> {
    return this.client.rest('GET', '/project');
  }
  plan(): Promise<P.PlanOutcome> {
    return this.client.rest('POST', '/project/plan');
  }
  apply(): Promise<P.ApplyOutcome> {
    return this.client.rest('POST', '/project/apply');
  }
  async datasets(): Promise<P.DatasetSummary[]> {
    return (await this.client.rest<{ datasets: P.DatasetSummary[] }>('GET', '/datasets')).datasets;
  }
  dataset(name: string): Promise<P.DatasetSummary> {
    return this.client.rest('GET', `/datasets/${encodeURIComponent(name)}`);
  }
  async versions(dataset: string): Promise<C.DatasetVersion[]> {
    return (await this.client.rest<{ versions: C.DatasetVersion[] }>('GET', `/datasets/${encodeURIComponent(dataset)}/versions`)).versions;
  }
  manifest(dataset: string, version?: number, split?: string): Promise<{ version: C.DatasetVersion; entries: C.ManifestEntry[] }> {
    return this.client.rest('GET', `/datasets/${encodeURIComponent(dataset)}/versions/${version ?? 'current'}`, { split });
  }
  lineageOfVersion(dataset: string, version: number): Promise<C.DatasetVersionLineage> {
    return this.client.rest('GET', `/datasets/${encodeURIComponent(dataset)}/versions/${version}/lineage`);
  }
  lineageOfObject(object: { bucket: string; key: string; versionId?: string }): Promise<C.ObjectLineage> {
    return this.client.rest('GET', '/lineage/object', { bucket: object.bucket, key: object.key, versionId: object.versionId });
  }
  qualityReport(dataset: string, object: { bucket: string; key: string; versionId?: string }): Promise<C.StoredQualityReport> {
    return this.client.rest('GET', `/datasets/${encodeURIComponent(dataset)}/quality`, { bucket: object.bucket, key: object.key, versionId: object.versionId });
  }
  async runs(dataset: string, options: { status?: string; limit?: number } = {}): Promise<C.RunRecord[]> {
    return (await this.client.rest<{ runs: C.RunRecord[] }>('GET', `/datasets/${encodeURIComponent(dataset)}/runs`, options)).runs;
  }
  async alerts(options: { dataset?: string; limit?: number } = {}): Promise<C.Alert[]> {
    return (await this.client.rest<{ alerts: C.Alert[] }>('GET', '/alerts', options)).alerts;
  }
  async rebuild(dataset: string): Promise<C.Rebuild | null> {
    return (await this.client.rest<{ rebuild: C.Rebuild | null }>('POST', `/datasets/${encodeURIComponent(dataset)}/rebuild`)).rebuild;
  }
  async cancelRebuild(dataset: string): Promise<C.Rebuild | null> {
    return (await this.client.rest<{ rebuild: C.Rebuild | null }>('POST', `/datasets/${encodeURIComponent(dataset)}/rebuild/cancel`)).rebuild;
  }
  /** Waits until the pipeline is idle: every accepted upload processed, no transform active. */
  async idle(timeoutMs = 60_000): Promise<void> {
    await this.client.rest('GET', '/idle', { timeout: timeoutMs });
  }
  async deadTransforms(limit?: number): Promise<P.DeadTransform[]> {
    return (await this.client.rest<{ deadLetters: P.DeadTransform[] }>('GET', '/transforms/dead', { limit })).deadLetters;
  }
}

export function createClient(options: ClientOptions): ReflowClient {
  return new ReflowClient(options);
}
