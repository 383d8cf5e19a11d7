/**
 * Seeded pseudo-random numbers (mulberry32), so that every run and every engine gets the same
 * data and figures stay comparable between runs.
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/**
 * Picks indexes 0 … n-1 with Zipf-like weights 1 / (i + 1)^exponent: in real networks a few
 * threats and hosts make most detections, and the long tail is what fills summary rows.
 */
export class Skewed {
  readonly #cumulative: Float64Array;

  constructor(
    private readonly random: Random,
    n: number,
    exponent: number,
  ) {
    this.#cumulative = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i += 1) {
      sum += 1 / (i + 1) ** exponent;
      this.#cumulative[i] = sum;
    }
    for (let i = 0; i < n; i += 1) this.#cumulative[i] = (this.#cumulative[i] ?? 0) / sum;
  }

  index(): number {
    const target = this.random.next();
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#cumulative[middle] ?? 1) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Picks among values by fixed weights. */
export function weighted<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  let target = random.next() * choices.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of choices) {
    target -= weight;
    if (target < 0) return value;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new Error('weighted pick from an empty list');
  return last[0];
}
