//===- Methods.cpp - binary, ternary, PB-LLM and DBF quantizers ----------===//
//
// docs/Compression.md states every formula implemented here. All arithmetic that accumulates
// is in double; everything is deterministic (DBF's random start comes from a seeded
// std::mt19937_64 turned into doubles here, not from the implementation-defined distributions).
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Compress.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

using namespace llvm;

namespace bnn::frontend::compress {

namespace {
int64_t wordsFor(int64_t k) { return (k + 63) / 64; }

void setBit(std::vector<uint64_t> &words, int64_t word, int64_t bit) {
  words[static_cast<size_t>(word)] |= uint64_t(1) << bit;
}

/// Packs sign(m) (+1 for m >= 0 is bit 1) of a rows x cols matrix into the bit contract.
std::vector<uint64_t> packSigns(const std::vector<double> &m, int64_t rows, int64_t cols) {
  int64_t words = wordsFor(cols);
  std::vector<uint64_t> out(static_cast<size_t>(rows * words), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (m[static_cast<size_t>(r * cols + c)] >= 0)
        setBit(out, r * words + c / 64, c % 64);
  return out;
}

double signOf(double x) { return x >= 0 ? 1.0 : -1.0; }

float roundHalfToEven(float x) { return std::nearbyint(x); } // default rounding mode: to even

/// Lower Cholesky factor of an SPD n x n matrix in place; false if not positive definite.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0;
  }
  return true;
}

/// Inverse of an SPD matrix through its Cholesky factor; false if not positive definite.
bool invertSPD(std::vector<double> &a, int64_t n) {
  std::vector<double> l = a;
  if (!cholesky(l, n))
    return false;
  // inv(L) (lower), then inv(A) = inv(L)^T inv(L).
  std::vector<double> li(static_cast<size_t>(n * n), 0.0);
  for (int64_t c = 0; c < n; ++c) {
    li[c * n + c] = 1.0 / l[c * n + c];
    for (int64_t i = c + 1; i < n; ++i) {
      double s = 0;
      for (int64_t k = c; k < i; ++k)
        s += l[i * n + k] * li[k * n + c];
      li[i * n + c] = -s / l[i * n + i];
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = i; k < n; ++k)
        s += li[k * n + i] * li[k * n + j];
      a[i * n + j] = a[j * n + i] = s;
    }
  return true;
}

/// x := x inv (x rows x r, inv r x r).
void multiplyRight(std::vector<double> &x, int64_t rows, const std::vector<double> &inv,
                   int64_t r) {
  std::vector<double> row(static_cast<size_t>(r));
  for (int64_t i = 0; i < rows; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t k = 0; k < r; ++k) {
      double xik = x[i * r + k];
      const double *irow = inv.data() + k * r;
      for (int64_t j = 0; j < r; ++j)
        row[j] += xik * irow[j];
    }
    std::copy(row.begin(), row.end(), x.begin() + i * r);
  }
}

QuantizedLayer start(const Matrix &w, Method method) {
  QuantizedLayer q;
  q.method = method;
  q.rows = w.rows;
  q.cols = w.cols;
  q.reconstruction.assign(w.data.size(), 0.0f);
  return q;
}

template <typename Fn> void forEachScope(const Matrix &w, bool perChannel, Fn fn) {
  if (perChannel)
    for (int64_t r = 0; r < w.rows; ++r)
      fn(r * w.cols, w.cols);
  else
    fn(0, w.rows * w.cols);
}

float meanAbs(const float *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += std::fabs(static_cast<double>(x[i]));
  return n ? static_cast<float>(s / static_cast<double>(n)) : 0.0f;
}

/// Ternary words from values in {-1, 0, +1}.
std::vector<uint64_t> packTernary(const std::vector<float> &t, int64_t rows, int64_t cols) {
  int64_t words = wordsFor(cols);
  std::vector<uint64_t> out(static_cast<size_t>(rows * 2 * words), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      float v = t[r * cols + c];
      if (v != 0) {
        setBit(out, (r * 2 + 1) * words + c / 64, c % 64);
        if (v > 0)
          setBit(out, (r * 2 + 0) * words + c / 64, c % 64);
      }
    }
  return out;
}

QuantizedLayer finishTernary(const Matrix &w, Method method, bool perChannel,
                             const std::vector<float> &t, const std::vector<float> &scales) {
  QuantizedLayer q = start(w, method);
  q.scale = scales;
  for (int64_t i = 0; i < w.rows * w.cols; ++i)
    q.reconstruction[i] = (perChannel ? scales[i / w.cols] : scales[0]) * t[i];
  q.packed = packTernary(t, w.rows, w.cols);
  return q;
}

//--- Small dense helpers for DBF (double, row-major) -------------------------------------------

