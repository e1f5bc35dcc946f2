/*
 * spatialedit_blas: a tiny Node-API addon that runs OpenBLAS sgemm on Float32 data that lives in the
 * TF.js wasm heap (an ArrayBuffer), so that the wasm backend's BatchMatMul runs at native BLAS speed.
 * OpenBLAS is opened with dlopen at load time (Debian's libopenblas0-pthread: libopenblas.so.0), so the
 * addon builds without BLAS headers and reports "unavailable" instead of failing when BLAS is missing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int n);
typedef int (*get_threads_fn)(void);
typedef char *(*get_config_fn)(void);

static sgemm_fn p_sgemm = NULL;
static set_threads_fn p_set_threads = NULL;
static get_threads_fn p_get_threads = NULL;
static get_config_fn p_get_config = NULL;
static char load_error[512] = "";
static char lib_name[128] = "";

static void load_blas(void) {
  const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3", NULL};
  for (int i = 0; names[i] != NULL; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
      snprintf(load_error, sizeof load_error, "%s", dlerror());
      continue;
    }
    sgemm_fn f = (sgemm_fn)dlsym(h, "cblas_sgemm");
    if (f == NULL) {
      snprintf(load_error, sizeof load_error, "%s has no cblas_sgemm", names[i]);
      continue;
    }
    p_sgemm = f;
    p_set_threads = (set_threads_fn)dlsym(h, "openblas_set_num_threads");
    p_get_threads = (get_threads_fn)dlsym(h, "openblas_get_num_threads");
    p_get_config = (get_config_fn)dlsym(h, "openblas_get_config");
    snprintf(lib_name, sizeof lib_name, "%s", names[i]);
    load_error[0] = 0;
    return;
  }
}

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "spatialedit_blas: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

/* info() -> { ok, lib, error, config, threads } */
static napi_value Info(napi_env env, napi_callback_info cbinfo) {
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_get_boolean(env, p_sgemm != NULL, &v));
  CHECK(napi_set_named_property(env, obj, "ok", v));
  CHECK(napi_create_string_utf8(env, lib_name, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "lib", v));
  CHECK(napi_create_string_utf8(env, load_error, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "error", v));
  CHECK(napi_create_string_utf8(env, p_get_config ? p_get_config() : "", NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "config", v));
  CHECK(napi_create_int32(env, p_get_threads ? p_get_threads() : -1, &v));
  CHECK(napi_set_named_property(env, obj, "threads", v));
  return obj;
}

/* setThreads(n) */
static napi_value SetThreads(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 1;
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) CHECK(napi_get_value_int32(env, argv[0], &n));
  if (p_set_threads) p_set_threads(n);
  return NULL;
}

/*
 * gemmBatch(heap: ArrayBuffer, offsets: Float64Array [aByte, bByte, cByte] * batch, m, n, k, transA, transB)
 * C[i] = op(A[i]) @ op(B[i]), row major; op(A) is m x k, op(B) is k x n, C is m x n (overwritten).
 */
