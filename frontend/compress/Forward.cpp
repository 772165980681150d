//===- Forward.cpp - the f32 reference forward of a checkpoint's model ---===//
//
// docs/ModelFormat.md's pseudocode, literally: embedding, RMSNorm, RoPE (rotate_half), causal
// GQA attention, SwiGLU or relu^2 MLP, BitNet's sub-norms. Single-threaded and simple; it only
// has to give the calibration inputs of each projection.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Compress.h"

#include <cmath>

using namespace llvm;

namespace bnn::frontend::compress {

Expected<FloatModel> FloatModel::load(const Checkpoint &checkpoint) {
  FloatModel model;
  model.config = checkpoint.config;
  for (const ExpectedTensor &expected : getExpectedTensors(checkpoint.config)) {
    const TensorView *view = checkpoint.weights.lookup(expected.name);
    if (!view)
      return createStringError(inconvertibleErrorCode(),
                               "'%s' has no float tensor '%s': bnn-compress needs a float "
                               "checkpoint (every projection in its float form)",
                               checkpoint.weightsPath.c_str(), expected.name.c_str());
    if (ArrayRef<int64_t>(expected.shape) != view->shape)
      return createStringError(inconvertibleErrorCode(), "tensor '%s' has shape %s, expected %s",
                               expected.name.c_str(), formatShape(view->shape).c_str(),
                               formatShape(expected.shape).c_str());
    Expected<std::vector<float>> values = readAsFloat32(*view);
    if (!values)
      return values.takeError();
    model.tensors[expected.name] = std::move(*values);
  }
  return model;
}

namespace {
/// y[T, N] = x[T, K] W[N, K]^T (double accumulation).
std::vector<float> linear(const float *x, int64_t t, int64_t k, const std::vector<float> &w,
                          int64_t n) {
  std::vector<float> y(static_cast<size_t>(t * n));
  for (int64_t i = 0; i < t; ++i)
    for (int64_t o = 0; o < n; ++o) {
      double s = 0;
      const float *wr = w.data() + o * k, *xr = x + i * k;
      for (int64_t c = 0; c < k; ++c)
        s += static_cast<double>(xr[c]) * wr[c];
      y[i * n + o] = static_cast<float>(s);
    }
  return y;
}

std::vector<float> rmsnorm(const std::vector<float> &x, int64_t t, int64_t h,
                           const std::vector<float> &w, double eps) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < t; ++i) {
    double ss = 0;
    for (int64_t c = 0; c < h; ++c)
      ss += static_cast<double>(x[i * h + c]) * x[i * h + c];
    float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(h) + eps));
    for (int64_t c = 0; c < h; ++c)
      y[i * h + c] = x[i * h + c] * inv * w[c];
  }
  return y;
}

/// Llama's rotate_half RoPE on [T, heads, d] in place.
void rope(std::vector<float> &x, int64_t t, int64_t heads, int64_t d, double theta) {
  int64_t half = d / 2;
  for (int64_t p = 0; p < t; ++p)
    for (int64_t h = 0; h < heads; ++h) {
      float *v = x.data() + (p * heads + h) * d;
      for (int64_t i = 0; i < half; ++i) {
        double angle = static_cast<double>(p) * std::pow(theta, -2.0 * static_cast<double>(i) / d);
        double c = std::cos(angle), s = std::sin(angle);
        double x0 = v[i], x1 = v[i + half];
        v[i] = static_cast<float>(x0 * c - x1 * s);
        v[i + half] = static_cast<float>(x1 * c + x0 * s);
      }
    }
}
} // namespace

