// Seed 000: who keeps the card when leaving (generals and general controllers of the 2nd section,
// reservists between periods of service), in the words the sources and HR feeds use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepsCardOnDeparture } from '../../src/app/desk/card-incidents.ts';

test('generals and general controllers of the 2nd section and reservists keep their card; others give it back', () => {
  for (const c of [
    'Général de 2e section',
    'deuxième section des officiers généraux',
    'Contrôleur général, 2ème section',
    'Réserviste opérationnel',
  ])
    assert.equal(keepsCardOnDeparture(c), true, c);
  for (const c of ['Officier', 'Général', 'Sous-officier', '2e section', null])
    assert.equal(keepsCardOnDeparture(c), false, String(c));
});
