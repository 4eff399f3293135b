import type { SFTPWrapper, Stats } from 'ssh2';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import { inferFileSchema } from '../files/infer-file-schema';
import type { FileListing, FileSchema, FilesRequest, IntrospectionContext } from '../introspection/types';
import { reachTarget } from '../probes/reach';
import { messageOf, secretScrubber, StageFailure, TestRun } from '../probes/test-run';
import { listSftpFiles, openSftpFile, SftpRangeReader } from './sftp-files';
import { normalRoot } from './sftp-paths';
import { SFTP_EOF, SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED, sftpFailure, SftpLink, type SftpChannel } from './sftp-session';
import {
  callback,
  classifySshError,
  ConnectionClosed,
  reportUnpinnedHostKey,
  sshSettingsOf,
  startSsh,
  type SshSession,
  type SshSettings,
} from './ssh-connection';

export { loadPrivateKey } from './ssh-keys';
export { sshFingerprintOf } from './ssh-connection';

/** Directory entries counted at most; a huge root should not cost the whole deadline. */
export const MAX_COUNTED_ENTRIES = 10_000;

/** Opens the SFTP subsystem, checks that `rootPath` is a directory and counts its entries. */
async function countRootEntries(session: SshSession, rootPath: string, where: string): Promise<{ entries: number; truncated: boolean }> {
  const sftp = await session.whileConnected(new Promise<SFTPWrapper>((resolve, reject) => session.client.sftp(callback(resolve, reject))));
  try {
    const stats = await session.whileConnected(new Promise<Stats>((resolve, reject) => sftp.stat(rootPath, callback(resolve, reject))));
    if (!stats.isDirectory()) throw new StageFailure({ code: 'NOT_FOUND', message: `${rootPath} on ${where} is not a directory.` });
    const handle = await session.whileConnected(
      new Promise<Buffer>((resolve, reject) => sftp.opendir(rootPath, callback(resolve, reject))),
    );
    let entries = 0;
    try {
      while (entries < MAX_COUNTED_ENTRIES) {
        const batch = await session.whileConnected(
          new Promise<unknown[] | undefined>((resolve, reject) =>
            sftp.readdir(handle, (error, list) => {
              if ((error as { code?: unknown } | undefined)?.code === SFTP_EOF) resolve(undefined);
              else callback(resolve, reject)(error, list);
            }),
          ),
        );
        if (!batch) return { entries, truncated: false };
        entries += batch.length;
      }
      return { entries: MAX_COUNTED_ENTRIES, truncated: true };
    } finally {
      sftp.close(handle, () => undefined);
    }
  } finally {
    sftp.end();
  }
}
// ---- the connector ---------------------------------------------------------------------------

export class SftpConnector implements Connector {
  readonly type = 'sftp' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const settings = sshSettingsOf(connection);
    const { host, port, username, rootPath, where } = settings;
    const run = new TestRun('ssh2', secretScrubber(connection.secrets));
    const details: Record<string, string | number | boolean> = {};
    let session: SshSession | undefined;
    /** Stops decrypting the key when the test ends early (e.g. on a host key mismatch). */
    const keyWork = new AbortController();
    const stop = (): void => session?.abort();
    context.signal.addEventListener('abort', stop, { once: true });
    const classifySsh = (error: unknown, during: 'handshake' | 'authentication') =>
      classifySshError(error, during, session, settings, context.signal);

    try {
      const target = await reachTarget(run, context, host, port);
      const { ssh, methods } = await run.stage(
        'ssh',
        async () => {
          const started = startSsh(settings, target, {
            keySignal: AbortSignal.any([context.signal, keyWork.signal]),
            readyTimeoutMs: context.remainingMs(),
            onHostKey: (fingerprint) => (details.hostKeyFingerprint = fingerprint),
          });
          session = started.ssh;
          await started.ssh.handshake.promise;
          return started;
        },
        (error) => classifySsh(error, 'handshake'),
      );
      await run.stage(
        'auth',
        async () => {
          if (!(await methods).length) {
            throw new StageFailure({ code: 'AUTH_FAILED', message: 'Neither a password nor a private key is set.' });
          }
          await ssh.ready.promise;
        },
        (error) => classifySsh(error, 'authentication'),
      );
      const listing = await run.stage(
        'path',
        () => countRootEntries(ssh, rootPath, where),
        (error) => {
          const code = (error as { code?: unknown } | null)?.code;
          if (code === SFTP_NO_SUCH_FILE) return { code: 'NOT_FOUND', message: `${rootPath} does not exist on ${where}.` };
          if (code === SFTP_PERMISSION_DENIED) {
            return { code: 'PERMISSION_DENIED', message: `User "${username}" may not read ${rootPath} on ${where}.` };
          }
          if (context.signal.aborted) return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
          if (error instanceof ConnectionClosed) return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection during SFTP.` };
          return { code: 'PROTOCOL_ERROR', message: `SFTP on ${where} failed: ${messageOf(error)}` };
        },
      );
      details.entries = listing.entries;
      if (listing.truncated) details.entriesTruncated = true;
      const count = listing.truncated ? `more than ${MAX_COUNTED_ENTRIES} entries` : `${listing.entries} entries`;
      return run.succeed(`Connected to ${where} as ${username}; ${rootPath} holds ${count}.`, ssh.serverVersion, { ...details });
    } catch (error) {
      return run.fail(error, Object.keys(details).length ? { ...details } : undefined);
    } finally {
      context.signal.removeEventListener('abort', stop);
      keyWork.abort();
      session?.close();
    }
  }

  /** One directory under rootPath, paged by name (see sftp-files.ts for the rules). */
  listFiles(connection: ResolvedConnection, context: IntrospectionContext, request: FilesRequest): Promise<FileListing> {
    return this.withChannel(connection, context, `Directory "${request.prefix}"`, (channel, settings) =>
      listSftpFiles(channel, normalRoot(settings.rootPath), request),
    );
  }

  /** Opens the file, lets the format code read its head or footer through positioned reads, closes it. */
  inferFileSchema(connection: ResolvedConnection, context: IntrospectionContext, path: string): Promise<FileSchema> {
    return this.withChannel(connection, context, `File "${path}"`, async (channel, settings) => {
      const file = await openSftpFile(channel, normalRoot(settings.rootPath), path);
      try {
        return await inferFileSchema(path, new SftpRangeReader(channel, file.handle, file.size));
      } finally {
        channel.release(file.handle);
      }
    });
  }

  /** Runs `work` on the cached SFTP session of this connection version; errors become AppErrors. */
  private async withChannel<R>(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    what: string,
    work: (channel: SftpChannel, settings: SshSettings) => Promise<R>,
  ): Promise<R> {
    const settings = sshSettingsOf(connection);
    const scrub = secretScrubber(connection.secrets);
    const open = async () => {
      const link = await SftpLink.open(settings, scrub, context);
      return { client: link, close: () => link.close() };
    };
    try {
      return await context.session('', open, (link) =>
        link.run(context, (channel) => {
          reportUnpinnedHostKey(context, settings, channel.ssh);
          return work(channel, settings);
        }),
      );
    } catch (error) {
      throw sftpFailure(error, settings, scrub, what);
    }
  }
}
