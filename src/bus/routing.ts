/**
 * One bus's routing table: which rules (and so which targets) and which archives an event goes to. Rules compile
 * into one PatternMatcher, so routing cost does not grow with the number of rules. Adapter-neutral.
 */
import { PatternMatcher, compilePattern, type CompiledPattern } from '../events/pattern/index.js';
import type { EventEnvelope, Target } from './types.js';
import { compileRetryPolicy, type CompiledRetryPolicy } from './retry.js';
import { classifyTarget, type TargetKind } from './delivery.js';

export interface RoutedTarget {
  /** Durable id of this (bus, rule, target Id); a removed and re-added target gets a new one. */
  tid: number;
  bus: string;
  rule: string;
  ruleArn: string;
  target: Target;
  kind: TargetKind;
  policy: CompiledRetryPolicy;
}

interface RouteRule {
  arn: string;
  enabled: boolean;
  pattern: CompiledPattern | undefined;
  targets: RoutedTarget[];
}

export function routedTarget(tid: number, bus: string, rule: string, ruleArn: string, target: Target): RoutedTarget {
  return { tid, bus, rule, ruleArn, target, kind: classifyTarget(target.Arn), policy: compileRetryPolicy(target.RetryPolicy) };
}

const NO_TIDS: readonly number[] = Object.freeze([]);

export class BusRouting {
  private readonly rules = new Map<string, RouteRule>();
  private readonly ruleMatcher = new PatternMatcher<string>();
  private readonly archiveMatcher = new PatternMatcher<number>();
  private readonly unfilteredArchives = new Set<number>();
  /** unfilteredArchives as a list, shared by every event it applies to (read only). */
  private unfiltered: readonly number[] = NO_TIDS;

  setRule(name: string, arn: string, pattern: string | undefined, enabled: boolean): void {
    const existing = this.rules.get(name);
    const rule: RouteRule = { arn, enabled, pattern: pattern ? compilePattern(pattern) : undefined, targets: existing?.targets ?? [] };
    this.rules.set(name, rule);
    this.ruleMatcher.delete(name);
    if (enabled && rule.pattern) this.ruleMatcher.add(name, rule.pattern);
  }

  deleteRule(name: string): void {
    this.rules.delete(name);
    this.ruleMatcher.delete(name);
  }

  setTargets(rule: string, targets: RoutedTarget[]): void {
    const entry = this.rules.get(rule);
    if (entry) entry.targets = targets;
  }

  targetsOf(rule: string): RoutedTarget[] {
    return this.rules.get(rule)?.targets ?? [];
  }

  allTargets(): RoutedTarget[] {
    return [...this.rules.values()].flatMap((r) => r.targets);
  }

  /** Targets of the enabled rules that match; `onlyRules` narrows to a replay's FilterArns. */
  route(event: EventEnvelope, onlyRules?: ReadonlySet<string>): RoutedTarget[] {
    const names = this.ruleMatcher.matches(event);
    if (names.length === 0) return [];
    const out: RoutedTarget[] = [];
    for (const name of names) {
      if (onlyRules && !onlyRules.has(name)) continue;
      const rule = this.rules.get(name);
      if (rule) out.push(...rule.targets);
    }
    return out;
  }

  /** The durable ids of `route`'s targets: what the log writer queues. */
  routeTids(event: EventEnvelope, onlyRules?: ReadonlySet<string>): readonly number[] {
    const names = this.ruleMatcher.matches(event);
    if (names.length === 0) return NO_TIDS;
    const out: number[] = [];
    for (const name of names) {
      if (onlyRules && !onlyRules.has(name)) continue;
      const rule = this.rules.get(name);
      if (rule) for (const t of rule.targets) out.push(t.tid);
    }
    return out;
  }

  setArchive(aid: number, pattern: string | undefined): void {
    this.deleteArchive(aid);
    if (pattern) this.archiveMatcher.add(aid, compilePattern(pattern));
    else this.unfilteredArchives.add(aid);
    this.unfiltered = [...this.unfilteredArchives];
  }

  deleteArchive(aid: number): void {
    this.archiveMatcher.delete(aid);
    this.unfilteredArchives.delete(aid);
    this.unfiltered = [...this.unfilteredArchives];
  }

  /** Archives that keep this event. Replayed events never reach here: they are not archived again. */
  archivesFor(event: EventEnvelope): readonly number[] {
    if (this.archiveMatcher.size === 0) return this.unfiltered;
    const matched = this.archiveMatcher.matches(event);
    return this.unfiltered.length ? [...this.unfiltered, ...matched] : matched;
  }
}
