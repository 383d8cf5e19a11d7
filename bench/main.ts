import { httpsHealth } from './https-health.js';

/** One benchmark's outcome: a ratio against a reference measured in the same run. */
export interface BenchResult {
  name: string;
  subject: string;
  reference: string;
  ratio: number;
}

/** Every benchmark, in the order they run; later issues add theirs here. */
const BENCHMARKS: Array<() => Promise<BenchResult>> = [httpsHealth];

async function main(): Promise<void> {
  for (const bench of BENCHMARKS) {
    const result = await bench();
    process.stdout.write(
      `${result.name}\n  ${result.subject} vs ${result.reference}: ratio ${result.ratio.toFixed(2)}\n`,
    );
  }
}

await main();
