/**
 * The moving gate decodings' plans (gate-decode.ts): per item, the patches a chosen object's move fills or vacates and their
 * colours, pasted from the object's own pixels for the pasting rules, a still object shaded or (the redrawing rules,
 * redraw-decode.ts) redrawn as the editor's language condition says, and the gates of pasted moves and redraws.
 */
import * as tf from "@tensorflow/tfjs";
import { blendsVacated, fillsMoved, groundColour, objectColour, pastesObject, plansGround, scalesObject, shadesObject, type GateDecode, type ObjectRegions, type OffsetChoice } from "./gate-decode";
import { changedPixel, pasteMove, shadeObject } from "./paste-move";
import { followsCondition, keepsPastes, redrawsObject, saidPlan, type Drawer, type RedrawTarget } from "./redraw-decode";

/**
 * The moving rules' plan for the patches a move fills: per item, the decoding's choice (the object and its move,
 * decodeObjectMove); the patches the move fills get 1 in `patches` [B, N] and the object's colour in its source
 * (`known`, the perceived colour of each object, else objectColour) in `colours` [B, N, 3]; with a rule that plans ground
 * (plansGround: all moving rules but `object+offset`) the patches it vacates get 1 and the colour of the free ground nearest
 * them (groundColour), for `object+offset+blend` blended with the object's by the moved coverage there (blendsVacated); for
 * `object+offset+fill` (fillsMoved) every patch the moved coverage reaches and the move does not vacate gets the object's colour;
 * items without a move or an object get none. `object+offset+paste` pastes the move from the object's pixels instead
 * (pastedFills), `object+offset+shade` also plans a still chosen object from its own pixels, and `object+move+paste` also
 * scales the pasted object and gives each pasted move's gate (its changed share). Call inside tf.tidy.
 */
export function moveFills(choices: readonly OffsetChoice[], rule: GateDecode, { objects, sources, patch, N, known, masks, grounds, plan, drawer, retexturer, targets, behind }: MoveFillInputs): MoveFills {
  const [ground, whole, blend] = [plansGround(rule), fillsMoved(rule), blendsVacated(rule)];
  if (pastesObject(rule)) {
    if (masks === undefined || grounds === undefined) throw new Error(`moveFills: '${rule}' needs each source's object masks and empty ground`);
    if (shadesObject(rule) && plan === undefined) throw new Error(`moveFills: '${rule}' needs the plan head's plan of each item`);
    if (redrawsObject(rule) && (drawer === undefined || targets === undefined)) throw new Error(`moveFills: '${rule}' needs the editor's drawer and what each item's condition redraws`);
    return pastedFills(choices, sources, patch, N, masks, grounds, shadesObject(rule) ? plan : undefined, scalesObject(rule), redrawsObject(rule) ? { drawer: drawer!, retexturer, targets: targets!, pastes: keepsPastes(rule) } : undefined, behind === true);
  }
  if (behind === true) throw new Error(`moveFills: pasting behind nearer objects (behind) needs a rule that pastes the object's own pixels (object+offset+paste, object+offset+shade, object+move+paste or a redrawing rule), not '${rule}'`);
  const B = choices.length;
  const patches = new Float32Array(B * N);
  const colours = new Float32Array(B * N * 3);
  const give = (b: number, n: number, colour: readonly number[]) => {
    patches[b * N + n] = 1;
    colours.set(colour, (b * N + n) * 3);
  };
  choices.forEach(({ object, dest }, b) => {
    if (dest === null) return;
    const colour = known?.[b][object] ?? objectColour(sources[b], objects[b][object], patch);
    dest.fills.forEach((f, n) => (f === 1 || (whole && dest.moved[n] > 0 && dest.vacates[n] === 0)) && give(b, n, colour));
    if (!ground) return;
    dest.vacates.forEach((v, n) => {
      const g = v === 1 ? groundColour(sources[b], objects[b], n, patch) : null;
      const a = blend ? dest.moved[n] : 0; // the share of the patch the moved object still covers
      if (g !== null) give(b, n, g.map((x, k) => a * colour[k] + (1 - a) * x));
    });
  });
  return { patches: tf.tensor2d(patches, [B, N]), colours: tf.tensor3d(colours, [B, N, 3]) };
}

/** moveFills' plan: per item the patches it plans ([B, N], 1 where it does) and their colours [B, N, 3]; `object+move+paste` also gives the gate of each item with a pasted move (its changed share per patch; null: keep the rule's gate). */
export interface MoveFills {
  patches: tf.Tensor2D;
  colours: tf.Tensor3D;
  gates?: (readonly number[] | null)[];
  /** The redrawing rules (redrawsObject): per item the image its condition's redraw or recolour predicts (null: none). */
  pixels?: (Float32Array | null)[];
}

