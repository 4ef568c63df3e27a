import jpeg from 'jpeg-js';

/** What a snapshot measures, all on 8-bit luminance (ITU-R BT.601 weights). */
export interface ImageMeasures {
  readonly width: number;
  readonly height: number;
  /** Mean luminance, 0–255: a dead IR lamp at night reads near 0. */
  readonly luminance: number;
  /** Standard deviation of luminance: a lens under a bag or paint is near-uniform. */
  readonly stddev: number;
  /** Variance of the Laplacian: edge energy, low when out of focus or misted (Pech-Pacheco 2000). */
  readonly sharpness: number;
  /** 64-bit difference hash (dHash) as 16 hex digits: stays put under noise and JPEG, moves with the view. */
  readonly dHash: string;
}

/** Snapshots above this are refused before decoding: a camera snapshot is a few megapixels. */
const MAX_MEGAPIXELS = 40;
/** Measures run on at most this width: enough for every judgement here, and bounded CPU per camera. */
const WORK_WIDTH = 320;

/** Decodes a JPEG and measures it; throws (a bad image) when it is not a decodable JPEG. */
export function measureJpeg(bytes: Uint8Array): ImageMeasures {
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_MEGAPIXELS,
    maxMemoryUsageInMB: 512,
  });
  if (!img.width || !img.height) throw new Error('image has no pixels');
  const { gray, width, height } = luminance(img.data, img.width, img.height);
  let sum = 0;
  for (const v of gray) sum += v;
  const mean = sum / gray.length;
  let sq = 0;
  for (const v of gray) sq += (v - mean) ** 2;
  return {
    width: img.width,
    height: img.height,
    luminance: round1(mean),
    stddev: round1(Math.sqrt(sq / gray.length)),
    sharpness: round1(laplacianVariance(gray, width, height)),
    dHash: dHash(gray, width, height),
  };
}

/** Grey levels, box-downscaled to WORK_WIDTH so a 4K snapshot costs what a small one does. */
function luminance(
  rgba: Uint8Array,
  w: number,
  h: number,
): { gray: Float32Array; width: number; height: number } {
  const step = Math.max(1, Math.floor(w / WORK_WIDTH));
  const width = Math.floor(w / step);
  const height = Math.floor(h / step);
  const gray = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let dy = 0; dy < step; dy++) {
        for (let dx = 0; dx < step; dx++) {
          const i = ((y * step + dy) * w + (x * step + dx)) * 4;
          acc += 0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!;
        }
      }
      gray[y * width + x] = acc / (step * step);
    }
  }
  return { gray, width, height };
}

/** Variance of the 4-neighbour Laplacian over the interior pixels. */
function laplacianVariance(g: Float32Array, w: number, h: number): number {
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = g[i - 1]! + g[i + 1]! + g[i - w]! + g[i + w]! - 4 * g[i]!;
      sum += l;
      sq += l * l;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sq / n - mean * mean;
}

/**
 * dHash (N. Krawetz, "Kind of Like That", 2013): the image averaged to 9×8 cells, one bit per
 * cell for "brighter than its right neighbour". Mean-area averaging rather than point sampling,
 * so the texture of a field or sensor noise cannot flip bits. A cell must be brighter by more than
 * FLAT_MARGIN: in a flat sky or wall two neighbours differ only by noise, and a plain `a > b`
 * would flip a third of the bits frame to frame (measured on the stand-in: 15 of 64).
 */
function dHash(g: Float32Array, w: number, h: number): string {
  const cols = 9;
  const rows = 8;
  const cells = new Float64Array(cols * rows);
  const counts = new Uint32Array(cols * rows);
  for (let y = 0; y < h; y++) {
    const cy = Math.min(rows - 1, Math.floor((y * rows) / h));
    for (let x = 0; x < w; x++) {
      const c = cy * cols + Math.min(cols - 1, Math.floor((x * cols) / w));
      cells[c]! += g[y * w + x]!;
      counts[c]!++;
    }
  }
  let bits = 0n;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols - 1; c++) {
      const a = cells[r * cols + c]! / counts[r * cols + c]!;
      const b = cells[r * cols + c + 1]! / counts[r * cols + c + 1]!;
      bits = (bits << 1n) | (a > b + FLAT_MARGIN ? 1n : 0n);
    }
  return bits.toString(16).padStart(16, '0');
}

/** Grey levels (of 255) by which a dHash cell must outshine its neighbour to set its bit. */
const FLAT_MARGIN = 2;

/** Bits that differ between two dHashes (0–64). */
export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
