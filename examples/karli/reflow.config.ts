/**
 * The KARLI example project: in-vehicle driver-monitoring recordings from three partners, checked, cleaned into
 * feature windows and split by driver. In your own project write `import { defineProject } from 'reflow'`; inside
 * this repository the example imports it from the source tree.
 */
import { defineProject } from '../../src/pipeline/definition/types.js';

export default defineProject({
  name: 'karli',
  description: 'Driver drowsiness: in-cabin recordings from fleet-north, uni-lab and sim-partner',
  buckets: {
    'karli-raw': {},
    'karli-datasets': {},
  },
  datasets: {
    drives: {
      description: 'Feature windows of every clean recording, split by driver',
      source: { bucket: 'karli-raw', prefix: 'recordings/', suffix: '.csv' },
      // recordings/<contributor>/<driver>/<session>.csv
      contributor: '^recordings/(?<contributor>[^/]+)/',
      quality: {
        format: 'csv',
        checks: [
          {
            type: 'schema',
            columns: {
              timestamp: 'timestamp',
              speed_kmh: 'number',
              steering_angle_deg: 'number',
              heart_rate_bpm: 'number',
              eye_closure_ratio: 'number',
              drowsy: 'integer',
            },
          },
          { type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.05, name: 'heart rate present' },
          // Clean recordings drive at a median of 40..110 km/h; in m/s the median is at most ~31.
          { type: 'range', column: 'speed_kmh', statistic: 'median', min: 35, max: 200, name: 'speed in km/h' },
          { type: 'range', column: 'speed_kmh', min: 0, max: 250 },
          { type: 'range', column: 'heart_rate_bpm', min: 30, max: 220 },
          { type: 'range', column: 'eye_closure_ratio', min: 0, max: 1 },
          { type: 'timeseries', column: 'timestamp', intervalMs: 100, monotonic: true, name: 'steady 10 Hz clock' },
          { type: 'rowCount', min: 600, name: 'at least a minute of data' },
        ],
      },
      transform: { name: 'clean', version: 1, module: 'transforms/clean-v1.ts' },
      load: {
        bucket: 'karli-datasets',
        // One driver's sessions always share a split: no driver is in both train and test.
        groupBy: '^recordings/(?<group>[^/]+/[^/]+)/',
        splits: { train: 0.7, test: 0.15, holdout: 0.15 },
      },
    },
  },
  alerts: { webhooks: process.env.KARLI_ALERT_WEBHOOK ? [process.env.KARLI_ALERT_WEBHOOK] : [] },
  workers: { concurrency: 2, idleTimeoutMs: 30_000 },
});
