/** Replays (DescribeReplay also answers Reflow's Progress member). */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const replays: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.StartReplay', (input: T.StartReplayRequest) => bus.startReplay(input));
  app.awsOperation('AWSEvents.DescribeReplay', (input: { ReplayName: string }) => bus.describeReplay(input));
  app.awsOperation('AWSEvents.ListReplays', (input: T.ListReplaysRequest) => bus.listReplays(input));
  app.awsOperation('AWSEvents.CancelReplay', (input: { ReplayName: string }) => bus.cancelReplay(input));
};
