/**
 * Bilinear resampling of a row-major [h, w, channels] map (pixel centres aligned, half-pixel
 * convention, edge pixels clamped): the one resize that the evaluation's metrics (results to the
 * ground truth's size) and the real-photo path (ONNX depth/mask outputs to the photo's size) share.
 */
export function bilinearResize<T extends Float32Array | Float64Array>(src: ArrayLike<number>, sw: number, sh: number, channels: number, tw: number, th: number, out: T): T {
  if (out.length !== tw * th * channels) throw new Error(`bilinearResize: output has ${out.length} values, expected ${tw}x${th}x${channels}`);
  const sx = sw / tw;
  const sy = sh / th;
  for (let y = 0; y < th; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < tw; x++) {
      const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * sw + x0) * channels + c] * (1 - wx) + src[(y0 * sw + x1) * channels + c] * wx;
        const b = src[(y1 * sw + x0) * channels + c] * (1 - wx) + src[(y1 * sw + x1) * channels + c] * wx;
        out[(y * tw + x) * channels + c] = a * (1 - wy) + b * wy;
      }
    }
  }
  return out;
}