/// Uniform (0, 1) doubles from a seeded engine: 53 bits of each output.
double uniform(std::mt19937_64 &engine) {
  return (static_cast<double>(engine() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
double normal(std::mt19937_64 &engine) {
  double u = uniform(engine), v = uniform(engine);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

/// Modified Gram-Schmidt on the columns of q (n x r); a column that vanishes becomes zero.
void orthonormalize(std::vector<double> &q, int64_t n, int64_t r) {
  for (int64_t j = 0; j < r; ++j) {
    for (int64_t p = 0; p < j; ++p) {
      double d = 0;
      for (int64_t i = 0; i < n; ++i)
        d += q[i * r + p] * q[i * r + j];
      for (int64_t i = 0; i < n; ++i)
        q[i * r + j] -= d * q[i * r + p];
    }
    double norm = 0;
    for (int64_t i = 0; i < n; ++i)
      norm += q[i * r + j] * q[i * r + j];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < n; ++i)
      q[i * r + j] = norm > 1e-300 ? q[i * r + j] / norm : 0.0;
  }
}

/// Cyclic Jacobi eigen-decomposition of a symmetric r x r matrix: eigenvalues in `values`
/// (descending), eigenvectors in the columns of `vectors`.
void symmetricEigen(std::vector<double> a, int64_t r, std::vector<double> &values,
                    std::vector<double> &vectors) {
  std::vector<double> v(static_cast<size_t>(r * r), 0.0);
  for (int64_t i = 0; i < r; ++i)
    v[i * r + i] = 1;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, total = 0;
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r; ++j) {
        total += a[i * r + j] * a[i * r + j];
        if (i != j)
          off += a[i * r + j] * a[i * r + j];
      }
    if (off <= 1e-30 * total || off == 0)
      break;
    for (int64_t p = 0; p < r; ++p)
      for (int64_t qi = p + 1; qi < r; ++qi) {
        double apq = a[p * r + qi];
        if (apq == 0)
          continue;
        double theta = (a[qi * r + qi] - a[p * r + p]) / (2 * apq);
        double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < r; ++k) {
          double akp = a[k * r + p], akq = a[k * r + qi];
          a[k * r + p] = c * akp - s * akq;
          a[k * r + qi] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < r; ++k) {
          double apk = a[p * r + k], aqk = a[qi * r + k];
          a[p * r + k] = c * apk - s * aqk;
          a[qi * r + k] = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < r; ++k) {
          double vkp = v[k * r + p], vkq = v[k * r + qi];
          v[k * r + p] = c * vkp - s * vkq;
          v[k * r + qi] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<int64_t> order(static_cast<size_t>(r));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return a[x * r + x] > a[y * r + y]; });
  values.assign(static_cast<size_t>(r), 0.0);
  vectors.assign(static_cast<size_t>(r * r), 0.0);
  for (int64_t j = 0; j < r; ++j) {
    values[j] = a[order[j] * r + order[j]];
    for (int64_t i = 0; i < r; ++i)
      vectors[i * r + j] = v[i * r + order[j]];
  }
}

/// SVID (OneBit): m ~ sign(m) .* (u v^T), u v^T the rank-1 approximation of |m| by power
/// iteration from v = 1. Writes the projection into `out` and u, v.
void svid(const std::vector<double> &m, int64_t rows, int64_t cols, std::vector<double> &out,
          std::vector<double> &u, std::vector<double> &v) {
  u.assign(static_cast<size_t>(rows), 0.0);
  v.assign(static_cast<size_t>(cols), 1.0);
  for (int it = 0; it < 30; ++it) {
    double vv = 0;
    for (double x : v)
      vv += x * x;
    for (int64_t i = 0; i < rows; ++i) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j)
        s += std::fabs(m[i * cols + j]) * v[j];
      u[i] = vv > 0 ? s / vv : 0.0;
    }
    double uu = 0;
    for (double x : u)
      uu += x * x;
    for (int64_t j = 0; j < cols; ++j) {
      double s = 0;
      for (int64_t i = 0; i < rows; ++i)
        s += std::fabs(m[i * cols + j]) * u[i];
      v[j] = uu > 0 ? s / uu : 0.0;
    }
  }
  // Balance the two vectors (same norm) so that a and b, m stay in range.
  double nu = 0, nv = 0;
  for (double x : u)
    nu += x * x;
  for (double x : v)
    nv += x * x;
  if (nu > 0 && nv > 0) {
    double f = std::sqrt(std::sqrt(nv / nu));
    for (double &x : u)
      x *= f;
    for (double &x : v)
      x /= f;
  }
  out.assign(m.size(), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[i * cols + j] = signOf(m[i * cols + j]) * u[i] * v[j];
}

/// ADMM for min_A ||W - A B||_F^2 over SVID-form A (rows x r), B (r x cols) fixed:
///   A = (W B^T + rho (Z - U)) (B B^T + rho I)^-1;  Z = svid(A + U);  U += A - Z.
void admmFactor(const std::vector<double> &w, int64_t rows, int64_t cols,
                const std::vector<double> &bmat, int64_t r, std::vector<double> &z,
                std::vector<double> &dual, const DBFOptions &options) {
  std::vector<double> g(static_cast<size_t>(r * r), 0.0);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < r; ++j) {
      double s = 0;
      for (int64_t k = 0; k < cols; ++k)
        s += bmat[i * cols + k] * bmat[j * cols + k];
      g[i * r + j] = s;
    }
  double trace = 0;
  for (int64_t i = 0; i < r; ++i)
    trace += g[i * r + i];
  double rho = options.rho * (trace > 0 ? trace / static_cast<double>(r) : 1.0);
  for (int64_t i = 0; i < r; ++i)
    g[i * r + i] += rho;
  std::vector<double> wbt(static_cast<size_t>(rows * r), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < r; ++j) {
      double s = 0;
      for (int64_t k = 0; k < cols; ++k)
        s += w[i * cols + k] * bmat[j * cols + k];
      wbt[i * r + j] = s;
    }
  // G = B B^T + rho I with rho > 0 is SPD.
  if (!invertSPD(g, r))
    return;
  std::vector<double> amat(static_cast<size_t>(rows * r)), proj, u, v;
  for (int64_t step = 0; step < options.admmSteps; ++step) {
    for (size_t i = 0; i < amat.size(); ++i)
      amat[i] = wbt[i] + rho * (z[i] - dual[i]);
    multiplyRight(amat, rows, g, r);
    std::vector<double> sum(amat.size());
    for (size_t i = 0; i < amat.size(); ++i)
      sum[i] = amat[i] + dual[i];
    svid(sum, rows, r, proj, u, v);
    z = proj;
    for (size_t i = 0; i < amat.size(); ++i)
      dual[i] += amat[i] - z[i];
  }
}

