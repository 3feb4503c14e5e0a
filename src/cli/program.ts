/** The `reflow` command: one small module per resource under commands/. */
import { Command } from 'commander';
import { registerUp } from './commands/up.js';
import { registerEvents } from './commands/events.js';
import { registerRules } from './commands/rules.js';
import { registerTargets } from './commands/targets.js';
import { registerBuses } from './commands/buses.js';
import { registerArchives } from './commands/archives.js';
import { registerReplays } from './commands/replays.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerStore } from './commands/store.js';
import { registerPipeline } from './commands/pipeline.js';

export function buildProgram(): Command {
  const program = new Command('reflow')
    .description('Reflow: event-driven data-centric AI platform (EventBridge-compatible bus)')
    .showHelpAfterError();
  registerUp(program);
  registerEvents(program);
  registerRules(program);
  registerTargets(program);
  registerBuses(program);
  registerArchives(program);
  registerReplays(program);
  registerDeadLetters(program);
  registerStore(program);
  registerPipeline(program);
  return program;
}
