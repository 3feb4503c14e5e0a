/** Event buses. */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const buses: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.CreateEventBus', (input: T.CreateEventBusRequest) => bus.createEventBus(input));
  app.awsOperation('AWSEvents.DescribeEventBus', (input: { Name?: string }) => bus.describeEventBus(input));
  app.awsOperation('AWSEvents.ListEventBuses', (input: T.ListEventBusesRequest) => bus.listEventBuses(input));
  app.awsOperation('AWSEvents.DeleteEventBus', (input: { Name: string }) => bus.deleteEventBus(input));
};
