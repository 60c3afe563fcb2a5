// Shape, indexing and reduction ops.
#include "tensor_handle.h"

#include <limits>

namespace tl {
namespace {

Napi::Value view(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).view(toIntList(info[1], "shape"))); }
Napi::Value reshape(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).reshape(toIntList(info[1], "shape"))); }
Napi::Value expand(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).expand(toIntList(info[1], "shape"))); }
Napi::Value permute(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).permute(toIntList(info[1], "dims"))); }
Napi::Value repeat(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).repeat(toIntList(info[1], "repeats"))); }
Napi::Value flip(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).flip(toIntList(info[1], "dims"))); }

Napi::Value flatten(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).flatten(toInt(info[1], "startDim"), toInt(info[2], "endDim")));
}
Napi::Value unsqueeze(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).unsqueeze(toInt(info[1], "dim"))); }
Napi::Value squeeze(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) return wrap(info.Env(), t.squeeze());
  return wrap(info.Env(), t.squeeze(toInt(info[1], "dim")));
}
Napi::Value transpose(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).transpose(toInt(info[1], "dim0"), toInt(info[2], "dim1")));
}

// slice(t, dim, start, end | null, step): Python slicing semantics (negative and out-of-range bounds clamp).
Napi::Value slice(const Napi::CallbackInfo& info) {
  int64_t end = isNullish(info[3]) ? std::numeric_limits<int64_t>::max() : toInt(info[3], "end");
  int64_t step = isNullish(info[4]) ? 1 : toInt(info[4], "step");
  return wrap(info.Env(), unwrap(info[0]).slice(toInt(info[1], "dim"), toInt(info[2], "start"), end, step));
}
Napi::Value select(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).select(toInt(info[1], "dim"), toInt(info[2], "index")));
}
Napi::Value narrow(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).narrow(toInt(info[1], "dim"), toInt(info[2], "start"), toInt(info[3], "length")));
}
Napi::Value indexSelect(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).index_select(toInt(info[1], "dim"), unwrap(info[2], "index")));
}
Napi::Value gather(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).gather(toInt(info[1], "dim"), unwrap(info[2], "index")));
}
// index(t, indices): t[indices] along dim 0 with an int64 or bool tensor (advanced indexing).
Napi::Value index(const Napi::CallbackInfo& info) {
  c10::List<c10::optional<at::Tensor>> indices;
  indices.push_back(unwrap(info[1], "index"));
  return wrap(info.Env(), at::index(unwrap(info[0]), indices));
}
Napi::Value tril(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).tril(toInt(info[1], "diagonal"))); }
Napi::Value triu(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).triu(toInt(info[1], "diagonal"))); }

// split(t, size | sizes, dim) -> Tensor[]
Napi::Value split(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  int64_t dim = toInt(info[2], "dim");
  if (info[1].IsNumber()) return wrapList(info.Env(), t.split(toInt(info[1], "splitSize"), dim));
  return wrapList(info.Env(), t.split_with_sizes(toIntList(info[1], "splitSizes"), dim));
}
Napi::Value chunk(const Napi::CallbackInfo& info) {
  return wrapList(info.Env(), unwrap(info[0]).chunk(toInt(info[1], "chunks"), toInt(info[2], "dim")));
}

// ---- reductions: dims null = all ----
Napi::Value sum(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) return wrap(info.Env(), t.sum());
  return wrap(info.Env(), t.sum(toIntList(info[1], "dim"), toBool(info[2], "keepdim")));
}
Napi::Value mean(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) return wrap(info.Env(), t.mean());
  return wrap(info.Env(), t.mean(toIntList(info[1], "dim"), toBool(info[2], "keepdim")));
}
// var/std(t, dim | null, correction (0 or 1), keepdim)
Napi::Value var(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  bool unbiased = toInt(info[2], "correction") != 0;
  if (isNullish(info[1])) return wrap(info.Env(), t.var(unbiased));
  return wrap(info.Env(), t.var(at::IntArrayRef(toIntList(info[1], "dim")), unbiased, toBool(info[3], "keepdim")));
}
Napi::Value norm(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  at::Scalar p = toScalar(info[1], "p");
  if (isNullish(info[2])) return wrap(info.Env(), at::norm(t, p));
  return wrap(info.Env(), at::norm(t, p, toIntList(info[2], "dim"), toBool(info[3], "keepdim")));
}
Napi::Value prod(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).prod()); }
Napi::Value cumsum(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).cumsum(toInt(info[1], "dim"))); }

// max/min(t) -> Tensor ; max/min(t, dim, keepdim) -> [values, indices]
Napi::Value max(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) return wrap(info.Env(), t.max());
  auto result = t.max(toInt(info[1], "dim"), toBool(info[2], "keepdim"));
  return wrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
Napi::Value min(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) return wrap(info.Env(), t.min());
  auto result = t.min(toInt(info[1], "dim"), toBool(info[2], "keepdim"));
  return wrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
Napi::Value argmax(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).argmax(toOptionalInt(info[1], "dim"), toBool(info[2], "keepdim")));
}
Napi::Value argmin(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0]).argmin(toOptionalInt(info[1], "dim"), toBool(info[2], "keepdim")));
}
// topk(t, k, dim, largest, sorted) -> [values, indices]
Napi::Value topk(const Napi::CallbackInfo& info) {
  auto result = unwrap(info[0]).topk(toInt(info[1], "k"), toInt(info[2], "dim"), toBool(info[3], "largest"), toBool(info[4], "sorted"));
  return wrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
// sort(t, dim, descending) -> [values, indices]
Napi::Value sort(const Napi::CallbackInfo& info) {
  auto result = unwrap(info[0]).sort(toInt(info[1], "dim"), toBool(info[2], "descending"));
  return wrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}

}  // namespace

void registerShape(Napi::Object exports) {
  exportFn<view>(exports, "view");
  exportFn<reshape>(exports, "reshape");
  exportFn<expand>(exports, "expand");
  exportFn<permute>(exports, "permute");
  exportFn<repeat>(exports, "repeat");
  exportFn<flip>(exports, "flip");
  exportFn<flatten>(exports, "flatten");
  exportFn<unsqueeze>(exports, "unsqueeze");
  exportFn<squeeze>(exports, "squeeze");
  exportFn<transpose>(exports, "transpose");
  exportFn<slice>(exports, "slice");
  exportFn<select>(exports, "select");
  exportFn<narrow>(exports, "narrow");
  exportFn<indexSelect>(exports, "index_select");
  exportFn<gather>(exports, "gather");
  exportFn<index>(exports, "index");
  exportFn<tril>(exports, "tril");
  exportFn<triu>(exports, "triu");
  exportFn<split>(exports, "split");
  exportFn<chunk>(exports, "chunk");
  exportFn<sum>(exports, "sum");
  exportFn<mean>(exports, "mean");
  exportFn<var>(exports, "var");
  exportFn<norm>(exports, "norm");
  exportFn<prod>(exports, "prod");
  exportFn<cumsum>(exports, "cumsum");
  exportFn<max>(exports, "max");
  exportFn<min>(exports, "min");
  exportFn<argmax>(exports, "argmax");
  exportFn<argmin>(exports, "argmin");
  exportFn<topk>(exports, "topk");
  exportFn<sort>(exports, "sort");
}

}  // namespace tl
