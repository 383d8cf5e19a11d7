/**
 * Open connections per source address, so that one address (a runaway appliance, a scanner)
 * cannot take every connection a door can hold. Appliances behind one NAT address share its
 * allowance, hence a generous default.
 */
export class SourceLimits {
  private readonly open = new Map<string, number>();

  constructor(private readonly perSource: number) {}

  /** Counts a new connection; false when the source already has its allowance. */
  admit(source: string): boolean {
    const count = this.open.get(source) ?? 0;
    if (count >= this.perSource) return false;
    this.open.set(source, count + 1);
    return true;
  }

  release(source: string): void {
    const count = (this.open.get(source) ?? 1) - 1;
    if (count <= 0) this.open.delete(source);
    else this.open.set(source, count);
  }
}
