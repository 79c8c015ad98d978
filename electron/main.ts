/**
 * Electron main process: one hardened window showing the built renderer over the `strata://app/`
 * scheme, one engine per open project, and IPC forwarding of the typed API (plus a few `shell.*`
 * methods for native dialogs and recent projects). Loaded through electron/boot.mjs (tsx).
 *
 * Hardening: contextIsolation, sandbox, no nodeIntegration, the same strict CSP as the web host
 * (sent as a response header by the scheme handler), no remote content (every request that is not
 * our scheme is cancelled), navigation and new windows blocked, permission requests denied, and
 * IPC accepted only from our own page.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApiResponse } from '../core/api/contract.js';
import type { Dispatcher } from '../core/api/dispatch.js';
import { createEngine } from '../core/engine.js';
import { ProjectSession } from '../core/host/session.js';
import { resolveStaticPath, staticHeaders } from '../core/host/static.js';
import { APP_DIR } from '../core/paths.js';
import { defaultExamplesDir, isShellMethod, listExamples, shellError, type ShellInfo } from '../core/host/shell.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './bridge.js';
import { PathGrants } from './path-grants.js';

const SCHEME = 'strata';
const ORIGIN = `${SCHEME}://app`;
// The checkout or app.asar, from the sources and the compiled build alike (core/paths.ts).
const ROOT = APP_DIR;
const RENDERER_DIR = path.join(ROOT, 'renderer', 'dist');
const PRELOAD = path.join(ROOT, 'out', 'electron', 'preload.cjs');
// Packaged: models/ and resources/ are extraResources beside app.asar; in a checkout, in the repo.
const RESOURCES_BASE = app.isPackaged ? process.resourcesPath : ROOT;
const MODELS_DIR = path.join(RESOURCES_BASE, 'models');
const RESOURCES_DIR = path.join(RESOURCES_BASE, 'resources');
const EXAMPLES_DIR = app.isPackaged ? path.join(RESOURCES_DIR, 'examples') : defaultExamplesDir;
const MAX_RECENT = 10;
// Paths reach the engine only from dialogs the user answered, the examples or the recent list.
const grants = new PathGrants([EXAMPLES_DIR]);

let win: BrowserWindow | null = null;
/** The open project: its engine, or a locked session waiting for the passphrase. */
let engine: ProjectSession | null = null;
let unsubscribe: (() => void) | null = null;
let projectFile: string | null = null;

// Must run before `ready`: a standard, secure scheme gets an origin, so 'self' in the CSP and
// relative URLs behave as on the web host.
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
]);

// ---- recent projects --------------------------------------------------------------------------

const recentFile = () => path.join(app.getPath('userData'), 'recent-projects.json');

function readRecent(): string[] {
  try {
    const v: unknown = JSON.parse(readFileSync(recentFile(), 'utf8'));
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function addRecent(file: string): void {
  const list = [file, ...readRecent().filter((f) => f !== file)].slice(0, MAX_RECENT);
  mkdirSync(path.dirname(recentFile()), { recursive: true });
  writeFileSync(recentFile(), JSON.stringify(list, null, 2));
}

// ---- engine -----------------------------------------------------------------------------------

async function openProject(file: string): Promise<void> {
  // An encrypted project opens locked: the page asks for its passphrase (project.unlock), as on the web host.
  const next = await ProjectSession.open(path.resolve(file), (passphrase) => createEngine({ projectFile: file, modelsDir: MODELS_DIR, resourcesDir: RESOURCES_DIR, passphrase }));
  if (engine) {
    unsubscribe?.();
    await engine.close();
  }
  engine = next;
  projectFile = path.resolve(file);
  unsubscribe = next.dispatcher.subscribe((event, payload) => {
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, payload);
  });
  addRecent(projectFile);
  win?.setTitle(`${path.basename(projectFile)} — Strata`);
}

function defaultProject(): string {
  const flag = process.argv.indexOf('--project');
  if (flag >= 0 && process.argv[flag + 1]) return path.resolve(process.argv[flag + 1]);
  const recent = readRecent().find((f) => existsSync(f));
  if (recent) return recent;
  const dir = path.join(app.getPath('documents'), 'Strata');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, 'My project.strata');
}

