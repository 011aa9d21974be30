import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface MailMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
}

/** Delivers one message; returns the .eml file name when written to the mail folder. */
export interface Mailer {
  readonly transport: 'file' | 'smtp';
  deliver(message: MailMessage): Promise<{ fileName: string | null }>;
}

export interface MailConfig {
  from: string;
  smtpUrl: string | null;
  mailDir: string;
}

/** SMTP when configured; otherwise each mail becomes an .eml file in the data folder. */
export function createMailer(cfg: MailConfig): Mailer {
  if (cfg.smtpUrl) {
    const transporter = nodemailer.createTransport(cfg.smtpUrl);
    return {
      transport: 'smtp',
      async deliver(m) {
        await transporter.sendMail({
          from: cfg.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          messageId: `<${m.id}@cartes-agents>`,
        });
        return { fileName: null };
      },
    };
  }
  const streamer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    transport: 'file',
    async deliver(m) {
      const info = await streamer.sendMail({
        from: cfg.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.id}@cartes-agents>`,
      });
      await mkdir(cfg.mailDir, { recursive: true });
      const fileName = `${m.id}.eml`;
      await writeFile(join(cfg.mailDir, fileName), info.message as Buffer);
      return { fileName };
    },
  };
}
