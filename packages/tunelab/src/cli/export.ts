// `tunelab export`: a model folder → an ONNX model in the layout transformers.js loads (export/onnx-export.ts).
import type { Command } from 'commander';
import { exportModel, EXPORT_FORMATS, QUANTIZATIONS, type ExportFormat, type Quantization } from '../export/onnx-export.js';
import { runVerb } from './options.js';

interface ExportFlags {
  model: string;
  output: string;
  format: string;
  quantize?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('export')
    .description('Export a model folder to ONNX for onnxruntime and transformers.js (Node and the browser)')
    .requiredOption('--model <folder>', 'model folder (config.json, weights, tokenizer)')
    .requiredOption('--output <folder>', 'folder to create: onnx/model.onnx, config.json, tokenizer files')
    .option('--format <format>', `export format: ${EXPORT_FORMATS.join(', ')}`, 'onnx')
    .option('--quantize <type>', `also write onnx/model_quantized.onnx: ${QUANTIZATIONS.join(', ')} (dynamic, MatMul weights)`)
    .option('--json', 'print one JSON object instead of text');
  command.action(() => runVerb(async () => {
    const flags = command.opts<ExportFlags>();
    // The library checks the values (one-line errors naming the flag): its checks are the only ones.
    const result = await exportModel({
      model: flags.model, output: flags.output, format: flags.format as ExportFormat,
      quantize: flags.quantize as Quantization | undefined,
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
      return;
    }
    const files = result.files.map((file) => `  ${file.path}  ${size(file.bytes)}`).join('\n');
    const note = result.tokenizer ? '' : '\nnote: the model folder has no tokenizer; transformers.js needs tokenizer.json';
    process.stdout.write(`exported ${result.architecture} to ${result.output}\n${files}${note}\n`);
  }));
}

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}