// ---- shell methods (native dialogs, recent projects) -------------------------------------------

const fileFilters = (v: unknown): Electron.FileFilter[] | undefined =>
  Array.isArray(v)
    ? v
      .filter((f): f is { name: string; extensions: string[] } => typeof f?.name === 'string' && Array.isArray(f?.extensions))
      .map((f) => ({ name: f.name, extensions: f.extensions.filter((e) => typeof e === 'string') }))
    : undefined;

async function handleShell(method: string, input: unknown): Promise<ApiResponse<unknown>> {
  const inp = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof inp[k] === 'string' ? (inp[k] as string) : undefined);
  switch (method) {
    case 'shell.info': {
      const value: ShellInfo = { host: 'electron', examples: await listExamples(EXAMPLES_DIR), dialogs: true, downloads: false, recentProjects: readRecent() };
      return { ok: true, value };
    }
    case 'shell.openFiles': {
      if (!win) return shellError('no window', 'INTERNAL');
      const r = await dialog.showOpenDialog(win, {
        title: str('title') ?? 'Open',
        properties: inp.multi === false ? ['openFile'] : ['openFile', 'multiSelections'],
        filters: fileFilters(inp.filters),
      });
      if (!r.canceled) grants.grantRead(r.filePaths);
      return { ok: true, value: r.canceled ? null : r.filePaths };
    }
    case 'shell.saveFile': {
      if (!win) return shellError('no window', 'INTERNAL');
      const r = await dialog.showSaveDialog(win, { title: str('title') ?? 'Save', defaultPath: str('defaultPath'), filters: fileFilters(inp.filters) });
      if (!r.canceled && r.filePath) grants.grantWrite(r.filePath);
      return { ok: true, value: r.canceled || !r.filePath ? null : r.filePath };
    }
    case 'shell.openProject': {
      let file = str('path');
      // A path from the page is accepted only if it is one of the recent projects the shell listed.
      if (file && !readRecent().includes(path.resolve(file))) {
        return shellError(`${file}: not a recent project; open other projects with File > Open Project…`, 'INVALID_INPUT');
      }
      if (!file) file = (await chooseProject(inp.create === true)) ?? undefined;
      if (!file) return { ok: true, value: null };
      await switchProject(file);
      return { ok: true, value: file };
    }
    default:
      return shellError(`unknown method '${method}'`);
  }
}

async function chooseProject(create: boolean): Promise<string | null> {
  if (!win) return null;
  const filters = [{ name: 'Strata project', extensions: ['strata'] }];
  if (create) {
    const r = await dialog.showSaveDialog(win, { title: 'New project', filters, defaultPath: path.join(app.getPath('documents'), 'Untitled.strata') });
    return r.canceled || !r.filePath ? null : r.filePath;
  }
  const r = await dialog.showOpenDialog(win, { title: 'Open project', filters, properties: ['openFile'] });
  return r.canceled ? null : r.filePaths[0] ?? null;
}

async function switchProject(file: string): Promise<void> {
  try {
    await openProject(file);
    win?.webContents.reload();
  } catch (err) {
    dialog.showErrorBox('Could not open the project', `${file}\n\n${(err as Error).message}`);
  }
}

// ---- window -----------------------------------------------------------------------------------

function isOurFrame(e: IpcMainInvokeEvent): boolean {
  const url = e.senderFrame?.url ?? '';
  return url.startsWith(`${ORIGIN}/`);
}

