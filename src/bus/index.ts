/** The bus port's public surface. Adapters are imported by their own path (`reflow/bus/sqlite`), not from here. */
export type { EventBus, Subscription } from './port.js';
export type * from './types.js';
export { compileEventBusOptions, type EventBusOptions, type CompiledEventBusOptions } from './options.js';
export { busArn, ruleArn, archiveArn, replayArn, parseEventsArn, parseRuleArn } from './arn.js';
