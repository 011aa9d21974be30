import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { birthDateCombinations, personalCodeFaults, pinFaults, secretAnswersFaults } from './pin-policy.ts';

const BORN = '1980-06-05';
const codes = (pin: string, confirm = pin) => pinFaults(pin, confirm, BORN).map((f) => f.code);

test('PIN rules of the guide: 4 digits, no run, no year, no part of the birth date, both entries equal', () => {
  assert.deepEqual(codes('7395'), []);
  assert.deepEqual(codes('123'), ['format']);
  assert.deepEqual(codes('12a4'), ['format']);
  assert.deepEqual(codes('1234'), ['run']);
  assert.deepEqual(codes('4321'), ['run']);
  assert.deepEqual(codes('1975'), ['year']);
  assert.deepEqual(codes('1980'), ['year', 'birth_date']);
  assert.deepEqual(codes('2010'), ['year']);
  assert.deepEqual(codes('0506'), ['birth_date']);
  assert.deepEqual(codes('0680'), ['birth_date']);
  assert.deepEqual(codes('7395', '7396'), ['mismatch']);
  assert.match(pinFaults('1234', '1234', BORN)[0]!.message, /suite de chiffres/);
});

test('the birth-date combinations of 5 June 1980 include the examples of the guide', () => {
  const c = birthDateCombinations(BORN);
  for (const pin of ['0506', '0605', '0680', '8006', '0580', '8005', '1980']) assert.ok(c.has(pin), pin);
  assert.equal(c.has('7395'), false);
});

test('any accepted PIN is four digits, not a run, not a year and not made of the birth date', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{4}$/), (pin) => {
      if (pinFaults(pin, pin, BORN).length > 0) return true;
      return (
        !/^(19|20)/.test(pin) &&
        !birthDateCombinations(BORN).has(pin) &&
        !['0123', '1234', '3210', '4321', '6789', '9876'].includes(pin)
      );
    }),
    { numRuns: 2000 },
  );
});

test('personal code: 8 characters, both cases, one special character', () => {
  assert.deepEqual(personalCodeFaults('Adec+2024'), []);
  assert.equal(personalCodeFaults('Ad+2').length, 1);
  assert.equal(personalCodeFaults('adec+2024').length, 1);
  assert.equal(personalCodeFaults('Adec2024x').length, 1);
});

test('three different known questions with answers', () => {
  const ok = [
    { question: 'ville_naissance_mere', answer: 'Noir' },
    { question: 'premier_animal', answer: 'Rex' },
    { question: 'ecole_primaire', answer: 'Jaurès' },
  ];
  assert.deepEqual(secretAnswersFaults(ok), []);
  assert.equal(secretAnswersFaults(ok.slice(0, 2)).length, 1);
  assert.match(secretAnswersFaults([ok[0]!, ok[0]!, ok[2]!]).join(), /déjà choisie/);
  assert.match(secretAnswersFaults([ok[0]!, ok[1]!, { question: 'x', answer: ' ' }]).join(), /inconnue.*obligatoire/);
});