static napi_value GemmBatch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_error(env, NULL, "gemmBatch(heap, offsets, m, n, k, transA, transB) needs 7 arguments");
    return NULL;
  }
  if (p_sgemm == NULL) {
    napi_throw_error(env, NULL, "spatialedit_blas: no BLAS library loaded");
    return NULL;
  }
  void *heap = NULL;
  size_t heap_len = 0;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &heap_len));
  napi_typedarray_type tt;
  size_t n_off = 0;
  void *off_data = NULL;
  napi_value off_ab;
  size_t off_byte_offset = 0;
  CHECK(napi_get_typedarray_info(env, argv[1], &tt, &n_off, &off_data, &off_ab, &off_byte_offset));
  if (tt != napi_float64_array || n_off % 3 != 0) {
    napi_throw_error(env, NULL, "gemmBatch: offsets must be a Float64Array of [a, b, c] byte offsets");
    return NULL;
  }
  int32_t m, n, k;
  bool ta, tb;
  CHECK(napi_get_value_int32(env, argv[2], &m));
  CHECK(napi_get_value_int32(env, argv[3], &n));
  CHECK(napi_get_value_int32(env, argv[4], &k));
  CHECK(napi_get_value_bool(env, argv[5], &ta));
  CHECK(napi_get_value_bool(env, argv[6], &tb));
  const double *offs = (const double *)off_data;
  const size_t batch = n_off / 3;
  const size_t a_bytes = (size_t)m * k * 4, b_bytes = (size_t)k * n * 4, c_bytes = (size_t)m * n * 4;
  for (size_t i = 0; i < batch; i++) {
    const size_t ao = (size_t)offs[3 * i], bo = (size_t)offs[3 * i + 1], co = (size_t)offs[3 * i + 2];
    if (ao + a_bytes > heap_len || bo + b_bytes > heap_len || co + c_bytes > heap_len || (ao | bo | co) % 4 != 0) {
      napi_throw_range_error(env, NULL, "gemmBatch: an offset lies outside the heap or is not 4-byte aligned");
      return NULL;
    }
  }
  char *base = (char *)heap;
  const int lda = ta ? m : k, ldb = tb ? k : n;
  for (size_t i = 0; i < batch; i++) {
    const float *a = (const float *)(base + (size_t)offs[3 * i]);
    const float *b = (const float *)(base + (size_t)offs[3 * i + 1]);
    float *c = (float *)(base + (size_t)offs[3 * i + 2]);
    if (k == 0) {
      memset(c, 0, c_bytes);
      continue;
    }
    p_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
            ldb, 0.0f, c, n);
  }
  return NULL;
}

/*
 * sumAxes(heap, xByte, outer, inner, outByte, leading): float32 sums accumulated in double.
 * leading = true: out[j] = sum_i x[i*inner + j] (reduce the leading axes; out has `inner` items);
 * leading = false: out[i] = sum_j x[i*inner + j] (reduce the trailing axes; out has `outer` items).
 */
static napi_value SumAxes(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_error(env, NULL, "sumAxes(heap, xByte, outer, inner, outByte, leading) needs 6 arguments");
    return NULL;
  }
  void *heap = NULL;
  size_t heap_len = 0;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &heap_len));
  double xo, oo;
  int32_t outer, inner;
  bool leading;
  CHECK(napi_get_value_double(env, argv[1], &xo));
  CHECK(napi_get_value_int32(env, argv[2], &outer));
  CHECK(napi_get_value_int32(env, argv[3], &inner));
  CHECK(napi_get_value_double(env, argv[4], &oo));
  CHECK(napi_get_value_bool(env, argv[5], &leading));
  const size_t n = (size_t)outer * (size_t)inner, nout = leading ? (size_t)inner : (size_t)outer;
  if (outer < 0 || inner < 0 || (size_t)xo + 4 * n > heap_len || (size_t)oo + 4 * nout > heap_len || ((size_t)xo | (size_t)oo) % 4) {
    napi_throw_range_error(env, NULL, "sumAxes: a buffer lies outside the heap or is not 4-byte aligned");
    return NULL;
  }
  const float *x = (const float *)((char *)heap + (size_t)xo);
  float *out = (float *)((char *)heap + (size_t)oo);
  if (leading) {
    double acc[256];
    for (size_t j0 = 0; j0 < (size_t)inner; j0 += 256) {
      const size_t w = (size_t)inner - j0 < 256 ? (size_t)inner - j0 : 256;
      for (size_t j = 0; j < w; j++) acc[j] = 0;
      for (size_t i = 0; i < (size_t)outer; i++) {
        const float *row = x + i * inner + j0;
        for (size_t j = 0; j < w; j++) acc[j] += row[j];
      }
      for (size_t j = 0; j < w; j++) out[j0 + j] = (float)acc[j];
    }
  } else {
    for (size_t i = 0; i < (size_t)outer; i++) {
      const float *row = x + i * inner;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t j = 0;
      for (; j + 4 <= (size_t)inner; j += 4) {
        s0 += row[j];
        s1 += row[j + 1];
        s2 += row[j + 2];
        s3 += row[j + 3];
      }
      for (; j < (size_t)inner; j++) s0 += row[j];
      out[i] = (float)((s0 + s1) + (s2 + s3));
    }
  }
  return NULL;
}

