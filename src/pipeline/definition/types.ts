/**
 * The project definition a user writes in `reflow.config.ts` (`export default defineProject({...})`). Loose on
 * purpose (optional fields, defaults); `compileProject()` checks it and turns it into the strict shape the pipeline
 * reads (STYLE.md rule 8).
 */
import type { QualitySpec } from '../quality/index.js';
import type { TransformDefinition } from '../../runtime/index.js';

export interface ProjectDefinition {
  /** Lowercase letters, digits and '-', starting with a letter; names the project's rules and archive. */
  name: string;
  description?: string;
  /** The bus the project's rules live on (default `default`). */
  eventBus?: string;
  /** Buckets `reflow apply` creates. Versioning is on unless turned off; a dataset's source bucket must keep it. */
  buckets?: Record<string, BucketDefinition>;
  datasets: Record<string, DatasetDefinition>;
  /** The project's own rules, beside the pipeline's: route any event to HTTP endpoints, handlers or other buses. */
  rules?: Record<string, CustomRuleDefinition>;
  /** Where quality and transform failures are sent, besides the catalog's alert list. */
  alerts?: { webhooks?: string[] };
  /** The transform worker pool. */
  workers?: { concurrency?: number; idleTimeoutMs?: number };
}

export interface BucketDefinition {
  versioning?: boolean;
}

export interface ObjectFacts {
  key: string;
  /** Who uploaded it (the S3 requester: the access key's principal). */
  requester?: string;
}

export interface DatasetDefinition {
  description?: string;
  /** The raw objects the dataset is built from. */
  source: { bucket: string; prefix?: string; suffix?: string };
  /**
   * Who contributed an object, named in quality reports and alerts: a regular expression over the key with a
   * named group `contributor` (or its first group), or a function. Default: the requester.
   */
  contributor?: string | RegExp | ((object: ObjectFacts) => string | undefined);
  /** Data-quality checks; an object that fails them never enters the dataset. */
  quality?: QualitySpec;
  transform: TransformDefinition;
  load: LoadDefinition;
}

export interface LoadDefinition {
  /** Where transform outputs land. */
  bucket: string;
  /** Key prefix of outputs (default `<dataset>/`). */
  prefix?: string;
  /** `training` assigns splits; `inference` puts every item in split `inference` (data to predict on). */
  mode?: 'training' | 'inference';
  /** Fractions summing to 1 (default train 0.8, test 0.1, holdout 0.1). */
  splits?: Record<string, number>;
  /**
   * The grouping key an item's split follows from (a driver, a session, a site): a regular expression over the raw
   * key with a named group `group` (or its first group), or a function. Default: the raw key.
   */
  groupBy?: string | RegExp | ((item: { key: string; contributor?: string }) => string);
}

export interface CustomRuleDefinition {
  description?: string;
  /** An EventBridge event pattern. */
  pattern: Record<string, unknown>;
  enabled?: boolean;
  targets: CustomTargetDefinition[];
}

export interface CustomTargetDefinition {
  id: string;
  /** `http(s)://…`, `arn:reflow:handler:NAME`, or an event-bus ARN. */
  arn: string;
  input?: unknown;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
}

/** Types the project file and returns it unchanged: `export default defineProject({...})`. */
export function defineProject<const P extends ProjectDefinition>(project: P): P {
  return project;
}
