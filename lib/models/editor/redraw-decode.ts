/**
 * The `object+move+redraw` decoding's plan for a still chosen object (gate-decode.ts): `object+move+paste` plans it from its
 * own pixels (paste-move.ts shadeObject: the empty ground, a removal, or its shading in one colour, a recolour), which can
 * never give a replacement ("turn the X into a red cone") its new shape. Under this rule the editor first writes its
 * language condition (H_lm, greedy; the paper's MGIE-style "expressive instruction"), and when the condition says the object
 * "is replaced with a <colour> <shape>", the drawer (redraw.ts) redraws the chosen object in place as that shape in that
 * palette colour; the drawn prediction gives the plan (each patch's mean over the pixels it changes) and the gate (the share
 * of each patch's pixels it changes, as the trained gate's truth). Any other condition leaves the rule's plan as it was.
 * `object+move+said` also follows a condition that ends "is now <colour>": the object is repainted in that palette colour
 * (`repaintPlan`: each of its pixels times the ratio of the new palette colour to the one its pixels show, per channel, so
 * that its shading and texture stay) instead of shaded in the colour fitted to the plan head's plan. Under both an object the
 * condition redraws or recolours stays where it is, whatever the move head says (a replacement or a recolour keeps its place).
 * `object+move+draw` is `object+move+said` whose redrawn or recoloured pixels are kept in the edited image where they
 * change the source (the denoiser renders the rest): the drawer as the decoder of the object it draws, since the denoiser
 * renders a given plan less exactly (on SpatialEval-mini's replacements, told the truth's object, shape and colour, the
 * drawing passes the object judge on 0.879 and the denoiser rendering its plan and gate on 0.414; a scratch check).
 * `object+move+pixels` also keeps the pixels of a pasted move or resize: then every edit of a chosen object with a pixel
 * prediction is that prediction, and the denoiser renders only what no prediction covers (a still object the condition
 * does not redraw or recolour: a removal, as object+move+paste plans it).
 * With a drawer that retextures (redraw.ts config.retexture), the rules that follow every said edit also follow a condition
 * that ends "now has a <material> surface": the drawer redraws the object keeping its shape, in the colour its pixels show,
 * in that material (`retexturePlan`); with a drawer that only replaces, such a condition is not followed (as before).
 */
import type { Params } from "../../nn/layers";
import { REDRAWING_RULES, type GateDecode } from "./gate-decode";
import { COLOUR_RGB } from "../../world/conventions";
import { COLOURS, MATERIALS, SHAPES, type ColourName, type Material, type Shape } from "../../world/types";
import { colourName } from "../../engine/parse";
import { predictionPlan } from "./paste-move";
import { PLAN_PALETTE } from "./palette";
import { toBytes } from "./train/data";
import { erasedSource, redrawImages, type RedrawConfig } from "./redraw";

/** Whether a rule may redraw a still chosen object with the editor's drawer as its language condition says (and so needs one). */
export function redrawsObject(rule: GateDecode): boolean {
  return (REDRAWING_RULES as readonly string[]).includes(rule); // gate-decode.ts lists them once
}

/** Whether a rule follows every edit its language condition says (a replacement, a recolour, a removal), not only replacements. */
export function followsCondition(rule: GateDecode): boolean {
  return rule === "object+move+said" || rule === "object+move+draw" || rule === "object+move+pixels";
}

/** Whether a rule keeps the pixels it redraws or recolours in the edited image: `object+move+draw`, `object+move+pixels`. */
export function drawsPixels(rule: GateDecode): boolean {
  return rule === "object+move+draw" || rule === "object+move+pixels";
}

/** Whether a rule also keeps a pasted move's or resize's pixels (the object's own, moved over the empty ground): `object+move+pixels`. */
export function keepsPastes(rule: GateDecode): boolean {
  return rule === "object+move+pixels";
}

/** A fitted drawer, as an editor carries it (Editor.drawer). */
export interface Drawer {
  params: Params;
  config: RedrawConfig;
}

/** What a language condition makes its object: another shape and colour (a replacement), another colour, another material, or nothing (a removal). */
export type RedrawTarget = { kind: "replace"; shape: Shape; colour: ColourName } | { kind: "recolour"; colour: ColourName } | { kind: "retexture"; material: Material } | { kind: "remove" };

/**
 * What a language condition makes its object: after the last "replaced with a" / "an", a palette colour and a shape ("... is
 * replaced with a brown cube" -> a brown cube); else, when it ends "is now <colour>", that colour (a recolour); else, when it
 * ends "now has a <material> surface", that material (a retexture); else, when it says the object "is removed", a removal;
 * else null.
 */
