/**
 * Pattern matching at scale: PatternMatcher (one shared index for all rules) against the naive peer (a loop over
 * the same rules compiled one by one, each tested with testEventPattern), on the same events and rules, alternating
 * ours/peer, 5 rounds, for 100, 1,000 and 10,000 rules. In each round the three matchers run a second each in 50 ms
 * turns, so the growth with rule count is measured under one and the same machine load; then the peer runs a second
 * at each rule count. Events are realistic EventBridge
 * shapes (S3 Object Created, EC2 state change, CloudTrail API call, custom app events with nested detail and arrays
 * of objects); rules are mostly exact on source/detail-type plus a selective detail field, with prefix, suffix,
 * numeric, anything-but, exists, wildcard, cidr, equals-ignore-case and $or mixed in. Everything derives from a
 * seeded PRNG, and the value pools are fixed, so the events are the same for every rule count and a bigger rule
 * set is a superset of a smaller one.
 */
import { PatternMatcher, compilePattern, testEventPattern, type CompiledPattern } from '../src/events/pattern/index.js';
import { describeSpread, fmt, spread, writeResult, type Spread } from './lib.js';

const RULE_COUNTS = [100, 1_000, 10_000];
const EVENT_COUNT = 2_000;
const ROUNDS = 5;
const ROUND_MS = 1_000;
/** Long enough that refilling caches after a switch is noise (microseconds), short enough to share the load. */
const TURN_MS = 50;
const SEED = 0x5eed;
const TARGET_EVENTS_PER_S = 250_000;
const TARGET_GROWTH = 2;

type Rng = () => number;

/** mulberry32: small, fast, and the same sequence on every run. */
function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const hex = (r: Rng, n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(r, 0, 15)]).join('');

/** Value pools shared by events and rules; sized so that 10,000 rules still match only a few rules per event. */
function pools(r: Rng) {
  const teams = ['ml', 'etl', 'raw', 'lake', 'media', 'logs', 'backup', 'ingest'];
  return {
    regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1'],
    buckets: Array.from({ length: 2_000 }, (_, i) => `${teams[i % teams.length]}-${['data', 'sink', 'drop', 'archive'][i % 4]}-${i}`),
    tenants: Array.from({ length: 2_000 }, (_, i) => `tenant-${String(i).padStart(4, '0')}`),
    instances: Array.from({ length: 3_000 }, () => `i-0${hex(r, 16)}`),
    users: Array.from({ length: 1_000 }, (_, i) => `user${i}@corp`),
    states: ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'],
    services: ['iam', 's3', 'ec2', 'sts', 'kms', 'lambda', 'dynamodb', 'sqs'],
    apiCalls: ['CreateUser', 'DeleteUser', 'PutObject', 'GetObject', 'RunInstances', 'StopInstances', 'AssumeRole',
      'Decrypt', 'Invoke', 'PutItem', 'SendMessage', 'AttachRolePolicy'],
    apps: ['orders', 'billing', 'shipping', 'identity', 'catalog', 'payments', 'search', 'reviews', 'inventory', 'support'],
    actions: ['Created', 'Updated', 'Deleted', 'Placed', 'Shipped', 'Paid', 'Refunded', 'Escalated'],
    tiers: ['free', 'pro', 'gold', 'enterprise'],
    countries: ['US', 'DE', 'FR', 'JP', 'BR', 'IN', 'AU', 'GB'],
    exts: ['jpg', 'png', 'csv', 'parquet', 'json', 'gz', 'mp4', 'txt'],
    skus: Array.from({ length: 500 }, (_, i) => `SKU-${1000 + i}`),
  };
}
type Pools = ReturnType<typeof pools>;

