/**
 * The `object+move+redraw` decoding's plan for a still chosen object (gate-decode.ts): `object+move+paste` plans it from its
 * own pixels (paste-move.ts shadeObject: the empty ground, a removal, or its shading in one colour, a recolour); this rule
 * also lets the drawer (redraw.ts) redraw it as each shape in each palette colour, and takes whichever prediction the
 * plan head's plan is nearest. A replacement ("turn the X into a red cone") then gets the new shape, which no pasting
 * decoding can draw; the plan head decides between the candidates, as it decides between ground and recolour.
 * Each candidate is compared on what the plan predicts: per denoiser patch, the mean colour of the pixels the edit
 * changes, 0 where it changes none (aligned-targets.ts planTargets); the squared distance to the plan over every patch
 * some candidate changes. A drawn candidate's gate is its changed share per patch (the trained gate's truth), the shaded
 * one keeps the rule's gate (the object's coverage).
 */
import type { Params } from "../../nn/layers";
import { SHAPES } from "../../world/types";
import { changedPatches, changedPixel, shadeObject } from "./paste-move";
import { redrawImages, type RedrawConfig, type RedrawRequest } from "./redraw";

/** A fitted drawer, as an editor carries it (Editor.drawer). */
export interface Drawer {
  params: Params;
  config: RedrawConfig;
  /** The colours it may draw with ([-1, 1]; the palette). */
  palette: readonly (readonly [number, number, number])[];
}

/** One still object's plan under `object+move+redraw`: per patch whether it plans it, the colours [N * 3], the gate row (null: keep the rule's) and which candidate won. */
export interface RedrawPlan {
  patches: number[];
  colours: Float32Array;
  gate: number[] | null;
  kind: "ground" | "recolour" | "redraw";
}

/** The squared distance of a candidate's patch colours to the plan (both [N * 3]) over the patches in `over` (1 = compared). */
function distance(colours: ArrayLike<number>, patches: readonly number[], plan: ArrayLike<number>, over: readonly number[]): number {
  let e = 0;
  for (let n = 0; n < over.length; n++) for (let c = 0; c < 3 && over[n] === 1; c++) e += ((patches[n] === 1 ? colours[n * 3 + c] : 0) - plan[n * 3 + c]) ** 2;
  return e;
}

/** The plan of a still chosen object (see the file comment): `source`, `ground` [S * S * 3] and `plan` [N * 3] in [-1, 1], the object's `mask` [S * S]. */
export function redrawStill(drawer: Drawer, source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, plan: ArrayLike<number>, patch: number): RedrawPlan {
  const shaded = shadeObject(source, mask, ground, plan, patch);
  const S = Math.round(Math.sqrt(mask.length));
  const requests: RedrawRequest[] = SHAPES.flatMap((shape) => drawer.palette.map((colour) => ({ source, mask, ground, shape, colour })));
  const drawn = redrawImages(drawer.params, drawer.config, requests).map((pred) => {
    const changed = Uint8Array.from({ length: S * S }, (_, q) => (changedPixel(pred, source, q) ? 1 : 0));
    return changedPatches(pred, changed, S, patch);
  });
  const over = shaded.patches.map((x, n) => (x === 1 || drawn.some((d) => d.patches[n] === 1) ? 1 : 0));
  let best: RedrawPlan = { patches: shaded.patches, colours: shaded.colours, gate: null, kind: shaded.kind };
  let bestError = distance(shaded.colours, shaded.patches, plan, over);
  for (const d of drawn) {
    const e = distance(d.colours, d.patches, plan, over);
    if (e < bestError) [best, bestError] = [{ patches: d.patches, colours: d.colours, gate: d.share, kind: "redraw" }, e];
  }
  return best;
}
