// A synthetic paraphrase corpus for the demo: sentence pairs from a small grammar ("the big dog chased the old cat
// yesterday ."), label 1 when the second sentence says the same thing in other words (synonyms, passive voice, a fronted
// adverb) and 0 when its meaning changed (negated with "never"; another noun, verb or adjective; roles swapped). Written as
// MRPC-format TSVs with a WordPiece vocabulary trained on it, so the whole pipeline runs without downloads.
// Everything is a function of the seed.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '../tokenizers/tokenizer.js';
import { trainWordPiece } from '../tokenizers/wordpiece-trainer.js';
import { Rng } from './rng.js';

/** Each concept lists words with the same meaning. Verbs: [past tense, past participle]. */
const NOUNS = [
  ['dog', 'hound'], ['car', 'automobile'], ['doctor', 'physician'], ['child', 'kid'], ['house', 'home'],
  ['teacher', 'instructor'], ['lawyer', 'attorney'], ['boat', 'ship'], ['student', 'pupil'], ['town', 'village'],
  ['film', 'movie'], ['gift', 'present'], ['road', 'street'], ['stone', 'rock'], ['shop', 'store'],
  ['chef', 'cook'], ['sofa', 'couch'], ['mistake', 'error'], ['reply', 'answer'], ['lady', 'woman'],
];
const VERBS: [string, string][][] = [
  [['bought', 'bought'], ['purchased', 'purchased']], [['fixed', 'fixed'], ['repaired', 'repaired']],
  [['helped', 'helped'], ['assisted', 'assisted']], [['chose', 'chosen'], ['selected', 'selected']],
  [['built', 'built'], ['constructed', 'constructed']], [['liked', 'liked'], ['enjoyed', 'enjoyed']],
  [['saw', 'seen'], ['noticed', 'noticed']], [['called', 'called'], ['phoned', 'phoned']],
  [['hid', 'hidden'], ['concealed', 'concealed']], [['ended', 'ended'], ['finished', 'finished']],
  [['tore', 'torn'], ['ripped', 'ripped']], [['hit', 'hit'], ['struck', 'struck']],
];
const ADJECTIVES = [
  ['big', 'large'], ['small', 'little'], ['quick', 'fast'], ['happy', 'glad'], ['smart', 'clever'],
  ['angry', 'furious'], ['quiet', 'silent'], ['rich', 'wealthy'], ['sick', 'ill'], ['odd', 'strange'],
  ['tired', 'weary'], ['brave', 'bold'],
];
const ADVERBS = [
  ['yesterday', 'the day before'], ['quickly', 'rapidly'], ['recently', 'lately'], ['often', 'frequently'],
  ['carefully', 'cautiously'], ['suddenly', 'abruptly'], ['quietly', 'silently'], ['finally', 'eventually'],
];

/** A meaning: which concept fills each slot. */
interface Meaning {
  subject: number;
  subjectAdjective: number;
  verb: number;
  object: number;
  objectAdjective: number;
  adverb: number;
  /** "never" before the verb. */
  negated: boolean;
}

export interface ParaphrasePair {
  label: 0 | 1;
  sentence1: string;
  sentence2: string;
}

/**
 * `count` distinct pairs, about half paraphrases. `rewordRate` is the probability that each surface choice of the
 * second sentence (a slot's synonym, the voice, the adverb's place) is drawn afresh rather than copied from the
 * first sentence: 1 rewords both sentences freely (the hard task: every synonym must be learnt from the labels),
 * smaller values keep paraphrases closer to their source (an easier task, for the one-minute CPU demo).
 */
export function generateParaphrasePairs(seed: number, count: number, rewordRate = 1): ParaphrasePair[] {
  const rng = new Rng(seed, 0x5eed);
  const pairs: ParaphrasePair[] = [];
  const seen = new Set<string>();
  while (pairs.length < count) {
    const meaning = randomMeaning(rng);
    const label = rng.below(2) as 0 | 1;
    const other = label === 1 ? meaning : changedMeaning(rng, meaning);
    const surface = randomSurface(rng);
    const pair = { label, sentence1: render(meaning, surface), sentence2: render(other, reworded(rng, surface, rewordRate)) };
    const key = `${pair.sentence1}\t${pair.sentence2}`;
    if (pair.sentence1 === pair.sentence2 || seen.has(key)) continue;
    seen.add(key);
    pairs.push(pair);
  }
  return pairs;
}

export interface SyntheticCorpusOptions {
  seed?: number;
  trainSize?: number;
  devSize?: number;
  /** WordPiece vocabulary size, special tokens included. Default 200 (smaller than the word list: sub-words show). */
  vocabSize?: number;
  /** See `generateParaphrasePairs`. Default 1. */
  rewordRate?: number;
}

export interface SyntheticCorpusFiles {
  train: string;
  dev: string;
  /** A tokenizer folder (tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json). */
  tokenizer: string;
}

