/**
 * The pixel-level prediction behind the `object+offset+paste` gate decoding (gate-decode.ts): a move pasted from the
 * source's own pixels, and the per-patch plan it implies.
 */

/**
 * A move predicted by pasting: `source` [S * S * 3] with the pixels of `mask` (1 on the object, [S * S]) replaced by `ground`
 * ([S * S * 3], the empty ground) and then the object's source pixels moved by [dx, dy] whole pixels (x right, y down; off
 * the image: dropped); each patch of side `patch` that has a changed pixel (one the object left or reached) gets the mean
 * of its changed pixels in the prediction: per patch [N] whether it has one, and the means [N * 3] (0 where none).
 */
export function pasteMove(source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, dx: number, dy: number, patch: number): { patches: number[]; colours: Float32Array } {
  const S = Math.round(Math.sqrt(mask.length));
  if (S * S !== mask.length || source.length !== S * S * 3 || ground.length !== S * S * 3) throw new Error(`pasteMove: a mask of ${mask.length} pixels, a source of ${source.length} values and a ground of ${ground.length} do not fit one square image`);
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new Error(`pasteMove: the offset must be whole pixels, got [${dx}, ${dy}]`);
  if (S % patch !== 0) throw new Error(`pasteMove: the image side ${S} is not a multiple of the patch ${patch}`);
  const pred = Float32Array.from(source);
  const changed = new Uint8Array(S * S);
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    for (let c = 0; c < 3; c++) pred[p * 3 + c] = ground[p * 3 + c];
    changed[p] = 1;
  }
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const [sx, sy] = [x - dx, y - dy];
      if (sx < 0 || sy < 0 || sx >= S || sy >= S || mask[sy * S + sx] !== 1) continue;
      for (let c = 0; c < 3; c++) pred[(y * S + x) * 3 + c] = source[(sy * S + sx) * 3 + c];
      changed[y * S + x] = 1;
    }
  }
  const G = S / patch;
  const patches = new Array<number>(G * G).fill(0);
  const colours = new Float32Array(G * G * 3);
  for (let n = 0; n < G * G; n++) {
    const [py, px] = [Math.floor(n / G) * patch, (n % G) * patch];
    let k = 0;
    for (let y = py; y < py + patch; y++) {
      for (let x = px; x < px + patch; x++) {
        const q = y * S + x;
        if (changed[q] === 0) continue;
        k++;
        for (let c = 0; c < 3; c++) colours[n * 3 + c] += pred[q * 3 + c];
      }
    }
    if (k === 0) continue;
    patches[n] = 1;
    for (let c = 0; c < 3; c++) colours[n * 3 + c] /= k;
  }
  return { patches, colours };
}
