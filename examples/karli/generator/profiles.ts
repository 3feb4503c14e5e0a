/**
 * Who collects the data and how they drive. The three contributors differ the way real partners do: a truck fleet
 * on highways, a university car on rural and town roads, a simulator study that provokes drowsiness on purpose.
 * Speeds are chosen so that every clean session's median speed lies in 40..110 km/h (enforced in signals.ts), which
 * is what lets a median-based check tell km/h from m/s (a file in m/s has a median of at most 110 / 3.6 ≈ 30.6).
 */

export interface ContributorProfile {
  name: string;
  /** Default number of drivers (d01, d02, ...). */
  drivers: number;
  /** Cruise targets are drawn from this range (km/h). */
  cruiseKmh: [number, number];
  /** Chance that the next phase after a cruise is a full stop (junction, traffic). */
  stopChance: number;
  /** Expected drowsiness episodes per 4,000 rows (400 s). */
  episodesPer4000Rows: number;
  /** Heart-rate sensor noise (bpm, one sd). */
  heartNoiseBpm: number;
}

export const CONTRIBUTORS: readonly ContributorProfile[] = [
  { name: 'fleet-north', drivers: 4, cruiseKmh: [72, 108], stopChance: 0.04, episodesPer4000Rows: 1.2, heartNoiseBpm: 0.9 },
  { name: 'uni-lab', drivers: 3, cruiseKmh: [45, 90], stopChance: 0.12, episodesPer4000Rows: 0.9, heartNoiseBpm: 0.6 },
  { name: 'sim-partner', drivers: 2, cruiseKmh: [60, 105], stopChance: 0.02, episodesPer4000Rows: 2.2, heartNoiseBpm: 0.4 },
];

/** A driver's own traits, drawn once per (seed, contributor, driver) so they stay the same across rounds. */
export interface DriverTraits {
  restingHeartBpm: number;
  /** Blinks per row while awake (10 Hz: 0.025 ≈ 15 blinks a minute). */
  blinkChance: number;
  /** Baseline eye closure of an alert driver (eye shape, camera angle). */
  eyeBaseline: number;
  /** Lane-keeping correction noise (degrees per step, one sd). */
  steeringNoiseDeg: number;
  /** Multiplies the contributor's episode rate. */
  drowsinessProneness: number;
}

export function driverName(index: number): string {
  return `d${String(index + 1).padStart(2, '0')}`;
}

export function findContributor(name: string): ContributorProfile {
  const found = CONTRIBUTORS.find((c) => c.name === name);
  if (!found) throw new RangeError(`unknown contributor "${name}"; known: ${CONTRIBUTORS.map((c) => c.name).join(', ')}`);
  return found;
}
