/**
 * The physics-ish simulation of one recording at 10 Hz. One latent drowsiness level d(t) in 0..1 drives every signal,
 * so the columns are correlated the way the literature describes and a model can learn from them:
 * - eye closure rises with d, and blinks get longer and more frequent (PERCLOS goes up);
 * - heart rate drifts slowly around the driver's resting rate and drops a few bpm with d;
 * - steering loses its small lane-keeping corrections and gets occasional large corrective jerks;
 * - speed holds less steadily;
 * - the label `drowsy` is d >= 0.5.
 */
import type { Rng } from './prng.js';
import type { ContributorProfile, DriverTraits } from './profiles.js';

export const SAMPLE_MS = 100;
const DT_S = SAMPLE_MS / 1000;

/** The clean-session guarantee the unit check relies on (see profiles.ts). */
export const MEDIAN_SPEED_KMH: readonly [number, number] = [40, 110];

export interface SessionSignals {
  speedKmh: Float64Array;
  steeringDeg: Float64Array;
  heartBpm: Float64Array;
  eyeClosure: Float64Array;
  drowsy: Uint8Array;
}

export function drawDriverTraits(rng: Rng): DriverTraits {
  return {
    restingHeartBpm: rng.uniform(62, 80),
    blinkChance: rng.uniform(0.018, 0.032),
    eyeBaseline: rng.uniform(0.05, 0.12),
    steeringNoiseDeg: rng.uniform(0.25, 0.45),
    drowsinessProneness: rng.uniform(0.6, 1.5),
  };
}

export function simulateSession(rng: Rng, contributor: ContributorProfile, traits: DriverTraits, rows: number): SessionSignals {
  const drowsiness = drowsinessCurve(rng, contributor, traits, rows);
  const speedKmh = speedTrace(rng, contributor, drowsiness, rows);
  const steeringDeg = steeringTrace(rng, traits, speedKmh, drowsiness, rows);
  const heartBpm = heartTrace(rng, contributor, traits, speedKmh, drowsiness, rows);
  const eyeClosure = eyeTrace(rng, traits, drowsiness, rows);
  const drowsy = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) drowsy[i] = drowsiness[i] >= 0.5 ? 1 : 0;
  return { speedKmh, steeringDeg, heartBpm, eyeClosure, drowsy };
}

/** Baseline alertness plus raised-cosine episodes of 25..120 s, which may start before or end after the session. */
function drowsinessCurve(rng: Rng, contributor: ContributorProfile, traits: DriverTraits, rows: number): Float64Array {
  const d = new Float64Array(rows);
  const baseline = rng.uniform(0.04, 0.15);
  d.fill(baseline);
  const expected = (contributor.episodesPer4000Rows * traits.drowsinessProneness * rows) / 4000;
  const episodes = Math.floor(expected) + (rng.chance(expected - Math.floor(expected)) ? 1 : 0);
  for (let e = 0; e < episodes; e++) {
    const length = rng.int(250, 1200);
    const start = rng.int(-Math.floor(length / 3), rows - Math.floor((2 * length) / 3));
    const peak = rng.uniform(0.65, 1);
    for (let i = Math.max(0, start); i < Math.min(rows, start + length); i++) {
      const level = peak * 0.5 * (1 - Math.cos((2 * Math.PI * (i - start)) / length));
      if (level > d[i]) d[i] = level;
    }
  }
  return d;
}

/**
 * Cruise phases around a target with small fluctuations, acceleration and braking between targets, and now and then
 * a full stop. A session is a slice of a longer drive, so it starts cruising. The median is then pulled into
 * MEDIAN_SPEED_KMH by scaling, which only matters for the rare session that spends most of its time stopped.
 */
