/**
 * A job's log: keeps the LAST `limit` characters (the end of a log says why a run failed), and says how much it
 * dropped. Appends are O(1) amortised; the text is joined only when read.
 */
export const DEFAULT_LOG_LIMIT = 256 * 1024;

export class BoundedLog {
  private chunks: string[] = [];
  private length = 0;
  private dropped = 0;

  constructor(private readonly limit: number = DEFAULT_LOG_LIMIT) {}

  append(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.length += text.length;
    if (this.length > this.limit * 2) this.compact();
  }

  get size(): number {
    return Math.min(this.length, this.limit);
  }

  get empty(): boolean {
    return this.length === 0 && this.dropped === 0;
  }

  toString(): string {
    this.compact();
    const text = this.chunks.join('');
    return this.dropped > 0 ? `[reflow: ${this.dropped} earlier characters dropped; the log keeps the last ${this.limit}]\n${text}` : text;
  }

  private compact(): void {
    let text = this.chunks.join('');
    if (text.length > this.limit) {
      this.dropped += text.length - this.limit;
      text = text.slice(text.length - this.limit);
    }
    this.chunks = text ? [text] : [];
    this.length = text.length;
  }
}
