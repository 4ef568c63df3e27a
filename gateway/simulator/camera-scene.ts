import jpeg from 'jpeg-js';

/**
 * What the stand-in camera sees. `normal` is the approved view: sky gradient, a road, houses and a
 * textured field. `turned` is the same world seen after the mast was knocked (shifted and rotated);
 * `covered` a bag or spray paint over the lens (near-uniform grey); `dark` a night with the IR
 * lamp dead; `blurred` a lens out of focus or misted.
 */
export type Scene = 'normal' | 'turned' | 'covered' | 'dark' | 'blurred';

export const SCENE_WIDTH = 320;
export const SCENE_HEIGHT = 240;

/** A deterministic hash noise in [0, 1): the field's texture, identical frame to frame. */
function noise(x: number, y: number): number {
  let h = (x * 374_761_393 + y * 668_265_263) | 0;
  h = Math.imul(h ^ (h >>> 13), 1_274_126_177);
  return ((h ^ (h >>> 16)) >>> 0) / 4_294_967_296;
}

/** The world's colour at (x, y) in scene coordinates, RGB 0–255. */
function world(x: number, y: number): [number, number, number] {
  const horizon = 100;
  if (y < horizon) {
    const t = y / horizon;
    return [90 + 80 * t, 140 + 60 * t, 230 - 20 * t];
  }
  // A house: wall, dark door, red roof (a triangle over the wall).
  for (const hx of [40, 200]) {
    if (x >= hx && x < hx + 70 && y >= horizon - 10 && y < horizon + 40) {
      if (x >= hx + 28 && x < hx + 42 && y >= horizon + 12) return [60, 40, 30];
      return [225, 215, 190];
    }
    const roofY = horizon - 10 - (35 - Math.abs(x - (hx + 35)));
    if (x >= hx && x < hx + 70 && y >= roofY && y < horizon - 10) return [170, 50, 40];
  }
  // The road: a dark band with white dashes.
  if (y >= horizon + 60 && y < horizon + 85) {
    const dash = y >= horizon + 71 && y < horizon + 74 && Math.floor(x / 20) % 2 === 0;
    return dash ? [240, 240, 240] : [70, 70, 75];
  }
  // Rice field: green with a fine texture (the high-frequency detail a blur removes).
  const n = noise(x, y) * 70;
  return [40 + n * 0.5, 110 + n, 40 + n * 0.3];
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, v));
}

/** Renders the scene as RGBA; `frame` varies the sensor noise so two frames never share bytes. */
export function renderScene(scene: Scene, frame: number): Buffer {
  const w = SCENE_WIDTH;
  const h = SCENE_HEIGHT;
  const out = Buffer.alloc(w * h * 4);
  // Turned: rotated 25° about the centre and shifted, as a knocked mast looks.
  const angle = scene === 'turned' ? (25 * Math.PI) / 180 : 0;
  const shiftX = scene === 'turned' ? 70 : 0;
  const shiftY = scene === 'turned' ? -45 : 0;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - w / 2;
      const dy = y - h / 2;
      const sx = Math.round(cos * dx - sin * dy + w / 2 + shiftX);
      const sy = Math.round(sin * dx + cos * dy + h / 2 + shiftY);
      let [r, g, b] = world(sx, sy);
      if (scene === 'covered') [r, g, b] = [118, 116, 112];
      if (scene === 'dark') [r, g, b] = [r * 0.08, g * 0.08, b * 0.08];
      const sensor = (noise(x + frame * 7919, y + frame * 104_729) - 0.5) * 3;
      const i = (y * w + x) * 4;
      out[i] = clamp(r + sensor);
      out[i + 1] = clamp(g + sensor);
      out[i + 2] = clamp(b + sensor);
      out[i + 3] = 255;
    }
  }
  return scene === 'blurred' ? boxBlur(boxBlur(out, w, h, 5), w, h, 5) : out;
}

/** A box blur of radius `r` over RGBA: what an unfocused or misted lens does to edges. */
function boxBlur(src: Buffer, w: number, h: number, r: number): Buffer {
  const out = Buffer.alloc(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const acc = [0, 0, 0];
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          const i = (yy * w + xx) * 4;
          acc[0]! += src[i]!;
          acc[1]! += src[i + 1]!;
          acc[2]! += src[i + 2]!;
          n++;
        }
      }
      const o = (y * w + x) * 4;
      out[o] = acc[0]! / n;
      out[o + 1] = acc[1]! / n;
      out[o + 2] = acc[2]! / n;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** One snapshot as a camera serves it: a baseline JPEG. */
export function sceneJpeg(scene: Scene, frame: number, quality = 80): Buffer {
  return jpeg.encode({ data: renderScene(scene, frame), width: SCENE_WIDTH, height: SCENE_HEIGHT }, quality)
    .data;
}
