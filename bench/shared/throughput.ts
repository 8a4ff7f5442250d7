/** Runs fn repeatedly for about `seconds` (at least once) after one warm-up call; returns images per second. */
export async function throughput(fn: () => Promise<void>, seconds: number, imagesPerCall: number): Promise<number> {
  await fn();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    runs++;
  }
  return (runs * imagesPerCall) / ((performance.now() - start) / 1000);
}