std::vector<double> transpose(const std::vector<double> &m, int64_t rows, int64_t cols) {
  std::vector<double> t(m.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t[j * rows + i] = m[i * cols + j];
  return t;
}

/// The DBF reconstruction diag(a) S1 diag(m) S2 diag(b); s1 rows x r, s2 r x cols (+-1).
std::vector<double> dbfProduct(const std::vector<double> &a, const std::vector<double> &s1,
                               const std::vector<double> &mid, const std::vector<double> &s2,
                               const std::vector<double> &b, int64_t rows, int64_t r,
                               int64_t cols) {
  std::vector<double> out(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < r; ++j) {
      double f = a[i] * s1[i * r + j] * mid[j];
      if (f == 0)
        continue;
      for (int64_t k = 0; k < cols; ++k)
        out[i * cols + k] += f * s2[j * cols + k];
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < cols; ++k)
      out[i * cols + k] *= b[k];
  return out;
}

double relativeError(const std::vector<double> &w, const std::vector<double> &q) {
  double num = 0, den = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    num += (w[i] - q[i]) * (w[i] - q[i]);
    den += w[i] * w[i];
  }
  return den > 0 ? num / den : num;
}

std::vector<uint8_t> bytesOf(const void *data, size_t n) {
  std::vector<uint8_t> out(n);
  if (n)
    std::memcpy(out.data(), data, n);
  return out;
}
template <typename T> std::vector<uint8_t> leBytes(const std::vector<T> &values) {
  // Hosts are little-endian for bnn (docs/ModelFormat.md: data is little-endian); store each
  // element explicitly little-endian anyway.
  std::vector<uint8_t> out(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T v = values[i];
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    if (!llvm::sys::IsLittleEndianHost)
      std::reverse(raw, raw + sizeof(T));
    std::memcpy(out.data() + i * sizeof(T), raw, sizeof(T));
  }
  return out;
}
} // namespace

//===----------------------------------------------------------------------===//

void Hessian::accumulate(const float *x, int64_t rows, int64_t cols) {
  if (dim == 0) {
    dim = cols;
    data.assign(static_cast<size_t>(cols * cols), 0.0);
  }
  for (int64_t t = 0; t < rows; ++t) {
    const float *row = x + t * cols;
    for (int64_t i = 0; i < cols; ++i) {
      double xi = row[i];
      if (xi == 0)
        continue;
      double *out = data.data() + i * cols;
      for (int64_t j = 0; j < cols; ++j)
        out[j] += xi * static_cast<double>(row[j]);
    }
  }
  tokens += rows;
}

StringRef getMethodName(Method method) {
  switch (method) {
  case Method::Binary: return "binary";
  case Method::Ternary: return "ternary";
  case Method::Threshold: return "twn";
  case Method::PB: return "pb";
  case Method::DBF: return "dbf";
  case Method::Float: return "float";
  }
  return "?";
}

std::optional<Method> parseMethodName(StringRef name) {
  for (Method m :
       {Method::Binary, Method::Ternary, Method::Threshold, Method::PB, Method::DBF, Method::Float})
    if (getMethodName(m) == name)
      return m;
  return std::nullopt;
}

StringRef getSaliencyName(Saliency saliency) {
  switch (saliency) {
  case Saliency::Magnitude: return "magnitude";
  case Saliency::Hessian: return "hessian";
  case Saliency::Activation: return "activation";
  }
  return "?";
}

std::optional<Saliency> parseSaliencyName(StringRef name) {
  for (Saliency s : {Saliency::Magnitude, Saliency::Hessian, Saliency::Activation})
    if (getSaliencyName(s) == name)
      return s;
  return std::nullopt;
}

int64_t QuantizedLayer::getStorageBytes() const {
  switch (method) {
  case Method::Float: return rows * cols * 4;
  case Method::Binary:
  case Method::Ternary:
  case Method::Threshold: return static_cast<int64_t>(packed.size() * 8 + scale.size() * 4);
  case Method::PB:
    return static_cast<int64_t>(packed.size() * 8 + scale.size() * 4 + salientIndex.size() * 4 +
                                salientValue.size() + salientScale.size() * 4);
  case Method::DBF:
    return static_cast<int64_t>((a.size() + m.size() + b.size()) * 4 +
                                (b1Packed.size() + b2Packed.size()) * 8);
  }
  return 0;
}

QuantizedLayer quantizeFloat(const Matrix &w) {
  QuantizedLayer q = start(w, Method::Float);
  q.reconstruction = w.data;
  return q;
}

