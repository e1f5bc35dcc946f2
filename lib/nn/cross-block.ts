/**
 * A pre-LN transformer block with cross-attention (the decoder layer of Vaswani et al. 2017 with
 * norm-first, as PyTorch's TransformerDecoderLayer(norm_first=True); PixArt-style DiT blocks):
 *   x = x + SelfAttn(LN1(x));  x = x + CrossAttn(LN2(x), context);  x = x + MLP(LN3(x)).
 * With adaLN-Zero modulation (`modulated`, DiT): a conditioning vector c [B, d] gives per-item
 * shift/scale for LN1 and LN3 and gates for the self-attention and MLP branches, all 0 at init.
 * Used by the editor's edit head (learned queries attending to the [IMG] states) and denoiser
 * (patch tokens attending to the edit-head tokens), paper §3.1 Eq. 3 and Fig. 3.
 *
 * Parameter names: `${prefix}.ln{1,2,3}.{g,b}`, `${prefix}.attn.{q,k,v,o}.{w,b}` (self),
 * `${prefix}.cross.{q,k,v,o}.{w,b}`, `${prefix}.mlp.fc{1,2}.{w,b}`, and when modulated
 * `${prefix}.ada.{w,b}` [d, 6d] (zeros).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { attention, initAttention, type AttentionExtras } from "./attention";
import { initLayerNorm, initLinear, layerNorm, linear, type Params } from "./layers";
import { gated, initModulation, modulate, modulationChunks } from "./modulation";

export interface CrossBlockConfig {
  /** Width of the tokens and of the context (keys/values are projected from width d). */
  dModel: number;
  nHeads: number;
  /** Hidden width of the MLP. */
  dFF: number;
  /** adaLN-Zero modulation by a conditioning vector (DiT). */
  modulated: boolean;
}

export function initCrossBlock(rng: Rng, cfg: CrossBlockConfig, prefix: string): Params {
  const d = cfg.dModel;
  const acfg = { dModel: d, nHeads: cfg.nHeads, causal: false };
  return {
    ...initLayerNorm(d, `${prefix}.ln1`),
    ...initAttention(rng.fork("self"), acfg, `${prefix}.attn`),
    ...initLayerNorm(d, `${prefix}.ln2`),
    ...initAttention(rng.fork("cross"), acfg, `${prefix}.cross`),
    ...initLayerNorm(d, `${prefix}.ln3`),
    ...initLinear(rng.fork("fc1"), d, cfg.dFF, `${prefix}.mlp.fc1`),
    ...initLinear(rng.fork("fc2"), cfg.dFF, d, `${prefix}.mlp.fc2`),
    ...(cfg.modulated ? initModulation(d, 6, `${prefix}.ada`) : {}),
  };
}

export interface CrossBlockExtras {
  /** Conditioning vector [B, d] of a modulated block (the timestep embedding). */
  cond?: tf.Tensor2D;
  /** Receives the self-attention probabilities [B, H, T, T]. */
  onSelf?: AttentionExtras["onAttention"];
  /** Receives the cross-attention probabilities [B, H, T, S]. */
  onCross?: AttentionExtras["onAttention"];
  /** An additive mask of the context [B, 1, T, S] (0: visible, -1e9: hidden, e.g. padding). */
  contextMask?: tf.Tensor4D;
  /** An additive mask of the tokens' self-attention [B, 1, T, T] (0: visible, -1e9: hidden, e.g. padding tokens). */
  selfMask?: tf.Tensor4D;
}

