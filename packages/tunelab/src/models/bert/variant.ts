// How BERT's relatives reuse its classes instead of copying them: withVariant(BertForTokenClassification, ROBERTA)
// is RoBERTa's token classifier — the same head over the relative's base, under its checkpoint prefix and class name.
import type { ConfigParser } from '../pretrained.js';
import type { BertConfig } from './config.js';
import type { BertModel, BertPreTrainedModel } from './modeling.js';

/** What a relative changes in BERT's classes: checkpoint prefix, base model, config parser, class names. */
export interface BertVariant {
  prefix: string;
  parseConfig: ConfigParser<BertConfig>;
  createBase(config: BertConfig, options: { pooler: boolean }): BertModel;
  /** The class name config.json records (XLM-R's classes are RoBERTa's under another name). */
  architecture(config: BertConfig, className: string): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript's mixin pattern requires any[] here
type AbstractConstructor<T> = abstract new (...args: any[]) => T;

/** A BERT class turned into a relative's (RobertaForTokenClassification = withVariant(BertForTokenClassification, …)). */
export function withVariant<T extends AbstractConstructor<BertPreTrainedModel>>(Base: T, variant: BertVariant) {
  abstract class Variant extends Base {
    static parseConfig = variant.parseConfig;

    override get baseModelPrefix(): string {
      return variant.prefix;
    }

    override get architecture(): string {
      return variant.architecture(this.config, this.constructor.name);
    }

    override createBase(config: BertConfig, options: { pooler: boolean }): BertModel {
      return variant.createBase(config, options);
    }
  }
  return Variant;
}
