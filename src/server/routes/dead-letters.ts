/** Reflow's dead letters (events a target gave up on), on the JSON protocol as `Reflow.ListDeadLetters`. */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const deadLetters: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('Reflow.ListDeadLetters', (input: T.ListDeadLettersRequest) => bus.listDeadLetters(input));
};
