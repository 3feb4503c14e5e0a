export { SqliteCatalog, type SqliteCatalogOptions } from './sqlite-catalog.js';
