/** For siblings and tests; not part of the public contract. */
export { SqliteEventBus } from './bus/sqlite/index.js';
export { BusRouting } from './bus/routing.js';