/** Writes `dir`/train.tsv, `dir`/dev.tsv (MRPC format) and `dir`/tokenizer/, each file atomically. */
export async function writeSyntheticParaphraseCorpus(dir: string, options: SyntheticCorpusOptions = {}):
  Promise<SyntheticCorpusFiles> {
  const trainSize = options.trainSize ?? 3000;
  const devSize = options.devSize ?? 400;
  const pairs = generateParaphrasePairs(options.seed ?? 42, trainSize + devSize, options.rewordRate ?? 1);
  const train = pairs.slice(0, trainSize);
  await mkdir(dir, { recursive: true });
  const files = { train: path.join(dir, 'train.tsv'), dev: path.join(dir, 'dev.tsv'), tokenizer: path.join(dir, 'tokenizer') };
  await writeAtomically(files.train, mrpcTsv(train, 1));
  await writeAtomically(files.dev, mrpcTsv(pairs.slice(trainSize), 1 + 2 * trainSize));
  const vocab = trainWordPiece(train.flatMap((pair) => [pair.sentence1, pair.sentence2]), { vocabSize: options.vocabSize ?? 200 });
  const tokenizer = await Tokenizer.fromWordPieceVocab(vocab, { lowercase: true, modelMaxLength: 64 });
  await tokenizer.savePretrained(files.tokenizer);
  return files;
}

function mrpcTsv(pairs: ParaphrasePair[], firstId: number): string {
  const lines = ['Quality\t#1 ID\t#2 ID\t#1 String\t#2 String'];
  pairs.forEach((pair, i) => {
    lines.push([pair.label, firstId + 2 * i, firstId + 2 * i + 1, pair.sentence1, pair.sentence2].join('\t'));
  });
  return lines.join('\n') + '\n';
}

function randomMeaning(rng: Rng): Meaning {
  const subject = rng.below(NOUNS.length);
  let object = rng.below(NOUNS.length - 1);
  if (object >= subject) object++;
  return {
    subject, object, verb: rng.below(VERBS.length), adverb: rng.below(ADVERBS.length),
    subjectAdjective: rng.below(ADJECTIVES.length), objectAdjective: rng.below(ADJECTIVES.length),
    negated: rng.below(5) === 0,
  };
}

/**
 * The same sentence shape with a different meaning: half the time the negation flips ("never"), otherwise one slot
 * gets another concept or the roles swap. Negation is the part a small model picks up within a minute; the rest
 * needs the synonym table learnt from the labels.
 */
function changedMeaning(rng: Rng, meaning: Meaning): Meaning {
  const changed = { ...meaning };
  if (rng.below(2) === 0) return { ...changed, negated: !meaning.negated };
  const otherThan = (current: number, size: number) => (current + 1 + rng.below(size - 1)) % size;
  switch (rng.below(6)) {
    case 0: changed.subject = otherThan(meaning.subject, NOUNS.length); break;
    case 1: changed.object = otherThan(meaning.object, NOUNS.length); break;
    case 2: changed.verb = otherThan(meaning.verb, VERBS.length); break;
    case 3: changed.subjectAdjective = otherThan(meaning.subjectAdjective, ADJECTIVES.length); break;
    case 4: changed.objectAdjective = otherThan(meaning.objectAdjective, ADJECTIVES.length); break;
    default:
      Object.assign(changed, {
        subject: meaning.object, object: meaning.subject,
        subjectAdjective: meaning.objectAdjective, objectAdjective: meaning.subjectAdjective,
      });
  }
  if (changed.subject === changed.object) changed.object = otherThan(changed.subject, NOUNS.length);
  return changed;
}

/** How a meaning is worded: which synonym fills each slot, the voice, where the adverb goes. */
interface Surface {
  subject: number;
  subjectAdjective: number;
  verb: number;
  object: number;
  objectAdjective: number;
  adverb: number;
  passive: boolean;
  adverbFirst: boolean;
}

/** Synonym choices are indices into each concept's list; every concept has two wordings. */
function randomSurface(rng: Rng): Surface {
  return {
    subject: rng.below(2), subjectAdjective: rng.below(2), verb: rng.below(2), object: rng.below(2),
    objectAdjective: rng.below(2), adverb: rng.below(2), passive: rng.below(2) === 1, adverbFirst: rng.below(3) === 0,
  };
}

/** A copy of `surface` in which each choice is drawn afresh with probability `rate`. */
function reworded(rng: Rng, surface: Surface, rate: number): Surface {
  const fresh = randomSurface(rng);
  const keys = Object.keys(surface) as (keyof Surface)[];
  const result = { ...surface };
  for (const key of keys) if (rng.float() < rate) (result as Record<keyof Surface, number | boolean>)[key] = fresh[key];
  return result;
}

/** The sentence for a meaning in a given wording. */
function render(meaning: Meaning, surface: Surface): string {
  const subject = `the ${ADJECTIVES[meaning.subjectAdjective][surface.subjectAdjective]} ${NOUNS[meaning.subject][surface.subject]}`;
  const object = `the ${ADJECTIVES[meaning.objectAdjective][surface.objectAdjective]} ${NOUNS[meaning.object][surface.object]}`;
  const [past, participle] = VERBS[meaning.verb][surface.verb];
  const adverb = ADVERBS[meaning.adverb][surface.adverb];
  const never = meaning.negated ? 'never ' : '';
  const clause = surface.passive ? `${object} was ${never}${participle} by ${subject}` : `${subject} ${never}${past} ${object}`;
  return surface.adverbFirst ? `${adverb} , ${clause} .` : `${clause} ${adverb} .`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}
