/**
 * The pipeline's resources under `/reflow/v1`: the project (plan, apply), datasets and their versions, manifests and
 * lineage, runs, alerts, rebuilds and failed transforms. JSON in and out; errors in the one error shape, with the
 * field they are about.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ReflowError } from '../../errors.js';
import type { PipelineApi } from '../../pipeline/api.js';
import type { RunRecord } from '../../catalog/types.js';
import type { ReflowRouteConfig } from '../errors.js';

export interface PipelineRouteOptions {
  pipeline: PipelineApi;
}

const config: ReflowRouteConfig = { reflowErrors: true };
const RUN_STATUSES: ReadonlyArray<RunRecord['status']> = ['running', 'succeeded', 'failed', 'rejected', 'skipped'];

function positiveInt(value: string | undefined, field: string, fallback?: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new ReflowError('ValidationException', `${field} must be a positive integer, got '${value}'.`, { field });
  return Number(value);
}

export const pipelineRoutes: FastifyPluginAsync<PipelineRouteOptions> = async (app, { pipeline }) => {
  app.get('/project', { config }, async () => {
    const project = pipeline.project();
    if (!project) throw new ReflowError('NotFound', 'No project is applied (start with `reflow up --project DIR`).', { field: 'project' });
    return project;
  });
  app.post('/project/plan', { config }, async () => pipeline.plan());
  app.post('/project/apply', { config }, async () => pipeline.apply());

  app.get('/datasets', { config }, async () => ({ datasets: await pipeline.datasets() }));
  app.get<{ Params: { name: string } }>('/datasets/:name', { config }, async (request) => pipeline.dataset(request.params.name));
  app.get<{ Params: { name: string } }>('/datasets/:name/versions', { config }, async (request) => ({ versions: await pipeline.versions(request.params.name) }));
  app.get<{ Params: { name: string; version: string }; Querystring: { split?: string } }>('/datasets/:name/versions/:version', { config }, async (request) => {
    const version = request.params.version === 'current' ? undefined : positiveInt(request.params.version, 'version');
    return pipeline.manifest(request.params.name, version, request.query.split || undefined);
  });
  app.get<{ Params: { name: string; version: string } }>('/datasets/:name/versions/:version/lineage', { config }, async (request) =>
    pipeline.lineageOfVersion(request.params.name, positiveInt(request.params.version, 'version')!),
  );
  app.get<{ Params: { name: string }; Querystring: { status?: string; limit?: string } }>('/datasets/:name/runs', { config }, async (request) => {
    const status = request.query.status as RunRecord['status'] | undefined;
    if (status !== undefined && !RUN_STATUSES.includes(status)) {
      throw new ReflowError('ValidationException', `status must be one of ${RUN_STATUSES.join(', ')}, got '${status}'.`, { field: 'status' });
    }
    const options: { status?: RunRecord['status']; limit?: number } = { limit: positiveInt(request.query.limit, 'limit', 100)! };
    if (status) options.status = status;
    return { runs: await pipeline.runs(request.params.name, options) };
  });
  app.post<{ Params: { name: string } }>('/datasets/:name/rebuild', { config }, async (request) => ({ rebuild: (await pipeline.rebuild(request.params.name)) ?? null }));
  app.post<{ Params: { name: string } }>('/datasets/:name/rebuild/cancel', { config }, async (request) => ({ rebuild: (await pipeline.cancelRebuild(request.params.name)) ?? null }));

  app.get<{ Querystring: { bucket?: string; key?: string; versionId?: string } }>('/lineage/object', { config }, async (request) => {
    const { bucket, key, versionId } = request.query;
    if (!bucket) throw new ReflowError('ValidationException', 'bucket is required.', { field: 'bucket' });
    if (!key) throw new ReflowError('ValidationException', 'key is required.', { field: 'key' });
    return pipeline.lineageOfObject(versionId ? { bucket, key, versionId } : { bucket, key });
  });
  app.get<{ Params: { name: string }; Querystring: { bucket?: string; key?: string; versionId?: string } }>('/datasets/:name/quality', { config }, async (request) => {
    const { bucket, key, versionId } = request.query;
    if (!bucket) throw new ReflowError('ValidationException', 'bucket is required.', { field: 'bucket' });
    if (!key) throw new ReflowError('ValidationException', 'key is required.', { field: 'key' });
    return pipeline.qualityReport(request.params.name, versionId ? { bucket, key, versionId } : { bucket, key });
  });
  app.get<{ Querystring: { dataset?: string; limit?: string } }>('/alerts', { config }, async (request) => {
    const options: { dataset?: string; limit?: number } = { limit: positiveInt(request.query.limit, 'limit', 100)! };
    if (request.query.dataset) options.dataset = request.query.dataset;
    return { alerts: await pipeline.alerts(options) };
  });
  app.get<{ Querystring: { timeout?: string } }>('/idle', { config }, async (request) => {
    await pipeline.idle(positiveInt(request.query.timeout, 'timeout', 60_000));
    return { idle: true };
  });
  app.get<{ Querystring: { limit?: string } }>('/transforms/dead', { config }, async (request) => ({
    deadLetters: await pipeline.deadTransforms(positiveInt(request.query.limit, 'limit', 100)),
  }));
};