function envelope(r: Rng, p: Pools, source: string, detailType: string, resources: string[], detail: object): object {
  return {
    version: '0',
    id: `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: `2026-11-${String(int(r, 1, 28)).padStart(2, '0')}T${String(int(r, 0, 23)).padStart(2, '0')}:${String(int(r, 0, 59)).padStart(2, '0')}:00Z`,
    region: pick(r, p.regions),
    resources,
    detail,
  };
}

function makeEvent(r: Rng, p: Pools): object {
  const kind = r();
  if (kind < 0.25) {
    const bucket = pick(r, p.buckets);
    const tenant = pick(r, p.tenants);
    const key = `uploads/${tenant}/${hex(r, 6)}-${int(r, 1, 9999)}.${pick(r, p.exts)}`;
    return envelope(r, p, 'aws.s3', 'Object Created', [`arn:aws:s3:::${bucket}`], {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: int(r, 0, 50_000_000), etag: hex(r, 32), 'version-id': hex(r, 32), sequencer: hex(r, 18) },
      'request-id': hex(r, 16),
      requester: '123456789012',
      'source-ip-address': `10.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`,
      reason: 'PutObject',
    });
  }
  if (kind < 0.45) {
    const instance = pick(r, p.instances);
    return envelope(r, p, 'aws.ec2', 'EC2 Instance State-change Notification',
      [`arn:aws:ec2:us-east-1:123456789012:instance/${instance}`], { 'instance-id': instance, state: pick(r, p.states) });
  }
  if (kind < 0.7) {
    const service = pick(r, p.services);
    return envelope(r, p, `aws.${service}`, 'AWS API Call via CloudTrail', [], {
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', principalId: `AIDA${hex(r, 12).toUpperCase()}`, arn: `arn:aws:iam::123456789012:user/${pick(r, p.users)}`, accountId: '123456789012', userName: pick(r, p.users) },
      eventTime: '2026-11-25T12:00:00Z',
      eventSource: `${service}.amazonaws.com`,
      eventName: pick(r, p.apiCalls),
      awsRegion: pick(r, p.regions),
      sourceIPAddress: r() < 0.8 ? `${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}` : `2001:db8:${hex(r, 4)}::${hex(r, 4)}`,
      userAgent: 'aws-cli/2.15.0 Python/3.11',
      requestParameters: { resourceName: `res-${int(r, 1, 500)}` },
      responseElements: null,
      eventID: hex(r, 32),
      readOnly: r() < 0.5,
      eventType: 'AwsApiCall',
    });
  }
  const app = pick(r, p.apps);
  const items = Array.from({ length: int(r, 1, 4) }, () => ({ sku: pick(r, p.skus), qty: int(r, 1, 20), price: int(r, 100, 99_999) / 100 }));
  const order: Record<string, unknown> = { id: `ord-${hex(r, 10)}`, total: int(r, 100, 500_000) / 100, currency: pick(r, ['USD', 'EUR', 'JPY', 'GBP']), items };
  if (r() < 0.3) order['coupon'] = `SAVE${int(r, 5, 50)}`;
  return envelope(r, p, `com.acme.${app}`, `${app[0]!.toUpperCase()}${app.slice(1)} ${pick(r, p.actions)}`, [], {
    tenant: pick(r, p.tenants),
    order,
    customer: { id: `cus-${hex(r, 8)}`, tier: pick(r, p.tiers), country: pick(r, p.countries).toLowerCase() },
    tags: [pick(r, ['urgent', 'bulk', 'gift', 'b2b', 'retry']), pick(r, ['web', 'mobile', 'api'])],
    priority: pick(r, ['low', 'normal', 'high']),
  });
}

/** One rule; each names a selective value (a bucket, tenant, instance, user) as real rule sets do. */
function makeRule(r: Rng, p: Pools): object {
  const kind = r();
  const app = pick(r, p.apps);
  const appSource = `com.acme.${app}`;
  const appType = `${app[0]!.toUpperCase()}${app.slice(1)} ${pick(r, p.actions)}`;
  if (kind < 0.18) return { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [pick(r, p.buckets)] } } };
  if (kind < 0.3) return { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { 'instance-id': [pick(r, p.instances)], state: [pick(r, p.states), pick(r, p.states)] } };
  if (kind < 0.4) return { source: [appSource], 'detail-type': [appType], detail: { tenant: [pick(r, p.tenants)] } };
  if (kind < 0.46) return { 'detail-type': ['AWS API Call via CloudTrail'], detail: { eventSource: [`${pick(r, p.services)}.amazonaws.com`], eventName: [pick(r, p.apiCalls), pick(r, p.apiCalls)], userIdentity: { userName: [pick(r, p.users)] } } };
  if (kind < 0.54) return { source: ['aws.s3'], detail: { object: { key: [{ prefix: `uploads/${pick(r, p.tenants)}/` }] } } };
  if (kind < 0.59) return { source: ['aws.s3'], detail: { bucket: { name: [pick(r, p.buckets)] }, object: { key: [{ suffix: `.${pick(r, p.exts)}` }] } } };
  if (kind < 0.66) return { source: [appSource], detail: { tenant: [pick(r, p.tenants)], order: { total: [{ numeric: ['>=', int(r, 1, 2000), '<', int(r, 2001, 5000)] }] } } };
  if (kind < 0.7) return { source: ['aws.s3'], detail: { bucket: { name: [pick(r, p.buckets)] }, object: { size: [{ numeric: ['>', int(r, 0, 40_000_000)] }] } } };
  if (kind < 0.76) return { source: ['aws.ec2'], detail: { 'instance-id': [pick(r, p.instances)], state: [{ 'anything-but': ['pending', 'stopping'] }] } };
  if (kind < 0.8) return { source: [appSource], detail: { tenant: [pick(r, p.tenants)], customer: { tier: [{ 'anything-but': { prefix: 'free' } }] } } };
  if (kind < 0.84) return { detail: { tenant: [pick(r, p.tenants)], order: { coupon: [{ exists: r() < 0.5 }] } } };
  if (kind < 0.88) return { source: ['aws.s3'], detail: { bucket: { name: [pick(r, p.buckets)] }, object: { key: [{ wildcard: `uploads/*/*.${pick(r, p.exts)}` }] } } };
  if (kind < 0.9) return { detail: { object: { key: [{ wildcard: `uploads/${pick(r, p.tenants)}/*.${pick(r, p.exts)}` }] } } };
  if (kind < 0.93) return { 'detail-type': ['AWS API Call via CloudTrail'], detail: { userIdentity: { userName: [pick(r, p.users)] }, sourceIPAddress: [{ cidr: `${int(r, 1, 223)}.${int(r, 0, 255)}.0.0/16` }] } };
  if (kind < 0.97) return { source: [appSource], $or: [{ detail: { tenant: [pick(r, p.tenants)] } }, { detail: { tenant: [pick(r, p.tenants)], priority: ['high'] } }] };
  if (kind < 0.985) return { detail: { tenant: [pick(r, p.tenants)], customer: { country: [{ 'equals-ignore-case': pick(r, p.countries) }] } } };
  // Array consistency: the sku and the quantity must come from the same order item.
  return { source: [appSource], detail: { order: { items: { sku: [pick(r, p.skus)], qty: [{ numeric: ['>=', int(r, 5, 15)] }] } } } };
}

/** Runs `once` over the events, round after round, for about `ms`; returns events per second. */
function rate(events: readonly object[], ms: number, once: (event: object) => number): number {
  let n = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 64; i++) sink += once(events[(n + i) % events.length]!);
    n += 64;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink < 0) console.log(sink); // keeps the work observable
  return (n / elapsed) * 1000;
}

