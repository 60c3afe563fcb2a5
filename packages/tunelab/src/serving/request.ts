// The body of POST /v1/predict: one input or a list of them (`{"text": …}`, `"text"`, `{"question", "context"}`,
// `[…]`), or a Hugging Face Inference API body `{"inputs": <one or a list>, "parameters": {…}}`. A list in gives a
// list out.
import { z } from 'zod';
import { badRequest, parseField } from './errors.js';

/** Inputs one request may carry. */
export const MAX_INPUTS_PER_REQUEST = 256;

export interface PredictRequest {
  inputs: unknown[];
  /** True when one input came (not a list): the answer is one object, not a list. */
  single: boolean;
  parameters: unknown;
  /** How errors name the inputs: `inputs` (Inference API body) or `body`. */
  where: string;
}

const InferenceApiBody = z.strictObject({
  inputs: z.unknown(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  // The Inference API's cache and cold-start switches mean nothing to a local server; accepted and ignored.
  options: z.strictObject({ use_cache: z.boolean().optional(), wait_for_model: z.boolean().optional() }).optional(),
});

export function parsePredictRequest(text: string): PredictRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(`request body is not JSON: ${(error as Error).message}`);
  }
  const inferenceApi = body !== null && typeof body === 'object' && !Array.isArray(body) && 'inputs' in body;
  const { inputs, parameters } = inferenceApi ? parseField(InferenceApiBody, body, 'body') : { inputs: body, parameters: {} };
  if (inputs === undefined) throw badRequest('inputs: missing');
  const where = inferenceApi ? 'inputs' : 'body';
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length === 0) throw badRequest(`${where}: an empty list (give at least one input)`);
  if (list.length > MAX_INPUTS_PER_REQUEST) {
    throw badRequest(`${where}: ${list.length} inputs, at most ${MAX_INPUTS_PER_REQUEST} per request`);
  }
  return { inputs: list, single: !Array.isArray(inputs), parameters: parameters ?? {}, where };
}
