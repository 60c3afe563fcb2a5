// One base class for "your input was wrong" and one mapping to exit codes: every input error of every area is an
// InputError (exit 2); anything else, including plain Errors and non-Error throws, is a bug or a failure (exit 1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommanderError, InvalidArgumentError } from 'commander';
import { InputError, exitCodeOf } from '../src/errors.js';
import { DataError } from '../src/data/errors.js';
import { EnvContractError } from '../src/distributed/env.js';
import { LaunchConfigError, RankFailedError } from '../src/distributed/launcher.js';
import { HubNetworkError, HubNotFoundError, HubOfflineError } from '../src/hub/errors.js';
import { MetricInputError } from '../src/metrics/errors.js';
import { ConfigError, ModelError, ModelInputError, StateDictError, UnsupportedModelError, WeightsError } from '../src/models/errors.js';
import { ServeError } from '../src/server/serve.js';
import { ControllerBusyError } from '../src/sweep/controller.js';
import { GpuShortageError } from '../src/sweep/gpus.js';
import { SpecError } from '../src/sweep/spec.js';
import { TokenizerError } from '../src/tokenizers/errors.js';
import { DuplicateError, NotFoundError, RunFinishedError, StoreError, StoreInputError } from '../src/track/errors.js';
import { TrainConfigError, TrainInputError } from '../src/train/errors.js';

const inputErrors: Error[] = [
  new TrainConfigError('--epochs: expected a number'), new TrainInputError('train.csv: no training examples'),
  new DataError('train.tsv:3', 'label "9" is not one of 0, 1'), new ModelError('m'), new ConfigError('config.json: x'),
  new UnsupportedModelError('u'), new WeightsError('w'), new StateDictError(['a'], []), new ModelInputError('too long'),
  new TokenizerError('t'), new HubNotFoundError('bert', 'not found'), new HubOfflineError('bert', 'offline'),
  new HubNetworkError('bert', 'unreachable'), new StoreError('s'), new StoreInputError('--store x: bad'),
  new NotFoundError('run', '01H'), new RunFinishedError('01H', 'completed'), new DuplicateError('experiment', 'e'),
  new MetricInputError('lengths differ'), new SpecError('spec.yml', 3, 'search_space', 'bad'),
  new ControllerBusyError('busy'), new GpuShortageError('3 GPUs per trial, 2 here'), new LaunchConfigError('--nnodes'),
  new EnvContractError('RANK'), new ServeError('--port'), new InvalidArgumentError('expected an integer ≥ 1'),
];

test('every input error class maps to exit code 2 and is an InputError (commander\'s parse errors too)', () => {
  for (const error of inputErrors) {
    assert.equal(exitCodeOf(error), 2, `${error.name}: ${error.message}`);
    if (!(error instanceof CommanderError)) assert.ok(error instanceof InputError, `${error.name} extends InputError`);
  }
});

test('anything unexpected maps to exit code 1', () => {
  const rankFailed = new RankFailedError({ rank: 1, localRank: 1, nodeRank: 0 }, 1, null, 'CUDA error');
  for (const error of [new Error('boom'), new TypeError('x is undefined'), new RangeError('r'), rankFailed, 'a string', undefined, null, { message: 'fake' }]) {
    assert.equal(exitCodeOf(error), 1, String(error));
  }
});

test('the class keeps its own name and message (callers print error.message as the one line)', () => {
  const error = new DataError('dev.tsv:4', 'label "9" is not one of 0, 1');
  assert.equal(error.name, 'DataError');
  assert.equal(error.message, 'dev.tsv:4: label "9" is not one of 0, 1');
});