/** One block: x [B, T, d], context [B, S, d] -> [B, T, d]. */
export function crossBlock(x: tf.Tensor3D, context: tf.Tensor3D, p: Params, prefix: string, cfg: CrossBlockConfig, ex: CrossBlockExtras = {}): tf.Tensor3D {
  const acfg = { dModel: cfg.dModel, nHeads: cfg.nHeads, causal: false };
  if (context.shape[2] !== cfg.dModel) throw new Error(`crossBlock '${prefix}': context width ${context.shape[2]} differs from dModel ${cfg.dModel}`);
  if (cfg.modulated && ex.cond === undefined) throw new Error(`crossBlock '${prefix}': a modulated block needs the conditioning vector (cond)`);
  // adaLN-Zero chunks: shift/scale/gate of the self-attention branch, then of the MLP branch
  const [sh1, sc1, g1, sh2, sc2, g2] = cfg.modulated ? modulationChunks(ex.cond!, p, `${prefix}.ada`, 6) : [];
  let h = layerNorm(x, p, `${prefix}.ln1`) as tf.Tensor3D;
  if (cfg.modulated) h = modulate(h, sh1, sc1);
  let a = attention(h, p, `${prefix}.attn`, acfg, { onAttention: ex.onSelf, ...(ex.selfMask !== undefined ? { mask: ex.selfMask } : {}) });
  if (cfg.modulated) a = gated(a, g1);
  let y = tf.add(x, a) as tf.Tensor3D;
  y = tf.add(y, attention(layerNorm(y, p, `${prefix}.ln2`) as tf.Tensor3D, p, `${prefix}.cross`, acfg, { context, onAttention: ex.onCross, ...(ex.contextMask !== undefined ? { mask: ex.contextMask } : {}) })) as tf.Tensor3D;
  let m = layerNorm(y, p, `${prefix}.ln3`) as tf.Tensor3D;
  if (cfg.modulated) m = modulate(m, sh2, sc2);
  let f = linear(tf.relu(linear(m, p, `${prefix}.mlp.fc1`)), p, `${prefix}.mlp.fc2`) as tf.Tensor3D;
  if (cfg.modulated) f = gated(f, g2);
  return tf.add(y, f) as tf.Tensor3D;
}

/** N cross blocks `${stack}.0` .. `${stack}.${N-1}`, block l from `rng.fork(label(l))` (default `block${l}`). */
export function initCrossStack(rng: Rng, cfg: CrossBlockConfig, nLayers: number, stack: string, label: (l: number) => string = (l) => `block${l}`): Params {
  if (!Number.isInteger(nLayers) || nLayers < 1) throw new Error(`cross stack '${stack}': nLayers must be a positive integer, got ${nLayers}`);
  let p: Params = {};
  for (let l = 0; l < nLayers; l++) p = { ...p, ...initCrossBlock(rng.fork(label(l)), cfg, `${stack}.${l}`) };
  return p;
}

export interface CrossStackOptions {
  /** Conditioning vector [B, d] of every block of a modulated stack. */
  cond?: tf.Tensor2D;
  /** Keep each block's self- and cross-attention probabilities. */
  returnAttention?: boolean;
  /** An additive mask of the context [B, 1, T, S] in every block (CrossBlockExtras.contextMask). */
  contextMask?: tf.Tensor4D;
  /** An additive mask of the tokens' self-attention [B, 1, T, T] in every block (CrossBlockExtras.selfMask). */
  selfMask?: tf.Tensor4D;
}

export interface CrossStackResult {
  /** [B, T, d] after the last block (no final LN). */
  hidden: tf.Tensor3D;
  /** Per block: self-attention [B, H, T, T] and cross-attention [B, H, T, S] (empty unless asked for). */
  self: tf.Tensor4D[];
  cross: tf.Tensor4D[];
}

/**
 * The stack of N cross blocks (the transformer decoder; the editor's edit-head decoder and DiT
 * denoiser): x [B, T, d] attends to `context` [B, S, d] in every block. Call inside tf.tidy.
 */
export function crossStack(x: tf.Tensor3D, context: tf.Tensor3D, p: Params, cfg: CrossBlockConfig, nLayers: number, stack: string, options: CrossStackOptions = {}): CrossStackResult {
  const self: tf.Tensor4D[] = [];
  const cross: tf.Tensor4D[] = [];
  let h = x;
  for (let l = 0; l < nLayers; l++) {
    h = crossBlock(h, context, p, `${stack}.${l}`, cfg, {
      cond: options.cond,
      contextMask: options.contextMask,
      selfMask: options.selfMask,
      onSelf: options.returnAttention ? (a) => self.push(a) : undefined,
      onCross: options.returnAttention ? (a) => cross.push(a) : undefined,
    });
  }
  return { hidden: h, self, cross };
}