Expected<std::vector<float>> forward(const FloatModel &model, ArrayRef<int32_t> tokens,
                                     const CaptureFn &capture) {
  const ModelConfig &cfg = model.config;
  const int64_t t = static_cast<int64_t>(tokens.size()), hd = cfg.hiddenSize;
  const int64_t nh = cfg.numAttentionHeads, nkv = cfg.numKeyValueHeads, d = cfg.headDim;
  const int64_t qd = cfg.getQDim(), kvd = cfg.getKVDim(), inter = cfg.intermediateSize;
  if (t == 0)
    return createStringError(inconvertibleErrorCode(), "no tokens to run");
  if (t > cfg.maxPositionEmbeddings)
    return createStringError(inconvertibleErrorCode(),
                             "%lld tokens, but max_position_embeddings is %lld", (long long)t,
                             (long long)cfg.maxPositionEmbeddings);
  for (int32_t token : tokens)
    if (token < 0 || token >= cfg.vocabSize)
      return createStringError(inconvertibleErrorCode(),
                               "token id %d out of range (vocab_size is %lld)", token,
                               (long long)cfg.vocabSize);
  const std::vector<float> &embed = model.get("model.embed_tokens.weight");
  std::vector<float> h(static_cast<size_t>(t * hd));
  for (int64_t i = 0; i < t; ++i)
    std::copy(embed.begin() + tokens[i] * hd, embed.begin() + (tokens[i] + 1) * hd,
              h.begin() + i * hd);
  auto emit = [&](int64_t layer, Projection p, const std::vector<float> &x, int64_t k) {
    if (capture)
      capture(layer, p, x.data(), t, k);
  };
  for (int64_t l = 0; l < cfg.numHiddenLayers; ++l) {
    std::string pre = "model.layers." + std::to_string(l) + ".";
    std::vector<float> x =
        rmsnorm(h, t, hd, model.get(pre + "input_layernorm.weight"), cfg.rmsNormEps);
    emit(l, Projection::Q, x, hd);
    emit(l, Projection::K, x, hd);
    emit(l, Projection::V, x, hd);
    std::vector<float> q = linear(x.data(), t, hd, model.get(pre + "self_attn.q_proj.weight"), qd);
    std::vector<float> kk =
        linear(x.data(), t, hd, model.get(pre + "self_attn.k_proj.weight"), kvd);
    std::vector<float> v = linear(x.data(), t, hd, model.get(pre + "self_attn.v_proj.weight"), kvd);
    rope(q, t, nh, d, cfg.ropeTheta);
    rope(kk, t, nkv, d, cfg.ropeTheta);
    std::vector<float> a(static_cast<size_t>(t * qd), 0.0f);
    const int64_t group = nh / nkv;
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    std::vector<double> scores(static_cast<size_t>(t));
    for (int64_t head = 0; head < nh; ++head) {
      int64_t kvh = head / group;
      for (int64_t i = 0; i < t; ++i) {
        const float *qi = q.data() + (i * nh + head) * d;
        double mx = -HUGE_VAL;
        for (int64_t s = 0; s <= i; ++s) {
          const float *ks = kk.data() + (s * nkv + kvh) * d;
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += static_cast<double>(qi[c]) * ks[c];
          scores[s] = dot * scale;
          mx = std::max(mx, scores[s]);
        }
        double sum = 0;
        for (int64_t s = 0; s <= i; ++s) {
          scores[s] = std::exp(scores[s] - mx);
          sum += scores[s];
        }
        float *out = a.data() + i * qd + head * d;
        for (int64_t c = 0; c < d; ++c) {
          double acc = 0;
          for (int64_t s = 0; s <= i; ++s)
            acc += scores[s] * v[(s * nkv + kvh) * d + c];
          out[c] = static_cast<float>(acc / sum);
        }
      }
    }
    if (cfg.subNorms)
      a = rmsnorm(a, t, qd, model.get(pre + "self_attn.attn_sub_norm.weight"), cfg.rmsNormEps);
    emit(l, Projection::O, a, qd);
    std::vector<float> o = linear(a.data(), t, qd, model.get(pre + "self_attn.o_proj.weight"), hd);
    for (size_t i = 0; i < h.size(); ++i)
      h[i] += o[i];
    x = rmsnorm(h, t, hd, model.get(pre + "post_attention_layernorm.weight"), cfg.rmsNormEps);
    emit(l, Projection::Gate, x, hd);
    emit(l, Projection::Up, x, hd);
    std::vector<float> g = linear(x.data(), t, hd, model.get(pre + "mlp.gate_proj.weight"), inter);
    std::vector<float> u = linear(x.data(), t, hd, model.get(pre + "mlp.up_proj.weight"), inter);
    for (size_t i = 0; i < g.size(); ++i) {
      float gi = g[i];
      float act = cfg.hiddenAct == HiddenAct::SiLU ? gi / (1.0f + std::exp(-gi))
                                                   : (gi > 0 ? gi * gi : 0.0f);
      g[i] = act * u[i];
    }
    if (cfg.subNorms)
      g = rmsnorm(g, t, inter, model.get(pre + "mlp.ffn_sub_norm.weight"), cfg.rmsNormEps);
    emit(l, Projection::Down, g, inter);
    std::vector<float> dn = linear(g.data(), t, inter, model.get(pre + "mlp.down_proj.weight"), hd);
    for (size_t i = 0; i < h.size(); ++i)
      h[i] += dn[i];
  }
  std::vector<float> x = rmsnorm(h, t, hd, model.get("model.norm.weight"), cfg.rmsNormEps);
  return linear(x.data(), t, hd,
                model.get(cfg.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"),
                cfg.vocabSize);
}

} // namespace bnn::frontend::compress