QuantizedLayer quantizeBinary(const Matrix &w, bool perChannel) {
  QuantizedLayer q = start(w, Method::Binary);
  forEachScope(w, perChannel, [&](int64_t first, int64_t count) {
    float alpha = meanAbs(w.data.data() + first, count);
    q.scale.push_back(alpha);
    for (int64_t i = first; i < first + count; ++i)
      q.reconstruction[i] = w.data[i] >= 0 ? alpha : -alpha;
  });
  std::vector<double> m(w.data.begin(), w.data.end());
  q.packed = packSigns(m, w.rows, w.cols);
  return q;
}

QuantizedLayer quantizeTernary(const Matrix &w, bool perChannel) {
  std::vector<float> t(w.data.size()), scales;
  forEachScope(w, perChannel, [&](int64_t first, int64_t count) {
    float gamma = meanAbs(w.data.data() + first, count);
    float divisor = gamma + 1e-5f;
    for (int64_t i = first; i < first + count; ++i) {
      float r = roundHalfToEven(w.data[i] / divisor);
      t[i] = r > 0 ? 1.0f : (r < 0 ? -1.0f : 0.0f);
    }
    scales.push_back(gamma);
  });
  return finishTernary(w, Method::Ternary, perChannel, t, scales);
}

QuantizedLayer quantizeThreshold(const Matrix &w, bool perChannel) {
  std::vector<float> t(w.data.size()), scales;
  forEachScope(w, perChannel, [&](int64_t first, int64_t count) {
    float delta = 0.7f * meanAbs(w.data.data() + first, count);
    double kept = 0;
    int64_t n = 0;
    for (int64_t i = first; i < first + count; ++i) {
      bool zero = std::fabs(w.data[i]) < delta || w.data[i] == 0.0f;
      t[i] = zero ? 0.0f : (w.data[i] > 0 ? 1.0f : -1.0f);
      if (!zero) {
        kept += std::fabs(static_cast<double>(w.data[i]));
        ++n;
      }
    }
    scales.push_back(n ? static_cast<float>(kept / static_cast<double>(n)) : 0.0f);
  });
  return finishTernary(w, Method::Threshold, perChannel, t, scales);
}

//===----------------------------------------------------------------------===//
// PB-LLM
//===----------------------------------------------------------------------===//

namespace {
/// H + damp * mean(diag H) * I with GPTQ's dead-column rule (H_jj = 0 -> 1); returns it.
std::vector<double> dampedHessian(const Hessian &h, double damp) {
  int64_t k = h.dim;
  std::vector<double> out = h.data;
  double mean = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (out[j * k + j] == 0)
      out[j * k + j] = 1;
    mean += out[j * k + j];
  }
  mean /= static_cast<double>(k);
  for (int64_t j = 0; j < k; ++j)
    out[j * k + j] += damp * mean;
  return out;
}

Error checkHessian(const Matrix &w, const Hessian *h, StringRef why) {
  if (!h || h->dim == 0)
    return createStringError(inconvertibleErrorCode(),
                             "%s needs calibration inputs (a Hessian), none given",
                             why.str().c_str());
  if (h->dim != w.cols)
    return createStringError(
        inconvertibleErrorCode(), "the Hessian is %lld x %lld, expected K x K = %lld x %lld",
        (long long)h->dim, (long long)h->dim, (long long)w.cols, (long long)w.cols);
  return Error::success();
}
} // namespace

