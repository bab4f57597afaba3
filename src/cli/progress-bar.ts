/** A one-line progress bar for long CLI work; prints only when the stream is a terminal. */
export class ProgressBar {
  private done_ = 0;
  private lastDraw = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  tick(count = 1): void {
    this.done_ += count;
    const now = Date.now();
    if (now - this.lastDraw > 50 || this.done_ >= this.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
    else this.stream.write(`${this.label}: ${this.done_}/${this.total}\n`);
  }

  private draw(): void {
    if (!this.stream.isTTY) return;
    const width = 30;
    const ratio = this.total === 0 ? 1 : Math.min(1, this.done_ / this.total);
    const filled = Math.round(ratio * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done_}/${this.total}`);
  }
}
