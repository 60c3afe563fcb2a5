// Paths to ../shared (real data sets and the bert-base-uncased tokenizer files), read in place, never copied.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SHARED = path.resolve(REPO_ROOT, '../shared');
export const GLUE_DIR = path.join(SHARED, 'data/glue');
export const SQUAD_DIR = path.join(SHARED, 'data/squad');
export const BERT_DIR = path.join(SHARED, 'data/models/bert-base-uncased');