Expected<std::vector<int32_t>> selectSalient(const Matrix &w, const Hessian *hessian,
                                             const PBOptions &options) {
  if (!(options.fraction >= 0 && options.fraction <= 1))
    return createStringError(inconvertibleErrorCode(),
                             "the salient fraction must be in [0, 1], found %g", options.fraction);
  int64_t total = w.rows * w.cols;
  if (total > INT32_MAX)
    return createStringError(inconvertibleErrorCode(),
                             "PB needs N * K <= 2^31 - 1 (int32 indices), found %lld",
                             (long long)total);
  std::vector<double> column(static_cast<size_t>(w.cols), 1.0);
  if (options.saliency != Saliency::Magnitude) {
    if (Error e =
            checkHessian(w, hessian, "saliency '" + getSaliencyName(options.saliency).str() + "'"))
      return std::move(e);
    if (options.saliency == Saliency::Activation) {
      // ||x_j||_2 = sqrt(H_jj); the score |W_nj| * ||x_j||.
      for (int64_t j = 0; j < w.cols; ++j)
        column[j] = std::sqrt(hessian->data[j * w.cols + j]);
    } else {
      // The OBS score of SparseGPT / PB-LLM: W_nj^2 / [H^-1]_jj^2, H damped.
      std::vector<double> inv = dampedHessian(*hessian, options.damp);
      if (!invertSPD(inv, w.cols))
        return createStringError(inconvertibleErrorCode(),
                                 "the damped Hessian is not positive definite");
      for (int64_t j = 0; j < w.cols; ++j)
        column[j] = 1.0 / inv[j * w.cols + j];
    }
  }
  std::vector<double> score(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) {
    double v = std::fabs(static_cast<double>(w.data[i])) * column[i % w.cols];
    score[i] = v;
  }
  int64_t count = static_cast<int64_t>(std::llround(options.fraction * static_cast<double>(total)));
  count = std::min(count, total);
  std::vector<int32_t> order(static_cast<size_t>(total));
  std::iota(order.begin(), order.end(), 0);
  // Largest score first, ties by the smaller flat index.
  std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](int32_t x, int32_t y) {
    return score[x] != score[y] ? score[x] > score[y] : x < y;
  });
  order.resize(static_cast<size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

Expected<QuantizedLayer> quantizePB(const Matrix &w, const Hessian *hessian,
                                    const PBOptions &options, const ProgressFn &progress) {
  if (options.gptq)
    if (Error e = checkHessian(w, hessian, "GPTQ error compensation"))
      return std::move(e);
  Expected<std::vector<int32_t>> salient = selectSalient(w, hessian, options);
  if (!salient)
    return salient.takeError();
  const int64_t n = w.rows, k = w.cols;
  std::vector<uint8_t> isSalient(static_cast<size_t>(n * k), 0);
  for (int32_t i : *salient)
    isSalient[i] = 1;

  QuantizedLayer q = start(w, Method::PB);
  // Per-row scales from the original weights: alpha = mean|W| over the binarized entries
  // (the L2-optimal scale of sign binarization), s = max|W| / 127 over the salient ones.
  q.scale.assign(static_cast<size_t>(n), 0.0f);
  q.salientScale.assign(static_cast<size_t>(n), 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    double sum = 0, mx = 0;
    int64_t binarized = 0;
    for (int64_t c = 0; c < k; ++c) {
      double v = std::fabs(static_cast<double>(w.data[r * k + c]));
      if (isSalient[r * k + c])
        mx = std::max(mx, v);
      else {
        sum += v;
        ++binarized;
      }
    }
    q.scale[r] = binarized ? static_cast<float>(sum / static_cast<double>(binarized)) : 0.0f;
    q.salientScale[r] = static_cast<float>(mx / 127.0);
  }
  auto quantizeOne = [&](int64_t r, int64_t c, double v) -> double {
    if (isSalient[r * k + c]) {
      float s = q.salientScale[r];
      if (s == 0)
        return 0.0;
      float level = roundHalfToEven(static_cast<float>(v) / s);
      level = std::max(-127.0f, std::min(127.0f, level));
      return static_cast<double>(level * s);
    }
    return v >= 0 ? q.scale[r] : -q.scale[r];
  };

  std::vector<double> work(w.data.begin(), w.data.end());
  std::vector<double> result(work.size());
  if (!options.gptq) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        result[r * k + c] = quantizeOne(r, c, work[r * k + c]);
  } else {
    // GPTQ (Frantar et al. 2022, Algorithm 1 without lazy batching): U = chol(H^-1)^T upper;
    // for each column j: q_j = quant(w_j), err = (w_j - q_j) / U_jj, W[:, j+1:] -= err U[j, j+1:].
    std::vector<double> h = dampedHessian(*hessian, options.damp);
    for (int64_t j = 0; j < k; ++j)
      if (hessian->data[j * k + j] == 0)
        for (int64_t r = 0; r < n; ++r)
          work[r * k + j] = 0; // a dead input: its weight does not matter
    if (!invertSPD(h, k) || !cholesky(h, k))
      return createStringError(inconvertibleErrorCode(),
                               "the damped Hessian is not positive definite");
    // h now holds L with H^-1 = L L^T; GPTQ's upper factor is U = L^T: U[j][i] = L[i][j].
    for (int64_t j = 0; j < k; ++j) {
      double d = h[j * k + j];
      for (int64_t r = 0; r < n; ++r) {
        double v = work[r * k + j];
        double qv = quantizeOne(r, j, v);
        result[r * k + j] = qv;
        double err = (v - qv) / d;
        if (err != 0)
          for (int64_t i = j + 1; i < k; ++i)
            work[r * k + i] -= err * h[i * k + j];
      }
      if (progress && (j + 1) % 256 == 0)
        progress("gptq column " + std::to_string(j + 1) + "/" + std::to_string(k));
    }
  }
  q.packed.assign(static_cast<size_t>(n * wordsFor(k)), 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      q.reconstruction[r * k + c] = static_cast<float>(result[r * k + c]);
      if (!isSalient[r * k + c] && result[r * k + c] >= 0)
        setBit(q.packed, r * wordsFor(k) + c / 64, c % 64);
    }
  q.salientIndex = *salient;
  for (int32_t i : *salient) {
    float s = q.salientScale[i / k];
    q.salientValue.push_back(
        s == 0 ? 0 : static_cast<int8_t>(roundHalfToEven(static_cast<float>(result[i]) / s)));
    // The stored level times the scale is the reconstruction (recomputed in f32).
    q.reconstruction[i] = static_cast<float>(q.salientValue.back()) * s;
  }
  return q;
}

//===----------------------------------------------------------------------===//
// DBF
//===----------------------------------------------------------------------===//

/// Subspace iterations of the truncated SVD that starts DBF (ADMM refines from there, so a
/// rough subspace is enough).
constexpr int kSubspaceIterations = 12;

int64_t getDBFRank(int64_t rows, int64_t cols, double bitsPerWeight) {
  double r = (bitsPerWeight * static_cast<double>(rows) * static_cast<double>(cols) -
              32.0 * static_cast<double>(rows + cols)) /
             static_cast<double>(rows + cols + 32);
  int64_t rank = r >= 1 ? static_cast<int64_t>(std::floor(r)) : 1;
  return std::max<int64_t>(1, std::min<int64_t>(rank, std::min(rows, cols)));
}

