// /connectivite — « Test de la connectivité »: portal ↔ server, portal ↔ card agent, agent ↔ reader,
// reader ↔ card; each link OK or KO with a French explanation of what to do.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { activeReader, CardAgentClient, storedAgentToken, storedAgentUrl } from '../../cardAgent.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { plural } from '../../format.ts';
import { usePageTitle } from '../../hooks.ts';

interface Check {
  link: string;
  ok: boolean | null;
  text: string;
}

const SKIPPED = 'Non testé : la liaison précédente est en défaut.';

async function runChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    await api.config();
    checks.push({ link: 'Portail ↔ serveur de la plateforme', ok: true, text: 'Le serveur de la plateforme répond.' });
  } catch (err) {
    checks.push({ link: 'Portail ↔ serveur de la plateforme', ok: false, text: errorMessage(err) });
  }

  const token = storedAgentToken();
  const url = storedAgentUrl();
  let client: CardAgentClient | null = null;
  let status: Awaited<ReturnType<CardAgentClient['status']>> | null = null;
  if (!token) {
    checks.push({
      link: 'Portail ↔ agent de carte',
      ok: false,
      text: `Ce navigateur n’est pas appairé avec l’agent de carte (${url}) : lancez l’agent sur ce poste, puis « Appairer l’agent de carte » avec le code qu’il affiche.`,
    });
  } else {
    client = new CardAgentClient(url, token);
    try {
      status = await client.status();
      checks.push({ link: 'Portail ↔ agent de carte', ok: true, text: `L’agent de carte répond à l’adresse ${url}.` });
    } catch (err) {
      checks.push({ link: 'Portail ↔ agent de carte', ok: false, text: errorMessage(err) });
    }
  }

  const reader = activeReader(status);
  if (!status) {
    checks.push({ link: 'Agent de carte ↔ lecteur', ok: null, text: SKIPPED });
  } else if (!reader) {
    checks.push({
      link: 'Agent de carte ↔ lecteur',
      ok: false,
      text: 'L’agent de carte ne détecte aucun lecteur : branchez le lecteur puis relancez le test.',
    });
  } else {
    checks.push({
      link: 'Agent de carte ↔ lecteur',
      ok: true,
      text: `${plural(status.readers.length, 'lecteur détecté', 'lecteurs détectés')} : ${status.readers.map((r) => `« ${r.name} »`).join(', ')}.`,
    });
  }

  if (!client || !reader) {
    checks.push({ link: 'Lecteur ↔ carte', ok: null, text: SKIPPED });
  } else if (!reader.card) {
    checks.push({
      link: 'Lecteur ↔ carte',
      ok: false,
      text: reader.error
        ? `La carte du lecteur « ${reader.name} » est illisible : ${reader.error.message}`
        : `Aucune carte dans le lecteur « ${reader.name} » : veuillez insérer le support, puis relancez le test.`,
    });
  } else {
    try {
      const card = await client.card(reader.name);
      const certs = Array.isArray(card.certificates) ? card.certificates.length : 0;
      checks.push({
        link: 'Lecteur ↔ carte',
        ok: true,
        text: `Carte n° ${card.serial ?? reader.card.serial} lue${reader.card.holder ? ` (porteur : ${reader.card.holder})` : ''} : ${plural(certs, 'certificat', 'certificats')}.`,
      });
    } catch (err) {
      checks.push({ link: 'Lecteur ↔ carte', ok: false, text: errorMessage(err) });
    }
  }
  return checks;
}

export function ConnectivityPage() {
  const headingRef = usePageTitle('Test de la connectivité');
  const agent = useCardAgent();
  const [checks, setChecks] = useState<Check[] | null>(null);
  const [running, setRunning] = useState(false);

  const run = useCallback(async () => {
    setRunning(true);
    try {
      setChecks(await runChecks());
    } finally {
      setRunning(false);
    }
  }, []);

  useEffect(() => {
    void run();
  }, [run, agent.paired]);

  const failed = checks?.filter((c) => c.ok === false).length ?? 0;

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Test de la connectivité
      </h1>
      <p>
        Ce test vérifie chaque liaison entre ce navigateur, la plateforme, l’agent de carte de ce poste, le lecteur et
        la carte.
      </p>
      <div role="status" className="fr-mb-2w">
        {running ? (
          <Loading label="Test en cours…" />
        ) : checks ? (
          <p className="fr-mb-0">
            {failed === 0
              ? 'Toutes les liaisons fonctionnent.'
              : `${plural(failed, 'liaison en défaut', 'liaisons en défaut')}.`}
          </p>
        ) : null}
      </div>
      {checks && (
        <DataTable
          caption="Résultat du test de la connectivité"
          hideCaption
          multiline
          headers={['Liaison', 'Résultat', 'Explication']}
          rowHeader
          rows={checks.map((c) => [
            c.link,
            c.ok === null ? (
              <Badge small noIcon>
                Non testé
              </Badge>
            ) : c.ok ? (
              <Badge small severity="success">
                OK
              </Badge>
            ) : (
              <Badge small severity="error">
                KO
              </Badge>
            ),
            c.text,
          ])}
        />
      )}
      <Button
        iconId="fr-icon-refresh-line"
        priority="secondary"
        disabled={running}
        onClick={() => void run()}
        className="fr-mb-4w"
      >
        Relancer le test
      </Button>
      <ReaderPanel />
    </>
  );
}
