// The registry of task families: `--task` name → its family. Adding a task is a file implementing TaskFamily
// (types.ts) and one line in FAMILIES below.
import { maskedLanguageModeling, pretraining } from './mlm.js';
import { questionAnswering } from './qa.js';
import { sequenceClassification } from './sequence.js';
import { tokenClassification } from './token.js';
import type { HeadKind, TaskFamily, TaskSpec } from './types.js';

/** Every family, in the order `--task` help lists their tasks. */
const FAMILIES = [sequenceClassification, questionAnswering, tokenClassification, maskedLanguageModeling, pretraining] as const;

type NamesOf<F> = F extends TaskFamily<infer N> ? N : never;
export type TaskName = NamesOf<(typeof FAMILIES)[number]>;

export const TASK_NAMES = FAMILIES.flatMap((family) => [...family.names] as TaskName[]) as unknown as
  readonly [TaskName, ...TaskName[]];

const FAMILY_OF = new Map<string, TaskFamily>(FAMILIES.flatMap((family) =>
  family.names.map((name) => [name, family as unknown as TaskFamily] as const)));

/** The family that does `task`. */
export function familyOf(task: TaskName): TaskFamily<TaskName> {
  return FAMILY_OF.get(task)! as TaskFamily<TaskName>;
}

/** The family whose head is `head`, if one is registered. */
export function familyOfHead(head: HeadKind): TaskFamily<TaskName> | undefined {
  return FAMILIES.find((family) => family.head === head) as TaskFamily<TaskName> | undefined;
}

export function isTaskName(name: string): name is TaskName {
  return FAMILY_OF.has(name);
}

/** Heads by `architectures` name, for reading what a saved model folder is. */
export function headOfArchitecture(architecture: string | undefined): HeadKind | null {
  if (architecture === undefined) return null;
  return FAMILIES.find((family) => family.architecture.test(architecture))?.head ?? null;
}

export const TASKS = Object.fromEntries(TASK_NAMES.map((name) => [name, familyOf(name).spec(name)])) as Record<TaskName, TaskSpec>;
