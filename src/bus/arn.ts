/** EventBridge ARNs: how buses, rules, archives and replays are named on the wire. */
export interface Region {
  partition?: string;
  region: string;
  account: string;
}

const prefix = (r: Region) => `arn:${r.partition ?? 'aws'}:events:${r.region}:${r.account}:`;

export const busArn = (r: Region, bus: string) => `${prefix(r)}event-bus/${bus}`;
/** Rules on the default bus have no bus segment, as in EventBridge. */
export const ruleArn = (r: Region, bus: string, rule: string) =>
  bus === 'default' ? `${prefix(r)}rule/${rule}` : `${prefix(r)}rule/${bus}/${rule}`;
export const archiveArn = (r: Region, archive: string) => `${prefix(r)}archive/${archive}`;
export const replayArn = (r: Region, replay: string) => `${prefix(r)}replay/${replay}`;

const EVENTS_ARN = /^arn:[\w-]+:events:[\w-]*:\d*:(event-bus|rule|archive|replay)\/(.+)$/;

/** Parses an events ARN into its resource type and name path; undefined when it is not one. */
export function parseEventsArn(arn: string): { type: string; name: string } | undefined {
  const m = EVENTS_ARN.exec(arn);
  return m ? { type: m[1]!, name: m[2]! } : undefined;
}

/** EventBusName members take a name or an ARN. */
export function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const parsed = parseEventsArn(nameOrArn);
  return parsed && parsed.type === 'event-bus' ? parsed.name : nameOrArn;
}

/** A rule ARN names its bus (or the default bus) and the rule. */
export function parseRuleArn(arn: string): { bus: string; rule: string } | undefined {
  const parsed = parseEventsArn(arn);
  if (!parsed || parsed.type !== 'rule') return undefined;
  const slash = parsed.name.lastIndexOf('/');
  return slash < 0 ? { bus: 'default', rule: parsed.name } : { bus: parsed.name.slice(0, slash), rule: parsed.name.slice(slash + 1) };
}
