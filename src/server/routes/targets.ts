/** Targets of rules. */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const targets: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.PutTargets', (input: T.PutTargetsRequest) => bus.putTargets(input));
  app.awsOperation('AWSEvents.RemoveTargets', (input: T.RemoveTargetsRequest) => bus.removeTargets(input));
  app.awsOperation('AWSEvents.ListTargetsByRule', (input: T.ListTargetsByRuleRequest) => bus.listTargetsByRule(input));
  app.awsOperation('AWSEvents.ListRuleNamesByTarget', (input: T.ListRuleNamesByTargetRequest) => bus.listRuleNamesByTarget(input));
};
