/**
 * Host-local ("shell") methods, answered by the web host or Electron main rather than the engine.
 * Mirror of core/host/shell.ts (the renderer may not import core/host); keep the two in step.
 */
import type { Transport } from '../../../core/api/contract.js';
import { ApiCallError } from '../../../core/api/client.js';

export interface ExampleFile {
  name: string;
  path: string;
  /** Bytes. */
  size: number;
}

export interface ShellInfo {
  host: 'web' | 'electron';
  examples: ExampleFile[];
  dialogs: boolean;
  downloads: boolean;
  recentProjects: string[];
}

export interface ShellMethods {
  'shell.info': [Record<string, never>, ShellInfo];
  /** Electron only: native open dialog; null when cancelled. */
  'shell.openFiles': [{ title?: string; filters?: { name: string; extensions: string[] }[]; multi?: boolean }, string[] | null];
  /** Electron only: native save dialog; null when cancelled. */
  'shell.saveFile': [{ title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] }, string | null];
  /** Electron only: switch the window to another project (created when missing); null when cancelled. */
  'shell.openProject': [{ path?: string; create?: boolean }, string | null];
}

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
