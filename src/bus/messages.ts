/** EventBridge's exact error texts for missing or conflicting resources (from recorded AWS answers). */
import { ReflowError } from '../errors.js';

export const busNotFound = (bus: string) => new ReflowError('ResourceNotFoundException', `Event bus ${bus} does not exist.`, { field: 'EventBusName' });
export const ruleNotFound = (rule: string, bus: string) =>
  new ReflowError('ResourceNotFoundException', `Rule ${rule} does not exist on EventBus ${bus}.`, { field: 'Name' });
export const archiveNotFound = (archive: string) => new ReflowError('ResourceNotFoundException', `Archive ${archive} does not exist.`, { field: 'ArchiveName' });
export const replayNotFound = (replay: string) => new ReflowError('ResourceNotFoundException', `Replay ${replay} does not exist.`, { field: 'ReplayName' });
export const alreadyExists = (kind: 'Event bus' | 'Rule' | 'Archive' | 'Replay', name: string, field: string) =>
  new ReflowError('ResourceAlreadyExistsException', `${kind} ${name} already exists.`, { field });
export const limitExceeded = (field: string) =>
  new ReflowError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.', { field });
