// Dynamic int8 quantization, onnxruntime's quantize_dynamic in the MatMulInteger form that onnxruntime (node and
// web) runs: every MatMul whose right operand is a weight becomes
//   DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zero, W_zero) → Cast float → · (x_scale · W_scale)
// Weights are quantized per output column, symmetrically, to uint8 around zero point 128 (scale = max|w| / 127):
// u8·u8 avoids the int16 saturation of the u8·s8 kernels on x86 CPUs without VNNI. An activation feeding several
// MatMuls (Q, K, V) is quantized once. Everything else (embeddings, LayerNorm, a tied decoder) stays float.
import { dataType, int, OnnxGraph, type GraphNode } from './graph.js';

const ZERO_POINT = 128;

/** A new graph with MatMul weights in uint8; `graph` is left as it was. */
export function quantizeDynamic(graph: OnnxGraph): OnnxGraph {
  const out = new OnnxGraph('quantized/');
  out.inputs.push(...graph.inputs);
  out.outputs.push(...graph.outputs);
  const quantizedInputs = new Map<string, string[]>();
  const quantizeInput = (x: string) => {
    let found = quantizedInputs.get(x);
    if (!found) {
      found = out.opN('DynamicQuantizeLinear', [x], 3);
      quantizedInputs.set(x, found);
    }
    return found;
  };
  const usedWeights = new Set<string>();
  for (const node of graph.nodes) {
    const weight = node.opType === 'MatMul' ? graph.initializers.get(node.inputs[1]!) : undefined;
    if (!weight || weight.type !== 'float32' || weight.dims.length !== 2) {
      out.nodes.push(node);
      node.inputs.forEach((name) => usedWeights.add(name));
      continue;
    }
    const [rows, columns] = weight.dims as [number, number];
    const { values, scales } = quantizeColumns(weight.values as Float32Array, rows, columns);
    const quantized = out.addInitializer(`${weight.name}_quantized`, 'uint8', weight.dims, values);
    const zeroPoints = out.addInitializer(`${weight.name}_zero_point`, 'uint8', [columns], new Uint8Array(columns).fill(ZERO_POINT));
    const weightScales = out.addInitializer(`${weight.name}_scale`, 'float32', [columns], scales);
    const [xQuantized, xScale, xZero] = quantizeInput(node.inputs[0]!);
    const product = out.op('MatMulInteger', [xQuantized!, quantized, xZero!, zeroPoints]);
    const asFloat = out.op('Cast', [product], { to: int(dataType('float32')) });
    const scale = out.op('Mul', [xScale!, weightScales]);
    out.nodes.push({ opType: 'Mul', inputs: [asFloat, scale], outputs: node.outputs, attributes: {} } satisfies GraphNode);
  }
  for (const [name, initializer] of graph.initializers) {
    if (usedWeights.has(name)) out.initializers.set(name, initializer);
  }
  return out;
}

/** Per column n of a [rows, columns] matrix: scale_n = max|w[:, n]| / 127 and q = round(w / scale_n) + 128. */
function quantizeColumns(weights: Float32Array, rows: number, columns: number): { values: Uint8Array; scales: Float32Array } {
  const scales = new Float32Array(columns);
  for (let i = 0; i < weights.length; i++) {
    const column = i % columns;
    scales[column] = Math.max(scales[column]!, Math.abs(weights[i]!));
  }
  for (let n = 0; n < columns; n++) scales[n] = scales[n]! > 0 ? scales[n]! / 127 : 1;
  const values = new Uint8Array(rows * columns);
  for (let i = 0; i < weights.length; i++) {
    values[i] = Math.round(weights[i]! / scales[i % columns]!) + ZERO_POINT;
  }
  return { values, scales };
}
