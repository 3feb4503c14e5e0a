/**
 * The compiled form of a pattern. Like event-ruler's JsonRuleCompiler, `$or` is multiplied out into branches: a
 * pattern matches when one branch does, and a branch is a set of conditions on distinct flattened field names
 * (keys joined with "."), each a list of matchers of which one must hold.
 */
import type { Glob } from './wildcard.js';

export type ExactValue = string | number | boolean | null;

export type Matcher =
  /** `ip` is the canonical hex form when the string is an IP literal: event-ruler then compares addresses. */
  | { readonly kind: 'exact'; readonly value: ExactValue; readonly ip: string | null }
  | { readonly kind: 'prefix' | 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  /** `value` is already folded (lower case). */
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'wildcard'; readonly glob: Glob }
  /** Open ends are ±Infinity; event values outside ±5e9 never match. */
  | { readonly kind: 'numeric'; readonly lo: number; readonly loOpen: boolean; readonly hi: number; readonly hiOpen: boolean }
  | { readonly kind: 'cidr'; readonly v6: boolean; readonly lo: string; readonly hi: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'anything-but'; readonly strings: ReadonlySet<string>; readonly numbers: ReadonlySet<number> }
  | { readonly kind: 'anything-but-prefix' | 'anything-but-suffix'; readonly values: readonly string[] }
  /** `values` are folded (lower case). */
  | { readonly kind: 'anything-but-ignore-case'; readonly values: ReadonlySet<string> }
  | { readonly kind: 'anything-but-wildcard'; readonly globs: readonly Glob[] };

export interface Condition {
  /** The flattened field name, e.g. `detail.state`. */
  readonly name: string;
  /** `name` split on ".", so `{"a.b": …}` and `{"a": {"b": …}}` are the same field, as in event-ruler. */
  readonly segments: readonly string[];
  readonly matchers: readonly Matcher[];
}

export interface Branch {
  readonly conditions: readonly Condition[];
}

/** Case folding for equals-ignore-case and its prefix/suffix/anything-but forms, on both sides of a comparison. */
export function fold(s: string): string {
  return s.toLowerCase();
}
