import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARD_SLOTS } from '../cards/card.ts';
import { CARD_MODELS, CARD_PROFILES, cardModelsOfPopulation, findCardModel, isCardProfile } from './card-model.ts';

test('the four models of the contract, 6 years, AUTH and SIGN at least', () => {
  assert.deepEqual(
    CARD_MODELS.map((m) => m.code),
    ['collectivites-2017', 'cims-agent', 'cims-exterieure', 'etat-agent'],
  );
  for (const m of CARD_MODELS) {
    assert.equal(m.cardYears, 6);
    assert.ok(m.profiles.includes('auth') && m.profiles.includes('sign'), m.code);
    assert.equal(new Set(m.profiles).size, m.profiles.length);
    assert.match(m.code, /^[a-z0-9-]+$/);
  }
  assert.deepEqual(findCardModel('cims-agent')?.profiles, ['auth', 'sign', 'enc']);
  assert.equal(
    findCardModel('collectivites-2017')?.label,
    'Carte pour les agents des collectivités territoriales 2017-2020',
  );
  assert.equal(findCardModel('collectivites-2017')?.population, 'collectivites');
  assert.equal(findCardModel('inconnu'), null);
  assert.deepEqual(
    cardModelsOfPopulation('armees').map((m) => m.code),
    ['cims-agent', 'cims-exterieure'],
  );
  assert.ok(isCardProfile('enc'));
  assert.equal(isCardProfile('ssl'), false);
});

test('profiles are the card slots', () => {
  assert.deepEqual([...CARD_PROFILES], [...CARD_SLOTS]);
});