static void blocked2d(const int32_t *src, int32_t *dst, size_t rows, size_t cols) {
  const size_t B = 32;
  for (size_t i0 = 0; i0 < rows; i0 += B) {
    const size_t i1 = i0 + B < rows ? i0 + B : rows;
    for (size_t j0 = 0; j0 < cols; j0 += B) {
      const size_t j1 = j0 + B < cols ? j0 + B : cols;
      for (size_t i = i0; i < i1; i++)
        for (size_t j = j0; j < j1; j++) dst[j * rows + i] = src[i * cols + j];
    }
  }
}

/*
 * permute(heap, srcByte, dstByte, shape: Int32Array, perm: Int32Array): out = transpose(x, perm) on
 * 32-bit words (bit-exact for float32 and int32). The caller merges adjacent axes first (rank <= 8).
 */
static napi_value Permute(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_error(env, NULL, "permute(heap, srcByte, dstByte, shape, perm) needs 5 arguments");
    return NULL;
  }
  void *heap = NULL;
  size_t heap_len = 0;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &heap_len));
  double so, dso;
  CHECK(napi_get_value_double(env, argv[1], &so));
  CHECK(napi_get_value_double(env, argv[2], &dso));
  napi_typedarray_type t1, t2;
  size_t r1, r2, bo;
  void *d1, *d2;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[3], &t1, &r1, &d1, &ab, &bo));
  CHECK(napi_get_typedarray_info(env, argv[4], &t2, &r2, &d2, &ab, &bo));
  if (t1 != napi_int32_array || t2 != napi_int32_array || r1 != r2 || r1 == 0 || r1 > 8) {
    napi_throw_error(env, NULL, "permute: shape and perm must be Int32Arrays of the same rank (1..8)");
    return NULL;
  }
  const int32_t *shape = (const int32_t *)d1, *perm = (const int32_t *)d2;
  const size_t r = r1;
  size_t size = 1, in_str[8], o_shape[8], o_str[8], idx[8] = {0};
  for (size_t a = r; a-- > 0;) {
    in_str[a] = size;
    size *= (size_t)shape[a];
  }
  if ((size_t)so + 4 * size > heap_len || (size_t)dso + 4 * size > heap_len || ((size_t)so | (size_t)dso) % 4) {
    napi_throw_range_error(env, NULL, "permute: a buffer lies outside the heap or is not 4-byte aligned");
    return NULL;
  }
  const int32_t *src = (const int32_t *)((char *)heap + (size_t)so);
  int32_t *dst = (int32_t *)((char *)heap + (size_t)dso);
  if (size == 0) return NULL;
  if (r == 1) {
    memcpy(dst, src, 4 * size);
    return NULL;
  }
  if (r == 2 && perm[0] == 1) {
    blocked2d(src, dst, (size_t)shape[0], (size_t)shape[1]);
    return NULL;
  }
  if (r == 3 && perm[0] == 0 && perm[1] == 2 && perm[2] == 1) {
    const size_t m = (size_t)shape[1], n = (size_t)shape[2];
    for (size_t b = 0; b < (size_t)shape[0]; b++) blocked2d(src + b * m * n, dst + b * m * n, m, n);
    return NULL;
  }
  for (size_t d = 0; d < r; d++) {
    o_shape[d] = (size_t)shape[perm[d]];
    o_str[d] = in_str[perm[d]];
  }
  const size_t last = r - 1, n = o_shape[last], st = o_str[last];
  int32_t *o = dst;
  for (size_t k = 0; k < size / n; k++) {
    const int32_t *s = src;
    for (size_t d = 0; d < last; d++) s += idx[d] * o_str[d];
    if (st == 1) memcpy(o, s, 4 * n);
    else
      for (size_t j = 0; j < n; j++) o[j] = s[j * st];
    o += n;
    for (size_t d = last; d-- > 0;) {
      if (++idx[d] < o_shape[d]) break;
      idx[d] = 0;
    }
  }
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  load_blas();
  napi_property_descriptor props[] = {
      {"info", NULL, Info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"gemmBatch", NULL, GemmBatch, NULL, NULL, NULL, napi_default, NULL},
      {"sumAxes", NULL, SumAxes, NULL, NULL, NULL, napi_default, NULL},
      {"permute", NULL, Permute, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
