// A head's typed prepare behind a check of its input and parameters: what the server holds for any head.
import { parseField } from '../errors.js';
import type { AnyServingHead, ServingHead } from './types.js';

export function checkedHead<Input, Parameters>(head: ServingHead<Input, Parameters>): AnyServingHead {
  return {
    pipeline: head.pipeline,
    prepare: (input, parameters, where) =>
      head.prepare(parseField(head.input, input, where), parseField(head.parameters, parameters ?? {}, 'parameters')),
    ...(head.outputs ? { outputs: head.outputs } : {}),
    ...(head.readOutputs ? { readOutputs: head.readOutputs.bind(head) } : {}),
  };
}
