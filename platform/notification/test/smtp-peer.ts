// A real SMTP peer (smtp-server) that parses what it receives (mailparser), and can refuse the next
// messages with a transient or a permanent reply.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpPeer {
  url: string;
  received: ParsedMail[];
  /** DATA commands seen, refused ones included. */
  attempts: number;
  refuseNext(count: number, code: number): void;
  nextMail(timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const events = new EventEmitter();
  const received: ParsedMail[] = [];
  let refusals = 0;
  let refusalCode = 451;
  const peer = {
    attempts: 0,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        peer.attempts += 1;
        if (refusals > 0) {
          refusals -= 1;
          const err = Object.assign(new Error('Refused by the test peer'), { responseCode: refusalCode });
          callback(err);
          events.emit('refused');
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            received.push(mail);
            callback();
            events.emit('mail', mail);
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get attempts() {
      return peer.attempts;
    },
    refuseNext(count, code) {
      refusals = count;
      refusalCode = code;
    },
    nextMail(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no mail reached the SMTP peer')), timeoutMs);
        events.once('mail', (mail: ParsedMail) => {
          clearTimeout(timer);
          resolve(mail);
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
