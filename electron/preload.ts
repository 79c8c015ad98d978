/**
 * Preload (runs sandboxed, bundled to CommonJS by launch.mjs/package.mjs): exposes `window.strata`
 * with exactly two functions. Nothing else of Node or Electron reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiResponse } from '../core/api/contract.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type StrataBridge } from './bridge.js';

const bridge = {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke(INVOKE_CHANNEL, method, input) as Promise<ApiResponse<unknown>>,
  subscribe: (listener: (event: string, payload: unknown) => void) => {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
} satisfies StrataBridge;

contextBridge.exposeInMainWorld('strata', bridge);
