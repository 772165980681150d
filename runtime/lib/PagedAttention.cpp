//===- PagedAttention.cpp - Scalar reference of attention over the KV-cache ===//
//
// bnn::ref::pagedAttention (bnn/runtime/PagedAttention.h): reads the cache only through the C
// API's block table and page pointers, as compiled attention does.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/PagedAttention.h"
#include "bnn/runtime/KVFormat.h"
#include "bnn/runtime/Reference.h"
#include "bnn/runtime/Status.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using bnn::fail;

bnn_status bnn::ref::pagedAttention(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                    const float *q, int64_t numQueries, int64_t numHeads,
                                    KVScore score, float *out) {
  const char *fn = "bnn::ref::pagedAttention";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    bnn_kv_config config;
    if (bnn_status s = bnn_kv_cache_config(cache, &config))
      return s;
    int64_t written = 0;
    if (bnn_status s = bnn_kv_seq_layer_length(cache, seq, layer, &written))
      return s;
    bnn_kv_block_table_info info;
    if (bnn_status s = bnn_kv_block_table(cache, seq, nullptr, 0, &info))
      return s;
    std::vector<int64_t> pages(static_cast<size_t>(info.num_pages));
    if (bnn_status s = bnn_kv_block_table(cache, seq, pages.data(), info.num_pages, &info))
      return s;
    const int64_t H = config.num_kv_heads, D = config.head_dim, P = config.page_size;
    const int64_t W = config.sliding_window;
    if (numHeads < 1 || numHeads % H != 0)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": num_heads must be a positive multiple of num_kv_heads " +
                      std::to_string(H) + ", found " + std::to_string(numHeads));
    if (numQueries < 1 || numQueries > written)
      return fail(BNN_STATUS_OUT_OF_RANGE,
                  std::string(fn) + ": num_queries must be 1 to the " + std::to_string(written) +
                      " written positions of layer " + std::to_string(layer) + ", found " +
                      std::to_string(numQueries));
    if (!q || !out)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null " + (q ? "out" : "q"));
    if (score == KVScore::XnorPopcount && config.format != BNN_KV_BINARY)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) +
                      ": XnorPopcount scores need a BNN_KV_BINARY cache, found "
                      "format " +
                      std::to_string(config.format));
    const int64_t firstQuery = written - numQueries;
    const int64_t lowest = W > 0 ? std::max<int64_t>(0, firstQuery - W + 1) : 0;
    if (lowest < info.first_position)
      return fail(BNN_STATUS_OUT_OF_RANGE,
                  std::string(fn) + ": query position " + std::to_string(firstQuery) +
                      " needs keys from position " + std::to_string(lowest) +
                      ", the sliding window released everything below " +
                      std::to_string(info.first_position));

    const float *keyMean = nullptr; // center_keys: k^ = mean + stored
    if (bnn_status s = bnn_kv_seq_key_mean(cache, seq, layer, &keyMean))
      return s;
    const bnn::kv::BlockLayout layout = bnn::kv::BlockLayout::of(config);
    auto block = [&](int64_t pos, int kv) {
      const void *k = nullptr, *v = nullptr;
      bnn_kv_page_data(cache, pages[(pos - info.first_position) / P], layer, &k, &v);
      return static_cast<const uint8_t *>(kv ? v : k);
    };
    const int64_t group = numHeads / H, words = layout.words;
    const double invSqrtD = 1.0 / std::sqrt(static_cast<double>(D));
    std::vector<float> row(static_cast<size_t>(D));
    std::vector<uint64_t> qSigns(static_cast<size_t>(words)), kSigns(static_cast<size_t>(words));
    std::vector<double> scores, acc(static_cast<size_t>(D));
    for (int64_t i = 0; i < numQueries; ++i) {
      const int64_t p = firstQuery + i;
      const int64_t lo = W > 0 ? std::max<int64_t>(0, p - W + 1) : 0;
      for (int64_t h = 0; h < numHeads; ++h) {
        const float *qi = q + (i * numHeads + h) * D;
        const int64_t kvh = h / group;
        float qScale = 0;
        if (score == KVScore::XnorPopcount)
          bnn::kv::binarizeRow(qi, D, qSigns.data(), &qScale);
        scores.assign(static_cast<size_t>(p - lo + 1), 0.0);
        for (int64_t j = lo; j <= p; ++j) {
          const uint8_t *kb = block(j, 0);
          double s;
          if (score == KVScore::XnorPopcount) {
            float kScale;
            std::memcpy(kSigns.data(), kb + layout.rowOffset(kvh, j % P),
                        static_cast<size_t>(words) * 8);
            std::memcpy(&kScale, kb + layout.scaleOffset(kvh, j % P), 4);
            int32_t dot = 0; // d - 2 * popcount(q XOR k)
            bnn::ref::xnorPopcount(qSigns.data(), 1, kSigns.data(), 1, D, &dot);
            s = static_cast<double>(qScale) * kScale * dot;
          } else {
            layout.load(kb, kvh, j % P, row.data());
            if (keyMean)
              for (int64_t c = 0; c < D; ++c)
                row[c] = keyMean[kvh * D + c] + row[c];
            s = 0;
            for (int64_t c = 0; c < D; ++c)
              s += static_cast<double>(qi[c]) * row[c];
          }
          scores[j - lo] = s * invSqrtD;
        }
        const double m = *std::max_element(scores.begin(), scores.end());
        double sum = 0;
        for (double &s : scores)
          sum += (s = std::exp(s - m));
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = lo; j <= p; ++j) {
          layout.load(block(j, 1), kvh, j % P, row.data());
          const double w = scores[j - lo] / sum;
          for (int64_t c = 0; c < D; ++c)
            acc[c] += w * row[c];
        }
        float *o = out + (i * numHeads + h) * D;
        for (int64_t c = 0; c < D; ++c)
          o[c] = static_cast<float>(acc[c]);
      }
    }
    return BNN_STATUS_OK;
  });
}
