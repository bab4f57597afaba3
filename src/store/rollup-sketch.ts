/**
 * A mergeable histogram of input-token counts ("token sketch") for p95 from rollups.
 * Log-linear cells: values below 32 have a cell each (exact); above, every power of two is split
 * into 16 equal cells. The estimate of a cell is its midpoint, so an estimated percentile is within
 * 1/32 (3.125 %) of the exact nearest-rank value, and exact below 32. Sketches merge by adding counts
 * cell by cell, so hours add up to days and rows of any range add up exactly.
 */

/** Values below this are counted exactly (one cell per value). */
export const SKETCH_EXACT_BELOW = 32;
/** Cells per power of two above SKETCH_EXACT_BELOW. */
export const SKETCH_SUB_CELLS = 16;
/** Bound on |estimate - exact| / exact for any percentile read from a sketch. */
export const SKETCH_RELATIVE_ERROR = 1 / 32;

/** Cell counts of one sketch: cell index -> count (counts > 0). */
export type SketchCells = Map<number, number>;

/** Floor of log2 for a positive integer, exact for every safe integer. */
function log2Floor(value: number): number {
  if (value < 0x80000000) return 31 - Math.clz32(value);
  let e = Math.floor(Math.log2(value));
  while (2 ** e > value) e -= 1;
  while (2 ** (e + 1) <= value) e += 1;
  return e;
}

/** The cell of a token count (negative or fractional inputs are floored at 0 / down). */
export function sketchCell(tokens: number): number {
  const value = tokens > 0 ? Math.floor(tokens) : 0;
  if (value < SKETCH_EXACT_BELOW) return value;
  const e = log2Floor(value);
  const sub = Math.floor(value / 2 ** (e - 4)) - SKETCH_SUB_CELLS;
  return SKETCH_EXACT_BELOW + (e - 5) * SKETCH_SUB_CELLS + sub;
}

/** Smallest value and width of a cell. */
export function cellBounds(cell: number): { lower: number; width: number } {
  if (cell < SKETCH_EXACT_BELOW) return { lower: cell, width: 1 };
  const offset = cell - SKETCH_EXACT_BELOW;
  const e = 5 + Math.floor(offset / SKETCH_SUB_CELLS);
  const width = 2 ** (e - 4);
  return { lower: (SKETCH_SUB_CELLS + (offset % SKETCH_SUB_CELLS)) * width, width };
}

/** The value reported for a cell: the midpoint of its integer values. */
export function cellEstimate(cell: number): number {
  const { lower, width } = cellBounds(cell);
  return lower + Math.floor((width - 1) / 2);
}

/** Adds `count` observations of `cell`. */
export function addCell(cells: SketchCells, cell: number, count = 1): void {
  cells.set(cell, (cells.get(cell) ?? 0) + count);
}

/** Adds every cell of `from` into `into` (mutates `into`). */
export function mergeCells(into: SketchCells, from: SketchCells): SketchCells {
  for (const [cell, count] of from) addCell(into, cell, count);
  return into;
}

/**
 * The nearest-rank percentile (rank ceil(q n), as report-rows.ts) estimated from cells; 0 when empty.
 * `q` is in (0, 1], e.g. 0.95.
 */
export function sketchPercentile(cells: SketchCells, q = 0.95): number {
  let total = 0;
  for (const count of cells.values()) total += count;
  if (total <= 0) return 0;
  const rank = Math.ceil((total * Math.round(q * 100)) / 100);
  // Cells netted to zero (a day row minus hours outside a range) are skipped.
  const sorted = [...cells.keys()].filter((cell) => cells.get(cell)! > 0).sort((a, b) => a - b);
  let seen = 0;
  for (const cell of sorted) {
    seen += cells.get(cell)!;
    if (seen >= rank) return cellEstimate(cell);
  }
  return cellEstimate(sorted[sorted.length - 1]!);
}

/** Cells as a dense array (index = cell), for engines storing sketches as integer arrays. */
export function denseCells(cells: SketchCells): number[] {
  let max = -1;
  for (const cell of cells.keys()) if (cell > max) max = cell;
  const dense = new Array<number>(max + 1).fill(0);
  for (const [cell, count] of cells) dense[cell] = count;
  return dense;
}

// Binary form (SQLite BLOB): (cell, count) varint pairs. encodeSketch writes them sorted and merged (canonical);
// a stored sketch may also be several encodings concatenated (cells repeated, any order): decoding adds them up.
// So a merge is usually a byte concatenation, and only past SKETCH_COMPACT_BYTES a real merge.

/** Merged sketches longer than this are re-encoded canonically instead of concatenated. */
export const SKETCH_COMPACT_BYTES = 512;

function writeVarint(out: number[], value: number): void {
  let v = value;
  // Above 31 bits only: V8 speculated that v / 0x80 stays an integer (all values seen were small or multiples of 128)
  // and the first uneven one deoptimized this and encodeSketch in a running gateway ("lost precision").
  while (v > 0x7fffffff) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** Encodes cells canonically (sorted, one pair per cell): equal sketches give equal bytes. */
export function encodeSketch(cells: SketchCells): Buffer {
  let ascending = true;
  let last = -1;
  for (const cell of cells.keys()) {
    if (cell <= last) { ascending = false; break; }
    last = cell;
  }
  const entries = ascending ? cells.entries() : [...cells.entries()].sort((a, b) => a[0] - b[0]).values();
  const bytes: number[] = [];
  for (const [cell, count] of entries) {
    if (count === 0) continue;
    writeVarint(bytes, cell);
    writeVarint(bytes, count);
  }
  return Buffer.from(bytes);
}

/** Decodes a stored sketch (canonical or concatenated), adding its cells into `into` (a fresh map by default). */
export function decodeSketch(blob: Uint8Array | null | undefined, into: SketchCells = new Map()): SketchCells {
  if (!blob) return into;
  let position = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = blob[position++];
      if (byte === undefined) throw new Error('corrupt token sketch: truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  while (position < blob.length) {
    const cell = read();
    addCell(into, cell, read());
  }
  return into;
}

/** Sum of two stored sketches: their concatenation while short, else the canonical encoding of the sum. */
export function mergeEncodedSketches(a: Uint8Array | null, b: Uint8Array | null): Buffer {
  if (!a || a.length === 0) return Buffer.from(b ?? []);
  if (!b || b.length === 0) return Buffer.from(a);
  if (a.length + b.length <= SKETCH_COMPACT_BYTES) return Buffer.concat([a, b]);
  return encodeSketch(decodeSketch(b, decodeSketch(a)));
}
