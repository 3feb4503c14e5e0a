/** The embedded store adapter: `import { FsObjectStore } from 'reflow/store/local'`. */
export { FsObjectStore } from './fs-object-store.js';
export type { FsObjectStoreOptions } from './options.js';
