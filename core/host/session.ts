/**
 * A host's project, possibly still locked: `strata serve` or the desktop app on an encrypted project
 * without its passphrase starts with a locked session. Its dispatcher answers every method with
 * PASSPHRASE_REQUIRED except `project.unlock`, which opens the engine with the passphrase given (a
 * wrong one answers WRONG_PASSPHRASE and leaves it locked); from then on every call goes to the engine.
 * The dispatcher and its events stay the same object throughout, so the host needs no restart.
 */
import type { ApiResponse } from '../api/contract.js';
import type { Dispatcher } from '../api/dispatch.js';
import { EventHub } from '../api/dispatch.js';
import { ApiError, toErrorShape } from '../api/errors.js';
import { inputSchemas } from '../api/schemas.js';
import type { Engine } from '../engine.js';
import { lockedError, looksEncrypted } from '../store/crypt.js';

export type OpenEngine = (passphrase: string | undefined) => Promise<Engine>;

export class ProjectSession {
  readonly events = new EventHub();
  readonly dispatcher: Dispatcher;
  private current: Engine | null = null;
  private unlocking: Promise<Engine> | null = null;
  private relay: (() => void) | null = null;
  private listeners: ((engine: Engine) => void)[] = [];

  private constructor(
    readonly projectFile: string,
    private openEngine: OpenEngine,
  ) {
    this.dispatcher = {
      invoke: (method, input) => this.invoke(method, input),
      subscribe: (listener) => this.events.subscribe(listener),
    };
  }

  /**
   * Opens the project now when it can (plain, or a passphrase given); an encrypted project without a
   * passphrase gives a locked session. A wrong passphrase given here throws, as opening would.
   */
  static async open(projectFile: string, openEngine: OpenEngine, passphrase?: string): Promise<ProjectSession> {
    const s = new ProjectSession(projectFile, openEngine);
    if (passphrase !== undefined || !looksEncrypted(projectFile)) s.attach(await openEngine(passphrase));
    return s;
  }

  get engine(): Engine | null {
    return this.current;
  }

  get locked(): boolean {
    return this.current === null;
  }

  /** Called once the project is open (at once for a session that started unlocked). */
  onUnlocked(fn: (engine: Engine) => void): void {
    if (this.current) fn(this.current);
    else this.listeners.push(fn);
  }

  private attach(engine: Engine): void {
    this.current = engine;
    this.relay = engine.dispatcher.subscribe((event, payload) => this.events.emit(event, payload));
    for (const fn of this.listeners.splice(0)) fn(engine);
  }

  private async invoke(method: string, input: unknown): Promise<ApiResponse<unknown>> {
    if (this.current) return this.current.dispatcher.invoke(method, input);
    if (method !== 'project.unlock') return { ok: false, error: toErrorShape(lockedError(this.projectFile, false)) };
    const parsed = inputSchemas['project.unlock'].safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: toErrorShape(new ApiError('INVALID_INPUT', "invalid input for 'project.unlock': give { passphrase }")) };
    try {
      // Two unlocks at once (two tabs): the second waits for the first rather than opening twice.
      this.unlocking ??= this.openEngine(parsed.data.passphrase);
      const engine = await this.unlocking;
      if (!this.current) this.attach(engine);
      return { ok: true, value: { project: this.projectFile, encrypted: engine.store.encrypted } };
    } catch (err) {
      return { ok: false, error: toErrorShape(err) };
    } finally {
      this.unlocking = null;
    }
  }

  async close(): Promise<void> {
    this.relay?.();
    const pending = this.unlocking;
    if (pending) await pending.then((e) => (this.current === e ? undefined : e.close()), () => undefined);
    await this.current?.close();
  }
}
