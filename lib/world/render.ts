/**
 * The SpatialWorld ray caster (docs/architecture.md §1): one primary ray per pixel centre, analytic
 * ray-primitive intersection (sphere, rotated box, vertical cylinder, cone, ground plane),
 * Lambert + Blinn-Phong shading, procedural textures. Returns RGB, exact depth (camera-frame z),
 * the instance mask and per-object visible pixel counts. No per-pixel allocations: object
 * parameters live in one Float64Array, the per-pixel loop only uses locals.
 */
import { COLOUR_RGB, HEIGHT_FACTOR, SIZE_RADIUS } from "./conventions";
import { cameraAxes, cameraIntrinsics } from "./camera";
import { MAX_RESOLUTION, MIN_RESOLUTION } from "./types";
import type { Material, RenderOptions, RenderResult, Scene, Shape } from "./types";

const SHAPE_CODE: Record<Shape, number> = { cube: 0, sphere: 1, cylinder: 2, cone: 3 };
const MATERIAL_CODE: Record<Material, number> = { matte: 0, metal: 1, striped: 2, checkered: 3 };
/** Per-object parameter block: shape, cx, cy, r, h, cos, sin, R, G, B, material, id. */
const P = 12;

/** Direction towards the light (world frame, unit length). */
const LIGHT = (() => {
  const l = [-0.45, -0.55, 1.0];
  const n = Math.hypot(l[0], l[1], l[2]);
  return [l[0] / n, l[1] / n, l[2] / n];
})();
const GROUND_RGB = [178, 176, 168];
const SKY_RGB = [200, 215, 235];
/** Brightness of the dark stripes/checks relative to the object's colour. */
const TEXTURE_DARK = 0.55;

/** The ray's entry and exit along a box's slabs so far, and the slab it entered last (its axis and the normal's sign). */
const slab = { t0: -Infinity, t1: Infinity, axis: -1, sign: 0 };

/**
 * Clips the ray o + t·d (one coordinate of it) to the slab [lo, hi] of axis `axis`, narrowing `slab`;
 * false when the ray runs parallel to the slab outside it (a miss).
 */
function clipSlab(o: number, d: number, lo: number, hi: number, axis: number): boolean {
  if (Math.abs(d) < 1e-12) return !(o < lo || o > hi);
  let ta = (lo - o) / d;
  let tb = (hi - o) / d;
  let sg = -1;
  if (ta > tb) {
    const tmp = ta;
    ta = tb;
    tb = tmp;
    sg = 1;
  }
  if (ta > slab.t0) {
    slab.t0 = ta;
    slab.axis = axis;
    slab.sign = sg;
  }
  if (tb < slab.t1) slab.t1 = tb;
  return true;
}

function checkResolution(n: unknown, name: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < MIN_RESOLUTION || n > MAX_RESOLUTION) {
    throw new Error(`renderScene: ${name} must be an integer in [${MIN_RESOLUTION}, ${MAX_RESOLUTION}], got ${String(n)}`);
  }
  return n;
}