Expected<QuantizedLayer> quantizeDBF(const Matrix &w, const DBFOptions &options,
                                     const ProgressFn &progress) {
  const int64_t n = w.rows, k = w.cols;
  int64_t r = options.rank ? options.rank : getDBFRank(n, k, options.bitsPerWeight);
  if (r < 1 || r > std::min(n, k))
    return createStringError(inconvertibleErrorCode(),
                             "the DBF middle dimension must be in [1, min(N, K)] = [1, %lld], "
                             "found %lld",
                             (long long)std::min(n, k), (long long)r);
  if (options.iterations < 0 || options.admmSteps < 1 || !(options.rho > 0))
    return createStringError(inconvertibleErrorCode(),
                             "DBF needs iterations >= 0, admm steps >= 1 and rho > 0");
  std::vector<double> wd(w.data.begin(), w.data.end());

  // SVID initialisation from the rank-r truncated SVD by seeded subspace iteration:
  // W ~ U S V^T, A0 = svid(U S^1/2), B0 = svid(S^1/2 V^T).
  std::mt19937_64 engine(options.seed);
  std::vector<double> qm(static_cast<size_t>(k * r));
  for (double &x : qm)
    x = normal(engine);
  orthonormalize(qm, k, r);
  std::vector<double> y(static_cast<size_t>(n * r));
  auto multiplyWQ = [&]() { // y = W qm
    std::fill(y.begin(), y.end(), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < k; ++c) {
        double wic = wd[i * k + c];
        const double *qrow = qm.data() + c * r;
        double *yrow = y.data() + i * r;
        for (int64_t j = 0; j < r; ++j)
          yrow[j] += wic * qrow[j];
      }
  };
  for (int it = 0; it < kSubspaceIterations; ++it) {
    multiplyWQ();
    std::fill(qm.begin(), qm.end(), 0.0); // qm = W^T y
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < k; ++c) {
        double wic = wd[i * k + c];
        const double *yrow = y.data() + i * r;
        double *qrow = qm.data() + c * r;
        for (int64_t j = 0; j < r; ++j)
          qrow[j] += wic * yrow[j];
      }
    orthonormalize(qm, k, r);
  }
  multiplyWQ();
  std::vector<double> yty(static_cast<size_t>(r * r), 0.0), values, vectors;
  for (int64_t p = 0; p < r; ++p)
    for (int64_t s = 0; s < r; ++s) {
      double acc = 0;
      for (int64_t i = 0; i < n; ++i)
        acc += y[i * r + p] * y[i * r + s];
      yty[p * r + s] = acc;
    }
  symmetricEigen(yty, r, values, vectors);
  // Y V = U S  -> A0 = (Y V) S^-1/2 ; B0 = S^1/2 (Q V)^T.
  std::vector<double> amat(static_cast<size_t>(n * r), 0.0), bmat(static_cast<size_t>(r * k), 0.0);
  for (int64_t j = 0; j < r; ++j) {
    double sigma = std::sqrt(std::max(values[j], 0.0));
    double root = std::sqrt(sigma);
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int64_t p = 0; p < r; ++p)
        s += y[i * r + p] * vectors[p * r + j];
      amat[i * r + j] = root > 0 ? s / root : 0.0;
    }
    for (int64_t c = 0; c < k; ++c) {
      double s = 0;
      for (int64_t p = 0; p < r; ++p)
        s += qm[c * r + p] * vectors[p * r + j];
      bmat[j * k + c] = root * s;
    }
  }
  std::vector<double> za, zb, ua, va, ub, vb;
  svid(amat, n, r, za, ua, va);
  svid(bmat, r, k, zb, ub, vb);

  QuantizedLayer q = start(w, Method::DBF);
  q.rank = r;
  auto product = [&](const std::vector<double> &x, const std::vector<double> &yy) {
    std::vector<double> out(static_cast<size_t>(n * k), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < r; ++j) {
        double f = x[i * r + j];
        if (f != 0)
          for (int64_t c = 0; c < k; ++c)
            out[i * k + c] += f * yy[j * k + c];
      }
    return out;
  };
  auto report = [&](int64_t iteration, double error) {
    q.iterationError.push_back(error);
    if (progress) {
      std::string line;
      raw_string_ostream os(line);
      os << "dbf r=" << r << " iteration " << iteration << "/" << options.iterations
         << ": relative error " << format("%.6f", error);
      progress(os.str());
    }
  };
  double bestError = relativeError(wd, product(za, zb));
  std::vector<double> bestA = za, bestB = zb;
  report(0, bestError);

  // Alternating minimisation: ADMM on A with B fixed, then on B with A fixed (through W^T ~
  // B^T A^T); the feasible points Z are the SVID projections. The best iterate is kept.
  std::vector<double> dualA(za.size(), 0.0), dualB(zb.size(), 0.0);
  std::vector<double> wt = transpose(wd, n, k);
  for (int64_t it = 1; it <= options.iterations; ++it) {
    admmFactor(wd, n, k, zb, r, za, dualA, options);
    std::vector<double> zbt = transpose(zb, r, k), dualBt = transpose(dualB, r, k);
    std::vector<double> zat = transpose(za, n, r);
    admmFactor(wt, k, n, zat, r, zbt, dualBt, options);
    zb = transpose(zbt, k, r);
    dualB = transpose(dualBt, k, r);
    double error = relativeError(wd, product(za, zb));
    if (error < bestError) {
      bestError = error;
      bestA = za;
      bestB = zb;
    }
    report(it, error);
  }

  // Signs of the best factors and the scales refitted by exact alternating least squares over
  // a, m, b (each step a closed form, so the error does not increase).
  std::vector<double> s1(bestA.size()), s2(bestB.size());
  for (size_t i = 0; i < bestA.size(); ++i)
    s1[i] = signOf(bestA[i]);
  for (size_t i = 0; i < bestB.size(); ++i)
    s2[i] = signOf(bestB[i]);
  svid(bestA, n, r, za, ua, va);
  svid(bestB, r, k, zb, ub, vb);
  std::vector<double> av = ua, bv = vb, mv(static_cast<size_t>(r));
  for (int64_t j = 0; j < r; ++j)
    mv[j] = va[j] * ub[j];
  for (int round = 0; round < 5; ++round) {
    // a: per row least squares against P = S1 diag(m) S2 diag(b).
    std::vector<double> ones(static_cast<size_t>(n), 1.0);
    std::vector<double> p = dbfProduct(ones, s1, mv, s2, bv, n, r, k);
    for (int64_t i = 0; i < n; ++i) {
      double num = 0, den = 0;
      for (int64_t c = 0; c < k; ++c) {
        num += wd[i * k + c] * p[i * k + c];
        den += p[i * k + c] * p[i * k + c];
      }
      av[i] = den > 0 ? num / den : 0.0;
    }
    // b: per column.
    std::vector<double> onesK(static_cast<size_t>(k), 1.0);
    p = dbfProduct(av, s1, mv, s2, onesK, n, r, k);
    for (int64_t c = 0; c < k; ++c) {
      double num = 0, den = 0;
      for (int64_t i = 0; i < n; ++i) {
        num += wd[i * k + c] * p[i * k + c];
        den += p[i * k + c] * p[i * k + c];
      }
      bv[c] = den > 0 ? num / den : 0.0;
    }
    // m: W ~ sum_j m_j u_j v_j^T, u_j = a .* S1[:, j], v_j = S2[j, :] .* b; normal equations
    // G_ij = (u_i . u_j)(v_i . v_j), rhs_j = u_j^T W v_j (a tiny ridge keeps G invertible).
    std::vector<double> uu(static_cast<size_t>(r * r)), vvm(static_cast<size_t>(r * r));
    for (int64_t i2 = 0; i2 < r; ++i2)
      for (int64_t j = 0; j < r; ++j) {
        double su = 0, sv = 0;
        for (int64_t i = 0; i < n; ++i)
          su += av[i] * av[i] * s1[i * r + i2] * s1[i * r + j];
        for (int64_t c = 0; c < k; ++c)
          sv += bv[c] * bv[c] * s2[i2 * k + c] * s2[j * k + c];
        uu[i2 * r + j] = su;
        vvm[i2 * r + j] = sv;
      }
    std::vector<double> g(static_cast<size_t>(r * r)), rhs(static_cast<size_t>(r));
    double trace = 0;
    for (int64_t i = 0; i < r * r; ++i)
      g[i] = uu[i] * vvm[i];
    for (int64_t j = 0; j < r; ++j)
      trace += g[j * r + j];
    for (int64_t j = 0; j < r; ++j)
      g[j * r + j] += 1e-12 * (trace > 0 ? trace : 1.0);
    for (int64_t j = 0; j < r; ++j) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) {
        double ui = av[i] * s1[i * r + j];
        if (ui == 0)
          continue;
        double t = 0;
        for (int64_t c = 0; c < k; ++c)
          t += wd[i * k + c] * s2[j * k + c] * bv[c];
        s += ui * t;
      }
      rhs[j] = s;
    }
    std::vector<double> inv = g;
    if (invertSPD(inv, r))
      for (int64_t j = 0; j < r; ++j) {
        double s = 0;
        for (int64_t i = 0; i < r; ++i)
          s += inv[j * r + i] * rhs[i];
        mv[j] = s;
      }
  }
  // Store in f32 and reconstruct from the stored values.
  q.a.assign(av.begin(), av.end());
  q.m.assign(mv.begin(), mv.end());
  q.b.assign(bv.begin(), bv.end());
  std::vector<double> af(q.a.begin(), q.a.end()), mf(q.m.begin(), q.m.end()),
      bf(q.b.begin(), q.b.end());
  std::vector<double> rec = dbfProduct(af, s1, mf, s2, bf, n, r, k);
  for (size_t i = 0; i < rec.size(); ++i)
    q.reconstruction[i] = static_cast<float>(rec[i]);
  q.b1Packed = packSigns(s1, n, r);
  q.b2Packed = packSigns(s2, r, k);
  double finalError =
      relativeError(wd, std::vector<double>(q.reconstruction.begin(), q.reconstruction.end()));
  q.iterationError.push_back(finalError);
  if (progress) {
    std::string line;
    raw_string_ostream os(line);
    os << "dbf r=" << r << " scales refitted: relative error " << format("%.6f", finalError);
    progress(os.str());
  }
  return q;
}

