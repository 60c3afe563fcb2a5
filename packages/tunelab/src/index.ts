// Public API of tunelab. Each capability folder re-exports its own public surface here.
export {};
