// The fast unit tests Stryker runs against every mutant (`npm run mutate`, see
// stryker.config.json), imported into one process: node:test runs them and exits
// non-zero when one fails. One process per mutant, not one per file, keeps a run short.
const TESTS = [
  'status.test.js',
  'cli/flags.test.js',
  'cli/options.test.js',
  'server/watcher.test.js',
  'balancer/service-config.test.js',
];
for (const file of TESTS) await import(new URL(`../dist/test/${file}`, import.meta.url).href);
