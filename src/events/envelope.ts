/** The EventBridge event envelope, as targets receive it and as patterns see it. */
export interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string; // RFC 3339, second precision, UTC ("2026-11-25T12:00:00Z"), as EventBridge writes it
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  /** Present only on events delivered by a replay. */
  'replay-name'?: string;
}

/** One PutEvents entry, in the EventBridge JSON protocol's member names. */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  /** A JSON object, as text. */
  Detail?: string;
  Resources?: string[];
  /** Epoch seconds on the wire; a Date in process. */
  Time?: Date | number | string;
  EventBusName?: string;
  TraceHeader?: string;
}

/** Where an event was accepted: the identity EventBridge stamps on every envelope. */
export interface EventOrigin {
  account: string;
  region: string;
}
