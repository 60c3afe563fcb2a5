// An ONNX graph under construction — nodes, weights (initializers), inputs and outputs as plain data — and its
// encoding to a ModelProto through onnx-proto (onnx.proto compiled for protobufjs). Shapes may name dynamic axes
// ('batch_size', 'sequence_length'); constants are deduplicated so a shape used by every layer is stored once.
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

export type ElementType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
export type TensorValues = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
/** A fixed size, or the name of a dynamic axis. */
export type Dim = number | string;

export interface Initializer { name: string; type: ElementType; dims: number[]; values: TensorValues }
export interface GraphValue { name: string; type: ElementType; dims: Dim[] }
export type Attribute =
  | { type: 'int'; value: number } | { type: 'float'; value: number } | { type: 'ints'; value: number[] };
export interface GraphNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export const int = (value: number): Attribute => ({ type: 'int', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const ints = (value: number[]): Attribute => ({ type: 'ints', value });

const DATA_TYPES: Record<ElementType, Onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The ONNX type number of an element type (Cast's `to`). */
export const dataType = (type: ElementType): number => DATA_TYPES[type];

export class OnnxGraph {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly inputs: GraphValue[] = [];
  readonly outputs: GraphValue[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** `prefix` starts every generated name, so a graph rewritten into another (quantize) keeps its names unique. */
  constructor(private readonly prefix = '') {}

  addInput(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** Declares `value` a graph output called `name` (through an Identity node when it has another name). */
  addOutput(name: string, value: string, type: ElementType, dims: Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], attributes: {} });
    this.outputs.push({ name, type, dims });
  }

  /** A weight; a second call with the same name returns the first (tied tensors are stored once). */
  addInitializer(name: string, type: ElementType, dims: number[], values: TensorValues): string {
    if (!this.initializers.has(name)) this.initializers.set(name, { name, type, dims, values });
    return name;
  }

  /** A small constant tensor (a shape, an axis list, a scalar when `dims` is []), stored once per value. */
  constant(type: 'int64' | 'float32', values: number[], dims: number[] = [values.length]): string {
    const key = `${type}[${dims.join(',')}]:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = `${this.prefix}const_${this.constants.size}`;
      const data = type === 'int64' ? BigInt64Array.from(values, BigInt) : Float32Array.from(values);
      this.addInitializer(name, type, dims, data);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A node with one output; returns the output's (fresh) name. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}): string {
    return this.opN(opType, inputs, 1, attributes)[0]!;
  }

  opN(opType: string, inputs: string[], outputCount: number, attributes: Record<string, Attribute> = {}): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: outputCount }, (_, i) => `${this.prefix}${opType}_${id}${outputCount > 1 ? `_${i}` : ''}`);
    this.nodes.push({ opType, inputs, outputs, attributes });
    return outputs;
  }
}

export interface ModelMetadata {
  /** The default-domain opset the graph's operators are taken from. */
  opset: number;
  producerVersion: string;
  docString?: string;
}

/** IR version 8 (onnx 1.12): the one that goes with opset 17. */
const IR_VERSION = 8;

/** The graph as an ONNX ModelProto (protobuf bytes). */
export function encodeModel(graph: OnnxGraph, metadata: ModelMetadata): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: metadata.opset }],
    producerName: 'tunelab',
    producerVersion: metadata.producerVersion,
    docString: metadata.docString ?? '',
    graph: {
      name: 'main',
      node: graph.nodes.map((node, index) => ({
        name: `${node.opType}_${index}`,
        opType: node.opType,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes).map(([name, attribute]) => encodeAttribute(name, attribute)),
      })),
      initializer: [...graph.initializers.values()].map(encodeTensor),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function encodeAttribute(name: string, attribute: Attribute): Onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  switch (attribute.type) {
    case 'int': return { name, type: types.INT, i: attribute.value };
    case 'float': return { name, type: types.FLOAT, f: attribute.value };
    case 'ints': return { name, type: types.INTS, ints: attribute.value };
  }
}

/** Values go in raw_data, little-endian (every platform Node runs this on). */
function encodeTensor(tensor: Initializer): Onnx.ITensorProto {
  const { buffer, byteOffset, byteLength } = tensor.values;
  return {
    name: tensor.name,
    dataType: DATA_TYPES[tensor.type],
    dims: tensor.dims,
    rawData: new Uint8Array(buffer, byteOffset, byteLength),
  };
}

function encodeValueInfo(value: GraphValue): Onnx.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[value.type],
        shape: { dim: value.dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}
