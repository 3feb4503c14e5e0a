/**
 * `npm run bench [-- AREA...]`: runs the benchmarks of the named areas (all when none is named). Each benchmark
 * prints its figures against its peer and writes bench/results/<name>.json.
 */
const AREAS: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  bus: () => import('./bus.js'),
  runtime: () => import('./runtime.js'),
  store: () => import('./store.js'),
  quality: () => import('./quality.js'),
  pipeline: () => import('./pipeline.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(AREAS);
for (const name of names) {
  const load = AREAS[name];
  if (!load) {
    console.error(`unknown benchmark area '${name}'; known: ${Object.keys(AREAS).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench: ${name} ===`);
  await (await load()).run();
}
