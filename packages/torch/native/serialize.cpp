// Checkpoint bytes: file regions read straight into tensor memory, and typed tensors viewed over them
// (safetensors payloads; torch.save storages, whose zip and pickle are parsed in src/pytorch-bin.ts).
#include "tensor_handle.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tl {
namespace {

// readFileBytes(path, offset, length) -> uint8 tensor holding those bytes of the file (read straight into
// tensor memory: safetensors payloads are then viewed in place, with no copy through a JS Buffer).
Napi::Value readFileBytes(const Napi::CallbackInfo& info) {
  auto path = toString(info[0], "path");
  int64_t offset = toInt(info[1], "offset");
  int64_t length = toInt(info[2], "length");
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw ArgError(path + ": " + std::strerror(errno));
  if (fseeko(file.get(), offset, SEEK_SET) != 0) throw ArgError(path + ": cannot seek to byte " + std::to_string(offset));
  auto bytes = at::empty({length}, at::TensorOptions().dtype(at::kByte));
  size_t got = length ? std::fread(bytes.data_ptr(), 1, static_cast<size_t>(length), file.get()) : 0;
  if (got != static_cast<size_t>(length)) {
    throw ArgError(path + ": file is truncated (expected " + std::to_string(length) + " bytes from offset " + std::to_string(offset) +
                   ", read " + std::to_string(got) + ")");
  }
  return wrap(info.Env(), bytes);
}

// viewBytesAs(bytes, begin, end, dtype, shape) -> a tensor over bytes[begin:end] sharing its storage
// (copied instead when begin is not a multiple of the element size).
Napi::Value viewBytesAs(const Napi::CallbackInfo& info) {
  const auto& bytes = unwrap(info[0], "bytes");
  int64_t begin = toInt(info[1], "begin"), end = toInt(info[2], "end");
  auto dtype = toDtype(info[3]);
  auto shape = toIntList(info[4], "shape");
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  int64_t itemSize = static_cast<int64_t>(c10::elementSize(dtype));
  if (begin < 0 || end < begin || end > bytes.numel()) throw ArgError("byte range out of bounds");
  if (end - begin != numel * itemSize) throw ArgError("byte range does not match shape and dtype");
  auto options = at::TensorOptions().dtype(dtype);
  if (begin % itemSize == 0) return wrap(info.Env(), at::empty({0}, options).set_(bytes.storage(), begin / itemSize, shape));
  auto out = at::empty(shape, options);
  if (numel) std::memcpy(out.data_ptr(), static_cast<const uint8_t*>(bytes.data_ptr()) + begin, static_cast<size_t>(end - begin));
  return wrap(info.Env(), out);
}

// viewStorage(bytes, dtype, storageOffset, shape, strides) -> a tensor over bytes (read as dtype) with the given
// element offset and strides, sharing its memory (torch._utils._rebuild_tensor_v2 on a loaded storage).
Napi::Value viewStorage(const Napi::CallbackInfo& info) {
  const auto& bytes = unwrap(info[0], "bytes");
  auto dtype = toDtype(info[1]);
  int64_t offset = toInt(info[2], "storageOffset");
  auto shape = toIntList(info[3], "shape");
  auto strides = toIntList(info[4], "strides");
  if (shape.size() != strides.size()) throw ArgError("shape and strides differ in length");
  int64_t itemSize = static_cast<int64_t>(c10::elementSize(dtype));
  int64_t capacity = bytes.numel() / itemSize;
  int64_t last = offset;
  bool empty = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0 || strides[i] < 0) throw ArgError("negative size or stride");
    if (shape[i] == 0) empty = true;
    else last += (shape[i] - 1) * strides[i];
  }
  if (offset < 0 || (!empty && last >= capacity)) {
    throw ArgError("tensor reaches element " + std::to_string(last) + " of a storage holding " + std::to_string(capacity));
  }
  return wrap(info.Env(), at::empty({0}, at::TensorOptions().dtype(dtype)).set_(bytes.storage(), offset, shape, strides));
}

}  // namespace

void registerSerialize(Napi::Object exports) {
  exportFn<readFileBytes>(exports, "readFileBytes");
  exportFn<viewBytesAs>(exports, "viewBytesAs");
  exportFn<viewStorage>(exports, "viewStorage");
}

}  // namespace tl