//===----------------------------------------------------------------------===//

double getOutputError(const Matrix &w, const std::vector<float> &reconstruction,
                      const Hessian *hessian) {
  const int64_t n = w.rows, k = w.cols;
  double total = 0;
  std::vector<double> e(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < k; ++c)
      e[c] =
          static_cast<double>(w.data[r * k + c]) - static_cast<double>(reconstruction[r * k + c]);
    if (!hessian || hessian->dim == 0) {
      for (double x : e)
        total += x * x;
      continue;
    }
    for (int64_t i = 0; i < k; ++i) {
      if (e[i] == 0)
        continue;
      double s = 0;
      const double *row = hessian->data.data() + i * k;
      for (int64_t j = 0; j < k; ++j)
        s += row[j] * e[j];
      total += e[i] * s;
    }
  }
  return total;
}

std::vector<OwnedTensor> getLayerTensors(const QuantizedLayer &q, const std::string &name) {
  std::vector<OwnedTensor> out;
  auto add = [&](const std::string &suffix, SafetensorsDType dtype,
                 llvm::SmallVector<int64_t, 4> shape, std::vector<uint8_t> bytes) {
    out.push_back({name + suffix, dtype, std::move(shape), std::move(bytes)});
  };
  const int64_t words = wordsFor(q.cols);
  switch (q.method) {
  case Method::Float:
    add("", SafetensorsDType::F32, {q.rows, q.cols}, leBytes(q.reconstruction));
    break;
  case Method::Binary:
    add(".packed", SafetensorsDType::I64, {q.rows, words}, leBytes(q.packed));
    add(".scale", SafetensorsDType::F32, {static_cast<int64_t>(q.scale.size())}, leBytes(q.scale));
    break;
  case Method::Ternary:
  case Method::Threshold:
    add(".packed", SafetensorsDType::I64, {q.rows, 2, words}, leBytes(q.packed));
    add(".scale", SafetensorsDType::F32, {static_cast<int64_t>(q.scale.size())}, leBytes(q.scale));
    break;
  case Method::PB: {
    add(".packed", SafetensorsDType::I64, {q.rows, words}, leBytes(q.packed));
    add(".scale", SafetensorsDType::F32, {q.rows}, leBytes(q.scale));
    int64_t s = static_cast<int64_t>(q.salientIndex.size());
    add(".salient_index", SafetensorsDType::I32, {s}, leBytes(q.salientIndex));
    add(".salient_value", SafetensorsDType::I8, {s},
        bytesOf(q.salientValue.data(), q.salientValue.size()));
    add(".salient_scale", SafetensorsDType::F32, {q.rows}, leBytes(q.salientScale));
    break;
  }
  case Method::DBF:
    add(".a", SafetensorsDType::F32, {q.rows}, leBytes(q.a));
    add(".b1.packed", SafetensorsDType::I64, {q.rows, wordsFor(q.rank)}, leBytes(q.b1Packed));
    add(".m", SafetensorsDType::F32, {q.rank}, leBytes(q.m));
    add(".b2.packed", SafetensorsDType::I64, {q.rank, words}, leBytes(q.b2Packed));
    add(".b", SafetensorsDType::F32, {q.cols}, leBytes(q.b));
    break;
  }
  return out;
}

