/** Archives. */
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';

export const archives: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  app.awsOperation('AWSEvents.CreateArchive', (input: T.CreateArchiveRequest) => bus.createArchive(input));
  app.awsOperation('AWSEvents.DescribeArchive', (input: { ArchiveName: string }) => bus.describeArchive(input));
  app.awsOperation('AWSEvents.ListArchives', (input: T.ListArchivesRequest) => bus.listArchives(input));
  app.awsOperation('AWSEvents.UpdateArchive', (input: T.UpdateArchiveRequest) => bus.updateArchive(input));
  app.awsOperation('AWSEvents.DeleteArchive', (input: { ArchiveName: string }) => bus.deleteArchive(input));
};
