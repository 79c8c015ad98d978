/**
 * Exit codes a cluster engine acts on (sysexits.h values, which Slurm, Kubernetes pod failure
 * policies and AWS Batch retry strategies can all match on):
 * - 65 (EX_DATAERR): bad input — the inputs or manifest are not what was planned, a rule does not
 *   parse. Retrying cannot help; the index is failed.
 * - 75 (EX_TEMPFAIL): anything else (disk full, a worker or the filesystem failing, out of memory):
 *   infrastructure, worth retrying.
 * - 64 (EX_USAGE): a bad command line.
 * - 143: stopped by SIGTERM (pre-emption, time limit); the temp output is removed first.
 */
export const EXIT = { OK: 0, USAGE: 64, BAD_INPUT: 65, RETRYABLE: 75, SIGTERM: 143 } as const;

export class ShardError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'ShardError';
  }
}
