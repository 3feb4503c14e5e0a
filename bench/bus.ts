/** The bus area: pattern matching, durable PutEvents, event-to-target latency, replay. */
export async function run(): Promise<void> {
  const { runMatchBench } = await import('./match.js');
  await runMatchBench();
  const { runBusBench } = await import('./bus-delivery.js');
  await runBusBench();
}
