// Telling a lost database connection from a wrong statement: the first is retried on a new connection.

/** PostgreSQL and socket errors that mean "the connection is gone", not "the statement is wrong". */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08xxx: connection exceptions; 57P01-03: admin/crash shutdown, cannot connect now.
    if (/^08|^57P0[123]$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  }
  return /Connection terminated|connection error and is not queryable|Client was closed and is not queryable/i.test(error.message);
}
