/**
 * Host-local ("shell") methods, answered by the web host or Electron main rather than the engine.
 * The types are in core/api/contract.ts, shared with the hosts.
 */
import type { ShellMethods, Transport } from '../../../core/api/contract.js';

export type { ExampleFile, ShellInfo, ShellMethods } from '../../../core/api/contract.js';
import { ApiCallError } from '../../../core/api/client.js';

export interface ShellClient {
  call<M extends keyof ShellMethods>(method: M, input: ShellMethods[M][0]): Promise<ShellMethods[M][1]>;
}

export function createShell(transport: Transport): ShellClient {
  return {
    async call(method, input) {
      const res = await transport.invoke(method, input);
      if (!res.ok) throw new ApiCallError(method, res.error);
      return res.value as never;
    },
  };
}
