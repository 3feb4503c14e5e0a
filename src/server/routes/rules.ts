/** Rules. */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const rules: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.PutRule', (input: T.PutRuleRequest) => bus.putRule(input));
  app.awsOperation('AWSEvents.DescribeRule', (input: T.RuleRef) => bus.describeRule(input));
  app.awsOperation('AWSEvents.ListRules', (input: T.ListRulesRequest) => bus.listRules(input));
  app.awsOperation('AWSEvents.EnableRule', (input: T.RuleRef) => bus.enableRule(input));
  app.awsOperation('AWSEvents.DisableRule', (input: T.RuleRef) => bus.disableRule(input));
  app.awsOperation('AWSEvents.DeleteRule', (input: T.RuleRef & { Force?: boolean }) => bus.deleteRule(input));
};
