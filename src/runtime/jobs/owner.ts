/**
 * Lease owners are named `host:pid:random`, so a queue opened after a crash on the same host can tell at once that
 * the process holding a lease is gone (its pid no longer exists) instead of waiting for the lease to run out. A pid
 * that was reused by an unrelated process only makes recovery wait for the lease, never happen early.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** True when `owner` names a process on this host that no longer exists. */
export function ownerProcessGone(owner: string): boolean {
  const parts = owner.split(':');
  if (parts.length < 3) return false;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(':');
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
