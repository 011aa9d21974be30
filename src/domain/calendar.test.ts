import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dailySlot,
  easterSunday,
  frenchPublicHolidays,
  hourlySlot,
  isWorkingDay,
  parisInstant,
  parisTime,
} from './calendar.ts';

describe('calendar of the scheduled passes', () => {
  it('computes Easter and the French public holidays', () => {
    assert.equal(easterSunday(2024), '2024-03-31');
    assert.equal(easterSunday(2025), '2025-04-20');
    assert.equal(easterSunday(2026), '2026-04-05');
    assert.equal(easterSunday(2038), '2038-04-25');
    assert.deepEqual(frenchPublicHolidays(2026), [
      '2026-01-01',
      '2026-04-06', // lundi de Pâques
      '2026-05-01',
      '2026-05-08',
      '2026-05-14', // Ascension
      '2026-05-25', // lundi de Pentecôte
      '2026-07-14',
      '2026-08-15',
      '2026-11-01',
      '2026-11-11',
      '2026-12-25',
    ]);
  });

  it('knows the « jours ouvrables »: Monday to Saturday, holidays excepted', () => {
    assert.equal(isWorkingDay('2026-06-01'), true, 'a Monday');
    assert.equal(isWorkingDay('2026-06-06'), true, 'a Saturday');
    assert.equal(isWorkingDay('2026-06-07'), false, 'a Sunday');
    assert.equal(isWorkingDay('2026-07-14'), false, 'Fête nationale, a Tuesday');
    assert.equal(isWorkingDay('2026-05-25'), false, 'Whit Monday');
    assert.equal(isWorkingDay('not a date'), false);
  });

  it('reads the local time in Paris across daylight saving time', () => {
    assert.deepEqual(parisTime(new Date('2026-01-15T11:00:00Z')), { date: '2026-01-15', time: '12:00' });
    assert.deepEqual(parisTime(new Date('2026-07-15T10:00:00Z')), { date: '2026-07-15', time: '12:00' });
    assert.deepEqual(parisTime(new Date('2026-07-15T22:30:00Z')), { date: '2026-07-16', time: '00:30' });
  });

  it('gives the slot of a daily pass once its time has passed, and of an hourly one', () => {
    assert.equal(dailySlot(new Date('2026-06-02T09:59:00Z'), '12:00'), null, '11:59 in Paris');
    assert.equal(dailySlot(new Date('2026-06-02T10:00:00Z'), '12:00'), '2026-06-02');
    assert.equal(dailySlot(new Date('2026-06-02T21:00:00Z'), '12:00'), '2026-06-02', 'caught up later that day');
    assert.equal(dailySlot(new Date('2026-06-07T11:00:00Z'), '12:00', true), null, 'Sunday: no backup');
    assert.equal(dailySlot(new Date('2026-06-07T11:00:00Z'), '12:00', false), '2026-06-07');
    assert.equal(hourlySlot(new Date('2026-06-02T10:42:13Z')), '2026-06-02T10');
    assert.equal(parisInstant('2026-01-15', '03:10').toISOString(), '2026-01-15T02:10:00.000Z');
    assert.equal(parisInstant('2026-07-15', '03:10').toISOString(), '2026-07-15T01:10:00.000Z');
  });
});