/** What moveFills reads besides the choices and the rule, per item of the batch. */
export interface MoveFillInputs {
  /** The perceived objects (B lists of coverages [N]). */
  objects: readonly ObjectRegions[];
  /** The sources ([size * size * 3] in [-1, 1]). */
  sources: readonly Float32Array[];
  /** The denoiser's patch side and patch count. */
  patch: number;
  N: number;
  /** The perceived colour of each object (else objectColour estimates it). */
  known?: readonly (readonly (readonly [number, number, number])[])[];
  /** The pixel masks and empty grounds: the pasting rules (gate-decode.ts pastesObject). */
  masks?: readonly (readonly Uint8Array[])[];
  grounds?: readonly Float32Array[];
  /** The plan head's plan per item ([N][3] in [-1, 1]): the shading rules (shadesObject) fit a still object's colour to it. */
  plan?: readonly (readonly (readonly number[])[])[];
  /** The editor's drawer, and per item what its language condition redraws the chosen object as (null: nothing): `object+move+redraw` (redrawsObject; redraw-decode.ts). */
  drawer?: Drawer;
  /** A drawer that retextures, for the said retextures in place of `drawer` (Editor.retexturer). */
  retexturer?: Drawer;
  targets?: readonly (RedrawTarget | null)[];
  /** The pasting rules: a pasted move stays behind the other objects standing nearer on the ground (paste-move.ts PasteOptions.others; pipeline option pasteBehind). */
  behind?: boolean;
}

/**
 * `object+offset+paste`'s plan: per item with a move, pasteMove of its chosen object's mask by the move's offset in whole
 * pixels; given the plan head's `plan` (`object+offset+shade`), per item with a chosen object and no move, shadeObject
 * (`object+move+redraw`: an item whose condition redraws the object gets redrawPlan instead, and its gate; `object+move+said`:
 * also an item whose condition recolours, retextures or removes it gets saidPlan's; the redrawing rules give each said item's predicted image, and
 * `object+move+pixels` also each pasted move's); with `behind` a pasted move stays behind the item's other objects that stand
 * nearer on the ground (pasteMove's `others`).
 * Call inside tf.tidy.
 */
function pastedFills(choices: readonly OffsetChoice[], sources: readonly Float32Array[], patch: number, N: number, masks: readonly (readonly Uint8Array[])[], grounds: readonly Float32Array[], plan: MoveFillInputs["plan"], shareGates: boolean, redraw?: { drawer: Drawer; retexturer?: Drawer; targets: readonly (RedrawTarget | null)[]; pastes: boolean }, behind = false): MoveFills {
  const patches = new Float32Array(choices.length * N);
  const colours = new Float32Array(choices.length * N * 3);
  const gates = choices.map((): number[] | null => null);
  const pixels = choices.map((): Float32Array | null => null);
  choices.forEach(({ object, dest, offset }, b) => {
    if (object < 0) return;
    const said = redraw?.targets[b] ?? null; // a said replacement or recolour keeps its place
    if (dest === null || offset === null || said !== null) {
      if (plan === undefined) return;
      const [source, mask] = [sources[b], masks[b][object]];
      const q = (said === null ? null : saidPlan(drawerFor(said, redraw!.drawer, redraw!.retexturer)!, said, source, mask, grounds[b], patch)) ?? shadeObject(source, mask, grounds[b], plan[b].flat(), patch);
      if ("gate" in q) [gates[b], pixels[b]] = [q.gate, q.image];
      patches.set(q.patches, b * N);
      colours.set(q.colours, b * N * 3);
      return;
    }
    const p = pasteMove(sources[b], masks[b][object], grounds[b], Math.round(offset[0] * patch), Math.round(offset[1] * patch), patch, { ...(shareGates ? { scale: choices[b].scale ?? 1, byChange: true } : {}), ...(behind ? { others: masks[b].filter((_, r) => r !== object) } : {}) });
    if (shareGates) gates[b] = p.share;
    if (redraw?.pastes === true) pixels[b] = p.image;
    patches.set(p.patches, b * N);
    colours.set(p.colours, b * N * 3);
  });
  return { patches: tf.tensor2d(patches, [choices.length, N]), colours: tf.tensor3d(colours, [choices.length, N, 3]), ...(shareGates ? { gates } : {}), ...(redraw !== undefined ? { pixels } : {}) };
}

/** `edited` ([S * S * 3] in [-1, 1]) with the pixels where `drawnImage` changes `source` taken from it (none when null). */
export function keepDrawn(edited: Float32Array, source: ArrayLike<number>, drawnImage: Float32Array | null): Float32Array {
  if (drawnImage === null) return edited;
  for (let q = 0; q < edited.length / 3; q++) if (changedPixel(drawnImage, source, q)) for (let c = 0; c < 3; c++) edited[q * 3 + c] = drawnImage[q * 3 + c];
  return edited;
}

/** The drawer that draws a said target: a retexture the retexturer where the editor has one (Editor.retexturer), anything else the drawer. */
export function drawerFor(t: RedrawTarget | null, drawer?: Drawer, retexturer?: Drawer): Drawer | undefined {
  return t?.kind === "retexture" ? (retexturer ?? drawer) : drawer;
}

/** What a rule follows of a condition's target: `object+move+said`, `draw` and `pixels` every one (a retexture only with a `drawer` that retextures), `object+move+redraw` only replacements. */
export function keepTarget(t: RedrawTarget | null, rule: GateDecode, drawer?: Drawer): RedrawTarget | null {
  if (t === null || t.kind === "replace") return t;
  if (t.kind === "retexture") return followsCondition(rule) && drawer?.config.retexture === true ? t : null;
  return followsCondition(rule) ? t : null;
}

