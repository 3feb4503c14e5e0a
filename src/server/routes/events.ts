/** Events: PutEvents goes to the bus; TestEventPattern is answered here (pure, no state). */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';
import { runTestEventPattern } from '../test-event-pattern.js';

export const events: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.PutEvents', (input: T.PutEventsRequest) => bus.putEvents(input));
  app.awsOperation('AWSEvents.TestEventPattern', (input: { EventPattern: string; Event: string }) => ({
    Result: runTestEventPattern(input.EventPattern, input.Event),
  }));
};
