/** For siblings and tests; not part of the public contract. */
export { BoundedLog } from './bounded-log.js';
export { codeFiles, hashCode, currentVersion, scriptFiles } from './code-hash.js';
export { compileGlob, expandGlobs } from './glob.js';
export { listOutputs } from './outputs.js';
export { commandArgs } from './command.js';
export { ownerProcessGone } from './jobs/owner.js';