function speedTrace(rng: Rng, contributor: ContributorProfile, drowsiness: Float64Array, rows: number): Float64Array {
  const [low, high] = contributor.cruiseKmh;
  const v = new Float64Array(rows);
  let target = rng.uniform(low, high);
  let speed = target + rng.normal(0, 2);
  let phase: 'cruise' | 'change' | 'braking' | 'stopped' = 'cruise';
  let remaining = rng.int(150, 900);
  let rateKmhPerS = 0;
  for (let i = 0; i < rows; i++) {
    switch (phase) {
      case 'cruise':
        speed += (target - speed) * 0.02 + rng.normal(0, 0.15 * (1 + 2 * drowsiness[i]));
        if (--remaining <= 0) {
          if (rng.chance(contributor.stopChance)) {
            phase = 'braking';
            rateKmhPerS = rng.uniform(8, 14);
          } else {
            phase = 'change';
            target = rng.uniform(low, high);
            rateKmhPerS = target > speed ? rng.uniform(3, 9) : rng.uniform(4, 12);
          }
        }
        break;
      case 'change': {
        const step = rateKmhPerS * DT_S;
        if (Math.abs(target - speed) <= step) {
          speed = target;
          phase = 'cruise';
          remaining = rng.int(150, 900);
        } else speed += Math.sign(target - speed) * step;
        break;
      }
      case 'braking':
        speed -= rateKmhPerS * DT_S;
        if (speed <= 0) {
          speed = 0;
          phase = 'stopped';
          remaining = rng.int(30, 200);
        }
        break;
      case 'stopped':
        if (--remaining <= 0) {
          phase = 'change';
          target = rng.uniform(low, high);
          rateKmhPerS = rng.uniform(4, 9);
        }
        break;
    }
    v[i] = Math.min(180, Math.max(0, speed));
  }
  const m = median(v);
  const [minMedian, maxMedian] = MEDIAN_SPEED_KMH;
  const factor = m < minMedian ? (minMedian + 2) / Math.max(m, 1) : m > maxMedian ? (maxMedian - 2) / m : 1;
  if (factor !== 1) for (let i = 0; i < rows; i++) v[i] = Math.min(180, v[i] * factor);
  return v;
}

/** Road curves (smooth sin² bends, sharper when slow) plus lane-keeping corrections (AR(1)) plus drowsy jerks. */
function steeringTrace(rng: Rng, traits: DriverTraits, speedKmh: Float64Array, drowsiness: Float64Array, rows: number): Float64Array {
  const s = new Float64Array(rows);
  let bendStart = rng.int(0, 300);
  let bendLength = 0;
  let bendPeak = 0;
  let correction = 0;
  let jerk = 0;
  for (let i = 0; i < rows; i++) {
    if (i >= bendStart + bendLength) {
      bendStart = i + rng.int(100, 600);
      bendLength = rng.int(40, 150);
      const sharpness = Math.min(2, Math.max(0.5, 60 / Math.max(speedKmh[i], 20)));
      bendPeak = (rng.chance(0.5) ? -1 : 1) * rng.uniform(3, 22) * sharpness;
    }
    const bend = i >= bendStart ? bendPeak * Math.sin((Math.PI * (i - bendStart)) / bendLength) ** 2 : 0;
    const d = drowsiness[i];
    correction = 0.92 * correction + rng.normal(0, traits.steeringNoiseDeg * (1 - 0.6 * d));
    if (d >= 0.5 && rng.chance(0.004)) jerk += (rng.chance(0.5) ? -1 : 1) * rng.uniform(4, 10);
    jerk *= 0.85;
    s[i] = bend + correction + jerk + rng.normal(0, 0.05);
  }
  return s;
}

/** Resting rate + slow Ornstein-Uhlenbeck drift + a little effort when accelerating - a drop with drowsiness. */
function heartTrace(
  rng: Rng,
  contributor: ContributorProfile,
  traits: DriverTraits,
  speedKmh: Float64Array,
  drowsiness: Float64Array,
  rows: number,
): Float64Array {
  const h = new Float64Array(rows);
  let drift = rng.normal(0, 3);
  let effort = 0;
  for (let i = 0; i < rows; i++) {
    drift += -0.001 * drift + rng.normal(0, 0.15);
    const accel = i > 0 ? (speedKmh[i] - speedKmh[i - 1]) / DT_S : 0;
    effort = 0.995 * effort + 0.005 * Math.max(0, accel) * 0.8;
    const bpm = traits.restingHeartBpm + drift + effort - 7 * drowsiness[i] + rng.normal(0, contributor.heartNoiseBpm);
    h[i] = Math.min(150, Math.max(45, bpm));
  }
  return h;
}

/** Eye-closure ratio from the camera: baseline + 0.55·d + slow noise, with blinks (2-3 rows awake, 3-8 drowsy). */
function eyeTrace(rng: Rng, traits: DriverTraits, drowsiness: Float64Array, rows: number): Float64Array {
  const e = new Float64Array(rows);
  let slow = 0;
  let blinkLeft = 0;
  let blinkLevel = 0;
  for (let i = 0; i < rows; i++) {
    const d = drowsiness[i];
    slow = 0.95 * slow + rng.normal(0, 0.01);
    if (blinkLeft === 0 && rng.chance(traits.blinkChance * (1 + 2 * d))) {
      blinkLeft = d >= 0.5 ? rng.int(3, 8) : rng.int(2, 3);
      blinkLevel = rng.uniform(0.85, 1);
    }
    let value = traits.eyeBaseline + 0.55 * d + slow + rng.normal(0, 0.01);
    if (blinkLeft > 0) {
      value = Math.max(value, blinkLevel);
      blinkLeft--;
    }
    e[i] = Math.min(1, Math.max(0, value));
  }
  return e;
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
