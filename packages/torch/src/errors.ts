// The one error family of @tunelab/torch. Native code throws TorchError with libtorch's own message
// (shape mismatches, wrong devices, bad dtypes, out of memory): bad input never aborts the process.

export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A Tensor was used after dispose() (or after the scope that owned it ended). */
export class TensorDisposedError extends TorchError {
  constructor(operation: string) {
    super(`${operation}: tensor was disposed`);
  }
}

/** A safetensors / pytorch_model.bin file that cannot be read: names the file. */
export class CheckpointFormatError extends TorchError {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

/** A tensor name asked for that a checkpoint does not hold. */
export class TensorNotFoundError extends TorchError {
  constructor(readonly tensorName: string, readonly file: string) {
    super(`${file}: no tensor named '${tensorName}'`);
  }
}