/** Validates a scene before rendering: finite numbers, unique non-negative integer ids, camera above the ground. */
export function checkScene(scene: Scene, what = "renderScene"): void {
  if (!scene || !Array.isArray(scene.objects) || !scene.camera) {
    throw new Error(`${what}: expected a Scene {objects, camera, seed}, got ${typeof scene}`);
  }
  const c = scene.camera;
  for (const [k, v] of [["position.x", c.position.x], ["position.y", c.position.y], ["position.z", c.position.z], ["yaw", c.yaw], ["pitch", c.pitch], ["focalRatio", c.focalRatio]] as const) {
    if (!Number.isFinite(v)) throw new Error(`${what}: camera.${k} must be a finite number, got ${v}`);
  }
  if (c.position.z <= 0) throw new Error(`${what}: the camera must be above the ground (camera.position.z > 0), got ${c.position.z}`);
  if (c.focalRatio <= 0) throw new Error(`${what}: camera.focalRatio must be > 0, got ${c.focalRatio}`);
  const ids = new Set<number>();
  for (const o of scene.objects) {
    if (!Number.isInteger(o.id) || o.id < 0) throw new Error(`${what}: object ids must be non-negative integers, got ${o.id}`);
    if (ids.has(o.id)) throw new Error(`${what}: duplicate object id ${o.id}`);
    ids.add(o.id);
    if (!(o.shape in SHAPE_CODE)) throw new Error(`${what}: object ${o.id} has unknown shape '${o.shape}'`);
    if (!(o.material in MATERIAL_CODE)) throw new Error(`${what}: object ${o.id} has unknown material '${o.material}'`);
    if (!(o.colour in COLOUR_RGB)) throw new Error(`${what}: object ${o.id} has unknown colour '${o.colour}'`);
    if (!(o.size in SIZE_RADIUS)) throw new Error(`${what}: object ${o.id} has unknown size '${o.size}'`);
    if (!Number.isFinite(o.position.x) || !Number.isFinite(o.position.y) || !Number.isFinite(o.rotation)) {
      throw new Error(`${what}: object ${o.id} has a non-finite position or rotation`);
    }
  }
}

/**
 * Renders `scene` at `width` x `height` (each an integer in [8, 1024]; the data engine uses
 * 32..512). Occlusion is exact per pixel centre: the nearest surface wins in mask, depth and RGB.
 */
