/**
 * Where the CLI gets a project's passphrase: `--passphrase-file FILE` (its first line), else the file
 * named by STRATA_PASSPHRASE_FILE, else — for an encrypted project, when stdin is a terminal — a prompt
 * that does not echo. The passphrase is passed to the engine in memory only: never printed, logged, put
 * in provenance or in a child process's arguments or environment.
 */
import { looksEncrypted, readPassphraseFile } from '../store/crypt.js';

export const PASSPHRASE_ENV = 'STRATA_PASSPHRASE_FILE';

/** Reads one line from a terminal without echoing it (Ctrl-C aborts, Backspace edits). */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode?.(true);
    input.resume();
    input.setEncoding('utf8');
    let value = '';
    const done = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode?.(wasRaw ?? false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new Error('cancelled at the passphrase prompt'));
        if (ch === '\u0004' && value === '') return done(new Error('no passphrase given'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

export interface PassphraseSource {
  /** `--passphrase-file` as given. */
  file?: string;
  /** Ask on the terminal when nothing else gives one (default: when stdin is a TTY). */
  interactive?: boolean;
}

/**
 * The passphrase for opening `project`, or undefined (a plain project, or an encrypted one with no way
 * to ask: the open then fails with PASSPHRASE_REQUIRED, naming the options).
 */
export async function passphraseFor(project: string, src: PassphraseSource): Promise<string | undefined> {
  const file = src.file ?? process.env[PASSPHRASE_ENV];
  if (file) return readPassphraseFile(file);
  const interactive = src.interactive ?? !!process.stdin.isTTY;
  if (interactive && looksEncrypted(project)) {
    const p = await promptHidden(`Passphrase for ${project}: `);
    return p === '' ? undefined : p;
  }
  return undefined;
}

/** A new passphrase (`strata encrypt`): from the file, or typed twice at the terminal. */
export async function newPassphrase(src: PassphraseSource): Promise<string | undefined> {
  const file = src.file ?? process.env[PASSPHRASE_ENV];
  if (file) return readPassphraseFile(file);
  if (!(src.interactive ?? !!process.stdin.isTTY)) return undefined;
  const a = await promptHidden('New passphrase: ');
  const b = await promptHidden('Repeat it: ');
  if (a !== b) throw new Error('the two passphrases differ: nothing was changed');
  return a === '' ? undefined : a;
}
