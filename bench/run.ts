/**
 * `npm run bench [-- <name>...] [-- --quick]`: runs the benchmarks (all, or the
 * named ones), prints a table each and writes bench/results/<name>.json.
 * Figures that compare are ratios against a baseline measured in the same run.
 */
const BENCHMARKS: Record<string, () => Promise<{ run(options: { quick: boolean }): Promise<object> }>> = {
  throughput: () => import('./throughput.js'),
  fanout: () => import('./fanout.js'),
  churn: () => import('./churn.js'),
  services: () => import('./services.js'),
  balancer: () => import('./balancer.js'),
  startup: () => import('./startup.js'),
  dashboard: () => import('./dashboard.js'),
  connect: () => import('./connect.js'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (have: ${Object.keys(BENCHMARKS).join(', ')})`);
  process.exit(1);
}
for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
  console.log(`\n== ${name}${quick ? ' (quick)' : ''}`);
  const { run } = await BENCHMARKS[name]!();
  await run({ quick });
}
