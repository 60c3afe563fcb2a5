// Public surface of export/: `tunelab export` as a function, and the graph pieces for other uses (an in-memory
// export, a custom quantization).
export {
  exportModel, EXPORT_FORMATS, OPSET, QUANTIZATIONS,
  type ExportFormat, type ExportOptions, type ExportResult, type Quantization,
} from './onnx-export.js';
export { ExportError } from './errors.js';
export { buildGraph } from './onnx/heads.js';
export { encodeModel, OnnxGraph, type ModelMetadata } from './onnx/graph.js';
export { quantizeDynamic } from './onnx/quantize.js';
