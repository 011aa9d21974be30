// The activation-code letter (« courrier sécurisé ») the manufacturer prints and posts to the holder,
// separately from the card: addressed to the holder at their unit, with the 6-digit single-use code
// and what to do with it (seed 001, « Remise et activation de la carte »).
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

export interface ActivationLetter {
  /** Holder, « Prénom NOM ». */
  holderName: string;
  /** Holder's unit (organisation name). */
  unit: string;
  /** Postal address of the unit, one line per line. */
  address: string;
  /** Card number (10 digits). */
  serial: string;
  /** The 6-digit activation code. */
  code: string;
  modelLabel: string;
  /** Letter reference, printed for follow-up. */
  reference: string;
  date: Date;
  /** A re-sent code: the previous one is void. */
  resent?: boolean;
}

// Standard PDF fonts speak WinAnsi: replace what it lacks (narrow spaces, typographic apostrophes are fine).
const winAnsi = (s: string) =>
  s.replace(/[\u202f\u00a0]/g, ' ').replace(/[^\n\u0020-\u00ff\u2019\u2018\u201c\u201d\u2013\u2014\u2022\u20ac]/g, '?');

export async function activationLetterPdf(l: ActivationLetter): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Code d'activation de la carte ${l.serial}`);
  doc.setLanguage('fr-FR');
  doc.setProducer('Cartes Agents');
  const page = doc.addPage([595.28, 841.89]); // A4
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  let y = 780;
  const line = (text: string, opts: { size?: number; font?: typeof regular; x?: number; gap?: number } = {}) => {
    const size = opts.size ?? 11;
    page.drawText(winAnsi(text), { x: opts.x ?? 60, y, size, font: opts.font ?? regular, color: rgb(0.1, 0.1, 0.15) });
    y -= opts.gap ?? size + 5;
  };
  line('Cartes Agents — courrier sécurisé', { font: bold, size: 10 });
  line(`Référence : ${l.reference}`, { size: 9 });
  line(
    `Le ${l.date.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' })}`,
    { size: 9, gap: 30 },
  );
  // Window address block.
  y = 700;
  line(l.holderName, { x: 320, font: bold });
  line(l.unit, { x: 320 });
  for (const part of l.address.split('\n').filter(Boolean)) line(part, { x: 320 });
  y = 590;
  line(
    l.resent
      ? "Objet : nouveau code d'activation de votre carte agent"
      : "Objet : code d'activation de votre carte agent",
    { font: bold, gap: 24 },
  );
  line(`Madame, Monsieur ${l.holderName},`, { gap: 22 });
  line(`Votre carte « ${l.modelLabel} » n° ${l.serial} a été fabriquée.`);
  line('Elle est envoyée séparément à votre responsable carte, qui vous invitera à venir la retirer.', { gap: 22 });
  line("Votre code d'activation à usage unique (6 chiffres) :", { gap: 30 });
  line(l.code.split('').join(' '), { font: bold, size: 28, x: 200, gap: 44 });
  if (l.resent) line('Ce code remplace le précédent, qui ne peut plus être utilisé.', { gap: 22 });
  line('Pour la remise et l’activation de votre carte, présentez-vous à votre responsable carte avec :', {
    font: bold,
  });
  line('•  votre pièce d’identité ;', { x: 75 });
  line('•  ce courrier contenant le code d’activation à 6 chiffres.', { x: 75, gap: 22 });
  line('Lors de l’activation, vous saisirez ce code, puis vous choisirez votre code PIN Global');
  line('(authentification) et votre code PIN Propre (signature), de 4 chiffres chacun.', { gap: 22 });
  line('Ne communiquez ce code à personne, pas même à votre responsable carte : vous le saisirez vous-même.');
  line('Ne le conservez pas avec votre carte. Cinq codes erronés le verrouillent : votre responsable carte');
  line("peut alors demander le renvoi d'un nouveau code par courrier ou par messagerie.", { gap: 30 });
  line('Ce courrier a été imprimé par le fabricant des cartes ; il ne peut pas être réimprimé à l’identique.', {
    size: 8,
  });
  // No yield every 50 objects (pdf-lib's default) and a plain cross-reference table: a letter is small and thousands are printed in a row.
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}