function navigateRenderer(view: string): void {
  win?.webContents.send(EVENT_CHANNEL, 'shell.navigate', { view });
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+Shift+N', click: async () => { const f = await chooseProject(true); if (f) await switchProject(f); } },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: async () => { const f = await chooseProject(false); if (f) await switchProject(f); } },
        { type: 'separator' },
        { label: 'Import…', accelerator: 'CmdOrCtrl+I', click: () => navigateRenderer('import') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => navigateRenderer('export') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Library', accelerator: 'CmdOrCtrl+1', click: () => navigateRenderer('library') },
        { label: 'Subgroups', accelerator: 'CmdOrCtrl+2', click: () => navigateRenderer('subgroups') },
        { label: 'Ranking', accelerator: 'CmdOrCtrl+3', click: () => navigateRenderer('ranking') },
        { label: 'Plots', accelerator: 'CmdOrCtrl+4', click: () => navigateRenderer('plots') },
        { type: 'separator' },
        { role: 'reload' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Strata',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = null;
  });
  if (projectFile) win.setTitle(`${path.basename(projectFile)} — Strata`);
  void win.loadURL(`${ORIGIN}/index.html#/start`);
}

function harden(): void {
  const ses = session.defaultSession;
  // Nothing leaves the machine: only our scheme (and in-page data:/blob: URLs) may load.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const allowed = u.startsWith(`${ORIGIN}/`) || u.startsWith('data:') || u.startsWith('blob:') || u.startsWith('devtools:');
    callback({ cancel: !allowed });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (ev, url) => {
      if (!url.startsWith(`${ORIGIN}/`)) ev.preventDefault();
    });
    contents.on('will-redirect', (ev, url) => {
      if (!url.startsWith(`${ORIGIN}/`)) ev.preventDefault();
    });
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  // Blob downloads (e.g. the import report CSV) ask where to save, as a browser would.
  ses.on('will-download', (_e, item) => item.setSaveDialogOptions({ title: 'Save' }));
}

async function serveStatic(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== 'app') return new Response('not found', { status: 404 });
  const file = resolveStaticPath(RENDERER_DIR, url.pathname);
  if (!file) return new Response('not found', { status: 404 });
  const s = await stat(file).catch(() => null);
  if (!s?.isFile()) {
    const msg = url.pathname === '/index.html'
      ? `The renderer is not built (${RENDERER_DIR}). Run \`npm run build\`.`
      : 'not found';
    return new Response(msg, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  const rel = path.relative(RENDERER_DIR, file).split(path.sep).join('/');
  return new Response(await readFile(file), { status: 200, headers: staticHeaders(rel) });
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  await app.whenReady();
  harden();
  protocol.handle(SCHEME, serveStatic);

  ipcMain.handle(INVOKE_CHANNEL, async (e, method: unknown, input: unknown): Promise<ApiResponse<unknown>> => {
    if (!isOurFrame(e)) return shellError('IPC from an unexpected frame was refused', 'INTERNAL');
    if (typeof method !== 'string') return shellError('method must be a string', 'INVALID_INPUT');
    try {
      if (isShellMethod(method)) return await handleShell(method, input);
      if (!engine) return { ok: false, error: { name: 'ShellError', code: 'NO_PROJECT', message: 'no project is open' } };
      const refused = grants.check(method, input);
      if (refused) return { ok: false, error: { name: 'ShellError', code: 'FORBIDDEN', message: refused } };
      const d: Dispatcher = engine.dispatcher;
      return await d.invoke(method, input);
    } catch (err) {
      return { ok: false, error: { name: 'ShellError', code: 'INTERNAL', message: (err as Error).message } };
    }
  });

  try {
    await openProject(defaultProject());
  } catch (err) {
    dialog.showErrorBox('Could not open the project', (err as Error).message);
  }
  buildMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (ev) => {
  // Close the engine cleanly (cancel jobs, stop workers, close SQLite) before exiting.
  if (quitting || !engine) return;
  ev.preventDefault();
  quitting = true;
  unsubscribe?.();
  engine.close().finally(() => app.quit());
});

void main();