export function renderScene(scene: Scene, options: RenderOptions): RenderResult {
  checkScene(scene);
  const W = checkResolution(options?.width, "width");
  const H = checkResolution(options?.height, "height");
  const cam = scene.camera;
  const k = cameraIntrinsics(cam, W, H);
  const ax = cameraAxes(cam);
  const n = scene.objects.length;
  const par = new Float64Array(n * P);
  for (let i = 0; i < n; i++) {
    const o = scene.objects[i];
    const r = SIZE_RADIUS[o.size];
    const base = i * P;
    par[base] = SHAPE_CODE[o.shape];
    par[base + 1] = o.position.x;
    par[base + 2] = o.position.y;
    par[base + 3] = r;
    par[base + 4] = HEIGHT_FACTOR[o.shape] * r;
    par[base + 5] = Math.cos(o.rotation);
    par[base + 6] = Math.sin(o.rotation);
    const rgb = COLOUR_RGB[o.colour];
    par[base + 7] = rgb[0];
    par[base + 8] = rgb[1];
    par[base + 9] = rgb[2];
    par[base + 10] = MATERIAL_CODE[o.material];
    par[base + 11] = o.id;
  }
  const rgbOut = new Uint8Array(W * H * 3);
  const depth = new Float32Array(W * H);
  const mask = new Int32Array(W * H);
  const counts = new Int32Array(n);
  const ox = cam.position.x;
  const oy = cam.position.y;
  const oz = cam.position.z;
  const [lx, ly, lz] = LIGHT;

  for (let v = 0; v < H; v++) {
    const yn = (v + 0.5 - k.cy) / k.fy;
    for (let u = 0; u < W; u++) {
      const xn = (u + 0.5 - k.cx) / k.fx;
      // ray direction scaled so that the camera-frame z component is 1: t == depth
      const dx = ax.right.x * xn + ax.down.x * yn + ax.forward.x;
      const dy = ax.right.y * xn + ax.down.y * yn + ax.forward.y;
      const dz = ax.right.z * xn + ax.down.z * yn + ax.forward.z;
      let best = Infinity;
      let hit = -1;
      let nx = 0;
      let ny = 0;
      let nz = 1;
      // local hit coordinates for textures
      let hx = 0;
      let hy = 0;
      let hz = 0;
      for (let i = 0; i < n; i++) {
        const b = i * P;
        const shape = par[b];
        const px = ox - par[b + 1];
        const py = oy - par[b + 2];
        const r = par[b + 3];
        const h = par[b + 4];
        if (shape === 1) {
          // sphere centred at (0, 0, r) in local coordinates
          const qz = oz - r;
          const bb = px * dx + py * dy + qz * dz;
          const aa = dx * dx + dy * dy + dz * dz;
          const cc = px * px + py * py + qz * qz - r * r;
          const disc = bb * bb - aa * cc;
          if (disc < 0) continue;
          const t = (-bb - Math.sqrt(disc)) / aa;
          if (t > 1e-6 && t < best) {
            best = t;
            hit = i;
            hx = px + t * dx;
            hy = py + t * dy;
            hz = oz + t * dz;
            nx = hx / r;
            ny = hy / r;
            nz = (hz - r) / r;
          }
          continue;
        }
        // rotate the ray into the object's frame (rotation about Z by -theta)
        const c = par[b + 5];
        const s = par[b + 6];
        const lpx = c * px + s * py;
        const lpy = -s * px + c * py;
        const ldx = c * dx + s * dy;
        const ldy = -s * dx + c * dy;
        if (shape === 0) {
          // box [-r, r] x [-r, r] x [0, h]: slab test
          slab.t0 = -Infinity;
          slab.t1 = Infinity;
          slab.axis = -1;
          slab.sign = 0;
          if (!clipSlab(lpx, ldx, -r, r, 0) || !clipSlab(lpy, ldy, -r, r, 1) || !clipSlab(oz, dz, 0, h, 2)) continue;
          const { t0, t1, axis, sign } = slab;
          if (t0 > t1 || t0 <= 1e-6 || t0 >= best) continue;
          best = t0;
          hit = i;
          hx = lpx + t0 * ldx;
          hy = lpy + t0 * ldy;
          hz = oz + t0 * dz;
          // local normal -> world normal (rotate back by +theta)
          const lnx = axis === 0 ? sign : 0;
          const lny = axis === 1 ? sign : 0;
          nx = c * lnx - s * lny;
          ny = s * lnx + c * lny;
          nz = axis === 2 ? sign : 0;
          continue;
        }
        // cylinder (2) and cone (3): vertical axis through the local origin, z in [0, h]
        let tSide = Infinity;
        let sx = 0;
        let sy = 0;
        let sz = 0;
        const aa2 = ldx * ldx + ldy * ldy;
        if (shape === 2) {
          const bb = lpx * ldx + lpy * ldy;
          const cc = lpx * lpx + lpy * lpy - r * r;
          const disc = bb * bb - aa2 * cc;
          if (disc >= 0 && aa2 > 1e-14) {
            const t = (-bb - Math.sqrt(disc)) / aa2;
            const z = oz + t * dz;
            if (t > 1e-6 && z >= 0 && z <= h) {
              tSide = t;
              sx = (lpx + t * ldx) / r;
              sy = (lpy + t * ldy) / r;
              sz = 0;
            }
          }
          // top cap
          if (Math.abs(dz) > 1e-12) {
            const t = (h - oz) / dz;
            if (t > 1e-6 && t < tSide) {
              const qx = lpx + t * ldx;
              const qy = lpy + t * ldy;
              if (qx * qx + qy * qy <= r * r) {
                tSide = t;
                sx = 0;
                sy = 0;
                sz = 1;
              }
            }
          }
        } else {
          // cone: x^2 + y^2 = kk^2 (h - z)^2, apex at z = h
          const kk = r / h;
          const k2 = kk * kk;
          const wz = h - oz;
          const aa = aa2 - k2 * dz * dz;
          const bb = lpx * ldx + lpy * ldy + k2 * wz * dz;
          const cc = lpx * lpx + lpy * lpy - k2 * wz * wz;
          if (Math.abs(aa) > 1e-12) {
            const disc = bb * bb - aa * cc;
            if (disc >= 0) {
              const sq = Math.sqrt(disc);
              const ta = (-bb - sq) / aa;
              const tb = (-bb + sq) / aa;
              const tmin = Math.min(ta, tb);
              const tmax = Math.max(ta, tb);
              for (let pass = 0; pass < 2; pass++) {
                const t = pass === 0 ? tmin : tmax;
                const z = oz + t * dz;
                if (t > 1e-6 && z >= 0 && z <= h) {
                  tSide = t;
                  const qx = lpx + t * ldx;
                  const qy = lpy + t * ldy;
                  const gl = Math.hypot(qx, qy, k2 * (h - z)) || 1;
                  sx = qx / gl;
                  sy = qy / gl;
                  sz = (k2 * (h - z)) / gl;
                  break;
                }
              }
            }
          }
        }
        if (tSide < best) {
          best = tSide;
          hit = i;
          hx = lpx + tSide * ldx;
          hy = lpy + tSide * ldy;
          hz = oz + tSide * dz;
          nx = c * sx - s * sy;
          ny = s * sx + c * sy;
          nz = sz;
        }
      }
      const idx = v * W + u;
      const o3 = idx * 3;
      if (hit < 0) {
        if (dz < -1e-12) {
          const t = -oz / dz;
          depth[idx] = t;
          mask[idx] = -1;
          const diff = 0.55 + 0.45 * lz;
          rgbOut[o3] = GROUND_RGB[0] * diff;
          rgbOut[o3 + 1] = GROUND_RGB[1] * diff;
          rgbOut[o3 + 2] = GROUND_RGB[2] * diff;
        } else {
          depth[idx] = Infinity;
          mask[idx] = -1;
          rgbOut[o3] = SKY_RGB[0];
          rgbOut[o3 + 1] = SKY_RGB[1];
          rgbOut[o3 + 2] = SKY_RGB[2];
        }
        continue;
      }
      const b = hit * P;
      depth[idx] = best;
      mask[idx] = par[b + 11];
      counts[hit]++;
      const mat = par[b + 10];
      const r = par[b + 3];
      const h = par[b + 4];
      let tex = 1;
      if (mat === 2) {
        tex = Math.floor((hz / h) * 6) % 2 === 0 ? 1 : TEXTURE_DARK;
      } else if (mat === 3) {
        const cell = r / 1.5;
        const parity = (Math.floor(hx / cell + 100) + Math.floor(hy / cell + 100) + Math.floor(hz / cell)) % 2;
        tex = parity === 0 ? 1 : TEXTURE_DARK;
      }
      const ndl = nx * lx + ny * ly + nz * lz;
      const diff = ndl > 0 ? ndl : 0;
      let shade: number;
      let spec = 0;
      if (mat === 1) {
        shade = 0.3 + 0.45 * diff;
        // Blinn-Phong highlight: half vector between light and view (-d normalised)
        const dl = Math.hypot(dx, dy, dz);
        const hxv = lx - dx / dl;
        const hyv = ly - dy / dl;
        const hzv = lz - dz / dl;
        const hl = Math.hypot(hxv, hyv, hzv);
        const ndh = (nx * hxv + ny * hyv + nz * hzv) / hl;
        spec = ndh > 0 ? 110 * Math.pow(ndh, 40) : 0;
      } else {
        shade = 0.4 + 0.6 * diff;
      }
      const f = shade * tex;
      const cr = par[b + 7] * f + spec;
      const cg = par[b + 8] * f + spec;
      const cb = par[b + 9] * f + spec;
      rgbOut[o3] = cr > 255 ? 255 : cr;
      rgbOut[o3 + 1] = cg > 255 ? 255 : cg;
      rgbOut[o3 + 2] = cb > 255 ? 255 : cb;
    }
  }
  const visiblePixels: Record<number, number> = {};
  for (let i = 0; i < n; i++) visiblePixels[scene.objects[i].id] = counts[i];
  return { width: W, height: H, rgb: rgbOut, depth, mask, objects: scene.objects, visiblePixels, intrinsics: k, camera: cam };
}
