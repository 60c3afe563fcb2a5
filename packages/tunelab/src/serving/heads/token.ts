// Token classification on raw text, as transformers' token-classification pipeline: a label and softmax score per
// token (special tokens skipped), then with aggregation_strategy "simple" (the default here) consecutive tokens
// grouped into entities — a B- tag or another type starts a new group — whose score is the mean of theirs, and
// groups labelled O dropped. Texts longer than --max-seq-length tokens are truncated.
import { z } from 'zod';
import { idsOf } from '../../data/features.js';
import { softmax } from '../../tasks/shared.js';
import { encodeSingleText, SingleTextInput, type HeadContext } from './context.js';
import type { ServingHead } from './types.js';

const Parameters = z.strictObject({ aggregation_strategy: z.enum(['simple', 'none']).default('simple') });
type Parameters = z.infer<typeof Parameters>;

/** A token's prediction (aggregation "none"); start/end are code points of the text. */
export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number;
  end: number;
}

export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

const IGNORED_LABELS = new Set(['O']);

export function tokenClassificationHead(context: HeadContext): ServingHead<SingleTextInput, Parameters> {
  const { tokenizer } = context;
  const { labels } = context.textOptions;
  return {
    pipeline: 'token-classification',
    input: SingleTextInput,
    parameters: Parameters,
    outputs: ['logits'],
    async prepare(input, parameters) {
      const encoding = await encodeSingleText(context, input);
      return {
        features: [idsOf(encoding)],
        async finish([row]) {
          const logits = row.logits;
          const width = logits.shape[logits.shape.length - 1];
          const tokens: (TokenEntity & { id: number })[] = [];
          encoding.input_ids.forEach((id, t) => {
            if (encoding.special_tokens_mask[t] === 1) return;
            const scores = softmax(logits.data.subarray(t * width, (t + 1) * width));
            const best = scores.indexOf(Math.max(...scores));
            const [start, end] = encoding.offsets[t];
            tokens.push({ entity: labels[best], score: scores[best], index: t, word: encoding.tokens[t], start, end, id });
          });
          if (parameters.aggregation_strategy === 'none') {
            return tokens.filter((token) => !IGNORED_LABELS.has(token.entity)).map(({ id: _id, ...entity }) => entity);
          }
          const groups: EntityGroup[] = [];
          for (const group of groupTokens(tokens)) {
            const [first] = group;
            groups.push({
              entity_group: tagOf(first.entity).type,
              score: group.reduce((sum, token) => sum + token.score, 0) / group.length,
              word: await tokenizer.decode(group.map((token) => token.id)),
              start: first.start, end: group[group.length - 1].end,
            });
          }
          return groups.filter((group) => !IGNORED_LABELS.has(group.entity_group));
        },
      };
    },
  };
}

/** transformers' get_tag: B-X → (B, X), I-X → (I, X), anything else (O) → (I, itself). */
function tagOf(label: string): { begins: boolean; type: string } {
  if (label.startsWith('B-')) return { begins: true, type: label.slice(2) };
  if (label.startsWith('I-')) return { begins: false, type: label.slice(2) };
  return { begins: false, type: label };
}

/** transformers' group_entities: a token joins the open group when it has the group's type and is not a B-. */
function groupTokens<T extends { entity: string }>(tokens: T[]): T[][] {
  const groups: T[][] = [];
  for (const token of tokens) {
    const open = groups[groups.length - 1];
    const tag = tagOf(token.entity);
    if (open && !tag.begins && tagOf(open[open.length - 1].entity).type === tag.type) open.push(token);
    else groups.push([token]);
  }
  return groups;
}
