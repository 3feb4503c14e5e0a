/**
 * Where one key of a dataset stands, computed from its raw versions, their quality verdicts under the current
 * checks and their items under the current transform. Pure, so every catalog adapter decides the same way.
 *
 * The rules (shared/DESIGN.md invariant 5, consistent reads):
 * - A delete marker hides every older version; a permanently deleted version is as if it never was.
 * - Failed data never enters a dataset: the key's target is its newest version that passed its checks.
 * - The key's candidate is the item of the newest passing version that has one under the current transform; while a
 *   newer version is still being checked or transformed, the older item stands in (the next version picks it up).
 * - A key whose published item is not of the current pipeline and that has no candidate yet is stale: it blocks
 *   publishing, so no version ever mixes transform versions or drops an item half-way through a rebuild. A version
 *   whose transform failed for good blocks too, rather than silently leaving the dataset.
 */

export type Verdict = 'pass' | 'fail' | undefined;

export interface KeyVersion {
  rid: number;
  sequencer: string;
  kind: 'created' | 'marker';
}

export interface KeyInputs {
  /** Non-purged versions and markers of the key, any order. */
  versions: KeyVersion[];
  /** Quality verdict of a version under the current checks (undefined: not checked yet). */
  verdict(rid: number): Verdict;
  /** The item built from a version by the current transform, if any. */
  item(rid: number): number | undefined;
  /** Whether the current transform failed for good on a version. */
  buildFailed(rid: number): boolean;
  /** The item in the last published version, if the key is in it. */
  published: number | undefined;
}

export interface KeyState {
  candidate: number | undefined;
  /** A newer version than the candidate is still being checked or transformed. */
  pending: boolean;
  /** The newest live version failed its checks. */
  rejected: boolean;
  /** The key has no live version (deleted, or never had one). */
  absent: boolean;
  /** The current transform failed for good on the version the key needs. */
  failed: boolean;
  /** Publishing must wait for this key. */
  stale: boolean;
  /** The next version changes this key. */
  dirty: boolean;
}

/** Sequencers are hex strings of store-specific length; padding makes them compare as numbers. */
export function sequencerOrder(sequencer: string): string {
  return sequencer.toLowerCase().padStart(40, '0');
}

export function computeKeyState(inputs: KeyInputs): KeyState {
  const newestFirst = [...inputs.versions].sort((a, b) => (sequencerOrder(b.sequencer) < sequencerOrder(a.sequencer) ? -1 : 1));
  const marker = newestFirst.findIndex((v) => v.kind === 'marker');
  const live = marker < 0 ? newestFirst : newestFirst.slice(0, marker);
  let candidate: number | undefined;
  let pending = false;
  let failed = false;
  for (const version of live) {
    const verdict = inputs.verdict(version.rid);
    if (verdict === 'fail') continue;
    if (verdict === undefined) {
      pending = true;
      continue;
    }
    const item = inputs.item(version.rid);
    if (item !== undefined) {
      candidate = item;
      break;
    }
    if (inputs.buildFailed(version.rid)) failed = true;
    else pending = true;
  }
  const absent = live.length === 0;
  const rejected = !absent && inputs.verdict(live[0]!.rid) === 'fail';
  const stale = inputs.published !== undefined && candidate === undefined && (pending || failed);
  const dirty = candidate !== inputs.published;
  return { candidate, pending, rejected, absent, failed, stale, dirty };
}