/**
 * Like `rate` for several matchers at once, in turns of TURN_MS, so that whatever else runs on the machine slows them all
 * alike: the growth from 100 to 10,000 rules is a ratio of figures taken in the same milliseconds. Returns events
 * per second for each.
 */
function interleavedRates(events: readonly object[], msEach: number, fns: ReadonlyArray<(event: object) => number>): number[] {
  const counts = fns.map(() => 0);
  const elapsed = fns.map(() => 0);
  let sink = 0;
  let next = 0;
  while (elapsed.some((e) => e < msEach)) {
    for (const [i, once] of fns.entries()) {
      const start = performance.now();
      let n = 0;
      let took = 0;
      do {
        for (let k = 0; k < 16; k++) sink += once(events[(next + k) % events.length]!);
        n += 16;
        took = performance.now() - start;
      } while (took < TURN_MS);
      counts[i]! += n;
      elapsed[i]! += took;
    }
    next = (next + 997) % events.length;
  }
  if (sink < 0) console.log(sink);
  return counts.map((n, i) => (n / elapsed[i]!) * 1000);
}

export async function runMatchBench(): Promise<void> {
  const r = rng(SEED);
  const p = pools(r);
  const events = Array.from({ length: EVENT_COUNT }, () => makeEvent(r, p));
  const allRules = Array.from({ length: Math.max(...RULE_COUNTS) }, () => makeRule(r, p));

  const sets = RULE_COUNTS.map((count) => {
    const rules = allRules.slice(0, count);
    const buildStart = performance.now();
    const matcher = new PatternMatcher<number>();
    rules.forEach((rule, i) => matcher.add(i, rule));
    const buildMs = performance.now() - buildStart;
    const compiled: CompiledPattern[] = rules.map((rule) => compilePattern(rule));

    // Same answers as the peer before timing anything.
    let matched = 0;
    for (const event of events.slice(0, 200)) {
      const ours = matcher.matches(event).sort((a, b) => a - b);
      const peer = compiled.flatMap((c, i) => (testEventPattern(c, event) ? [i] : []));
      if (ours.join() !== peer.join()) throw new Error(`PatternMatcher and the naive loop disagree at ${count} rules`);
      matched += ours.length;
    }
    return { count, matcher, compiled, buildMs, matchesPerEvent: matched / 200 };
  });

  // Every round measures all rule counts together (interleavedRates), then the naive peer at each count.
  const ours: number[][] = sets.map(() => []);
  const peer: number[][] = sets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const rates = interleavedRates(events, ROUND_MS, sets.map((set) => (e: object) => set.matcher.matches(e).length));
    rates.forEach((rate, i) => ours[i]!.push(rate));
    for (const [i, set] of sets.entries()) {
      peer[i]!.push(
        rate(events, ROUND_MS, (e) => {
          let n = 0;
          for (const c of set.compiled) if (testEventPattern(c, e)) n++;
          return n;
        }),
      );
    }
  }
  const rows: Array<{ rules: number; ours: Spread; peer: Spread; matchesPerEvent: number; buildMs: number }> = sets.map((set, i) => ({
    rules: set.count,
    ours: spread(ours[i]!),
    peer: spread(peer[i]!),
    matchesPerEvent: set.matchesPerEvent,
    buildMs: set.buildMs,
  }));
  const perRoundGrowth = spread(ours[0]!.map((first, round) => first / ours[ours.length - 1]![round]!));

  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const growth = perRoundGrowth.median;
  console.log(`\npattern matching: PatternMatcher vs a loop over single compiled patterns (events/s, median of ${ROUNDS} rounds)`);
  console.log('rules   | PatternMatcher                                  | naive loop                            | speedup | µs/event | matches/event');
  for (const row of rows) {
    console.log(
      `${String(row.rules).padEnd(7)} | ${describeSpread(row.ours, 'ev/s').padEnd(47)} | ${describeSpread(row.peer, 'ev/s').padEnd(37)} | ` +
        `${fmt(row.ours.median / row.peer.median, 1).padStart(6)}× | ${fmt(1e6 / row.ours.median, 2).padStart(8)} | ${fmt(row.matchesPerEvent, 2)}`,
    );
  }
  console.log(
    `growth of time per event, ${fmt(last.rules)} vs ${fmt(first.rules)} rules: ${describeSpread(perRoundGrowth, '×', 2)} (per-round ratios; target ≤ ${TARGET_GROWTH}×)`,
  );
  console.log(`throughput at ${fmt(last.rules)} rules: ${fmt(last.ours.median)} events/s (target ≥ ${fmt(TARGET_EVENTS_PER_S)})`);

  const path = writeResult('bus-match', {
    inputs: { ruleCounts: RULE_COUNTS, events: EVENT_COUNT, rounds: ROUNDS, roundMs: ROUND_MS, turnMs: TURN_MS, seed: SEED },
    unit: 'events/s (median, min, max over rounds)',
    results: rows.map((row) => ({
      rules: row.rules,
      patternMatcher: row.ours,
      naiveLoop: row.peer,
      speedup: row.ours.median / row.peer.median,
      microsecondsPerEvent: 1e6 / row.ours.median,
      matchesPerEvent: row.matchesPerEvent,
      buildMs: row.buildMs,
    })),
    growth: {
      from: first.rules,
      to: last.rules,
      timePerEventRatio: growth,
      note: 'median of the per-round ratios (each round measures every rule count, seconds apart)',
      perRound: perRoundGrowth,
      target: TARGET_GROWTH,
      met: growth <= TARGET_GROWTH,
    },
    throughput: { rules: last.rules, eventsPerSecond: last.ours.median, target: TARGET_EVENTS_PER_S, met: last.ours.median >= TARGET_EVENTS_PER_S },
  });
  console.log(`wrote ${path}`);
}