std::vector<SafetensorsTensor> getViews(const std::vector<OwnedTensor> &tensors) {
  std::vector<SafetensorsTensor> views;
  for (const OwnedTensor &t : tensors)
    views.push_back({t.name, t.dtype, t.shape, ArrayRef<uint8_t>(t.bytes)});
  return views;
}

Expected<std::vector<size_t>> chooseUnderBudget(const std::vector<std::vector<Candidate>> &layers,
                                                int64_t fixedBytes, int64_t budgetBytes) {
  std::vector<size_t> choice(layers.size(), 0);
  int64_t used = fixedBytes;
  for (size_t l = 0; l < layers.size(); ++l) {
    if (layers[l].empty())
      return createStringError(inconvertibleErrorCode(), "layer %zu has no candidate", l);
    for (size_t c = 1; c < layers[l].size(); ++c)
      if (layers[l][c].bytes < layers[l][choice[l]].bytes ||
          (layers[l][c].bytes == layers[l][choice[l]].bytes &&
           layers[l][c].error < layers[l][choice[l]].error))
        choice[l] = c;
    used += layers[l][choice[l]].bytes;
  }
  if (used > budgetBytes)
    return createStringError(inconvertibleErrorCode(),
                             "the budget of %lld bytes is too small: the smallest candidates "
                             "need %lld bytes (%lld of them for the float tensors)",
                             (long long)budgetBytes, (long long)used, (long long)fixedBytes);
  while (true) {
    double bestRatio = 0;
    size_t bestLayer = SIZE_MAX, bestCandidate = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      const Candidate &now = layers[l][choice[l]];
      for (size_t c = 0; c < layers[l].size(); ++c) {
        const Candidate &next = layers[l][c];
        double gain = now.error - next.error;
        int64_t extra = next.bytes - now.bytes;
        if (gain <= 0 || used + extra > budgetBytes)
          continue;
        // A free improvement (no extra bytes) is taken first.
        double ratio = extra <= 0 ? HUGE_VAL : gain / static_cast<double>(extra);
        if (ratio > bestRatio) {
          bestRatio = ratio;
          bestLayer = l;
          bestCandidate = c;
        }
      }
    }
    if (bestLayer == SIZE_MAX)
      break;
    used += layers[bestLayer][bestCandidate].bytes - layers[bestLayer][choice[bestLayer]].bytes;
    choice[bestLayer] = bestCandidate;
  }
  return choice;
}

} // namespace bnn::frontend::compress