export function redrawTarget(condition: string): RedrawTarget | null {
  const words = condition.toLowerCase().split(/[^a-z]+/).filter((w) => w !== "");
  const isColour = (w: string | undefined) => w !== undefined && (COLOURS as readonly string[]).includes(w);
  for (let i = words.length - 4; i >= 0; i--) {
    if (words[i] !== "replaced" || words[i + 1] !== "with" || (words[i + 2] !== "a" && words[i + 2] !== "an")) continue;
    const [colour, shape] = [words[i + 3], words[i + 4]];
    return isColour(colour) && (SHAPES as readonly string[]).includes(shape) ? { kind: "replace", shape: shape as Shape, colour: colour as ColourName } : null;
  }
  const n = words.length;
  if (n >= 3 && words[n - 3] === "is" && words[n - 2] === "now" && isColour(words[n - 1])) return { kind: "recolour", colour: words[n - 1] as ColourName };
  if (n >= 5 && words.slice(n - 5, n - 2).join(" ") === "now has a" && (MATERIALS as readonly string[]).includes(words[n - 2]) && words[n - 1] === "surface") return { kind: "retexture", material: words[n - 2] as Material };
  return words.some((w, i) => w === "is" && words[i + 1] === "removed") ? { kind: "remove" } : null;
}

/** A palette colour in [-1, 1] (palette.ts PLAN_PALETTE). */
export const paletteSigned = (c: ColourName): readonly [number, number, number] => PLAN_PALETTE[COLOURS.indexOf(c)];

/** One redrawn object's plan: per patch whether it plans it, the colours [N * 3] in [-1, 1], the gate row (the changed share) and the drawn image ([S * S * 3] in [-1, 1]). */
export interface RedrawPlan {
  patches: number[];
  colours: Float32Array;
  gate: number[];
  image: Float32Array;
}

/** The plan of the chosen object (`mask` [S * S]) of `source` (with the empty `ground`, [S * S * 3] in [-1, 1]) redrawn as `target` by the drawer (shape null and a material: a retexture, for a drawer that retextures). */
export function redrawPlan(drawer: Drawer, source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, target: { shape: Shape | null; colour: ColourName; material?: Material }, patch: number): RedrawPlan {
  const [pred] = redrawImages(drawer.params, drawer.config, [{ source, mask, ground, shape: target.shape, colour: paletteSigned(target.colour), material: target.material ?? null }]);
  return predictionPlan(pred, source, patch);
}

/** The palette colour the pixels of `mask` ([S * S], 1 on the object) show in `source` ([S * S * 3] in [-1, 1]; engine/parse.ts colourName), or null when they show none. */
export function shownColour(source: ArrayLike<number>, mask: ArrayLike<number>): ColourName | null {
  const idx: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] === 1) idx.push(p);
  return colourName(toBytes(source), idx);
}

/** The plan of the chosen object (`mask` [S * S]) of `source` retextured `material` by a drawer that retextures: its shape kept, in the colour its pixels show; null when they show none. */
export function retexturePlan(drawer: Drawer, source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, material: Material, patch: number): RedrawPlan | null {
  const colour = shownColour(source, mask);
  return colour === null ? null : redrawPlan(drawer, source, mask, ground, { shape: null, colour, material }, patch);
}

/** The plan of the chosen object (`mask` [S * S]) of `source` made what its condition says (`target`): redrawn, repainted, retextured or erased; null when a retexture's colour is not read. */
export function saidPlan(drawer: Drawer, target: RedrawTarget, source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, patch: number): RedrawPlan | null {
  if (target.kind === "replace") return redrawPlan(drawer, source, mask, ground, target, patch);
  if (target.kind === "recolour") return repaintPlan(source, mask, target.colour, patch);
  if (target.kind === "retexture") return retexturePlan(drawer, source, mask, ground, target.material, patch);
  return erasePlan(source, mask, ground, patch);
}

/**
 * The plan of the chosen object (`mask` [S * S]) of `source` ([S * S * 3] in [-1, 1]) repainted `colour`: the palette colour
 * its pixels show (engine/parse.ts colourName: median chromaticity, nearest palette colour) is the albedo the renderer lit,
 * so each pixel times new / old per channel is the same light on the new albedo (clipped; a highlight scales with it).
 * The plan is each patch's mean over the pixels that change, the gate their share; the image is the repainted source.
 */
export function repaintPlan(source: ArrayLike<number>, mask: ArrayLike<number>, colour: ColourName, patch: number): RedrawPlan {
  const from = COLOUR_RGB[shownColour(source, mask) ?? colour];
  const to = COLOUR_RGB[colour];
  const image = Float32Array.from(source);
  for (let p = 0; p < mask.length; p++) if (mask[p] === 1) for (let c = 0; c < 3; c++) image[p * 3 + c] = Math.min(1, ((source[p * 3 + c] + 1) / 2) * (to[c] / Math.max(1, from[c]))) * 2 - 1;
  return predictionPlan(image, source, patch);
}

/** The plan of the chosen object (`mask` [S * S]) of `source` removed: its pixels the empty `ground` ([S * S * 3] in [-1, 1]). */
export function erasePlan(source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, patch: number): RedrawPlan {
  return predictionPlan(erasedSource({ source, mask, ground }), source, patch);
}
